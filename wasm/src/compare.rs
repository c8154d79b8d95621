//! Comparing two opened images (core `overlay::diff`).

use layerscope::overlay::diff::{
    ConfigChange, DiffSide, FileDiff, HistoryDiff, RebuildCost, diff_images,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::session::Session;

/// The diff as the page shows it: exact counts, lists trimmed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffView<'a> {
    added_count: usize,
    removed_count: usize,
    changed_count: usize,
    added: &'a [FileDiff],
    removed: &'a [FileDiff],
    changed: &'a [FileDiff],
    added_bytes: u64,
    removed_bytes: u64,
    history: &'a HistoryDiff,
    config: &'a [ConfigChange],
    shared_layers: usize,
    shared_bytes: u64,
    first_divergent_layer: Option<usize>,
    rebuild: &'a Option<RebuildCost>,
}

/// One session's side of a diff (once analysed).
fn side(session: &Session) -> Result<DiffSide<'_>, WasmError> {
    let analysis = session.analysis.as_ref().ok_or(WasmError::NotOpen)?;
    let report = session.opened_report()?;
    Ok(DiffSide {
        tree: &analysis.merged,
        layers: &report.layers,
        history: &report.history,
        config: &report.config,
    })
}

#[wasm_bindgen]
impl Session {
    /// Compares this image (A) with `other` (B): files added, removed and
    /// changed between the merged trees, config and history differences,
    /// shared base layers. Both sessions need every layer scanned. Lists
    /// are trimmed to `limit` rows each (default 5000); the counts are exact.
    pub fn diff(
        &mut self,
        other: &mut Session,
        with_mtime: Option<bool>,
        limit: Option<usize>,
    ) -> Result<JsValue, WasmError> {
        let limit = limit.unwrap_or(5000);
        self.ensure_analysis()?;
        other.ensure_analysis()?;
        let diff = diff_images(&side(self)?, &side(other)?, with_mtime.unwrap_or(false));
        let trim = |v: &'_ [FileDiff]| v.len().min(limit);
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
}
