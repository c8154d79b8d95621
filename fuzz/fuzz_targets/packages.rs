//! Package databases never panic: every parser on the raw input, then up
//! to four layer blobs → scans → the package scan (track, read, attribute)
//! with the fuzz limits, every listed file path safe.
#![no_main]

use std::io::{Cursor, Read};

use layerscope::packages::{self, apk, binary, dpkg, npm, osrelease, python};
use layerscope_fuzz::{assert_safe_path, limits, scan_bytes, split_layers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = dpkg::parse_status(&text);
    let _ = dpkg::parse_files("var/lib/dpkg/info/x.list", &text);
    let _ = apk::parse(&text);
    let _ = python::parse_metadata(&text);
    let _ = python::parse_record("a/b/x.dist-info/RECORD", &text);
    let _ = npm::parse(data, "x");
    let _ = osrelease::parse("etc/os-release", &text);
    let _ = binary::parse(data);

    let blobs = split_layers(data);
    let scans: Vec<_> = blobs.iter().filter_map(|blob| scan_bytes(blob).ok()).collect();
    if scans.len() != blobs.len() {
        return;
    }
    let layers: Vec<&[layerscope::model::Entry]> =
        scans.iter().map(|s| s.entries.as_slice()).collect();
    let mut opener = |i: usize| -> std::io::Result<Box<dyn Read>> {
        Ok(Box::new(Cursor::new(blobs.get(i).map(|b| b.to_vec()).unwrap_or_default())))
    };
    let report = packages::scan(&layers, &mut opener, &limits(), None);
    for p in report.packages {
        for f in &p.files {
            assert_safe_path(f);
        }
    }
});
