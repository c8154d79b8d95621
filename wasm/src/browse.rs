//! Browsing: one layer's directories and column table (the core's
//! [`LayerListing`] with each path's change), one entry's details, the
//! merged tree's table and entries, and file contents.

use js_sys::Uint8Array;
use layerscope::Error;
use layerscope::error::RequestError;
use layerscope::model::Entry;
use layerscope::overlay::{
    EntryAction, EntryChange, LayerListing, MergedEntry, layer_file, read_entry_prefix,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::listing::{self, Listed};
use crate::session::Session;
use crate::table::{Columns, set};

/// Default page size of [`Session::list_layer`].
const DEFAULT_PAGE: usize = 1000;

type Result<T, E = WasmError> = std::result::Result<T, E>;

fn no_such_path(path: &str) -> WasmError {
    Error::from(RequestError::NoSuchPath {
        path: path.to_owned(),
    })
    .into()
}

#[wasm_bindgen]
impl Session {
    /// Children of directory `dir` ("" = root) in layer `index`, sorted by
    /// `sort` (`name`, default, or `size`, largest first), `limit` rows from
    /// `offset`. Returns `{dir, total, offset, rootOpaque, children}`; each
    /// child carries its `change` once the image is analysed.
    #[wasm_bindgen(js_name = listLayer)]
    pub fn list_layer(
        &mut self,
        index: usize,
        dir: &str,
        offset: Option<usize>,
        limit: Option<usize>,
        sort: Option<String>,
    ) -> Result<JsValue> {
        let dir = dir.trim_matches('/');
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let entries = &scan.entries;
        let id = listing
            .lookup(dir)
            .filter(|id| listing.is_dir(*id, entries))
            .ok_or_else(|| no_such_path(dir))?;
        let mut children = listing.children(id).to_vec();
        let size_of = |id: usize| listing::listed_size(listing, id, entries);
        match sort.as_deref() {
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
            .skip(offset.unwrap_or(0))
            .take(limit.unwrap_or(DEFAULT_PAGE))
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
        #[serde(rename_all = "camelCase")]
        struct Page<'a> {
            dir: &'a str,
            total: usize,
            offset: usize,
            root_opaque: bool,
            children: Vec<Listed<'a>>,
        }
        to_js(&Page {
            dir,
            total,
            offset: offset.unwrap_or(0),
            root_opaque: root_opaque(listing),
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
    pub fn layer_table(&mut self, index: usize) -> Result<JsValue> {
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let changes = self.path_changes(index, listing);
        let wasted = self
            .analysis
            .as_ref()
            .map(|a| listing.wasted(index, &a.waste));
        Ok(table_object(
            listing,
            &scan.entries,
            changes.as_deref(),
            wasted.as_deref(),
        ))
    }

    /// Full details of the path `path` in layer `index`: its row (as in
    /// `listLayer`), the entry that lists it (mode, owner names, xattrs,
    /// offsets…, as the core reports it) and `dataSize`, the size of what
    /// `readFile` returns (hard links resolved).
    pub fn entry(&mut self, index: usize, path: &str) -> Result<JsValue> {
        let path = path.trim_matches('/');
        self.ensure_listing(index)?;
        let (listing, scan) = self.listing_and_scan(index)?;
        let id = listing.lookup(path).ok_or_else(|| no_such_path(path))?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Details<'a> {
            #[serde(flatten)]
            listed: Listed<'a>,
            entry: Option<&'a Entry>,
            data_size: Option<u64>,
        }
        let data_size = listing
            .placed(id, &scan.entries)
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
    ) -> Result<Uint8Array> {
        let path = path.trim_matches('/');
        let entry = layer_file(&self.scan(index)?.entries, path)?.clone();
        self.read_entry(index, &entry, max_bytes)
    }

    /// The merged tree as columns (like [`Session::layer_table`]) plus
    /// `layers: Int32Array`, the layer providing each path (-1 for none),
    /// and `changes`/`changeNames` (as in `layerTable`): each path's change
    /// in the layer that provides it ([`MergedEntry::change`]).
    /// Flags: 2 implied directory, 4 modified by a later layer, 8 a second
    /// name of a hard-linked file.
    #[wasm_bindgen(js_name = mergedTable)]
    pub fn merged_table(&mut self) -> Result<JsValue> {
        let analysis = self.ensure_analysis()?;
        let mut columns = Columns::with_capacity(analysis.merged.len());
        let mut layers = Vec::with_capacity(analysis.merged.len());
        let mut words = Vec::with_capacity(analysis.merged.len());
        for entry in analysis.merged.iter().filter(|e| !e.path.is_empty()) {
            words.push(entry.change.map_or(u8::MAX, EntryAction::code));
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
        set(
            &object,
            "changes",
            Uint8Array::from(words.as_slice()).into(),
        );
        set(&object, "changeNames", change_names());
        set(&object, "rootOpaque", JsValue::FALSE);
        Ok(object.into())
    }

    /// One path of the merged tree with its provenance and history.
    #[wasm_bindgen(js_name = mergedEntry)]
    pub fn merged_entry(&mut self, path: &str) -> Result<JsValue> {
        to_js(self.merged_lookup(path)?)
    }

    /// The content of the regular file at `path` in the merged image (at
    /// most `max_bytes` when given), read from the layer entry that
    /// supplies it.
    #[wasm_bindgen(js_name = readMerged)]
    pub fn read_merged(&mut self, path: &str, max_bytes: Option<f64>) -> Result<Uint8Array> {
        let merged = self.merged_lookup(path)?.clone();
        let (layer, entry) = merged.file_source(&self.layer_slices()?)?;
        let entry = entry.clone();
        self.read_entry(layer, &entry, max_bytes)
    }
}

impl Session {
    /// The merged-tree entry at `path` (analysing the image first if needed).
    fn merged_lookup(&mut self, path: &str) -> Result<&MergedEntry> {
        let path = path.trim_matches('/');
        self.ensure_analysis()?
            .merged_entry(path)
            .ok_or_else(|| no_such_path(path))
    }

    /// A file entry's content (expanded when sparse), at most `max_bytes`.
    fn read_entry(
        &mut self,
        layer: usize,
        entry: &Entry,
        max_bytes: Option<f64>,
    ) -> Result<Uint8Array> {
        let max = max_bytes.filter(|m| *m >= 0.0).map(|m| m as u64);
        let bytes = read_entry_prefix(&mut self.opener()?, layer, entry, max)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}

/// The change words of `changes` columns, indexed by [`EntryAction::code`].
fn change_names() -> JsValue {
    let names = js_sys::Array::new();
    for action in EntryAction::ALL {
        names.push(&JsValue::from_str(action.word()));
    }
    names.into()
}

/// Whether the layer's root directory is opaque.
fn root_opaque(listing: &LayerListing) -> bool {
    listing.get(LayerListing::ROOT).is_some_and(|p| p.opaque)
}

/// The column table of `listing` (the rows of `layerTable`), with each
/// path's change and wasted flag when known.
pub(crate) fn table_object(
    listing: &LayerListing,
    entries: &[Entry],
    changes: Option<&[EntryChange]>,
    wasted: Option<&[bool]>,
) -> JsValue {
    let mut columns = Columns::with_capacity(listing.len());
    let mut words = Vec::with_capacity(listing.len());
    listing.walk(|id, path| {
        let (kind, mut flags) = listing::listed_code(listing, id, entries);
        let change = changes.and_then(|c| c.get(id));
        if let Some(change) = change {
            flags |= listing::change_flag(change.action);
        }
        if wasted.is_some_and(|w| w.get(id) == Some(&true)) {
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
    set(&object, "changeNames", change_names());
    set(
        &object,
        "rootOpaque",
        JsValue::from_bool(root_opaque(listing)),
    );
    object.into()
}
