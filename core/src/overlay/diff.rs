//! Image-to-image diff: files added, removed and changed between two final
//! trees, history and config differences, and the layers both images share.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{EntryKind, HistoryEntry, LayerInfo, RuntimeConfig};

use super::changes::same_xattrs;
use super::view::MergedEntry;

/// One side of a diff.
#[derive(Debug, Clone, Copy)]
pub struct DiffSide<'a> {
    /// The merged tree.
    pub tree: &'a [MergedEntry],
    /// The layers (for the shared-prefix computation).
    pub layers: &'a [LayerInfo],
    /// History entries.
    pub history: &'a [HistoryEntry],
    /// Runtime config.
    pub config: &'a RuntimeConfig,
}

/// What differs for one path present in both images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DiffAspect {
    /// File type.
    Kind,
    /// File data.
    Content,
    /// Data size.
    Size,
    /// Permission bits.
    Mode,
    /// uid/gid.
    Owner,
    /// Symlink target.
    LinkTarget,
    /// Modification time.
    Mtime,
    /// Extended attributes.
    Xattrs,
}

/// One path's difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    /// Path.
    pub path: String,
    /// Type in B (in A for removed paths).
    pub kind: EntryKind,
    /// Size in B (in A for removed paths).
    pub size: u64,
    /// Size in A, for changed paths.
    pub previous_size: Option<u64>,
    /// What changed (changed paths).
    pub aspects: Vec<DiffAspect>,
}

/// A config field that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigChange {
    /// Field name (camelCase, as in the JSON report).
    pub field: String,
    /// Value in A.
    pub a: serde_json::Value,
    /// Value in B.
    pub b: serde_json::Value,
}

/// History after the common prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDiff {
    /// Entries both share from the start (same `created_by`).
    pub common: usize,
    /// `created_by` of A's remaining entries.
    pub only_a: Vec<String>,
    /// `created_by` of B's remaining entries.
    pub only_b: Vec<String>,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDiff {
    /// Paths only in B.
    pub added: Vec<FileDiff>,
    /// Paths only in A.
    pub removed: Vec<FileDiff>,
    /// Paths in both that differ (mtime-only changes excluded unless asked).
    pub changed: Vec<FileDiff>,
    /// Σ size of added files.
    pub added_bytes: u64,
    /// Σ size of removed files.
    pub removed_bytes: u64,
    /// History differences.
    pub history: HistoryDiff,
    /// Config differences.
    pub config: Vec<ConfigChange>,
    /// Leading layers with the same diff_id chain.
    pub shared_layers: usize,
    /// Stored bytes of those layers (what a registry or store keeps once).
    pub shared_bytes: u64,
}

fn aspects(a: &MergedEntry, b: &MergedEntry, with_mtime: bool) -> Vec<DiffAspect> {
    let mut out = Vec::new();
    if a.kind != b.kind {
        out.push(DiffAspect::Kind);
    }
    if a.kind == EntryKind::File && b.kind == EntryKind::File && a.content_hash != b.content_hash {
        out.push(DiffAspect::Content);
    }
    if a.size != b.size {
        out.push(DiffAspect::Size);
    }
    if a.mode != b.mode {
        out.push(DiffAspect::Mode);
    }
    if a.uid != b.uid || a.gid != b.gid {
        out.push(DiffAspect::Owner);
    }
    if a.link_target != b.link_target {
        out.push(DiffAspect::LinkTarget);
    }
    if with_mtime && a.mtime != b.mtime {
        out.push(DiffAspect::Mtime);
    }
    if !same_xattrs(&a.xattrs, &b.xattrs) {
        out.push(DiffAspect::Xattrs);
    }
    out
}

fn file(e: &MergedEntry) -> FileDiff {
    FileDiff {
        path: e.path.clone(),
        kind: e.kind,
        size: e.size,
        previous_size: None,
        aspects: Vec::new(),
    }
}

/// Compares two images; `with_mtime` also reports mtime-only changes.
pub fn diff_images(a: &DiffSide<'_>, b: &DiffSide<'_>, with_mtime: bool) -> ImageDiff {
    let mut out = ImageDiff::default();
    let left: BTreeMap<&str, &MergedEntry> = a.tree.iter().map(|e| (e.path.as_str(), e)).collect();
    let right: BTreeMap<&str, &MergedEntry> = b.tree.iter().map(|e| (e.path.as_str(), e)).collect();
    for (path, eb) in &right {
        match left.get(path) {
            None => {
                out.added_bytes = out.added_bytes.saturating_add(eb.size);
                out.added.push(file(eb));
            }
            Some(ea) => {
                let list = aspects(ea, eb, with_mtime);
                if !list.is_empty() {
                    out.changed.push(FileDiff {
                        previous_size: Some(ea.size),
                        aspects: list,
                        ..file(eb)
                    });
                }
            }
        }
    }
    for (path, ea) in &left {
        if !right.contains_key(path) {
            out.removed_bytes = out.removed_bytes.saturating_add(ea.size);
            out.removed.push(file(ea));
        }
    }
    let cmd = |h: &HistoryEntry| h.created_by.clone().unwrap_or_default();
    let common = a
        .history
        .iter()
        .zip(b.history)
        .take_while(|(x, y)| cmd(x) == cmd(y) && x.empty_layer == y.empty_layer)
        .count();
    out.history = HistoryDiff {
        common,
        only_a: a.history.iter().skip(common).map(cmd).collect(),
        only_b: b.history.iter().skip(common).map(cmd).collect(),
    };
    let ca = serde_json::to_value(a.config).unwrap_or_default();
    let cb = serde_json::to_value(b.config).unwrap_or_default();
    if let (Some(ma), Some(mb)) = (ca.as_object(), cb.as_object()) {
        let keys: std::collections::BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
        for key in keys {
            let va = ma.get(key).cloned().unwrap_or_default();
            let vb = mb.get(key).cloned().unwrap_or_default();
            if va != vb {
                out.config.push(ConfigChange {
                    field: key.clone(),
                    a: va,
                    b: vb,
                });
            }
        }
    }
    for (la, lb) in a.layers.iter().zip(b.layers) {
        match (&la.diff_id, &lb.diff_id) {
            (Some(x), Some(y)) if x == y => {
                out.shared_layers += 1;
                out.shared_bytes = out.shared_bytes.saturating_add(la.size);
            }
            _ => break,
        }
    }
    out
}
