//! A layer's tree while it is still being verified: the entries its scan
//! published so far (the core's `index_stream_published`, sent by the scan
//! worker through the page) are kept per layer until the whole scan is
//! stored, and listed like a scanned layer's (without change words).

use layerscope::model::Entry;
use layerscope::overlay::LayerListing;
use wasm_bindgen::prelude::*;

use crate::browse::table_object;
use crate::error::WasmError;
use crate::session::Session;

#[wasm_bindgen]
impl Session {
    /// Adds a batch of layer `index`'s entries (JSON, as a scan worker's
    /// `scanLayerRange` hands them out) to what is shown while the layer is
    /// verified. Ignored once the layer's scan is stored. Returns how many
    /// entries the layer has so far.
    #[wasm_bindgen(js_name = addPartial)]
    pub fn add_partial(&mut self, index: usize, bytes: &[u8]) -> Result<usize, WasmError> {
        if self.scans.get(index).is_some_and(Option::is_some) {
            return Ok(0);
        }
        let batch: Vec<Entry> =
            serde_json::from_slice(bytes).map_err(|source| WasmError::BadJson {
                what: "partial entries",
                source,
            })?;
        let partial = self
            .partials
            .get_mut(index)
            .ok_or(WasmError::NotScanned(index))?;
        partial.extend(batch);
        Ok(partial.len())
    }

    /// The column table (as `layerTable`, without change words) of the
    /// entries layer `index` has published so far.
    #[wasm_bindgen(js_name = partialTable)]
    pub fn partial_table(&self, index: usize) -> Result<JsValue, WasmError> {
        let entries = self
            .partials
            .get(index)
            .ok_or(WasmError::NotScanned(index))?;
        let listing = LayerListing::build(entries);
        Ok(table_object(&listing, entries, None, None))
    }
}
