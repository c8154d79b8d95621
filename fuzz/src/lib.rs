//! Helpers shared by the fuzz targets: bounded limits, how fuzz input
//! becomes layers, and the invariants every result must keep (checked with
//! `assert!`, so a violation is a fuzz finding). Readers, plans and checks
//! that tests use too come from `layerscope-test-support`.

use std::io::{Cursor, Read, Seek};

use layerscope::archive::{ImageSource, OpenOptions, OpenedImage, TarSource, open_image};
use layerscope::layer::{LayerScan, scan_layer};
use layerscope::model::Entry;
use layerscope::{Error, Limits};
use layerscope_test_support::model::blob_plan;
use layerscope_test_support::safety::{path_problem, unsafe_entry_path};

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
        max_package_db_bytes: 1 << 20,
        max_binary_bytes: 4 << 20,
    }
}

/// Panics unless `path` is a normalized relative path: no leading `/`, no
/// `.`/`..`/empty components, no NUL.
pub fn assert_safe_path(path: &str) {
    if let Some(problem) = path_problem(path) {
        panic!("path {path:?} {problem}");
    }
}

/// Checks the invariants of a scanned layer's entries.
pub fn check_entries(entries: &[Entry]) {
    if let Some(problem) = unsafe_entry_path(entries) {
        panic!("{problem}");
    }
}

/// Scans a bare layer blob with [`limits`], checking invariants.
pub fn scan_bytes(data: &[u8]) -> Result<LayerScan, Error> {
    let plan = blob_plan(0, data.len() as u64);
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
