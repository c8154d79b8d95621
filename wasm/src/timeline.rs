//! A file's history across layers and a diff of two of its versions: the
//! core's [`timeline`] and [`file_diff`], converted. Both need every layer
//! scanned.

use layerscope::overlay::{file_diff, timeline};
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::session::Session;

#[wasm_bindgen]
impl Session {
    /// `path` followed through every layer: `{path, layers, present,
    /// steps}`, each step `{layer, history, createdBy, change, kind, size,
    /// cause, removedWith}` (docs/json.md, `log --json`).
    #[wasm_bindgen(js_name = fileTimeline)]
    pub fn file_timeline(&self, path: &str) -> Result<JsValue, WasmError> {
        let layers = self.layer_slices()?;
        let history = &self.opened.as_ref().ok_or(WasmError::NotOpen)?.history;
        to_js(&timeline(&layers, history, path.trim_matches('/'))?)
    }

    /// The regular file at `path` as layer `old` leaves it against as layer
    /// `new` leaves it, at most 1 MiB of each: `{path, old, new, limit,
    /// body}` (docs/json.md, `log --diff N..M --json`).
    #[wasm_bindgen(js_name = fileDiff)]
    pub fn file_diff(&mut self, path: &str, old: usize, new: usize) -> Result<JsValue, WasmError> {
        let (layers, mut opener) = self.layers_and_opener()?;
        to_js(&file_diff(
            &layers,
            path.trim_matches('/'),
            old,
            new,
            &mut opener,
        )?)
    }
}
