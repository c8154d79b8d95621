//! The column tables the page's virtualized tree reads (`layerTable`,
//! `mergedTable`): newline-joined paths plus one typed array per column,
//! built the same way for both.

use js_sys::{BigUint64Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

/// Rows being collected: path, kind code, flag bits, size.
#[derive(Debug, Default)]
pub struct Columns {
    paths: String,
    kinds: Vec<u8>,
    flags: Vec<u8>,
    sizes: Vec<u64>,
}

impl Columns {
    /// Room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Columns {
        Columns {
            paths: String::new(),
            kinds: Vec::with_capacity(rows),
            flags: Vec::with_capacity(rows),
            sizes: Vec::with_capacity(rows),
        }
    }

    /// Adds one row. A newline in a name (it separates paths) shows as
    /// U+FFFD.
    pub fn push(&mut self, path: &str, kind: u8, flags: u8, size: u64) {
        if !self.kinds.is_empty() {
            self.paths.push('\n');
        }
        if path.contains('\n') {
            self.paths.push_str(&path.replace('\n', "\u{FFFD}"));
        } else {
            self.paths.push_str(path);
        }
        self.kinds.push(kind);
        self.flags.push(flags);
        self.sizes.push(size);
    }

    /// `{paths, kinds: Uint8Array, flags: Uint8Array, sizes:
    /// BigUint64Array, count}`; callers add their own columns with [`set`].
    pub fn into_object(self) -> Object {
        let object = Object::new();
        set(&object, "paths", JsValue::from_str(&self.paths));
        set(
            &object,
            "kinds",
            Uint8Array::from(self.kinds.as_slice()).into(),
        );
        set(
            &object,
            "flags",
            Uint8Array::from(self.flags.as_slice()).into(),
        );
        set(
            &object,
            "sizes",
            BigUint64Array::from(self.sizes.as_slice()).into(),
        );
        set(&object, "count", JsValue::from_f64(self.kinds.len() as f64));
        object
    }
}

/// Sets `key` on a plain object.
pub fn set(object: &Object, key: &str, value: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(key), &value);
}
