//! Image-to-image diff: files added, removed and changed between two final
//! trees, history and config differences, the layers both images share,
//! and where B diverges from A with what rebuilding it costs.

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
    /// Index of B's first layer whose diff_id differs from A's layer at
    /// the same index (or A has no layer there); None when every layer of
    /// B equals A's (B is A, or a prefix of it). Equals `shared_layers`
    /// when set.
    pub first_divergent_layer: Option<usize>,
    /// What rebuilding B from A costs: the layers from the divergence up.
    pub rebuild: Option<RebuildCost>,
}

/// What a rebuild costs from the first divergent layer up: a build cache
/// keyed on the layer chain rebuilds every layer above it, and every
/// rebuilt layer that is not already among A's layers is pushed and then
/// pulled by each host holding A.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuildCost {
    /// The first divergent layer (B's index).
    pub from_layer: usize,
    /// B's layers from there up.
    pub layers: Vec<RebuiltLayer>,
    /// How many of them A does not have (by diff_id).
    pub new_layers: usize,
    /// Stored bytes of those: what a push uploads and a pull by a host
    /// holding A downloads.
    pub transfer_bytes: u64,
}

/// One of B's layers above the divergence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuiltLayer {
    /// B's layer index.
    pub index: usize,
    /// Its diff_id.
    pub diff_id: Option<crate::digest::Digest>,
    /// The history command that made it.
    pub created_by: Option<String>,
    /// Stored bytes.
    pub stored_size: u64,
    /// A has a layer with the same diff_id (anywhere): nothing to transfer.
    pub in_a: bool,
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
    out.rebuild = rebuild_cost(a.layers, b.layers, out.shared_layers);
    out.first_divergent_layer = out.rebuild.as_ref().map(|r| r.from_layer);
    out
}

/// B's layers from the first one that differs from A's at the same index
/// (`shared` leading layers are equal); None when B has no layer there.
fn rebuild_cost(a: &[LayerInfo], b: &[LayerInfo], shared: usize) -> Option<RebuildCost> {
    if shared >= b.len() {
        return None;
    }
    let in_a = |diff_id: &Option<crate::digest::Digest>| {
        diff_id
            .as_ref()
            .is_some_and(|d| a.iter().any(|l| l.diff_id.as_ref() == Some(d)))
    };
    let layers: Vec<RebuiltLayer> = b
        .iter()
        .skip(shared)
        .map(|l| RebuiltLayer {
            index: l.index,
            diff_id: l.diff_id.clone(),
            created_by: l.created_by.clone(),
            stored_size: l.size,
            in_a: in_a(&l.diff_id),
        })
        .collect();
    let new: Vec<&RebuiltLayer> = layers.iter().filter(|l| !l.in_a).collect();
    Some(RebuildCost {
        from_layer: shared,
        new_layers: new.len(),
        transfer_bytes: new
            .iter()
            .map(|l| l.stored_size)
            .fold(0u64, u64::saturating_add),
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::model::CheckStatusKind;

    fn layer(index: usize, id: u8, size: u64) -> LayerInfo {
        LayerInfo {
            index,
            digest: None,
            diff_id: Digest::parse(&format!("sha256:{}", format!("{id:02x}").repeat(32))).ok(),
            media_type: None,
            size,
            uncompressed_size: None,
            compression: None,
            entries: None,
            history: None,
            created_by: Some(format!("step {id}")),
            verified: None,
            status: CheckStatusKind::Pending,
            verdict: crate::verdict::Verdict::Pending,
            location: None,
        }
    }

    fn diff(a: &[(u8, u64)], b: &[(u8, u64)]) -> ImageDiff {
        let a: Vec<LayerInfo> = a
            .iter()
            .enumerate()
            .map(|(i, &(id, s))| layer(i, id, s))
            .collect();
        let b: Vec<LayerInfo> = b
            .iter()
            .enumerate()
            .map(|(i, &(id, s))| layer(i, id, s))
            .collect();
        let config = RuntimeConfig::default();
        let side = |layers| DiffSide {
            tree: &[],
            layers,
            history: &[],
            config: &config,
        };
        diff_images(&side(&a), &side(&b), false)
    }

    #[test]
    fn equal_images_and_prefixes_do_not_diverge() {
        let same = diff(&[(1, 10), (2, 20)], &[(1, 10), (2, 20)]);
        assert_eq!(same.first_divergent_layer, None);
        assert_eq!(same.rebuild, None);
        assert_eq!(same.shared_layers, 2);
        let prefix = diff(&[(1, 10), (2, 20), (3, 30)], &[(1, 10), (2, 20)]);
        assert_eq!(prefix.first_divergent_layer, None, "B is a prefix of A");
    }

    #[test]
    fn divergence_and_its_rebuild_cost() {
        // B adds a layer on top of A: it diverges where A ends.
        let longer = diff(&[(1, 10)], &[(1, 10), (2, 20)]);
        assert_eq!(longer.first_divergent_layer, Some(1));
        let rebuild = longer.rebuild.unwrap();
        assert_eq!((rebuild.new_layers, rebuild.transfer_bytes), (1, 20));
        // A step in the middle changed: every layer above is rebuilt; the
        // one whose content came out the same (5) is not transferred.
        let d = diff(
            &[(1, 10), (2, 20), (5, 50), (6, 60)],
            &[(1, 10), (3, 30), (5, 50), (7, 70)],
        );
        assert_eq!(d.first_divergent_layer, Some(1));
        assert_eq!(d.shared_layers, 1);
        let rebuild = d.rebuild.unwrap();
        assert_eq!(rebuild.from_layer, 1);
        let indexes: Vec<(usize, bool)> =
            rebuild.layers.iter().map(|l| (l.index, l.in_a)).collect();
        assert_eq!(indexes, [(1, false), (2, true), (3, false)]);
        assert_eq!(rebuild.new_layers, 2);
        assert_eq!(rebuild.transfer_bytes, 30 + 70);
        assert_eq!(rebuild.layers[0].created_by.as_deref(), Some("step 3"));
        // The base itself differs.
        assert_eq!(diff(&[(1, 10)], &[(2, 10)]).first_divergent_layer, Some(0));
    }
}
