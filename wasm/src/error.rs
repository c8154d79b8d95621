//! Errors as they cross into JavaScript: real `Error` objects whose `name`
//! is a stable category ([`layerscope::Error::kind`]) and whose `details`
//! object carries the layer, offset and path when they are known.

use js_sys::{Object, Reflect};
use layerscope::Error;
use thiserror::Error as ThisError;
use wasm_bindgen::JsValue;

/// Everything the bindings can fail with.
#[derive(Debug, ThisError)]
pub enum WasmError {
    /// The core failed.
    #[error(transparent)]
    Core(#[from] Error),
    /// An options, plan or limits argument is not valid JSON of the right shape.
    #[error("invalid {what} JSON: {source}")]
    BadJson {
        /// Which argument.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A method that needs an opened image was called before `open`.
    #[error("no image is open")]
    NotOpen,
    /// A method that needs a layer's scan was called before it was scanned.
    #[error("layer {0} has not been scanned yet")]
    NotScanned(usize),
    /// The input value is not something we can read.
    #[error("expected a Blob, a Uint8Array or a Map of path → File, got {0}")]
    BadInput(String),
    /// A result could not be converted into a JavaScript value.
    #[error("could not convert a result for JavaScript: {0}")]
    Convert(String),
}

impl WasmError {
    /// The stable name used as the JavaScript `Error.name`.
    pub fn kind(&self) -> &'static str {
        match self {
            WasmError::Core(e) => e.kind(),
            WasmError::BadJson { .. } => "OptionsError",
            WasmError::NotOpen | WasmError::NotScanned(_) => "StateError",
            WasmError::BadInput(_) => "InputError",
            WasmError::Convert(_) => "InternalError",
        }
    }
}

impl From<WasmError> for JsValue {
    fn from(error: WasmError) -> JsValue {
        into_js_error(&error)
    }
}

fn set(target: &Object, key: &str, value: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), &value);
}

fn number(value: u64) -> JsValue {
    crate::number::u64_to_js(value)
}

/// Builds a JavaScript `Error` with `name` = the error's kind, the full
/// message, and a `details` object (`layer`, `offset`, `path`, … when known).
pub fn into_js_error(error: &WasmError) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name(error.kind());
    let details = Object::new();
    if let WasmError::Core(core) = error {
        fill_details(&details, core);
    }
    if let WasmError::NotScanned(layer) = error {
        set(&details, "layer", JsValue::from_f64(*layer as f64));
    }
    set(&details, "kind", JsValue::from_str(error.kind()));
    set(js.as_ref(), "details", details.into());
    js.into()
}

fn fill_details(details: &Object, error: &Error) {
    let layer = |l: usize| set(details, "layer", JsValue::from_f64(l as f64));
    let offset = |o: u64| set(details, "offset", number(o));
    let path = |p: &str| set(details, "path", JsValue::from_str(p));
    match error {
        Error::Io {
            what, offset: o, ..
        } => {
            path(what);
            offset(*o);
        }
        Error::ArchiveTar { offset: o, .. } => offset(*o),
        Error::Truncated {
            what,
            expected,
            available,
        } => {
            path(what);
            set(details, "expected", number(*expected));
            set(details, "available", number(*available));
        }
        Error::Json { member, .. }
        | Error::Schema { member, .. }
        | Error::Digest { member, .. } => path(member),
        Error::Missing { what, path: p } => {
            path(p);
            set(details, "what", JsValue::from_str(what));
        }
        Error::UnsupportedCompression {
            layer: l,
            compression,
        } => {
            layer(*l);
            set(details, "compression", JsValue::from_str(compression));
        }
        Error::Decompress {
            layer: l,
            compression,
            compressed_offset,
            ..
        } => {
            layer(*l);
            offset(*compressed_offset);
            set(details, "compression", JsValue::from_str(compression));
        }
        Error::LayerTar {
            layer: l,
            offset: o,
            ..
        } => {
            layer(*l);
            offset(*o);
        }
        Error::Limit {
            what, limit, value, ..
        } => {
            path(what);
            set(details, "limit", JsValue::from_str(limit));
            set(details, "value", number(*value));
        }
        _ => {}
    }
}
