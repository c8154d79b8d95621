//! Reading one layer for the content scan: one forward pass over the
//! layer's decoded stream, every regular file within the size limit fed
//! to a [`FileScan`] (files hidden or deleted by upper layers included:
//! their bytes still ship in this blob).

use crate::layer::content;
use crate::layer::opener::{self, LayerOpener};
use crate::model::{Entry, EntryKind, Warning};

use super::model::{LayerSecrets, SecretHit};
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
    let mut out = LayerSecrets {
        layer,
        ..LayerSecrets::default()
    };
    let mut files: Vec<&Entry> = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.size > 0)
    {
        if e.size > max_file_bytes {
            out.skipped.too_large += 1;
            out.skipped.largest = out.skipped.largest.max(e.size);
        } else {
            files.push(e);
        }
    }
    if files.is_empty() {
        return out;
    }
    files.sort_by_key(|e| e.header_offset);
    let mut stream = match opener::open_decoded(opener, layer) {
        Ok(s) => s,
        Err(error) => {
            unreadable(&mut out, &error.to_string(), files.len());
            return out;
        }
    };
    let mut pos = 0u64;
    for (n, entry) in files.iter().enumerate() {
        let mut scan = FileScan::new(&entry.path);
        if let Err(error) = content::copy_file(&mut stream, &mut pos, entry, layer, &mut scan) {
            unreadable(&mut out, &error.to_string(), files.len() - n);
            return out;
        }
        if scan.is_binary() {
            out.skipped.binary += 1;
            continue;
        }
        out.scanned_files += 1;
        out.scanned_bytes += entry.size;
        let (hits, more) = scan.finish();
        out.more += more;
        out.hits.extend(hits.into_iter().map(|h| SecretHit {
            layer,
            path: entry.path.clone(),
            size: entry.size,
            line: h.line,
            redacted: h.redacted,
            note: h.note,
        }));
    }
    out
}

fn unreadable(out: &mut LayerSecrets, why: &str, rest: usize) {
    out.skipped.unreadable += rest as u64;
    out.warnings.push(
        Warning::new(
            "secret-scan-unreadable",
            format!(
                "layer {}: {rest} file(s) not scanned for secrets: {why}",
                out.layer
            ),
        )
        .in_layer(out.layer),
    );
}
