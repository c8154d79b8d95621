//! Measuring a stored layer blob without indexing or hashing it: its
//! compression from the first bytes ([`probe`]), and the length of its
//! uncompressed stream by inflating it once ([`count_uncompressed`]).
//! `share` uses these to learn layer sizes that manifests do not carry.

use std::io::{self, Read};

use crate::error::{Error, Result};
use crate::layer::compression::{self, Detected, SNIFF_LEN};
use crate::layer::scan::BlobStage;
use crate::limits::{Limits, flags};
use crate::model::{Compression, LayerPlan};

/// What inflating a blob found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counted {
    /// Compression detected from the bytes.
    pub compression: Compression,
    /// Stored bytes read.
    pub stored_size: u64,
    /// Bytes of the uncompressed stream.
    pub uncompressed_size: u64,
}

/// Detects a stored blob's compression from its first bytes (reads at most
/// one tar block). A format we cannot decode is an
/// [`Error::UnsupportedCompression`].
pub fn probe<R: Read>(reader: R, plan: &LayerPlan) -> Result<Compression> {
    let (head, _, _) = compression::peek(reader, SNIFF_LEN).map_err(|source| Error::Io {
        what: format!("layer {} blob", plan.index),
        offset: 0,
        source,
    })?;
    match compression::detect(&head) {
        Detected::Supported(c) => Ok(c),
        Detected::Unsupported(name) => Err(Error::UnsupportedCompression {
            layer: plan.index,
            compression: name,
        }),
    }
}

/// Reads a whole stored blob (`reader` yields exactly the blob), inflating
/// it when compressed, and counts the uncompressed bytes. Nothing is hashed
/// and the tar inside is not parsed; the count is bounded by
/// [`Limits::max_layer_bytes`].
pub fn count_uncompressed<R: Read>(
    reader: R,
    plan: &LayerPlan,
    limits: &Limits,
) -> Result<Counted> {
    let expected_size = plan.location.as_ref().map_or(0, |l| l.size());
    let mut blob = BlobStage::with_stored_hash(reader, plan, expected_size, false)?;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total: u64 = 0;
    loop {
        match blob.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                total = total.saturating_add(n as u64);
                if total > limits.max_layer_bytes {
                    return Err(Error::Limit {
                        what: format!("layer {} uncompressed size", plan.index),
                        limit: "max_layer_bytes",
                        value: limits.max_layer_bytes,
                        flag: flags::MAX_LAYER_BYTES,
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(blob.take_error().unwrap_or(Error::Io {
                    what: format!("layer {} blob", plan.index),
                    offset: blob.stored_bytes_read(),
                    source: e,
                }));
            }
        }
    }
    let outcome = blob.finish()?;
    Ok(Counted {
        compression: outcome.compression,
        stored_size: outcome.size,
        uncompressed_size: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BlobLocation;
    use std::io::Write;

    fn plan(size: u64) -> LayerPlan {
        LayerPlan {
            index: 2,
            location: Some(BlobLocation::LayoutFile {
                path: "blobs/sha256/x".into(),
                size,
            }),
            digest: None,
            name_digest: None,
            descriptor_size: None,
            media_type: None,
            diff_id: None,
        }
    }

    fn tar_bytes() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let data = vec![7u8; 5000];
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, "f", &data[..]).unwrap();
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn probes_and_counts() {
        let tar = tar_bytes();
        let gz = gzip(&tar);
        assert_eq!(probe(&tar[..], &plan(0)).unwrap(), Compression::None);
        assert_eq!(probe(&gz[..], &plan(0)).unwrap(), Compression::Gzip);
        assert!(matches!(
            probe(&b"BZh91AY&SY"[..], &plan(0)),
            Err(Error::UnsupportedCompression { layer: 2, .. })
        ));
        let counted =
            count_uncompressed(&gz[..], &plan(gz.len() as u64), &Limits::default()).unwrap();
        assert_eq!(counted.uncompressed_size, tar.len() as u64);
        assert_eq!(counted.stored_size, gz.len() as u64);
        assert_eq!(counted.compression, Compression::Gzip);
        let plain =
            count_uncompressed(&tar[..], &plan(tar.len() as u64), &Limits::default()).unwrap();
        assert_eq!(plain.uncompressed_size, tar.len() as u64);
    }

    #[test]
    fn count_is_bounded_and_truncation_is_typed() {
        let tar = tar_bytes();
        let gz = gzip(&tar);
        let small = Limits {
            max_layer_bytes: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            count_uncompressed(&gz[..], &plan(gz.len() as u64), &small),
            Err(Error::Limit {
                limit: "max_layer_bytes",
                ..
            })
        ));
        let cut = gz.get(..gz.len() / 2).unwrap();
        assert!(matches!(
            count_uncompressed(cut, &plan(gz.len() as u64), &Limits::default()),
            Err(Error::Truncated { .. } | Error::Decompress { .. })
        ));
    }
}
