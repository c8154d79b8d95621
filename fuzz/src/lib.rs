//! Helpers shared by the fuzz targets: bounded limits, a plan for a bare
//! layer blob, a short-reading reader, and the invariants every result must
//! keep (checked with `assert!`, so a violation is a fuzz finding).

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use layerscope::archive::{ImageSource, OpenOptions, OpenedImage, TarSource, open_image};
use layerscope::layer::{LayerScan, scan_layer};
use layerscope::model::{BlobLocation, Entry, LayerPlan};
use layerscope::{Error, Limits};

/// Limits small enough that one input cannot make a fuzz run slow, large
/// enough that every interesting path is reachable.
pub fn limits() -> Limits {
    Limits {
        max_json_bytes: 1 << 20,
        max_archive_members: 10_000,
        max_entries_per_layer: 10_000,
        max_path_bytes: 4096,
        max_pax_bytes: 64 << 10,
        max_layer_bytes: 16 << 20,
        max_index_depth: 8,
        max_index_descriptors: 100_000,
        max_listing_path_bytes: 256 << 20,
    }
}

/// A plan for scanning `len` bytes as layer 0 with nothing to verify against.
pub fn bare_plan(len: u64) -> LayerPlan {
    LayerPlan {
        index: 0,
        location: Some(BlobLocation::ArchiveRange {
            member: "fuzz".into(),
            offset: 0,
            size: len,
        }),
        digest: None,
        name_digest: None,
        descriptor_size: None,
        media_type: None,
        diff_id: None,
    }
}

/// Panics unless `path` is a normalized relative path: no leading `/`, no
/// `.`/`..`/empty components, no NUL, no backslash-free escape.
pub fn assert_safe_path(path: &str) {
    assert!(!path.starts_with('/'), "absolute path {path:?}");
    assert!(!path.contains('\0'), "NUL in path {path:?}");
    if path.is_empty() {
        return;
    }
    for component in path.split('/') {
        assert!(
            !matches!(component, "" | "." | ".."),
            "unnormalized path {path:?}"
        );
    }
}

/// Checks the invariants of a scanned layer's entries.
pub fn check_entries(entries: &[Entry]) {
    for entry in entries {
        assert_safe_path(&entry.path);
        if entry.kind == layerscope::model::EntryKind::Hardlink {
            if let Some(target) = &entry.link_target {
                assert_safe_path(target);
            }
        }
        match &entry.whiteout {
            Some(layerscope::model::Whiteout::Remove { target }) => assert_safe_path(target),
            Some(layerscope::model::Whiteout::Opaque { dir }) => assert_safe_path(dir),
            None => {}
        }
    }
}

/// Scans a bare layer blob with [`limits`], checking invariants.
pub fn scan_bytes(data: &[u8]) -> Result<LayerScan, Error> {
    let plan = bare_plan(data.len() as u64);
    let result = scan_layer(Cursor::new(data), &plan, &limits());
    if let Ok(scan) = &result {
        check_entries(&scan.entries);
    }
    result
}

/// Opens an image archive from bytes and scans every layer it has, checking
/// invariants. Returns the opened image and each layer's outcome.
pub fn open_and_scan<R: Read + Seek>(
    reader: R,
) -> Result<(OpenedImage, Vec<Result<LayerScan, String>>), Error> {
    let limits = limits();
    let mut source = TarSource::new(reader, &limits)?;
    let options = OpenOptions {
        limits,
        ..OpenOptions::default()
    };
    let opened = open_image(&mut source, &options)?;
    for plan in &opened.layers {
        if let Some(location) = &plan.location {
            assert_safe_path(location.path());
        }
    }
    let mut scans = Vec::new();
    for plan in &opened.layers {
        let Some(location) = plan.location.clone() else {
            continue;
        };
        let outcome = match source.open(&location) {
            Ok(reader) => scan_layer(reader, plan, &limits),
            Err(e) => Err(e),
        };
        if let Ok(scan) = &outcome {
            check_entries(&scan.entries);
        }
        scans.push(outcome.map_err(|e| e.kind().to_owned()));
    }
    Ok((opened, scans))
}

/// A reader that hands out at most `pattern[i % len]` bytes per call
/// (0 in the pattern counts as 1), to check that results do not depend on
/// how reads are split.
#[derive(Debug)]
pub struct ShortReader<R> {
    inner: R,
    pattern: Vec<usize>,
    next: usize,
}

impl<R> ShortReader<R> {
    /// Wraps `inner`; `pattern` bytes are read sizes (an empty pattern reads 1 byte at a time).
    pub fn new(inner: R, pattern: &[u8]) -> Self {
        ShortReader {
            inner,
            pattern: pattern.iter().map(|&b| usize::from(b).max(1)).collect(),
            next: 0,
        }
    }
}

impl<R: Read> Read for ShortReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = if self.pattern.is_empty() {
            1
        } else {
            let n = self.pattern[self.next % self.pattern.len()];
            self.next = self.next.wrapping_add(1);
            n
        };
        let n = limit.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

impl<R: Seek> Seek for ShortReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Splits fuzz input into up to four layer blobs: the first byte says how
/// many, the next bytes where to cut.
pub fn split_layers(data: &[u8]) -> Vec<&[u8]> {
    let Some((&count, rest)) = data.split_first() else {
        return Vec::new();
    };
    let count = usize::from(count % 4) + 1;
    let cuts_len = count - 1;
    if rest.len() < cuts_len {
        return vec![rest];
    }
    let (cuts, body) = rest.split_at(cuts_len);
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| body.len() * usize::from(c) / 256)
        .collect();
    points.sort_unstable();
    let mut layers = Vec::new();
    let mut start = 0;
    for p in points {
        layers.push(&body[start..p]);
        start = p;
    }
    layers.push(&body[start..]);
    layers
}
