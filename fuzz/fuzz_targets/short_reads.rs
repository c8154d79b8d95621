//! The same input read whole and with a short-read pattern taken from the
//! input must give the same result: first byte = mode (bit 0: layer blob or
//! image archive) and pattern length, then the pattern, then the data.
#![no_main]

use std::io::Cursor;

use layerscope::layer::scan_layer;
use layerscope_fuzz::{limits, open_and_scan};
use layerscope_test_support::model::blob_plan;
use layerscope_test_support::reader::ShortReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let pattern_len = usize::from(mode >> 1).min(rest.len()).min(16);
    let (pattern, body) = rest.split_at(pattern_len);
    let sizes = || pattern.iter().map(|&b| usize::from(b));
    if mode & 1 == 0 {
        let plan = blob_plan(0, body.len() as u64);
        let whole = scan_layer(Cursor::new(body), &plan, &limits());
        let short = scan_layer(
            ShortReader::new(Cursor::new(body), sizes()),
            &plan,
            &limits(),
        );
        match (whole, short) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "scan differs with short reads"),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{a} vs {b}"),
            (a, b) => panic!("outcome differs with short reads: {a:?} vs {b:?}"),
        }
    } else {
        let whole = open_and_scan(Cursor::new(body));
        let short = open_and_scan(ShortReader::new(Cursor::new(body), sizes()));
        match (whole, short) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "image differs with short reads"),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{a} vs {b}"),
            (a, b) => panic!("outcome differs with short reads: {a:?} vs {b:?}"),
        }
    }
});
