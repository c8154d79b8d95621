//! Rust values → JavaScript values, without losing 64-bit precision.
//!
//! Values go through `serde_json::Value` (which keeps `u64` exact) and are
//! then rebuilt as plain JS objects: integers up to 2^53 − 1 become numbers,
//! larger ones become `BigInt`.

use js_sys::{Array, BigInt, Object, Reflect};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::error::WasmError;

/// Largest integer a JS number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// A `u64` as a number when exact, else as a `BigInt`.
pub fn u64_to_js(value: u64) -> JsValue {
    if value <= MAX_SAFE {
        JsValue::from_f64(value as f64)
    } else {
        BigInt::from(value).into()
    }
}

/// Serializes `value` into a plain JavaScript value.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, WasmError> {
    let json = serde_json::to_value(value).map_err(|e| WasmError::Convert(e.to_string()))?;
    Ok(value_to_js(&json))
}

fn value_to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u64_to_js(u)
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() <= MAX_SAFE {
                    JsValue::from_f64(i as f64)
                } else {
                    BigInt::from(i).into()
                }
            } else {
                JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => {
            let array = Array::new_with_length(items.len() as u32);
            for (i, item) in items.iter().enumerate() {
                array.set(i as u32, value_to_js(item));
            }
            array.into()
        }
        Value::Object(map) => {
            let object = Object::new();
            for (key, item) in map {
                // Setting a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(key), &value_to_js(item));
            }
            object.into()
        }
    }
}

/// Parses a JSON argument, naming it in the error.
pub fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, WasmError> {
    serde_json::from_str(text).map_err(|source| WasmError::BadJson { what, source })
}
