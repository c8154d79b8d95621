//! Scanning layers: in this session (`scanLayer`), or in another worker
//! from the plan alone (`scanLayerRange`, `hashBlobRange`, in `range.rs`)
//! and recorded here (`addScan`); each answers with the layer's view.

use js_sys::Function;
use layerscope::layer::{LayerScan, scan_layer};
use layerscope::model::{Check, CheckedObject, LayerInfo, Warning};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::progress::Progress;
use crate::session::Session;

/// One layer's outcome, as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerView<'a> {
    index: usize,
    /// The report's view of the layer (status, sizes, digests).
    layer: Option<&'a LayerInfo>,
    /// Checks about this layer (blob, diff_id, failures).
    checks: Vec<&'a Check>,
    /// Warnings about this layer.
    warnings: Vec<&'a Warning>,
    /// Whether the whole chain verified so far.
    image_ok: bool,
}

#[wasm_bindgen]
impl Session {
    /// Scans layer `index` through this session's input (hashing, decoding,
    /// indexing), calling `progress(storedBytesDone)` every ~4 MiB. Returns
    /// the layer's view (status, checks); on failure records it in the
    /// report and throws.
    #[wasm_bindgen(js_name = scanLayer)]
    pub fn scan_layer(
        &mut self,
        index: usize,
        progress: Option<Function>,
    ) -> Result<JsValue, WasmError> {
        let plan = self.plan(index)?.clone();
        let limits = self.limits;
        let source = self.source.as_mut().ok_or(WasmError::NotOpen)?;
        let result = plan.blob_location().and_then(|location| {
            source
                .as_dyn()
                .open(location)
                .and_then(|reader| scan_layer(Progress::new(reader, progress), &plan, &limits))
        });
        match result {
            Ok(scan) => self.store(scan),
            Err(error) => {
                if plan.location.is_some() {
                    if let Some(report) = self.report.as_mut() {
                        report.apply_failure(index, &error);
                    }
                }
                Err(error.into())
            }
        }
    }

    /// Records a scan made elsewhere by [`Session::scan_layer_range`]
    /// (`bytes` is its `scan` field). `storedDigest` is the stored blob's
    /// digest when another worker hashed it (a scan made with `hashStored`
    /// false); the checks are then made again with it. Returns the layer's
    /// view.
    #[wasm_bindgen(js_name = addScan)]
    pub fn add_scan(
        &mut self,
        bytes: &[u8],
        stored_digest: Option<String>,
    ) -> Result<JsValue, WasmError> {
        let scan: LayerScan =
            serde_json::from_slice(bytes).map_err(|source| WasmError::BadJson {
                what: "scan",
                source,
            })?;
        let plan = self.plan(scan.index)?;
        let scan = match stored_digest {
            Some(digest) => crate::range::with_stored_digest(plan, scan, &digest)?,
            None => scan,
        };
        self.store(scan)
    }

    /// The current view of layer `index`: the report's layer info, its
    /// checks and warnings.
    #[wasm_bindgen(js_name = layerView)]
    pub fn layer_view(&self, index: usize) -> Result<JsValue, WasmError> {
        let report = self.opened_report()?;
        let checks = report
            .verification
            .checks
            .iter()
            .filter(|c| {
                matches!(c.object, CheckedObject::LayerBlob { layer } | CheckedObject::LayerDiffId { layer } if layer == index)
            })
            .collect();
        to_js(&LayerView {
            index,
            layer: report.layers.get(index),
            checks,
            warnings: report
                .warnings
                .iter()
                .filter(|w| w.layer == Some(index))
                .collect(),
            image_ok: report.verification.ok,
        })
    }

    /// Scans one layer knowing only its plan, for extra workers: `input` is
    /// the dropped tarball (`Blob`/`Uint8Array`, for archive ranges) or the
    /// layout `Map`; `plan` and `limits` are JSON as found in `open`'s
    /// `plans` and `limits`. Returns `{summary, scan}` where `scan` is a
    /// `Uint8Array` to hand to [`Session::add_scan`] (transferable).
    ///
    /// With a `batch` callback, the entries indexed so far are handed to it
    /// in batches while the scan runs (`Uint8Array` of JSON, for the main
    /// session's `addPartial`).
    ///
    /// With `hashStored` false the stored bytes of a compressed blob are not
    /// hashed: another worker hashes them at the same time
    /// ([`Session::hash_blob_range`]) and the page passes that digest to
    /// `addScan`.
    #[wasm_bindgen(js_name = scanLayerRange)]
    pub fn scan_layer_range(
        input: JsValue,
        plan: String,
        limits: Option<String>,
        progress: Option<Function>,
        hash_stored: Option<bool>,
        batch: Option<Function>,
    ) -> Result<JsValue, WasmError> {
        console_error_panic_hook::set_once();
        crate::range::scan_range(
            input,
            &plan,
            limits.as_deref(),
            progress,
            hash_stored.unwrap_or(true),
            batch,
        )
    }

    /// Hashes one layer's stored blob knowing only its plan (JSON as in
    /// `open`'s `plans`), calling `progress(bytesDone)` every ~4 MiB.
    /// Returns `{digest, size}`; the digest goes to [`Session::add_scan`].
    #[wasm_bindgen(js_name = hashBlobRange)]
    pub fn hash_blob_range(
        input: JsValue,
        plan: String,
        progress: Option<Function>,
    ) -> Result<JsValue, WasmError> {
        console_error_panic_hook::set_once();
        crate::range::hash_range(input, &plan, progress)
    }
}

impl Session {
    /// Keeps a layer's scan (its listing and the analysis are rebuilt on
    /// demand) and returns the layer's view.
    fn store(&mut self, scan: LayerScan) -> Result<JsValue, WasmError> {
        let index = scan.index;
        let report = self.report.as_mut().ok_or(WasmError::NotOpen)?;
        report.apply_scan(&scan);
        if let Some(slot) = self.scans.get_mut(index) {
            *slot = Some(scan);
        }
        if let Some(slot) = self.listings.get_mut(index) {
            *slot = None;
        }
        if let Some(partial) = self.partials.get_mut(index) {
            *partial = Vec::new();
        }
        self.analysis = None;
        self.layer_view(index)
    }
}
