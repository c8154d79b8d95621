//! [`Session`]: one opened image, its layers' scans, and the queries the
//! page makes on them.

use std::io::{self, Read};

use js_sys::{Function, Map, Uint8Array};
use layerscope::error::RequestError;
use layerscope::layer::{LayerScan, scan_layer};
use layerscope::model::{BlobLocation, Check, CheckedObject, LayerPlan};
use layerscope::overlay::diff::{DiffSide, diff_images};
use layerscope::overlay::{
    EntryAction, LayerListing, Overlay, SourceOpener, advise, dive_efficiency, layer_file,
    read_entry_prefix,
};
use layerscope::{
    Error, ImageSource, InspectReport, LayoutDirSource, Limits, OpenOptions, OpenedImage,
    TarSource, open_image,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::analysis::{Analysis, AnalysisView};
use crate::convert::{from_json, to_js};
use crate::error::WasmError;
use crate::input::{InputReader, JsLayoutDir};
use crate::listing::{self, Listed};
use crate::table::{Columns, set};

/// Progress callbacks fire after this many stored bytes.
const PROGRESS_STEP: u64 = 4 << 20;

/// Export output is handed to JavaScript in chunks of this size.
const EXPORT_CHUNK: usize = 4 << 20;

/// Default page size of [`Session::list_layer`].
const DEFAULT_PAGE: usize = 1000;

type Result<T, E = WasmError> = std::result::Result<T, E>;

/// The `open` options as JSON: `{"image": "1", "platform": "linux/arm64",
/// "limits": {"maxJsonBytes": …}}`, every field optional; missing limits
/// keep their defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionsJson {
    image: Option<String>,
    platform: Option<String>,
    limits: Option<serde_json::Value>,
}

/// Applies a partial limits object over the defaults.
fn limits_from(value: Option<serde_json::Value>) -> Result<Limits> {
    let Some(serde_json::Value::Object(given)) = value else {
        return Ok(Limits::default());
    };
    let mut merged = match serde_json::to_value(Limits::default()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    merged.extend(given);
    serde_json::from_value(serde_json::Value::Object(merged)).map_err(|source| WasmError::BadJson {
        what: "limits",
        source,
    })
}

pub(crate) fn parse_limits(json: Option<String>) -> Result<Limits> {
    match json.as_deref().map(str::trim) {
        None | Some("") => Ok(Limits::default()),
        Some(text) => limits_from(Some(from_json("limits", text)?)),
    }
}

/// An opened input: a tar (`Blob`, `Uint8Array`) or a layout folder (`Map`).
pub(crate) enum Source {
    Archive(Box<TarSource<InputReader>>),
    Layout(LayoutDirSource<JsLayoutDir>),
}

impl Source {
    /// The source for a JS input: a `Map` of a dropped folder, else a
    /// `Blob` or `Uint8Array` holding a tar.
    pub(crate) fn from_js(input: &JsValue, limits: &Limits) -> Result<Source> {
        if let Some(map) = input.dyn_ref::<Map>() {
            Ok(Source::Layout(LayoutDirSource::new(JsLayoutDir::new(
                map.clone(),
            ))))
        } else if let Some(reader) = InputReader::from_js(input) {
            Ok(Source::Archive(Box::new(TarSource::new(reader, limits)?)))
        } else {
            Err(WasmError::BadInput(describe(input)))
        }
    }

    pub(crate) fn as_dyn(&mut self) -> &mut dyn ImageSource {
        match self {
            Source::Archive(s) => &mut **s,
            Source::Layout(s) => s,
        }
    }
}

/// The `open` options (JSON text, see [`OptionsJson`]) as core options.
pub(crate) fn open_options(options: Option<&str>) -> Result<OpenOptions> {
    let parsed: OptionsJson = match options.map(str::trim) {
        None | Some("") => OptionsJson::default(),
        Some(text) => from_json("options", text)?,
    };
    Ok(OpenOptions {
        image: parsed.image.filter(|s| !s.is_empty()),
        platform: parsed.platform.filter(|s| !s.is_empty()),
        limits: limits_from(parsed.limits)?,
    })
}

/// Counts stored bytes and reports them to a JS callback every
/// [`PROGRESS_STEP`] bytes and at the end.
pub(crate) struct Progress<R> {
    inner: R,
    done: u64,
    next: u64,
    callback: Option<Function>,
    ended: bool,
}

impl<R: Read> Progress<R> {
    pub(crate) fn new(inner: R, callback: Option<Function>) -> Self {
        Progress {
            inner,
            done: 0,
            next: PROGRESS_STEP,
            callback,
            ended: false,
        }
    }

    fn report(&self) {
        if let Some(callback) = &self.callback {
            // A throwing callback must not abort the scan.
            let _ = callback.call1(&JsValue::NULL, &crate::convert::u64_to_js(self.done));
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done >= self.next {
            self.next = self.done + PROGRESS_STEP;
            self.report();
        } else if n == 0 && !buf.is_empty() && !self.ended {
            self.ended = true;
            self.report();
        }
        Ok(n)
    }
}

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

/// One layer's outcome, as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LayerView<'a> {
    index: usize,
    /// The report's view of the layer (status, sizes, digests).
    layer: Option<&'a layerscope::model::LayerInfo>,
    /// Checks about this layer (blob, diff_id, failures).
    checks: Vec<&'a Check>,
    /// Warnings about this layer.
    warnings: Vec<&'a layerscope::model::Warning>,
    /// Whether the whole chain verified so far.
    image_ok: bool,
}

/// An opened image and what is known about its layers.
///
/// Typical use in a worker: `open(file)` → show the result →
/// `scanLayer(i, progress)` for each layer (or [`Session::scan_layer_range`]
/// in other workers followed by `addScan`) → `listLayer`, `readFile`,
/// `report`.
#[wasm_bindgen]
pub struct Session {
    source: Option<Source>,
    limits: Limits,
    opened: Option<OpenedImage>,
    report: Option<InspectReport>,
    scans: Vec<Option<LayerScan>>,
    listings: Vec<Option<LayerListing>>,
    analysis: Option<Analysis>,
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
            analysis: None,
        }
    }

    /// Opens an image: `input` is a `Blob`/`File` or `Uint8Array` holding an
    /// image tarball, or a `Map` of layout-relative path → `File` for an OCI
    /// layout folder. `options` is optional JSON (`image`, `platform`,
    /// `limits`). Returns the report with layers pending, plus `plans` and
    /// `limits`.
    pub fn open(&mut self, input: JsValue, options: Option<String>) -> Result<JsValue, JsValue> {
        Ok(self.open_inner(input, options)?)
    }

    fn open_inner(&mut self, input: JsValue, options: Option<String>) -> Result<JsValue> {
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

    /// Scans layer `index` through this session's input (hashing, decoding,
    /// indexing), calling `progress(storedBytesDone)` every ~4 MiB. Returns
    /// the layer's view (status, checks); on failure records it in the
    /// report and throws.
    #[wasm_bindgen(js_name = scanLayer)]
    pub fn scan_layer(
        &mut self,
        index: usize,
        progress: Option<Function>,
    ) -> Result<JsValue, JsValue> {
        Ok(self.scan_layer_inner(index, progress)?)
    }

    fn scan_layer_inner(&mut self, index: usize, progress: Option<Function>) -> Result<JsValue> {
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
    ) -> Result<JsValue, JsValue> {
        let scan: LayerScan =
            serde_json::from_slice(bytes).map_err(|source| WasmError::BadJson {
                what: "scan",
                source,
            })?;
        let scan = match stored_digest {
            Some(digest) => {
                crate::range::with_stored_digest(self.plan(scan.index)?, scan, &digest)?
            }
            None => {
                self.plan(scan.index)?;
                scan
            }
        };
        Ok(self.store(scan)?)
    }

    fn store(&mut self, scan: LayerScan) -> Result<JsValue> {
        let index = scan.index;
        let report = self.report.as_mut().ok_or(WasmError::NotOpen)?;
        report.apply_scan(&scan);
        if let Some(slot) = self.scans.get_mut(index) {
            *slot = Some(scan);
        }
        if let Some(slot) = self.listings.get_mut(index) {
            *slot = None;
        }
        self.analysis = None;
        self.layer_view_inner(index)
    }

    /// The current view of layer `index`: the report's layer info, its
    /// checks and warnings.
    #[wasm_bindgen(js_name = layerView)]
    pub fn layer_view(&self, index: usize) -> Result<JsValue, JsValue> {
        Ok(self.layer_view_inner(index)?)
    }

    fn layer_view_inner(&self, index: usize) -> Result<JsValue> {
        let report = self.report.as_ref().ok_or(WasmError::NotOpen)?;
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
    ) -> Result<JsValue, JsValue> {
        console_error_panic_hook::set_once();
        Ok(crate::range::scan_range(
            input,
            &plan,
            limits,
            progress,
            hash_stored.unwrap_or(true),
        )?)
    }

    /// Hashes one layer's stored blob knowing only its plan (JSON as in
    /// `open`'s `plans`), calling `progress(bytesDone)` every ~4 MiB.
    /// Returns `{digest, size}`; the digest goes to [`Session::add_scan`].
    #[wasm_bindgen(js_name = hashBlobRange)]
    pub fn hash_blob_range(
        input: JsValue,
        plan: String,
        progress: Option<Function>,
    ) -> Result<JsValue, JsValue> {
        console_error_panic_hook::set_once();
        Ok(crate::range::hash_range(input, &plan, progress)?)
    }

    /// Children of directory `dir` ("" = root) in layer `index`, sorted by
    /// `sort` (`name`, default, or `size`, largest first), `limit` rows from
    /// `offset`. Returns `{dir, total, offset, children}`.
    #[wasm_bindgen(js_name = listLayer)]
    pub fn list_layer(
        &mut self,
        index: usize,
        dir: &str,
        offset: Option<usize>,
        limit: Option<usize>,
        sort: Option<String>,
    ) -> Result<JsValue, JsValue> {
        Ok(self.list_inner(
            index,
            dir,
            offset.unwrap_or(0),
            limit.unwrap_or(DEFAULT_PAGE),
            sort.as_deref(),
        )?)
    }

    fn list_inner(
        &mut self,
        index: usize,
        dir: &str,
        offset: usize,
        limit: usize,
        sort: Option<&str>,
    ) -> Result<JsValue> {
        let dir = dir.trim_matches('/');
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let entries = &scan.entries;
        let no_dir = || {
            Error::from(RequestError::NoSuchPath {
                path: dir.to_owned(),
            })
        };
        let id = listing
            .lookup(dir)
            .filter(|id| listing.is_dir(*id, entries))
            .ok_or_else(no_dir)?;
        let mut children = listing.children(id).to_vec();
        let size_of = |id: usize| listing::listed_size(listing, id, entries);
        match sort {
            Some("size") => children.sort_by(|a, b| {
                size_of(*b)
                    .cmp(&size_of(*a))
                    .then_with(|| listing.name(*a).cmp(listing.name(*b)))
            }),
            _ => children.sort_by(|a, b| listing.name(*a).cmp(listing.name(*b))),
        }
        let changes = self.path_changes(index, listing);
        let total = children.len();
        let page: Vec<Listed<'_>> = children
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|id| {
                Listed::new(
                    listing,
                    id,
                    entries,
                    changes.as_ref().and_then(|c| c.get(id)),
                )
            })
            .collect();
        #[derive(Serialize)]
        struct Page<'a> {
            dir: &'a str,
            total: usize,
            offset: usize,
            #[serde(rename = "rootOpaque")]
            root_opaque: bool,
            children: Vec<Listed<'a>>,
        }
        to_js(&Page {
            dir,
            total,
            offset,
            root_opaque: listing.get(LayerListing::ROOT).is_some_and(|p| p.opaque),
            children: page,
        })
    }

    /// The whole tree of layer `index` as columns, for a virtualized view:
    /// `{paths: "a\na/b\n…", kinds: Uint8Array, flags: Uint8Array,
    /// sizes: BigUint64Array, changes: Uint8Array, changeNames, rootOpaque,
    /// count}`, parents before children. Kind codes: 0 file, 1 dir,
    /// 2 symlink, 3 hardlink, 4 char device, 5 block device, 6 fifo,
    /// 7 deleted (whiteout). Flags: 1 opaque dir, 2 implicit dir; after
    /// [`Session::analyze`] also 4 added, 8 modified, 16 wasted bytes,
    /// 32 listed without change, 64 deletes what was below. `changes`
    /// holds each path's change word as an index into `changeNames`
    /// (`added`, `modified`, `deleted`, `unchanged`: the core's words), 255
    /// before [`Session::analyze`].
    #[wasm_bindgen(js_name = layerTable)]
    pub fn layer_table(&mut self, index: usize) -> Result<JsValue, JsValue> {
        Ok(self.table_inner(index)?)
    }

    fn table_inner(&mut self, index: usize) -> Result<JsValue> {
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let entries = &scan.entries;
        let changes = self.path_changes(index, listing);
        let wasted = self
            .analysis
            .as_ref()
            .map(|a| listing.wasted(index, &a.waste));
        let mut columns = Columns::with_capacity(listing.len());
        let mut words = Vec::with_capacity(listing.len());
        listing.walk(|id, path| {
            let (kind, mut flags) = listing::listed_code(listing, id, entries);
            let change = changes.as_ref().and_then(|c| c.get(id));
            if let Some(change) = change {
                flags |= listing::change_flag(change.action);
            }
            if wasted.as_ref().is_some_and(|w| w.get(id) == Some(&true)) {
                flags |= listing::flag::WASTED;
            }
            words.push(change.map_or(u8::MAX, |c| c.action.code()));
            columns.push(
                path,
                kind,
                flags,
                listing::listed_size(listing, id, entries),
            );
        });
        let object = columns.into_object();
        set(
            &object,
            "changes",
            Uint8Array::from(words.as_slice()).into(),
        );
        let names = js_sys::Array::new();
        for action in EntryAction::ALL {
            names.push(&JsValue::from_str(action.word()));
        }
        set(&object, "changeNames", names.into());
        set(
            &object,
            "rootOpaque",
            JsValue::from_bool(listing.get(LayerListing::ROOT).is_some_and(|p| p.opaque)),
        );
        Ok(object.into())
    }

    /// Full details of the entry at `path` in layer `index` (mode, owner
    /// names, xattrs, offsets…), as the core reports it.
    pub fn entry(&mut self, index: usize, path: &str) -> Result<JsValue, JsValue> {
        Ok(self.entry_inner(index, path)?)
    }

    fn entry_inner(&mut self, index: usize, path: &str) -> Result<JsValue> {
        let path = path.trim_matches('/');
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let id = listing.lookup(path).ok_or_else(|| {
            Error::from(RequestError::NoSuchPath {
                path: path.to_owned(),
            })
        })?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Details<'a> {
            #[serde(flatten)]
            listed: Listed<'a>,
            entry: Option<&'a layerscope::model::Entry>,
            /// Size of the data `readFile` returns (hard links resolved).
            data_size: Option<u64>,
        }
        let placed = listing.placed(id, &scan.entries);
        let data_size = placed
            .and_then(|_| layer_file(&scan.entries, path).ok())
            .map(|e| e.size);
        let changes = self.path_changes(index, listing);
        to_js(&Details {
            listed: Listed::new(
                listing,
                id,
                &scan.entries,
                changes.as_ref().and_then(|c| c.get(id)),
            ),
            entry: listing
                .get(id)
                .and_then(|p| p.entry)
                .and_then(|i| scan.entries.get(i)),
            data_size,
        })
    }

    /// The content of the regular file at `path` in layer `index` (hard
    /// links are followed within the layer), at most `max_bytes` bytes when
    /// given. Reads the layer blob again through the decoder.
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(
        &mut self,
        index: usize,
        path: &str,
        max_bytes: Option<f64>,
    ) -> Result<Uint8Array, JsValue> {
        Ok(self.read_inner(index, path, max_bytes)?)
    }

    fn read_inner(
        &mut self,
        index: usize,
        path: &str,
        max_bytes: Option<f64>,
    ) -> Result<Uint8Array> {
        let path = path.trim_matches('/');
        let entry = layer_file(&self.scan(index)?.entries, path)?.clone();
        self.read_entry(index, &entry, max_bytes)
    }

    /// A file entry's content (expanded when sparse), at most `max_bytes`.
    fn read_entry(
        &mut self,
        layer: usize,
        entry: &layerscope::model::Entry,
        max_bytes: Option<f64>,
    ) -> Result<Uint8Array> {
        let max = max_bytes.filter(|m| *m >= 0.0).map(|m| m as u64);
        let opened = self.opened.as_ref().ok_or(WasmError::NotOpen)?;
        let locations: Vec<Option<BlobLocation>> =
            opened.layers.iter().map(|p| p.location.clone()).collect();
        let source = self.source.as_mut().ok_or(WasmError::NotOpen)?;
        let mut opener = SourceOpener {
            source: source.as_dyn(),
            locations,
        };
        let bytes = read_entry_prefix(&mut opener, layer, entry, max)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// Applies every layer (core `overlay`): merged tree with provenance,
    /// per-layer changes, exact waste, dive's efficiency score, advice.
    /// Needs every layer scanned. Returns the display view (long lists
    /// trimmed); afterwards `layerTable` carries change flags and
    /// `mergedTable`/`mergedEntry`/`readMerged` work.
    pub fn analyze(&mut self) -> Result<JsValue, JsValue> {
        Ok(self.analyze_inner()?)
    }

    fn analyze_inner(&mut self) -> Result<JsValue> {
        if self.analysis.is_none() {
            let analysis = {
                let slices = self.layer_slices()?;
                let report = self.report.as_ref().ok_or(WasmError::NotOpen)?;
                let overlay = Overlay::new(&slices);
                overlay.check_listing(&self.limits)?;
                let advice = advise::advise(
                    &overlay,
                    &advise::AdviseInput {
                        layers: &report.layers,
                        config: &report.config,
                        small_layer_bytes: advise::SMALL_LAYER_BYTES,
                    },
                );
                Analysis::new(
                    overlay.entries(),
                    overlay.changes().to_vec(),
                    overlay.waste(),
                    dive_efficiency(&slices),
                    advice,
                    overlay.warnings().to_vec(),
                )
            };
            self.analysis = Some(analysis);
        }
        let analysis = self.analysis.as_ref().ok_or(WasmError::NotOpen)?;
        to_js(&AnalysisView::new(analysis))
    }

    /// The merged tree as columns (like [`Session::layer_table`]) plus
    /// `layers: Int32Array`, the layer providing each path (-1 for none).
    /// Flags: 2 implied directory, 4 modified by a later layer, 8 a second
    /// name of a hard-linked file.
    #[wasm_bindgen(js_name = mergedTable)]
    pub fn merged_table(&mut self) -> Result<JsValue, JsValue> {
        Ok(self.merged_table_inner()?)
    }

    fn merged_table_inner(&mut self) -> Result<JsValue> {
        if self.analysis.is_none() {
            self.analyze_inner()?;
        }
        let analysis = self.analysis.as_ref().ok_or(WasmError::NotOpen)?;
        let rows = analysis.merged.iter().filter(|e| !e.path.is_empty());
        let mut columns = Columns::with_capacity(analysis.merged.len());
        let mut layers = Vec::with_capacity(analysis.merged.len());
        for entry in rows {
            columns.push(
                &entry.path,
                listing::entry_code(entry.kind),
                listing::merged_flags(entry),
                entry.size,
            );
            layers.push(
                entry
                    .layer
                    .and_then(|l| i32::try_from(l).ok())
                    .unwrap_or(-1),
            );
        }
        let object = columns.into_object();
        set(
            &object,
            "layers",
            js_sys::Int32Array::from(layers.as_slice()).into(),
        );
        set(&object, "rootOpaque", JsValue::FALSE);
        Ok(object.into())
    }

    /// One path of the merged tree with its provenance and history.
    #[wasm_bindgen(js_name = mergedEntry)]
    pub fn merged_entry(&mut self, path: &str) -> Result<JsValue, JsValue> {
        let entry = self.merged_lookup(path)?;
        Ok(to_js(entry)?)
    }

    /// The merged-tree entry at `path` (analysing the image first if needed).
    fn merged_lookup(&mut self, path: &str) -> Result<&layerscope::overlay::MergedEntry> {
        let path = path.trim_matches('/');
        if self.analysis.is_none() {
            self.analyze_inner()?;
        }
        let analysis = self.analysis.as_ref().ok_or(WasmError::NotOpen)?;
        let entry = analysis.merged_entry(path).ok_or_else(|| {
            Error::from(RequestError::NoSuchPath {
                path: path.to_owned(),
            })
        })?;
        Ok(entry)
    }

    /// The content of the regular file at `path` in the merged image (at
    /// most `max_bytes` when given), read from the layer that supplies it.
    #[wasm_bindgen(js_name = readMerged)]
    pub fn read_merged(
        &mut self,
        path: &str,
        max_bytes: Option<f64>,
    ) -> Result<Uint8Array, JsValue> {
        Ok(self.read_merged_inner(path, max_bytes)?)
    }

    fn read_merged_inner(&mut self, path: &str, max_bytes: Option<f64>) -> Result<Uint8Array> {
        let entry = self.merged_lookup(path)?.clone();
        let slices = self.layer_slices()?;
        let (layer, source) = entry.file_source(&slices)?;
        let source = source.clone();
        self.read_entry(layer, &source, max_bytes)
    }

    /// Streams a tar to `chunk(Uint8Array)` in ~4 MiB pieces: the flattened
    /// root filesystem when `layer` is undefined, else layer `layer`'s own
    /// changes as one layer (with whiteouts). Returns the export summary.
    #[wasm_bindgen(js_name = exportTar)]
    pub fn export_tar(
        &mut self,
        layer: Option<usize>,
        chunk: Function,
    ) -> Result<JsValue, JsValue> {
        Ok(self.export_inner(layer, chunk)?)
    }

    fn export_inner(&mut self, layer: Option<usize>, chunk: Function) -> Result<JsValue> {
        let opened = self.opened.as_ref().ok_or(WasmError::NotOpen)?;
        let locations: Vec<Option<BlobLocation>> =
            opened.layers.iter().map(|p| p.location.clone()).collect();
        let slices = self
            .scans
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_ref()
                    .map(|s| s.entries.as_slice())
                    .ok_or(WasmError::NotScanned(i))
            })
            .collect::<Result<Vec<_>>>()?;
        let overlay = match layer {
            None => Overlay::new(&slices),
            Some(i) => Overlay::range(&slices, i, i)?,
        };
        let source = self.source.as_mut().ok_or(WasmError::NotOpen)?;
        let mut opener = SourceOpener {
            source: source.as_dyn(),
            locations,
        };
        let mut out = ChunkWriter {
            buf: Vec::with_capacity(EXPORT_CHUNK),
            chunk,
        };
        let summary = overlay.export(&mut opener, &mut out)?;
        io::Write::flush(&mut out).map_err(|source| Error::Io {
            what: "export".into(),
            offset: 0,
            source,
        })?;
        to_js(&summary)
    }

    /// Compares this image (A) with `other` (B): files added, removed and
    /// changed between the merged trees, config and history differences,
    /// shared base layers. Both sessions need every layer scanned. Lists
    /// are trimmed to `limit` rows each (default 5000); the counts are exact.
    pub fn diff(
        &mut self,
        other: &mut Session,
        with_mtime: Option<bool>,
        limit: Option<usize>,
    ) -> Result<JsValue, JsValue> {
        Ok(self.diff_inner(other, with_mtime.unwrap_or(false), limit.unwrap_or(5000))?)
    }

    fn diff_inner(
        &mut self,
        other: &mut Session,
        with_mtime: bool,
        limit: usize,
    ) -> Result<JsValue> {
        if self.analysis.is_none() {
            self.analyze_inner()?;
        }
        if other.analysis.is_none() {
            other.analyze_inner()?;
        }
        let (a, ra) = self.analysis_and_report()?;
        let (b, rb) = other.analysis_and_report()?;
        let diff = diff_images(
            &DiffSide {
                tree: &a.merged,
                layers: &ra.layers,
                history: &ra.history,
                config: &ra.config,
            },
            &DiffSide {
                tree: &b.merged,
                layers: &rb.layers,
                history: &rb.history,
                config: &rb.config,
            },
            with_mtime,
        );
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct DiffView<'a> {
            added_count: usize,
            removed_count: usize,
            changed_count: usize,
            added: &'a [layerscope::overlay::diff::FileDiff],
            removed: &'a [layerscope::overlay::diff::FileDiff],
            changed: &'a [layerscope::overlay::diff::FileDiff],
            added_bytes: u64,
            removed_bytes: u64,
            history: &'a layerscope::overlay::diff::HistoryDiff,
            config: &'a [layerscope::overlay::diff::ConfigChange],
            shared_layers: usize,
            shared_bytes: u64,
            first_divergent_layer: Option<usize>,
            rebuild: &'a Option<layerscope::overlay::diff::RebuildCost>,
        }
        let trim = |v: &[layerscope::overlay::diff::FileDiff]| v.len().min(limit);
        to_js(&DiffView {
            added_count: diff.added.len(),
            removed_count: diff.removed.len(),
            changed_count: diff.changed.len(),
            added: diff.added.get(..trim(&diff.added)).unwrap_or_default(),
            removed: diff.removed.get(..trim(&diff.removed)).unwrap_or_default(),
            changed: diff.changed.get(..trim(&diff.changed)).unwrap_or_default(),
            added_bytes: diff.added_bytes,
            removed_bytes: diff.removed_bytes,
            history: &diff.history,
            config: &diff.config,
            shared_layers: diff.shared_layers,
            shared_bytes: diff.shared_bytes,
            first_divergent_layer: diff.first_divergent_layer,
            rebuild: &diff.rebuild,
        })
    }

    /// The whole inspection report (image, layers, history, config, the
    /// verification chain, warnings).
    pub fn report(&self) -> Result<JsValue, JsValue> {
        let report = self.report.as_ref().ok_or(WasmError::NotOpen)?;
        Ok(to_js(report)?)
    }

    /// The scan of layer `index` with every entry (large; prefer
    /// `listLayer`/`layerTable` for display).
    #[wasm_bindgen(js_name = layerScan)]
    pub fn layer_scan(&self, index: usize) -> Result<JsValue, JsValue> {
        Ok(to_js(self.scan(index)?)?)
    }
}

impl Session {
    fn analysis_and_report(&self) -> Result<(&Analysis, &InspectReport)> {
        Ok((
            self.analysis.as_ref().ok_or(WasmError::NotOpen)?,
            self.report.as_ref().ok_or(WasmError::NotOpen)?,
        ))
    }

    fn plan(&self, index: usize) -> Result<&LayerPlan> {
        let opened = self.opened.as_ref().ok_or(WasmError::NotOpen)?;
        opened.layers.get(index).ok_or_else(|| {
            Error::from(RequestError::NoSuchLayer {
                index,
                count: opened.layers.len(),
            })
            .into()
        })
    }

    fn scan(&self, index: usize) -> Result<&LayerScan> {
        self.plan(index)?;
        self.scans
            .get(index)
            .and_then(Option::as_ref)
            .ok_or(WasmError::NotScanned(index))
    }

    /// Every layer's entries (every layer must be scanned).
    fn layer_slices(&self) -> Result<Vec<&[layerscope::model::Entry]>> {
        (0..self.layer_count())
            .map(|i| self.scan(i).map(|s| s.entries.as_slice()))
            .collect()
    }

    fn ensure_listing(&mut self, index: usize) -> Result<()> {
        let scan = self.scan(index)?;
        if self.listings.get(index).is_some_and(Option::is_none) {
            let listing = LayerListing::build(&scan.entries);
            if let Some(slot) = self.listings.get_mut(index) {
                *slot = Some(listing);
            }
        }
        Ok(())
    }

    fn listing_and_scan(&self, index: usize) -> Result<(&LayerListing, &LayerScan)> {
        let scan = self.scan(index)?;
        let listing = self
            .listings
            .get(index)
            .and_then(Option::as_ref)
            .ok_or(WasmError::NotScanned(index))?;
        Ok((listing, scan))
    }

    /// Each listed path's change in layer `index` (once analysed).
    fn path_changes(
        &self,
        index: usize,
        listing: &LayerListing,
    ) -> Option<Vec<layerscope::overlay::EntryChange>> {
        let changes = self.analysis.as_ref()?.changes.get(index)?;
        Some(listing.path_changes(changes))
    }
}

pub(crate) fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if value.is_null() {
        "null".into()
    } else if let Some(s) = value.js_typeof().as_string() {
        s
    } else {
        "an unknown value".into()
    }
}

/// Buffers export output and hands it to JavaScript in chunks.
struct ChunkWriter {
    buf: Vec<u8>,
    chunk: Function,
}

impl ChunkWriter {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let array = Uint8Array::from(self.buf.as_slice());
        self.buf.clear();
        self.chunk
            .call1(&JsValue::NULL, &array)
            .map(|_| ())
            .map_err(|e| io::Error::other(format!("the page refused a chunk: {e:?}")))
    }
}

impl io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Take at most what fills the chunk, so the buffer never grows past
        // EXPORT_CHUNK however large the caller's writes are.
        let room = EXPORT_CHUNK.saturating_sub(self.buf.len()).max(1);
        let taken = data.get(..room).unwrap_or(data);
        self.buf.extend_from_slice(taken);
        if self.buf.len() >= EXPORT_CHUNK {
            self.emit()?;
        }
        Ok(taken.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()
    }
}

pub(crate) fn location_kind(location: &BlobLocation) -> &'static str {
    match location {
        BlobLocation::ArchiveRange { .. } => "archive range",
        BlobLocation::LayoutFile { .. } => "layout file",
    }
}
