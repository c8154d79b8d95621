//! Bytes → `TarSource` → `open_image` → scan of every layer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = layerscope_fuzz::open_and_scan(std::io::Cursor::new(data));
});
