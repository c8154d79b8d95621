//! Bytes (a layer blob: gzip, zstd or plain tar) → `scan_layer`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = layerscope_fuzz::scan_bytes(data);
});
