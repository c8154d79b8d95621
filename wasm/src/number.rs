//! The one rule for 64-bit integers crossing into JavaScript: exact always.
//! Up to 2^53 − 1 a plain number; above it a `BigInt`.

use js_sys::BigInt;
use wasm_bindgen::JsValue;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE: u64 = (1 << 53) - 1;

/// A `u64` as a number when exact, else as a `BigInt`.
pub fn u64_to_js(value: u64) -> JsValue {
    if value <= MAX_SAFE {
        JsValue::from_f64(value as f64)
    } else {
        BigInt::from(value).into()
    }
}
