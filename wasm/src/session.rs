//! [`Session`]: one opened image and its layers' scans; the state every
//! query module (`scan`, `browse`, `analysis`, `compare`, `export`) reads.
//! Here: opening, the report, and the accessors they share.

use layerscope::error::RequestError;
use layerscope::layer::LayerScan;
use layerscope::model::{BlobLocation, Entry, LayerPlan};
use layerscope::overlay::{EntryChange, LayerListing, SourceOpener};
use layerscope::{Error, InspectReport, Limits, OpenedImage, open_image};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::analysis::Analysis;
use crate::convert::to_js;
use crate::error::WasmError;
use crate::options::open_options;
use crate::source::Source;

type Result<T, E = WasmError> = std::result::Result<T, E>;

/// What `open` returns: the report with every layer pending, plus the
/// plans and limits that extra workers need for [`Session::scan_layer_range`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OpenView<'a> {
    #[serde(flatten)]
    report: &'a InspectReport,
    plans: &'a [LayerPlan],
    /// Each plan as exact JSON, for [`Session::scan_layer_range`].
    plans_json: Vec<String>,
    limits: Limits,
    /// The limits as exact JSON, for [`Session::scan_layer_range`].
    limits_json: String,
}

/// An opened image and what is known about its layers.
///
/// Typical use in a worker: `open(file)` → show the result →
/// `scanLayer(i, progress)` for each layer (or [`Session::scan_layer_range`]
/// in other workers followed by `addScan`) → `listLayer`, `readFile`,
/// `report`.
#[wasm_bindgen]
pub struct Session {
    pub(crate) source: Option<Source>,
    pub(crate) limits: Limits,
    pub(crate) opened: Option<OpenedImage>,
    pub(crate) report: Option<InspectReport>,
    pub(crate) scans: Vec<Option<LayerScan>>,
    pub(crate) listings: Vec<Option<LayerListing>>,
    /// Per layer still being scanned: the entries its scan has published
    /// so far (`addPartial`), for showing its tree early.
    pub(crate) partials: Vec<Vec<Entry>>,
    pub(crate) analysis: Option<Analysis>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

#[wasm_bindgen]
impl Session {
    /// An empty session. Installs the panic hook (a panic is a bug: the
    /// worker traps and the page restarts it).
    #[wasm_bindgen(constructor)]
    pub fn new() -> Session {
        console_error_panic_hook::set_once();
        Session {
            source: None,
            limits: Limits::default(),
            opened: None,
            report: None,
            scans: Vec::new(),
            listings: Vec::new(),
            partials: Vec::new(),
            analysis: None,
        }
    }

    /// Opens an image: `input` is a `Blob`/`File` or `Uint8Array` holding an
    /// image tarball, or a `Map` of layout-relative path → `File` for an OCI
    /// layout folder. `options` is optional JSON (`image`, `platform`,
    /// `limits`). Returns the report with layers pending, plus `plans` and
    /// `limits`.
    pub fn open(&mut self, input: JsValue, options: Option<String>) -> Result<JsValue> {
        let options = open_options(options.as_deref())?;
        let limits = options.limits;
        let mut source = Source::from_js(&input, &limits)?;
        let opened = open_image(source.as_dyn(), &options)?;
        let report = InspectReport::new(&opened);
        let count = opened.layers.len();
        self.source = Some(source);
        self.limits = limits;
        self.scans = (0..count).map(|_| None).collect();
        self.listings = (0..count).map(|_| None).collect();
        self.partials = (0..count).map(|_| Vec::new()).collect();
        let convert = |e: serde_json::Error| WasmError::Convert(e.to_string());
        let plans_json = opened
            .layers
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(convert)?;
        let view = to_js(&OpenView {
            report: &report,
            plans: &opened.layers,
            plans_json,
            limits,
            limits_json: serde_json::to_string(&limits).map_err(convert)?,
        })?;
        self.opened = Some(opened);
        self.report = Some(report);
        self.analysis = None;
        Ok(view)
    }

    /// Number of layers of the opened image.
    #[wasm_bindgen(js_name = layerCount)]
    pub fn layer_count(&self) -> usize {
        self.opened.as_ref().map_or(0, |o| o.layers.len())
    }

    /// The whole inspection report (image, layers, history, config, the
    /// verification chain, warnings).
    pub fn report(&self) -> Result<JsValue> {
        to_js(self.report.as_ref().ok_or(WasmError::NotOpen)?)
    }

    /// The scan of layer `index` with every entry (large; prefer
    /// `listLayer`/`layerTable` for display).
    #[wasm_bindgen(js_name = layerScan)]
    pub fn layer_scan(&self, index: usize) -> Result<JsValue> {
        to_js(self.scan(index)?)
    }
}

impl Session {
    /// The plan of layer `index`.
    pub(crate) fn plan(&self, index: usize) -> Result<&LayerPlan> {
        let opened = self.opened.as_ref().ok_or(WasmError::NotOpen)?;
        opened.layers.get(index).ok_or_else(|| {
            Error::from(RequestError::NoSuchLayer {
                index,
                count: opened.layers.len(),
            })
            .into()
        })
    }

    /// The scan of layer `index`.
    pub(crate) fn scan(&self, index: usize) -> Result<&LayerScan> {
        self.plan(index)?;
        self.scans
            .get(index)
            .and_then(Option::as_ref)
            .ok_or(WasmError::NotScanned(index))
    }

    /// Every layer's entries (every layer must be scanned).
    pub(crate) fn layer_slices(&self) -> Result<Vec<&[Entry]>> {
        (0..self.layer_count())
            .map(|i| self.scan(i).map(|s| s.entries.as_slice()))
            .collect()
    }

    /// The report (once open).
    pub(crate) fn opened_report(&self) -> Result<&InspectReport> {
        self.report.as_ref().ok_or(WasmError::NotOpen)
    }

    /// A layer opener over this session's input.
    pub(crate) fn opener(&mut self) -> Result<SourceOpener<'_>> {
        let opened = self.opened.as_ref().ok_or(WasmError::NotOpen)?;
        let locations: Vec<Option<BlobLocation>> =
            opened.layers.iter().map(|p| p.location.clone()).collect();
        let source = self.source.as_mut().ok_or(WasmError::NotOpen)?;
        Ok(source.opener(locations))
    }

    /// Every layer's entries and an opener over the input at once (field
    /// by field: the entries borrow the scans, the opener the source).
    pub(crate) fn layers_and_opener(&mut self) -> Result<(Vec<&[Entry]>, SourceOpener<'_>)> {
        let layers = self
            .scans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_ref()
                    .map(|s| s.entries.as_slice())
                    .ok_or(WasmError::NotScanned(i))
            })
            .collect::<Result<Vec<_>>>()?;
        let locations = self
            .opened
            .as_ref()
            .ok_or(WasmError::NotOpen)?
            .layers
            .iter()
            .map(|p| p.location.clone())
            .collect();
        let opener = self
            .source
            .as_mut()
            .ok_or(WasmError::NotOpen)?
            .opener(locations);
        Ok((layers, opener))
    }

    /// Builds layer `index`'s listing unless it is built.
    pub(crate) fn ensure_listing(&mut self, index: usize) -> Result<()> {
        let scan = self.scan(index)?;
        if self.listings.get(index).is_some_and(Option::is_none) {
            let listing = LayerListing::build(&scan.entries);
            if let Some(slot) = self.listings.get_mut(index) {
                *slot = Some(listing);
            }
        }
        Ok(())
    }

    /// Layer `index`'s listing (after [`Session::ensure_listing`]) and scan.
    pub(crate) fn listing_and_scan(&self, index: usize) -> Result<(&LayerListing, &LayerScan)> {
        let scan = self.scan(index)?;
        let listing = self
            .listings
            .get(index)
            .and_then(Option::as_ref)
            .ok_or(WasmError::NotScanned(index))?;
        Ok((listing, scan))
    }

    /// Each listed path's change in layer `index` (once analysed).
    pub(crate) fn path_changes(
        &self,
        index: usize,
        listing: &LayerListing,
    ) -> Option<Vec<EntryChange>> {
        let changes = self.analysis.as_ref()?.changes.get(index)?;
        Some(listing.path_changes(changes))
    }
}
