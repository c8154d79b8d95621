//! The merged tree as plain data: one record per surviving path with its
//! metadata and provenance.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{EntryKind, Xattr};

use super::changes::{ChangeAction, LayerChanges, Meta, RemovalCause};
use super::tree::{IMPLIED, Layers, Tree};

/// One event in a path's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathEvent {
    /// Layer where it happened.
    pub layer: usize,
    /// What happened.
    pub action: ChangeAction,
    /// For deletions: why.
    pub cause: Option<RemovalCause>,
    /// The path the event was recorded on: the path itself, or an ancestor
    /// whose deletion took this path with it.
    pub path: String,
}

/// One path of the final (or cumulative) filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedEntry {
    /// Normalized path ("" = root).
    pub path: String,
    /// Type of the file object (hard links show their target's type).
    pub kind: EntryKind,
    /// Data size (0 for non-files).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// Owner name, when recorded.
    pub uname: Option<String>,
    /// Group name, when recorded.
    pub gname: Option<String>,
    /// Modification time (seconds).
    pub mtime: u64,
    /// Symlink target (verbatim).
    pub link_target: Option<String>,
    /// Device numbers.
    pub device: Option<(u32, u32)>,
    /// Extended attributes.
    pub xattrs: Vec<Xattr>,
    /// XXH3 of the data (files).
    pub content_hash: Option<u64>,
    /// Layer that provides this path (placed its entry, or implied it).
    pub layer: Option<usize>,
    /// Layer whose entry supplies metadata and data (differs from `layer`
    /// for hard links to lower files).
    pub source_layer: Option<usize>,
    /// Offset of the data in `source_layer`'s uncompressed stream.
    pub data_offset: u64,
    /// A directory no layer lists (created as an implied parent).
    pub implied: bool,
    /// Shared by all names of one inode when it has several names.
    pub hardlink_group: Option<usize>,
    /// For the second and later names of an inode (path order): the first name.
    pub hardlink_to: Option<String>,
    /// Earlier and current events: provided, modified, deleted (oldest first).
    pub history: Vec<PathEvent>,
}

/// Builds the plain view of `tree`.
pub(crate) fn build(
    tree: &Tree,
    layers: &Layers<'_>,
    changes: &[LayerChanges],
) -> Vec<MergedEntry> {
    let mut events: HashMap<&str, Vec<PathEvent>> = HashMap::new();
    let mut deleted_paths: HashSet<&str> = HashSet::new();
    for layer in changes {
        for c in &layer.changes {
            if c.action == ChangeAction::Deleted {
                deleted_paths.insert(&c.path);
            }
            events.entry(&c.path).or_default().push(PathEvent {
                layer: layer.layer,
                action: c.action,
                cause: c.cause.clone(),
                path: c.path.clone(),
            });
        }
    }
    let mut first_name: HashMap<usize, &str> = HashMap::new();
    let mut out = Vec::with_capacity(tree.nodes.len());
    for (path, node) in &tree.nodes {
        let Some(inode) = tree.inode(*node) else {
            continue;
        };
        let source = layers.get(inode.layer).and_then(|l| l.get(inode.entry));
        let meta = Meta::of(inode.kind, source);
        let (hardlink_group, hardlink_to) = if inode.names > 1 {
            match first_name.get(&node.inode) {
                Some(first) => (Some(node.inode), Some((*first).to_owned())),
                None => {
                    first_name.insert(node.inode, path);
                    (Some(node.inode), None)
                }
            }
        } else {
            (None, None)
        };
        let mut history = Vec::new();
        if !deleted_paths.is_empty() {
            let mut ancestor = path.as_str();
            while !ancestor.is_empty() {
                ancestor = super::tree::parent_of(ancestor);
                if deleted_paths.contains(ancestor) {
                    if let Some(list) = events.get(ancestor) {
                        history.extend(
                            list.iter()
                                .filter(|e| e.action == ChangeAction::Deleted)
                                .cloned(),
                        );
                    }
                }
            }
        }
        if let Some(list) = events.get(path.as_str()) {
            history.extend(list.iter().cloned());
        }
        history.sort_by_key(|e| e.layer);
        out.push(MergedEntry {
            path: path.clone(),
            kind: meta.kind,
            size: meta.size,
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            uname: source.and_then(|e| e.uname.clone()),
            gname: source.and_then(|e| e.gname.clone()),
            mtime: meta.mtime,
            link_target: meta.link_target.map(str::to_owned),
            device: meta.device,
            xattrs: meta.xattrs.to_vec(),
            content_hash: meta.content_hash,
            layer: (node.layer != IMPLIED).then_some(node.layer),
            source_layer: source.map(|_| inode.layer),
            data_offset: source.map_or(0, |e| e.data_offset),
            implied: source.is_none(),
            hardlink_group,
            hardlink_to,
            history,
        });
    }
    out
}
