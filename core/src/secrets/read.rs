//! Reading one layer for the content scan on its own: one forward pass
//! over an already-indexed layer's decoded stream, every regular file
//! within the size limit fed to a [`FileScan`] (files hidden or deleted by
//! upper layers included: their bytes still ship in this blob). The page
//! uses it; the CLI scans in its first pass instead
//! ([`super::collect::index_stream`]). Which files, and what is counted,
//! is [`Collector`]'s in both.

use crate::layer::content;
use crate::layer::opener::{self, LayerOpener};
use crate::model::Entry;

use super::collect::Collector;
use super::model::LayerSecrets;
use super::stream::FileScan;

/// Scans every regular file of `layer` (entries `entries`) of at most
/// `max_file_bytes` bytes. A layer that cannot be read to the end is a
/// warning; the files not reached are counted as unreadable.
pub fn scan_layer(
    opener: &mut dyn LayerOpener,
    layer: usize,
    entries: &[Entry],
    max_file_bytes: u64,
) -> LayerSecrets {
    let mut collector = Collector::new(layer, max_file_bytes);
    let mut files: Vec<&Entry> = entries.iter().filter(|e| collector.wants(e)).collect();
    if files.is_empty() {
        return collector.finish();
    }
    files.sort_by_key(|e| e.header_offset);
    let mut stream = match opener::open_decoded(opener, layer) {
        Ok(s) => s,
        Err(error) => {
            collector.unreadable(&error.to_string(), files.len());
            return collector.finish();
        }
    };
    let mut pos = 0u64;
    for (n, entry) in files.iter().enumerate() {
        let mut scan = FileScan::new(&entry.path);
        if let Err(error) = content::copy_file(&mut stream, &mut pos, entry, layer, &mut scan) {
            collector.unreadable(&error.to_string(), files.len() - n);
            return collector.finish();
        }
        collector.done(entry, scan);
    }
    collector.finish()
}
