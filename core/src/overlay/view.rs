//! The merged tree as plain data: one record per surviving path with its
//! metadata and provenance.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Entry, EntryKind, Xattr};

use super::changes::{Change, ChangeAction, LayerChanges, Meta, RemovalCause};
use super::entry_change::{EntryAction, EntryChange};
use super::tree::{IMPLIED, Layers, Node, PathCursor, PathId, ROOT, Tree};

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
    /// Index, among `source_layer`'s entries, of the entry that supplies
    /// metadata and data (see [`MergedEntry::source`]).
    pub source_entry: Option<usize>,
    /// A directory no layer lists (created as an implied parent).
    pub implied: bool,
    /// Shared by all names of one inode when it has several names.
    pub hardlink_group: Option<usize>,
    /// For the second and later names of an inode (path order): the first name.
    pub hardlink_to: Option<String>,
    /// Earlier and current events: provided, modified, deleted (oldest first).
    pub history: Vec<PathEvent>,
    /// The path's change in the layer that provides it (`layer`): the word
    /// `ls --layer` gives it there (`added`, `modified`, `unchanged` when
    /// that layer listed it again as it was); None for the root.
    pub change: Option<EntryAction>,
}

impl MergedEntry {
    /// The layer entry that supplies this path's metadata and bytes, with
    /// its layer (`layers` are the entries the tree was merged from); None
    /// for implied directories.
    pub fn source<'a>(&self, layers: &[&'a [Entry]]) -> Option<(usize, &'a Entry)> {
        let layer = self.source_layer?;
        let entry = layers.get(layer)?.get(self.source_entry?)?;
        Some((layer, entry))
    }

    /// The regular-file entry whose bytes this path shows (as
    /// [`MergedEntry::source`]), or a `NotAFile` request error.
    pub fn file_source<'a>(
        &self,
        layers: &[&'a [Entry]],
    ) -> Result<(usize, &'a Entry), crate::error::Error> {
        self.source(layers)
            .filter(|(_, e)| self.kind == EntryKind::File && e.kind == EntryKind::File)
            .ok_or_else(|| {
                crate::error::RequestError::NotAFile {
                    path: self.path.clone(),
                }
                .into()
            })
    }
}

/// One recorded change of a path: (path id, layer, change).
type Event<'c> = (PathId, usize, &'c Change);

/// Builds the plain view of `items` (names of `tree`, in path order);
/// `change_ids` holds each change's path id, parallel to `changes`.
pub(crate) fn build(
    tree: &Tree,
    items: &[(PathId, Node)],
    layers: &Layers<'_>,
    changes: &[LayerChanges],
    change_ids: &[Vec<PathId>],
) -> Vec<MergedEntry> {
    // Every change grouped by path id, oldest first: the ids' events are
    // `events[start[id]..start[id + 1]]`.
    let slots = tree.slot_count();
    let all = || {
        changes
            .iter()
            .zip(change_ids)
            .flat_map(|(l, ids)| {
                l.changes
                    .iter()
                    .zip(ids)
                    .map(move |(c, id)| (*id, l.layer, c))
            })
            .filter(|e| e.0 < slots)
    };
    // Counting sort by id (stable: each id keeps its events in order).
    let mut start = vec![0usize; slots + 1];
    let mut deleted = vec![false; slots];
    let mut any_deleted = false;
    let mut total = 0usize;
    for (id, _, c) in all() {
        total += 1;
        if let Some(n) = start.get_mut(id + 1) {
            *n += 1;
        }
        if c.removed_subtree() {
            if let Some(d) = deleted.get_mut(id) {
                *d = true;
                any_deleted = true;
            }
        }
    }
    let mut acc = 0usize;
    for n in &mut start {
        acc += *n;
        *n = acc;
    }
    let mut events: Vec<Option<Event<'_>>> = vec![None; total];
    let mut cursor = start.clone();
    for e in all() {
        if let Some(at) = cursor.get_mut(e.0) {
            if let Some(cell) = events.get_mut(*at) {
                *cell = Some(e);
            }
            *at += 1;
        }
    }
    let events: Vec<Event<'_>> = events.into_iter().flatten().collect();
    let of = |id: PathId| -> &[Event<'_>] {
        let lo = start.get(id).copied().unwrap_or(0);
        let hi = start.get(id + 1).copied().unwrap_or(lo);
        events.get(lo..hi).unwrap_or_default()
    };
    let event = |(_, layer, c): &Event<'_>| PathEvent {
        layer: *layer,
        action: c.action,
        cause: c.cause.clone(),
        path: c.path.clone(),
    };
    // An ancestor's deletion, or its replacement by another type, took
    // the path with it: a deletion of the path.
    let deletions = |list: &[Event<'_>], history: &mut Vec<PathEvent>| {
        history.extend(
            list.iter()
                .filter(|e| e.2.removed_subtree())
                .map(|e| PathEvent {
                    action: ChangeAction::Deleted,
                    ..event(e)
                }),
        );
    };
    // The chain of ancestors of the current item (root first), with each
    // one's events; items come in path order, so a parent is on the chain.
    let mut chain: Vec<(PathId, &[Event<'_>])> = Vec::new();
    // Positions in `chain` of the ancestors with a deletion (so a deep
    // path costs its deleted ancestors, not its depth).
    let mut deleted_chain: Vec<usize> = Vec::new();
    let mut first_name: HashMap<usize, String> = HashMap::new();
    let mut cursor = PathCursor::default();
    let mut out = Vec::with_capacity(items.len());
    for &(id, node) in items {
        let path = cursor.path(tree, id);
        let Some(inode) = tree.inode(node) else {
            continue;
        };
        let source = layers.get(inode.layer).and_then(|l| l.get(inode.entry));
        let meta = Meta::of(inode.kind, source);
        let (hardlink_group, hardlink_to) = if inode.names > 1 {
            match first_name.get(&node.inode) {
                Some(first) => (Some(node.inode), Some(first.clone())),
                None => {
                    first_name.insert(node.inode, path.to_owned());
                    (Some(node.inode), None)
                }
            }
        } else {
            (None, None)
        };
        let parent = tree.parent(id);
        while chain.last().is_some_and(|f| f.0 != parent) {
            chain.pop();
            if deleted_chain.last().is_some_and(|&at| at >= chain.len()) {
                deleted_chain.pop();
            }
        }
        let chained = id == ROOT
            || (chain.first().is_some_and(|f| f.0 == ROOT)
                && chain.last().is_some_and(|f| f.0 == parent));
        let own = of(id);
        let mut history = Vec::new();
        if any_deleted {
            // Deletions of ancestors took this path with them (nearest first).
            if chained {
                for &at in deleted_chain.iter().rev() {
                    if let Some((_, list)) = chain.get(at) {
                        deletions(list, &mut history);
                    }
                }
            } else {
                let mut ancestor = id;
                while ancestor != ROOT {
                    ancestor = tree.parent(ancestor);
                    if deleted.get(ancestor).copied().unwrap_or(false) {
                        deletions(of(ancestor), &mut history);
                    }
                }
            }
        }
        if deleted.get(id).copied().unwrap_or(false) {
            deleted_chain.push(chain.len());
        }
        chain.push((id, own));
        history.extend(own.iter().map(event));
        history.sort_by_key(|e| e.layer);
        let layer = (node.layer != IMPLIED).then_some(node.layer);
        let change = layer.map(|l| provided_change(own, l));
        out.push(MergedEntry {
            path: path.to_owned(),
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
            layer,
            source_layer: source.map(|_| inode.layer),
            data_offset: source.map_or(0, |e| e.data_offset),
            source_entry: source.map(|_| inode.entry),
            implied: source.is_none(),
            hardlink_group,
            hardlink_to,
            history,
            change,
        });
    }
    out
}

/// The change word of a path in layer `layer`, from the path's own events:
/// that layer's change read as [`EntryChange::of_placed`] reads it (no
/// change there: `unchanged`).
fn provided_change(own: &[Event<'_>], layer: usize) -> EntryAction {
    let change = own.iter().rev().find(|e| e.1 == layer).map(|e| e.2);
    EntryChange::of_placed(change).action
}
