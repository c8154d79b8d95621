//! Opening a layer's stored blob to read its files: the [`LayerOpener`] a
//! driver supplies (a closure, or [`SourceOpener`] over an
//! [`ImageSource`]), and the decoded stream over it — compression detected
//! from the first bytes and undone — that `flatten`, `cat` and the preview
//! read entries from (`layer/content.rs`).

use std::io::{self, Read};

use crate::archive::ImageSource;
use crate::error::{Error, Result};
use crate::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use crate::model::BlobLocation;

/// Opens a layer's *stored* blob (compressed or not) by layer index.
pub trait LayerOpener {
    /// A reader over layer `layer`'s blob, from its first byte.
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>>;
}

impl<F> LayerOpener for F
where
    F: FnMut(usize) -> io::Result<Box<dyn Read>>,
{
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        self(layer)
    }
}

/// A [`LayerOpener`] over an [`ImageSource`] and the layers' locations
/// (e.g. `OpenedImage::layers[i].location`).
pub struct SourceOpener<'s> {
    /// The image source.
    pub source: &'s mut dyn ImageSource,
    /// Blob location per layer.
    pub locations: Vec<Option<BlobLocation>>,
}

impl std::fmt::Debug for SourceOpener<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceOpener")
            .field("locations", &self.locations)
            .finish()
    }
}

impl LayerOpener for SourceOpener<'_> {
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        let location = self
            .locations
            .get(layer)
            .cloned()
            .flatten()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, Error::missing_blob(layer, None))
            })?;
        self.source.open(&location).map_err(io::Error::other)
    }
}

/// A decoded stored blob: the sniffed head, then the rest.
pub(crate) type Decoded<R> = Decoder<io::Chain<io::Cursor<Vec<u8>>, R>>;

/// Opens layer `layer`'s blob and undoes its compression.
pub(crate) fn open_decoded<'o>(
    opener: &'o mut dyn LayerOpener,
    layer: usize,
) -> Result<Decoded<Box<dyn Read + 'o>>> {
    let reader = opener.open_layer(layer).map_err(|source| Error::Io {
        what: format!("layer {layer} blob"),
        offset: 0,
        source,
    })?;
    decode(reader, layer)
}

/// Detects a stored blob's compression from its first bytes and undoes it.
pub(crate) fn decode<R: Read>(reader: R, layer: usize) -> Result<Decoded<R>> {
    let (head, cursor, rest) =
        compression::peek(reader, SNIFF_LEN).map_err(|source| Error::Io {
            what: format!("layer {layer} blob"),
            offset: 0,
            source,
        })?;
    let kind = match compression::detect(&head) {
        Detected::Supported(c) => c,
        Detected::Unsupported(name) => {
            return Err(Error::UnsupportedCompression {
                layer,
                compression: name,
            });
        }
    };
    Ok(Decoder::new(kind, cursor.chain(rest)))
}
