//! Wasted space, exactly: file bytes a layer ships that the final image
//! cannot show (deleted, overwritten or hidden later, or a same-layer
//! duplicate), and content stored more than once.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::EntryKind;

use super::changes::RemovalCause;
use super::tree::{IMPLIED, Layers, Tree};

/// A shipped file the final image does not show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WastedFile {
    /// Layer that shipped the bytes.
    pub layer: usize,
    /// The entry's path in that layer.
    pub path: String,
    /// Bytes shipped.
    pub size: u64,
    /// Layer that made them invisible.
    pub hidden_by: Option<usize>,
    /// How.
    pub cause: Option<RemovalCause>,
}

/// Wasted bytes of one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerWaste {
    /// Layer index.
    pub layer: usize,
    /// File bytes the layer ships.
    pub shipped_bytes: u64,
    /// Of those, bytes invisible in the final image.
    pub wasted_bytes: u64,
    /// Number of invisible files.
    pub wasted_files: u64,
}

/// One place a duplicated content is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyLocation {
    /// Layer.
    pub layer: usize,
    /// Path in that layer.
    pub path: String,
    /// Whether this copy is visible in the final image.
    pub visible: bool,
}

/// Content stored more than once (same XXH3 and size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateGroup {
    /// XXH3-64 of the data.
    pub content_hash: u64,
    /// Size of one copy.
    pub size: u64,
    /// Number of stored copies.
    pub copies: u64,
    /// `(copies - 1) * size`.
    pub reclaimable_bytes: u64,
    /// Where the copies are.
    pub locations: Vec<CopyLocation>,
}

/// The whole waste analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasteReport {
    /// File bytes shipped by all layers.
    pub shipped_bytes: u64,
    /// File bytes visible in the final image (each inode once).
    pub visible_bytes: u64,
    /// Shipped but invisible.
    pub wasted_bytes: u64,
    /// Per layer.
    pub layers: Vec<LayerWaste>,
    /// Invisible files, largest first.
    pub files: Vec<WastedFile>,
    /// Duplicate contents, most reclaimable first.
    pub duplicates: Vec<DuplicateGroup>,
    /// Sum of the groups' reclaimable bytes.
    pub reclaimable_bytes: u64,
}

/// Computes the report from the final tree state.
pub(crate) fn analyze(tree: &Tree, layers: &Layers<'_>) -> WasteReport {
    let mut report = WasteReport {
        layers: (0..layers.len())
            .map(|layer| LayerWaste {
                layer,
                ..LayerWaste::default()
            })
            .collect(),
        ..WasteReport::default()
    };
    let mut visible_inode: HashMap<(usize, usize), bool> = HashMap::new();
    for inode in &tree.inodes {
        if inode.kind != EntryKind::File || inode.entry == IMPLIED {
            continue;
        }
        let Some(entry) = layers.get(inode.layer).and_then(|l| l.get(inode.entry)) else {
            continue;
        };
        visible_inode.insert((inode.layer, inode.entry), inode.names > 0);
        if let Some(l) = report.layers.get_mut(inode.layer) {
            l.shipped_bytes = l.shipped_bytes.saturating_add(entry.size);
        }
        report.shipped_bytes = report.shipped_bytes.saturating_add(entry.size);
        if inode.names > 0 {
            report.visible_bytes = report.visible_bytes.saturating_add(entry.size);
        } else if entry.size > 0 {
            report.wasted_bytes = report.wasted_bytes.saturating_add(entry.size);
            if let Some(l) = report.layers.get_mut(inode.layer) {
                l.wasted_bytes = l.wasted_bytes.saturating_add(entry.size);
                l.wasted_files += 1;
            }
            report.files.push(WastedFile {
                layer: inode.layer,
                path: entry.path.clone(),
                size: entry.size,
                hidden_by: inode.hidden.as_ref().map(|h| h.0),
                cause: inode.hidden.as_ref().map(|h| h.1.clone()),
            });
        }
    }
    report
        .files
        .sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let mut groups: HashMap<(u64, u64), Vec<CopyLocation>> = HashMap::new();
    for (layer, entries) in layers.iter().enumerate() {
        for (index, e) in entries.iter().enumerate() {
            if e.kind != EntryKind::File || e.whiteout.is_some() || e.size == 0 {
                continue;
            }
            let Some(hash) = e.content_hash else { continue };
            groups
                .entry((hash, e.size))
                .or_default()
                .push(CopyLocation {
                    layer,
                    path: e.path.clone(),
                    visible: visible_inode.get(&(layer, index)).copied().unwrap_or(false),
                });
        }
    }
    for ((content_hash, size), locations) in groups {
        if locations.len() < 2 {
            continue;
        }
        let copies = locations.len() as u64;
        let reclaimable_bytes = (copies - 1).saturating_mul(size);
        report.reclaimable_bytes = report.reclaimable_bytes.saturating_add(reclaimable_bytes);
        report.duplicates.push(DuplicateGroup {
            content_hash,
            size,
            copies,
            reclaimable_bytes,
            locations,
        });
    }
    report.duplicates.sort_by(|a, b| {
        b.reclaimable_bytes
            .cmp(&a.reclaimable_bytes)
            .then(a.content_hash.cmp(&b.content_hash))
    });
    report
}
