//! The *overlay* phase: apply layers in order (OCI image-spec layer.md) to
//! get the merged tree with per-path provenance, per-layer changesets,
//! wasted space (exact, and dive's efficiency score), flatten/squash to a
//! tar, image-to-image diff and advice.
//!
//! Everything takes the layers' scanned entries (`&[&[Entry]]`, bottom
//! first) and returns plain serializable data; exporting file data reads
//! layer blobs through a driver-supplied [`LayerOpener`].
//!
//! Symlinked parents: an entry `a/b` whose parent `a` is a symlink in the
//! tree is placed where a runtime would put it (`umoci unpack`, containerd
//! and moby all resolve parent components inside the root): the symlink is
//! followed, scoped to the root, and a `through-symlink` warning names the
//! real path. Nothing ever resolves outside the root, and an entry's own
//! final name is never followed (a symlink there is replaced).

pub mod advise;
pub mod cache_order;
pub mod changes;
pub mod ci;
pub mod diff;
pub mod dive;
pub mod entry_change;
pub mod export;
pub mod listing;
mod merge;
pub mod stack;
mod tarwrite;
pub mod timeline;
pub mod track;
mod tree;
pub mod versions;
pub mod view;
pub mod visible;
pub mod waste;

pub use crate::layer::opener::{LayerOpener, SourceOpener};
pub use changes::{Aspect, Change, ChangeAction, LayerChanges, RemovalCause};
pub use dive::{DiveEfficiency, dive_efficiency};
pub use entry_change::{EntryAction, EntryChange, entry_changes};
pub use export::{ExportLayout, ExportSummary, LayerPart, PositionedSink};
pub use listing::{LayerListing, ListedKind, ListedPath, ListingId};
pub use stack::{Overlay, cat_layer_entry, layer_file, read_entry_prefix};
pub use timeline::{FileTimeline, TimelineStep, timeline};
pub use versions::{DIFF_SIDE_LIMIT, DiffSide, FileDiff, file_diff, file_versions};
pub use view::{MergedEntry, PathEvent};
pub use visible::Visible;
pub use waste::WasteReport;

use serde::{Deserialize, Serialize};

use crate::model::{Entry, Warning};

/// Everything about the merged image in one plain value (for `--json` and
/// the browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeReport {
    /// The final tree, sorted by path.
    pub tree: Vec<MergedEntry>,
    /// Each layer's own changes.
    pub changes: Vec<LayerChanges>,
    /// Exact wasted space and duplicates.
    pub waste: WasteReport,
    /// dive's efficiency numbers.
    pub dive: DiveEfficiency,
    /// Oddities met while applying layers.
    pub warnings: Vec<Warning>,
}

/// Applies all layers and returns every view as plain data.
pub fn merge(layers: &[&[Entry]]) -> MergeReport {
    let overlay = Overlay::new(layers);
    MergeReport {
        tree: overlay.entries(),
        changes: overlay.changes().to_vec(),
        waste: overlay.waste(),
        dive: dive_efficiency(layers),
        warnings: overlay.warnings().to_vec(),
    }
}
