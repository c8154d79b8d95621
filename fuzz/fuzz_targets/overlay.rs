//! Up to four layer blobs → scans → `overlay::merge` (tree, changes,
//! waste, dive efficiency) with path invariants on the merged tree.
#![no_main]

use layerscope_fuzz::{assert_safe_path, scan_bytes, split_layers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scans: Vec<_> = split_layers(data)
        .into_iter()
        .filter_map(|blob| scan_bytes(blob).ok())
        .collect();
    let layers: Vec<&[layerscope::model::Entry]> =
        scans.iter().map(|s| s.entries.as_slice()).collect();
    let report = layerscope::overlay::merge(&layers);
    for entry in &report.tree {
        assert_safe_path(&entry.path);
    }
});
