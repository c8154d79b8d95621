//! Packages per layer, the SBOM and the distribution for the page: the
//! core's package scan ([`layerscope::packages`]) and SBOM writer
//! ([`layerscope::sbom`]), converted. All three need every layer scanned;
//! they read only the package database files out of the layer blobs.

use layerscope::error::RequestError;
use layerscope::packages;
use layerscope::sbom::{SbomFormat, sbom};
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::session::Session;

#[wasm_bindgen]
impl Session {
    /// The packages as layer `layer` leaves the image (the final image
    /// when omitted): `{layer, packages, removed, osRelease, layerCounts,
    /// unread, warnings}` (docs/json.md, `packages --json`).
    pub fn packages(&mut self, layer: Option<usize>) -> Result<JsValue, WasmError> {
        let limits = self.limits;
        let (layers, mut opener) = self.layers_and_opener()?;
        if let Some(n) = layer.filter(|n| *n >= layers.len()) {
            let error = RequestError::NoSuchLayer {
                index: n,
                count: layers.len(),
            };
            return Err(layerscope::Error::from(error).into());
        }
        to_js(&packages::scan(&layers, &mut opener, &limits, layer))
    }

    /// The SBOM of the final image as JSON text, `format` being
    /// `"cyclonedx"` (1.6) or `"spdx"` (2.3): the same bytes as
    /// `layerscope sbom --format FORMAT`.
    pub fn sbom(&mut self, format: &str) -> Result<String, WasmError> {
        let format: SbomFormat = serde_json::from_value(serde_json::Value::String(format.into()))
            .map_err(|source| WasmError::BadJson {
            what: "format",
            source,
        })?;
        let limits = self.limits;
        let mut report = self.opened_report()?.clone();
        let (layers, mut opener) = self.layers_and_opener()?;
        let found = packages::scan(&layers, &mut opener, &limits, None);
        report.image.os_release = found.os_release.clone();
        Ok(sbom(format, &report, &found))
    }

    /// The distribution of the final image (`{id, name, prettyName,
    /// version, versionId, codename, idLike, path}`), or null: only the
    /// os-release files are read.
    #[wasm_bindgen(js_name = osRelease)]
    pub fn os_release(&mut self) -> Result<JsValue, WasmError> {
        let limits = self.limits;
        let (layers, mut opener) = self.layers_and_opener()?;
        to_js(&packages::os_release(&layers, &mut opener, &limits, None))
    }
}
