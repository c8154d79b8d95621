//! Up to four layer blobs → scans → flatten (export) to a tar in memory;
//! the output must be a tar whose every member name is safe, the parallel
//! writer (positioned writes, layers in reverse order) must produce the
//! same bytes, and the index-only pass must find the scan's entries.
#![no_main]

use std::io::{self, Cursor, Read};
use std::sync::Mutex;

use layerscope::overlay::{Overlay, PositionedSink};
use layerscope_fuzz::{assert_safe_path, scan_bytes, split_layers};
use libfuzzer_sys::fuzz_target;

/// An in-memory positioned output.
struct VecSink(Mutex<Vec<u8>>);

impl PositionedSink for VecSink {
    fn write_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut v = self.0.lock().map_err(|_| io::Error::other("poisoned"))?;
        let start = usize::try_from(offset).map_err(io::Error::other)?;
        let end = start + bytes.len();
        if v.len() < end {
            v.resize(end, 0);
        }
        v[start..end].copy_from_slice(bytes);
        Ok(())
    }
}

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
        let plan = layerscope_fuzz::bare_plan(blob.len() as u64);
        let indexed =
            layerscope::layer::index_layer(Cursor::new(blob), &plan, &layerscope_fuzz::limits())
                .expect("a layer that scans also indexes");
        let unhashed: Vec<_> = scan
            .entries
            .iter()
            .map(|e| layerscope::model::Entry {
                content_hash: None,
                ..e.clone()
            })
            .collect();
        assert_eq!(indexed.entries, unhashed, "index-only entries differ");
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
        let layout = overlay.export_layout();
        let sink = VecSink(Mutex::new(Vec::new()));
        let mut parts = layout.parts();
        parts.reverse();
        for part in parts {
            let blob = kept.get(part.layer).cloned().unwrap_or_default();
            layout
                .write_layer(part.layer, Cursor::new(blob), &sink)
                .expect("the sequential export of this layer worked");
        }
        layout.write_metadata(&sink).expect("in-memory sink");
        let parallel = sink.0.into_inner().expect("not poisoned");
        assert!(parallel == out, "parallel export differs from sequential");
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
