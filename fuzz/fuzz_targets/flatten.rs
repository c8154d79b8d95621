//! Up to four layer blobs → scans → flatten (export) to a tar in memory;
//! the output must be a tar whose every member name is safe, the parallel
//! writer (positioned writes, layers in reverse order) must produce the
//! same bytes, and the index-only pass must find the scan's entries.
#![no_main]

use std::io::Cursor;

use layerscope::overlay::Overlay;
use layerscope_fuzz::{assert_safe_path, scan_bytes, split_layers};
use layerscope_test_support::memory::{MemoryLayers, VecSink};
use layerscope_test_support::model::{blob_plan, without_hashes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let blobs = split_layers(data);
    let mut kept = Vec::new();
    let mut scans = Vec::new();
    for blob in blobs {
        if let Ok(scan) = scan_bytes(blob) {
            kept.push(blob.to_vec());
            scans.push(scan);
        }
    }
    for (blob, scan) in kept.iter().zip(&scans) {
        let plan = blob_plan(0, blob.len() as u64);
        let indexed =
            layerscope::layer::index_layer(Cursor::new(blob), &plan, &layerscope_fuzz::limits())
                .expect("a layer that scans also indexes");
        assert_eq!(
            indexed.entries,
            without_hashes(&scan.entries),
            "index-only entries differ"
        );
    }
    let layers: Vec<&[layerscope::model::Entry]> =
        scans.iter().map(|s| s.entries.as_slice()).collect();
    let overlay = Overlay::new(&layers);
    let mut out = Vec::new();
    if overlay.export(&mut MemoryLayers(&kept), &mut out).is_ok() {
        let layout = overlay.export_layout();
        let sink = VecSink::default();
        let mut parts = layout.parts();
        parts.reverse();
        for part in parts {
            let blob = kept.get(part.layer).cloned().unwrap_or_default();
            layout
                .write_layer(part.layer, Cursor::new(blob), &sink)
                .expect("the sequential export of this layer worked");
        }
        layout.write_metadata(&sink).expect("in-memory sink");
        let parallel = sink.into_inner();
        assert!(parallel == out, "parallel export differs from sequential");
        let plan = blob_plan(0, out.len() as u64);
        let rescanned =
            layerscope::layer::scan_layer(Cursor::new(&out), &plan, &layerscope_fuzz::limits());
        match rescanned {
            Ok(scan) => {
                for entry in &scan.entries {
                    assert_safe_path(&entry.path);
                }
                assert!(
                    scan.warnings.iter().all(|w| w.code != "unsafe-path"),
                    "flatten wrote an unsafe path: {:?}",
                    scan.warnings
                );
            }
            Err(e) => panic!("flatten output does not scan: {e}"),
        }
    }
});
