//! The merged image (core `overlay`): kept as owned plain data so the
//! session can answer tree, provenance and waste queries without holding a
//! borrow of the scans.

use layerscope::overlay::advise::Advice;
use layerscope::overlay::{DiveEfficiency, LayerChanges, MergedEntry, WasteReport};
use serde::Serialize;

/// Everything computed from all layers at once.
#[derive(Debug)]
pub struct Analysis {
    /// The merged tree, sorted by path (byte order).
    pub merged: Vec<MergedEntry>,
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
        Analysis {
            merged,
            changes,
            waste,
            dive,
            advice,
            warnings,
        }
    }

    /// The merged entry at `path` (the tree is in byte order of paths).
    pub fn merged_entry(&self, path: &str) -> Option<&MergedEntry> {
        let at = self
            .merged
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()?;
        self.merged.get(at)
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
