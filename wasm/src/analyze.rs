//! Analysing the whole image (core `overlay`): merged tree with provenance,
//! per-layer changes, exact waste, dive's efficiency score and advice, kept
//! in the session ([`Analysis`]) for the queries that read it.

use layerscope::overlay::{Overlay, advise, dive_efficiency};
use wasm_bindgen::prelude::*;

use crate::analysis::{Analysis, AnalysisView};
use crate::convert::to_js;
use crate::error::WasmError;
use crate::session::Session;

#[wasm_bindgen]
impl Session {
    /// Applies every layer (core `overlay`): merged tree with provenance,
    /// per-layer changes, exact waste, dive's efficiency score, advice.
    /// Needs every layer scanned. Returns the display view (long lists
    /// trimmed); afterwards `layerTable` carries change flags and
    /// `mergedTable`/`mergedEntry`/`readMerged` work.
    pub fn analyze(&mut self) -> Result<JsValue, WasmError> {
        to_js(&AnalysisView::new(self.ensure_analysis()?))
    }
}

impl Session {
    /// The analysis, made first when needed.
    pub(crate) fn ensure_analysis(&mut self) -> Result<&Analysis, WasmError> {
        if self.analysis.is_none() {
            let secrets = {
                let (layers, mut opener) = self.layers_and_opener()?;
                layerscope::secrets::scan(
                    &layers,
                    &mut opener,
                    layerscope::secrets::DEFAULT_MAX_FILE_BYTES,
                )
            };
            let slices = self.layer_slices()?;
            let report = self.opened_report()?;
            let overlay = Overlay::new(&slices);
            overlay.check_listing(&self.limits)?;
            let advice = advise::advise(
                &overlay,
                &advise::AdviseInput {
                    layers: &report.layers,
                    config: &report.config,
                    small_layer_bytes: advise::SMALL_LAYER_BYTES,
                    content_secrets: Some(&secrets),
                },
            );
            let analysis = Analysis::new(
                overlay.entries(),
                overlay.changes().to_vec(),
                overlay.waste(),
                dive_efficiency(&slices),
                advice,
                overlay.warnings().to_vec(),
            );
            self.analysis = Some(analysis);
        }
        self.analysis.as_ref().ok_or(WasmError::NotOpen)
    }
}
