//! Up to four layer blobs → scans → flatten (export) to a tar in memory;
//! the output must be a tar whose every member name is safe.
#![no_main]

use std::io::{self, Cursor, Read};

use layerscope::overlay::Overlay;
use layerscope_fuzz::{assert_safe_path, scan_bytes, split_layers};
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
    let layers: Vec<&[layerscope::model::Entry]> =
        scans.iter().map(|s| s.entries.as_slice()).collect();
    let overlay = Overlay::new(&layers);
    let mut opener = |layer: usize| -> io::Result<Box<dyn Read>> {
        let blob = kept.get(layer).cloned().unwrap_or_default();
        Ok(Box::new(Cursor::new(blob)))
    };
    let mut out = Vec::new();
    if overlay.export(&mut opener, &mut out).is_ok() {
        let plan = layerscope_fuzz::bare_plan(out.len() as u64);
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
