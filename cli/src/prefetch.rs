//! Decompressing layer blobs ahead of their consumer: a [`LayerOpener`]
//! for export whose readers yield the *uncompressed* stream, produced by a
//! background thread per layer (the next needed layer starts while the
//! current one is being written). The core detects plain tar and passes it
//! through, so the core's export works unchanged.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread;

use layerscope::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use layerscope::overlay::LayerOpener;

use crate::chunks::{ChunkReader, Message, pump};

/// Chunks of decompressed bytes, or the error that ended the stream.
type Chunks = Receiver<Message>;

/// Opens layers for export, decompressing on background threads; `open`
/// gives a layer's stored blob.
pub struct PrefetchOpener<F> {
    open: F,
    /// Layers export will read, ascending.
    needed: BTreeSet<usize>,
    started: HashMap<usize, Chunks>,
}

impl<F> PrefetchOpener<F>
where
    F: FnMut(usize) -> io::Result<Box<dyn Read + Send>>,
{
    /// An opener that reads stored blobs through `open` and expects to be
    /// asked for `needed` layers in order.
    pub fn new(open: F, needed: BTreeSet<usize>) -> Self {
        PrefetchOpener {
            open,
            needed,
            started: HashMap::new(),
        }
    }

    fn start(&mut self, layer: usize) -> io::Result<()> {
        if self.started.contains_key(&layer) {
            return Ok(());
        }
        let reader = (self.open)(layer)?;
        self.started.insert(layer, spawn_decoder(reader));
        Ok(())
    }
}

fn spawn_decoder(reader: Box<dyn Read + Send>) -> Chunks {
    let (sender, receiver) = sync_channel(8);
    thread::spawn(move || {
        let result = (|| -> io::Result<()> {
            let (head, cursor, rest) =
                compression::peek(io::BufReader::with_capacity(256 * 1024, reader), SNIFF_LEN)?;
            let mut decoder = match compression::detect(&head) {
                Detected::Supported(c) => Decoder::new(c, cursor.chain(rest)),
                // Let the core see the raw bytes and report the compression.
                Detected::Unsupported(_) => {
                    Decoder::new(layerscope::model::Compression::None, cursor.chain(rest))
                }
            };
            // `pump` sends its own read errors on.
            let _ = pump(&mut decoder, &sender, None);
            Ok(())
        })();
        if let Err(e) = result {
            let _ = sender.send(Err(e));
        }
    });
    receiver
}

impl<F> LayerOpener for PrefetchOpener<F>
where
    F: FnMut(usize) -> io::Result<Box<dyn Read + Send>>,
{
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        self.start(layer)?;
        // Start the next layer export will need while this one is consumed.
        if let Some(&next) = self.needed.range(layer + 1..).next() {
            self.start(next)?;
        }
        let chunks = self
            .started
            .remove(&layer)
            .ok_or_else(|| io::Error::other("layer decoder vanished"))?;
        Ok(Box::new(ChunkReader::new(chunks, None)))
    }
}
