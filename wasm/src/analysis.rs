//! The merged image (core `overlay`): kept as owned plain data so the
//! session can answer tree, provenance and waste queries without holding a
//! borrow of the scans.

use std::collections::{HashMap, HashSet};

use layerscope::model::EntryKind;
use layerscope::overlay::advise::Advice;
use layerscope::overlay::{ChangeAction, DiveEfficiency, LayerChanges, MergedEntry, WasteReport};
use serde::Serialize;

/// Per-layer table flag: the path is added by this layer.
pub const ADDED: u8 = 4;
/// Per-layer table flag: the path existed below and this layer modifies it.
pub const MODIFIED: u8 = 8;
/// Per-layer table flag: this layer's file bytes are invisible in the final image.
pub const WASTED: u8 = 16;
/// Per-layer table flag: listed by the layer without any change.
pub const UNCHANGED: u8 = 32;
/// Merged table flag: a later layer modified the path after it appeared.
pub const MODIFIED_LATER: u8 = 4;
/// Merged table flag: a second (or later) name of a hard-linked file.
pub const HARDLINK_NAME: u8 = 8;

/// Everything computed from all layers at once.
#[derive(Debug)]
pub struct Analysis {
    /// The merged tree, sorted by path.
    pub merged: Vec<MergedEntry>,
    /// Path → index in `merged`.
    pub merged_index: HashMap<String, usize>,
    /// Each layer's changes.
    pub changes: Vec<LayerChanges>,
    /// Wasted space.
    pub waste: WasteReport,
    /// dive's numbers.
    pub dive: DiveEfficiency,
    /// Advice, most important first.
    pub advice: Vec<Advice>,
    /// Overlay warnings.
    pub warnings: Vec<layerscope::model::Warning>,
    /// Per layer: change action by path.
    actions: Vec<HashMap<String, ChangeAction>>,
    /// Per layer: paths whose shipped bytes are wasted.
    wasted: Vec<HashSet<String>>,
}

impl Analysis {
    /// Wraps the overlay results.
    pub fn new(
        merged: Vec<MergedEntry>,
        changes: Vec<LayerChanges>,
        waste: WasteReport,
        dive: DiveEfficiency,
        advice: Vec<Advice>,
        warnings: Vec<layerscope::model::Warning>,
    ) -> Analysis {
        let merged_index = merged
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.clone(), i))
            .collect();
        let count = changes.len();
        let mut actions: Vec<HashMap<String, ChangeAction>> =
            (0..count).map(|_| HashMap::new()).collect();
        for layer in &changes {
            if let Some(map) = actions.get_mut(layer.layer) {
                for change in &layer.changes {
                    // A type replacement is a deletion then an addition: keep the addition.
                    let slot = map.entry(change.path.clone()).or_insert(change.action);
                    if change.action == ChangeAction::Added {
                        *slot = ChangeAction::Added;
                    }
                }
            }
        }
        let mut wasted: Vec<HashSet<String>> = (0..count).map(|_| HashSet::new()).collect();
        for file in &waste.files {
            if let Some(set) = wasted.get_mut(file.layer) {
                set.insert(file.path.clone());
            }
        }
        Analysis {
            merged,
            merged_index,
            changes,
            waste,
            dive,
            advice,
            warnings,
            actions,
            wasted,
        }
    }

    /// Change flags of `path` as listed by layer `layer` (kind code `kind`).
    pub fn layer_flags(&self, layer: usize, path: &str, deleted: bool) -> u8 {
        let mut flags = match self.actions.get(layer).and_then(|m| m.get(path)) {
            Some(ChangeAction::Added) => ADDED,
            Some(ChangeAction::Modified) => MODIFIED,
            Some(ChangeAction::Deleted) => 0,
            None if deleted => 0,
            None => UNCHANGED,
        };
        if self.wasted.get(layer).is_some_and(|s| s.contains(path)) {
            flags |= WASTED;
        }
        flags
    }

    /// Flags of a merged entry.
    pub fn merged_flags(entry: &MergedEntry) -> u8 {
        let mut flags = 0;
        if entry.implied {
            flags |= crate::tree::flag::IMPLICIT;
        }
        if entry
            .history
            .iter()
            .any(|e| e.action == ChangeAction::Modified)
        {
            flags |= MODIFIED_LATER;
        }
        if entry.hardlink_to.is_some() {
            flags |= HARDLINK_NAME;
        }
        flags
    }

    /// Kind code of a merged entry.
    pub fn merged_kind(entry: &MergedEntry) -> u8 {
        use crate::tree::code;
        match entry.kind {
            EntryKind::File => code::FILE,
            EntryKind::Dir => code::DIR,
            EntryKind::Symlink => code::SYMLINK,
            EntryKind::Hardlink => code::HARDLINK,
            EntryKind::CharDevice => code::CHAR,
            EntryKind::BlockDevice => code::BLOCK,
            EntryKind::Fifo => code::FIFO,
        }
    }
}

/// The analysis as the page shows it (long lists trimmed).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisView<'a> {
    /// Paths in the merged tree.
    pub merged_paths: usize,
    /// dive's score and totals (inefficiencies trimmed to the largest 100).
    pub dive: DiveView<'a>,
    /// Exact waste (files trimmed to 200, duplicates to 100).
    pub waste: WasteView<'a>,
    /// Per-layer change counts.
    pub changes: Vec<ChangeCounts>,
    /// Advice.
    pub advice: &'a [Advice],
    /// Overlay warnings.
    pub warnings: &'a [layerscope::model::Warning],
}

/// dive numbers for display.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiveView<'a> {
    score: f64,
    wasted_bytes: u64,
    size_bytes: u64,
    user_size_bytes: u64,
    wasted_user_percent: Option<f64>,
    inefficiency_count: usize,
    inefficiencies: Vec<&'a layerscope::overlay::dive::Inefficiency>,
}

/// Waste numbers for display.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WasteView<'a> {
    shipped_bytes: u64,
    visible_bytes: u64,
    wasted_bytes: u64,
    reclaimable_bytes: u64,
    layers: &'a [layerscope::overlay::waste::LayerWaste],
    file_count: usize,
    files: &'a [layerscope::overlay::waste::WastedFile],
    duplicate_count: usize,
    duplicates: &'a [layerscope::overlay::waste::DuplicateGroup],
}

/// One layer's change counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeCounts {
    layer: usize,
    added: u64,
    modified: u64,
    deleted: u64,
    shipped_bytes: u64,
    added_bytes: u64,
    removed_bytes: u64,
    net_bytes: i64,
}

impl<'a> AnalysisView<'a> {
    /// The display view of `analysis`.
    pub fn new(a: &'a Analysis) -> AnalysisView<'a> {
        let d = &a.dive;
        let w = &a.waste;
        AnalysisView {
            merged_paths: a.merged.len(),
            dive: DiveView {
                score: d.score,
                wasted_bytes: d.wasted_bytes,
                size_bytes: d.size_bytes,
                user_size_bytes: d.user_size_bytes,
                wasted_user_percent: d
                    .wasted_user_percent
                    .is_finite()
                    .then_some(d.wasted_user_percent),
                inefficiency_count: d.inefficiencies.len(),
                inefficiencies: d.inefficiencies.iter().rev().take(100).collect(),
            },
            waste: WasteView {
                shipped_bytes: w.shipped_bytes,
                visible_bytes: w.visible_bytes,
                wasted_bytes: w.wasted_bytes,
                reclaimable_bytes: w.reclaimable_bytes,
                layers: &w.layers,
                file_count: w.files.len(),
                files: w.files.get(..w.files.len().min(200)).unwrap_or_default(),
                duplicate_count: w.duplicates.len(),
                duplicates: w
                    .duplicates
                    .get(..w.duplicates.len().min(100))
                    .unwrap_or_default(),
            },
            changes: a
                .changes
                .iter()
                .map(|c| ChangeCounts {
                    layer: c.layer,
                    added: c.added,
                    modified: c.modified,
                    deleted: c.deleted,
                    shipped_bytes: c.shipped_bytes,
                    added_bytes: c.added_bytes,
                    removed_bytes: c.removed_bytes,
                    net_bytes: c.net_bytes,
                })
                .collect(),
            advice: &a.advice,
            warnings: &a.warnings,
        }
    }
}
