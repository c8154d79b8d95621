//! Applying layers in order (OCI image-spec layer.md), bottom layer first.
//!
//! Rules, per layer:
//! 1. Whiteouts first, against the tree *below* this layer: `.wh.NAME`
//!    removes NAME (any type, with its subtree); `.wh..wh..opq` removes
//!    every child of its directory. Same-layer entries are therefore never
//!    hidden by same-layer whiteouts, wherever the markers appear.
//! 2. Then every other entry in stream order. An entry's parent directory is
//!    resolved like a runtime does it (`umoci unpack`, containerd, moby):
//!    symlinks among the parent components are followed, but only inside the
//!    root (absolute targets restart at the root, `..` stops there); the
//!    entry's own name is never followed. Missing parents become implied
//!    directories (mode 0755, root-owned, mtime 0); a non-directory parent
//!    component is replaced by an implied directory.
//! 3. A directory over a directory changes attributes only; any other
//!    combination removes the old object (and its subtree) first.
//! 4. A hard link names the same inode as its target (resolved the same way,
//!    possibly from a lower layer) until a later entry replaces one of the
//!    names. Its own header metadata is ignored, as runtimes do. A link whose
//!    target does not exist (or is a directory) is skipped with a warning.
//! 5. A path listed twice in one layer: the last entry wins, with a warning.

use crate::display::quoted;
use std::borrow::Cow;
use std::collections::HashMap;

use crate::model::{Entry, EntryKind, Warning, Whiteout};
use crate::paths;

use super::changes::{Aspect, Change, ChangeAction, LayerChanges, Meta, RemovalCause, signed};
use super::tree::{IMPLIED, Layers, Node, PathCursor, PathId, ROOT, ResolveError, Tree, parent_of};

/// [`Track::marks`] bit: the path's state before the layer is recorded.
const TOUCHED: u8 = 1;
/// [`Track::marks`] bit: one of this layer's entries placed the path.
const PLACED: u8 = 2;

/// Per-layer bookkeeping for the changeset.
struct Track {
    /// Per path id: [`TOUCHED`] and [`PLACED`] bits.
    marks: Vec<u8>,
    /// State of each touched path before the layer (first touch wins).
    before: Vec<(PathId, Option<Node>)>,
    /// Top-most removed paths: cause, file bytes and names removed.
    removed: HashMap<PathId, (RemovalCause, u64, u64)>,
}

impl Track {
    fn new(tree: &Tree) -> Track {
        Track {
            marks: vec![0; tree.slot_count()],
            before: Vec::new(),
            removed: HashMap::new(),
        }
    }

    fn has(&self, id: PathId, bit: u8) -> bool {
        self.marks.get(id).is_some_and(|m| m & bit != 0)
    }

    fn set(&mut self, id: PathId, bit: u8) {
        if id >= self.marks.len() {
            self.marks.resize(id + 1, 0);
        }
        if let Some(m) = self.marks.get_mut(id) {
            *m |= bit;
        }
    }

    fn touch(&mut self, tree: &Tree, id: PathId) {
        if !self.has(id, TOUCHED) {
            self.set(id, TOUCHED);
            self.before.push((id, tree.node(id)));
        }
    }
}

/// A layer's bookkeeping kept until its changeset is asked for
/// ([`build_changes`]): each touched id with its node before and after the
/// layer, the removals, shipped bytes. Small (a few words per touched
/// path), unlike the changeset, which holds every change's full path.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    layer: usize,
    touched: Vec<(PathId, Option<Node>, Option<Node>)>,
    removed: HashMap<PathId, (RemovalCause, u64, u64)>,
    shipped_bytes: u64,
}

impl Pending {
    /// The ids this layer touched (placed, replaced or removed at the top).
    pub fn touched_ids(&self) -> impl Iterator<Item = PathId> + '_ {
        self.touched.iter().map(|t| t.0)
    }
}

/// The merge engine's state after applying some layers.
pub(crate) struct Engine<'a, 'l> {
    pub layers: &'l Layers<'a>,
    pub tree: Tree,
    pub warnings: Vec<Warning>,
    /// Applied layers' bookkeeping, for [`build_changes`].
    pub pending: Vec<Pending>,
    /// The directory the previous entry went into (entries of one
    /// directory usually come together, so this saves most lookups).
    last_dir: Option<PathId>,
    /// Ids of the parent directories named by entries so far, keyed by
    /// the entry's own text (borrowed: no path is copied). A path's id
    /// never changes, so entries are placed with one lookup of their
    /// directory and one of their name, however deep they are.
    dir_ids: HashMap<&'a str, PathId>,
}

impl<'a, 'l> Engine<'a, 'l> {
    pub fn new(layers: &'l Layers<'a>) -> Self {
        let mut tree = Tree::new();
        // Usually most entries name a new path; cap what untrusted counts
        // can make us reserve up front.
        let entries: usize = layers.iter().map(|l| l.len()).sum();
        tree.reserve(entries.min(1 << 22));
        Engine {
            layers,
            tree,
            warnings: Vec::new(),
            last_dir: None,
            dir_ids: HashMap::new(),
            pending: Vec::new(),
        }
    }

    fn warn(&mut self, layer: usize, entry: &Entry, code: &str, message: String) {
        self.warnings.push(
            Warning::new(code, message)
                .in_layer(layer)
                .at(entry.header_offset),
        );
    }

    /// Applies layer `layer` (its entries are `self.layers[layer]`).
    pub fn apply(&mut self, layer: usize) {
        let entries: &'a [Entry] = self.layers.get(layer).copied().unwrap_or_default();
        let mut track = Track::new(&self.tree);
        for entry in entries {
            if let Some(whiteout) = &entry.whiteout {
                self.apply_whiteout(layer, entry, whiteout, &mut track);
            }
        }
        for (index, entry) in entries.iter().enumerate() {
            if entry.whiteout.is_none() {
                self.apply_entry(layer, index, entry, &mut track);
            }
        }
        let shipped_bytes = entries
            .iter()
            .filter(|e| e.kind == EntryKind::File && e.whiteout.is_none())
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add);
        // Changes are built once every layer is in: sorting by a rank
        // computed once is far cheaper than sorting paths per layer.
        let touched = track
            .before
            .iter()
            .map(|&(id, before)| (id, before, self.tree.node(id)))
            .collect();
        self.pending.push(Pending {
            layer,
            touched,
            removed: track.removed,
            shipped_bytes,
        });
    }

    /// The tree's ids in path order (once every layer is applied).
    pub fn finish(&mut self) -> Vec<PathId> {
        self.tree.order()
    }

    fn resolve<'d>(&mut self, layer: usize, entry: &Entry, dir: &'d str) -> Option<Cow<'d, str>> {
        match self.tree.resolve_dir(self.layers, dir) {
            Ok(resolved) => Some(resolved),
            Err(ResolveError::Loop) => {
                self.warn(
                    layer,
                    entry,
                    "symlink-loop",
                    format!(
                        "entry {}: too many symlinks resolving {}; skipped",
                        quoted(&entry.path),
                        quoted(dir)
                    ),
                );
                None
            }
        }
    }

    fn remove(&mut self, layer: usize, id: PathId, cause: RemovalCause, track: &mut Track) {
        track.touch(&self.tree, id);
        let removed = self.tree.remove_subtree(id, layer, &cause);
        let mut bytes = 0u64;
        for node in &removed {
            let is_file = self
                .tree
                .inode(*node)
                .is_some_and(|i| i.kind == EntryKind::File);
            if let Some(e) = self
                .tree
                .source(self.layers, node.inode)
                .filter(|_| is_file)
            {
                bytes = bytes.saturating_add(e.size);
            }
        }
        track
            .removed
            .entry(id)
            .or_insert((cause, bytes, removed.len() as u64));
    }

    fn apply_whiteout(
        &mut self,
        layer: usize,
        entry: &Entry,
        whiteout: &Whiteout,
        track: &mut Track,
    ) {
        match whiteout {
            Whiteout::Remove { target } => {
                let (parent, name) = paths::split_parent(target);
                let Some(dir) = self.resolve(layer, entry, parent) else {
                    return;
                };
                let path = paths::join(&dir, name);
                let id = self.tree.lookup(&path);
                match id.filter(|id| self.tree.node(*id).is_some() && !path.is_empty()) {
                    Some(id) => self.remove(layer, id, RemovalCause::Whiteout, track),
                    None if id.is_some_and(|id| track.removed.contains_key(&id)) => {}
                    None => self.warn(
                        layer,
                        entry,
                        "whiteout-without-target",
                        format!(
                            "whiteout {} names {}, which no lower layer provides",
                            quoted(&entry.path),
                            quoted(&path)
                        ),
                    ),
                }
            }
            Whiteout::Opaque { dir } => {
                let Some(resolved) = self.resolve(layer, entry, dir) else {
                    return;
                };
                let Some(id) = self.tree.lookup(&resolved) else {
                    return;
                };
                if self.tree.kind_of(id) != Some(EntryKind::Dir) {
                    return;
                }
                for child in self.tree.live_children(id) {
                    self.remove(
                        layer,
                        child,
                        RemovalCause::OpaqueDir {
                            dir: resolved.clone().into_owned(),
                        },
                        track,
                    );
                }
            }
        }
    }

    /// Makes every component of `dir` a directory (creating implied ones),
    /// walking its components once; returns its id.
    fn ensure_dir(&mut self, layer: usize, entry: &Entry, dir: &str, track: &mut Track) -> PathId {
        let existing = self.tree.lookup(dir);
        if let Some(id) = existing.filter(|id| self.tree.kind_of(*id) == Some(EntryKind::Dir)) {
            return id;
        }
        if dir.is_empty() {
            self.make_dir(layer, entry, ROOT, dir, track);
            return ROOT;
        }
        let mut id = ROOT;
        let mut end = 0usize;
        for name in dir.split('/') {
            end += name.len();
            id = self.tree.intern_child(id, name);
            if self.tree.kind_of(id) != Some(EntryKind::Dir) {
                self.make_dir(layer, entry, id, dir.get(..end).unwrap_or(dir), track);
            }
            end += 1;
        }
        id
    }

    /// Puts an implied directory at `id` (path `prefix`), replacing what is
    /// there (with a warning).
    fn make_dir(
        &mut self,
        layer: usize,
        entry: &Entry,
        id: PathId,
        prefix: &str,
        track: &mut Track,
    ) {
        if let Some(kind) = self.tree.kind_of(id) {
            self.warn(
                layer,
                entry,
                "parent-not-dir",
                format!(
                    "entry {}: parent {} is a {kind:?}; replaced by a directory",
                    quoted(&entry.path),
                    quoted(prefix)
                ),
            );
            self.remove(
                layer,
                id,
                RemovalCause::ReplacedByType {
                    kind: EntryKind::Dir,
                },
                track,
            );
        } else {
            track.touch(&self.tree, id);
        }
        let inode = self.tree.new_inode(EntryKind::Dir, layer, IMPLIED);
        self.tree.link_id(id, inode, layer, IMPLIED);
    }

    fn apply_entry(&mut self, layer: usize, index: usize, entry: &'a Entry, track: &mut Track) {
        let (parent, name) = paths::split_parent(&entry.path);
        // Same directory as the previous entry, still a directory: no
        // resolving needed, and the path is `entry.path` itself.
        let is_dir = |d: &PathId| self.tree.kind_of(*d) == Some(EntryKind::Dir);
        let cached = if name.is_empty() || parent.is_empty() {
            None
        } else {
            self.last_dir
                .filter(|d| self.tree.path_is(*d, parent))
                .or_else(|| self.dir_ids.get(parent).copied())
                .filter(is_dir)
        };
        // `parent_ready`: the path's parent is known to be an existing
        // directory (the resolver's fast path), so no implied parents.
        let (path, parent_ready): (Cow<'_, str>, bool) = if cached.is_some() {
            (Cow::Borrowed(entry.path.as_str()), true)
        } else if entry.path.is_empty() {
            (Cow::Borrowed(""), true)
        } else {
            let Some(dir) = self.resolve(layer, entry, parent) else {
                return;
            };
            if dir != parent {
                self.warn(
                    layer,
                    entry,
                    "through-symlink",
                    format!(
                        "entry {} lies below a symlink; a runtime writes it to {}",
                        quoted(&entry.path),
                        quoted(&paths::join(&dir, name))
                    ),
                );
            }
            let ready = matches!(dir, Cow::Borrowed(_)) && !name.is_empty();
            // `entry.path` is exactly `dir/name` when nothing was resolved.
            let verbatim = dir == parent
                && !name.is_empty()
                && (!parent.is_empty() || name.len() == entry.path.len());
            if verbatim {
                (Cow::Borrowed(entry.path.as_str()), ready)
            } else {
                (Cow::Owned(paths::join(&dir, name)), ready)
            }
        };
        // A hard link's target must exist before anything is removed.
        let link_inode = if entry.kind == EntryKind::Hardlink {
            let target = entry.link_target.as_deref().unwrap_or("");
            let (tparent, tname) = paths::split_parent(target);
            let Some(tdir) = self.resolve(layer, entry, tparent) else {
                return;
            };
            let tpath = paths::join(&tdir, tname);
            let tid = self.tree.lookup(&tpath).filter(|_| !tname.is_empty());
            let found = tid.and_then(|t| self.tree.node(t));
            match found.map(|n| (n, self.tree.inode(n).map(|i| i.kind))) {
                None => {
                    self.warn(
                        layer,
                        entry,
                        "hardlink-target-missing",
                        format!(
                            "hard link {} points at {}, which does not exist; skipped",
                            quoted(&entry.path),
                            quoted(target)
                        ),
                    );
                    return;
                }
                Some((_, Some(EntryKind::Dir))) => {
                    self.warn(
                        layer,
                        entry,
                        "hardlink-to-directory",
                        format!(
                            "hard link {} points at directory {}; skipped",
                            quoted(&entry.path),
                            quoted(target)
                        ),
                    );
                    return;
                }
                Some(_) if tpath == path => {
                    self.warn(
                        layer,
                        entry,
                        "hardlink-to-itself",
                        format!(
                            "hard link {} points at itself; skipped",
                            quoted(&entry.path)
                        ),
                    );
                    return;
                }
                Some((node, _)) => Some(node.inode),
            }
        } else {
            None
        };
        let dir = if !path.is_empty() && !parent_ready {
            Some(self.ensure_dir(layer, entry, parent_of(&path), track))
        } else {
            cached
        };
        let id = match dir {
            Some(dir) => self.tree.intern_child(dir, paths::split_parent(&path).1),
            None => self.tree.intern(&path),
        };
        self.last_dir = Some(self.tree.parent(id));
        if matches!(path, Cow::Borrowed(_)) && !parent.is_empty() && cached.is_none() {
            // `path` is `entry.path`, so its parent is `parent`.
            self.dir_ids.insert(parent, self.tree.parent(id));
        }
        let duplicate = track.has(id, PLACED);
        if duplicate {
            self.warn(
                layer,
                entry,
                "duplicate-entry",
                format!(
                    "{} appears more than once in the layer; the last entry wins",
                    quoted(&entry.path)
                ),
            );
        }
        let new_kind = match link_inode {
            Some(inode) => self
                .tree
                .inodes
                .get(inode)
                .map_or(EntryKind::File, |i| i.kind),
            None => entry.kind,
        };
        match self.tree.kind_of(id) {
            Some(EntryKind::Dir) if new_kind == EntryKind::Dir => {
                // Attributes only: keep the children.
                track.touch(&self.tree, id);
                if let Some(old) = self.tree.unlink_id(id) {
                    if let Some(i) = self.tree.inodes.get_mut(old.inode) {
                        i.names = i.names.saturating_sub(1);
                        if i.names == 0 {
                            i.hidden = Some((layer, RemovalCause::Overwritten));
                        }
                    }
                }
            }
            Some(old_kind) => {
                let cause = if duplicate {
                    RemovalCause::Duplicate
                } else if old_kind != new_kind {
                    RemovalCause::ReplacedByType { kind: new_kind }
                } else {
                    RemovalCause::Overwritten
                };
                self.remove(layer, id, cause, track);
            }
            None => track.touch(&self.tree, id),
        }
        let inode = match link_inode {
            Some(inode) => inode,
            None => self.tree.new_inode(entry.kind, layer, index),
        };
        self.tree.link_id(id, inode, layer, index);
        track.set(id, PLACED);
    }
}

fn meta_of<'a>(tree: &Tree, layers: &Layers<'a>, node: Node) -> Meta<'a> {
    match tree.inodes.get(node.inode) {
        Some(inode) => Meta::of(
            inode.kind,
            layers.get(inode.layer).and_then(|l| l.get(inode.entry)),
        ),
        None => Meta::of(EntryKind::Dir, None),
    }
}

fn previous_layer(node: Node) -> Option<usize> {
    (node.entry != IMPLIED && node.layer != IMPLIED).then_some(node.layer)
}

/// Every applied layer's changeset (sorted by path) and, per layer, each
/// change's path id; `tree` is the final tree, `order` its ids in path
/// order.
pub(crate) fn build_changes(
    tree: &Tree,
    layers: &Layers<'_>,
    pending: &[Pending],
    order: &[PathId],
) -> (Vec<LayerChanges>, Vec<Vec<PathId>>) {
    // Sorting by a rank computed once is far cheaper than sorting paths.
    let mut rank = vec![0usize; tree.slot_count()];
    for (i, id) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(*id) {
            *r = i;
        }
    }
    pending
        .iter()
        .map(|p| {
            let mut touched = p.touched.clone();
            touched.sort_unstable_by_key(|t| rank.get(t.0).copied().unwrap_or(usize::MAX));
            finish_layer(tree, layers, p, touched, &|_, _| true)
        })
        .unzip()
}

/// The changes a view of the single path `id` needs (its own, and the
/// deletions of its ancestors), per applied layer, without building any
/// other change's path. Each layer's changes are in no particular order
/// across ids (a path's own changes keep their order).
pub(crate) fn changes_along(
    tree: &Tree,
    layers: &Layers<'_>,
    pending: &[Pending],
    id: PathId,
) -> (Vec<LayerChanges>, Vec<Vec<PathId>>) {
    let mut chain = vec![false; tree.slot_count()];
    let mut cur = id;
    loop {
        if let Some(on) = chain.get_mut(cur) {
            *on = true;
        }
        if cur == ROOT {
            break;
        }
        // Parents are interned before their children: this ends.
        cur = tree.parent(cur);
    }
    let on_chain =
        |t: &&(PathId, Option<Node>, Option<Node>)| chain.get(t.0).copied().unwrap_or(false);
    let keep = |at: PathId, change: &Change| at == id || change.removed_subtree();
    pending
        .iter()
        .map(|p| {
            let touched = p.touched.iter().filter(on_chain).copied().collect();
            finish_layer(tree, layers, p, touched, &keep)
        })
        .unzip()
}

/// The layer's changes for `touched` (in that order), and each change's
/// path id; only the changes `keep` accepts are kept (and have their path
/// built).
fn finish_layer(
    tree: &Tree,
    layers: &Layers<'_>,
    pending: &Pending,
    touched: Vec<(PathId, Option<Node>, Option<Node>)>,
    keep: &dyn Fn(PathId, &Change) -> bool,
) -> (LayerChanges, Vec<PathId>) {
    let (layer, shipped_bytes, removed) = (pending.layer, pending.shipped_bytes, &pending.removed);
    let mut out = LayerChanges {
        layer,
        shipped_bytes,
        ..LayerChanges::default()
    };
    let mut ids = Vec::with_capacity(touched.len());
    let mut cursor = PathCursor::default();
    for (id, before, after) in touched {
        let before_len = out.changes.len();
        let removal = removed.get(&id);
        let deleted = |b: Node, meta: &Meta<'_>, cause: Option<RemovalCause>| {
            let (cause, bytes, names) = match removal {
                Some((c, bytes, names)) => (cause.unwrap_or_else(|| c.clone()), *bytes, *names),
                None => (cause.unwrap_or(RemovalCause::Whiteout), meta.size, 1),
            };
            Change {
                // Filled in below, for the changes kept.
                path: String::new(),
                action: ChangeAction::Deleted,
                kind: meta.kind,
                previous_kind: Some(meta.kind),
                size: 0,
                previous_size: Some(meta.size),
                byte_delta: -signed(bytes),
                aspects: Vec::new(),
                cause: Some(cause),
                previous_layer: previous_layer(b),
                removed_entries: names,
            }
        };
        let added = |meta: &Meta<'_>| Change {
            path: String::new(),
            action: ChangeAction::Added,
            kind: meta.kind,
            previous_kind: None,
            size: meta.size,
            previous_size: None,
            byte_delta: signed(meta.size),
            aspects: Vec::new(),
            cause: None,
            previous_layer: None,
            removed_entries: 0,
        };
        match (before, after) {
            (None, None) => {}
            (None, Some(a)) => out.changes.push(added(&meta_of(tree, layers, a))),
            (Some(b), None) => out
                .changes
                .push(deleted(b, &meta_of(tree, layers, b), None)),
            (Some(b), Some(a)) if a == b => {}
            (Some(b), Some(a)) => {
                let (mb, ma) = (meta_of(tree, layers, b), meta_of(tree, layers, a));
                if mb.kind != ma.kind {
                    // One modification: the old object (and its subtree)
                    // went, an object of another type took the path.
                    let gone =
                        deleted(b, &mb, Some(RemovalCause::ReplacedByType { kind: ma.kind }));
                    let cause = match removal {
                        Some((c, _, _)) => c.clone(),
                        None => RemovalCause::ReplacedByType { kind: ma.kind },
                    };
                    out.changes.push(Change {
                        action: ChangeAction::Modified,
                        kind: ma.kind,
                        size: ma.size,
                        byte_delta: signed(ma.size).saturating_add(gone.byte_delta),
                        aspects: vec![Aspect::Type],
                        cause: Some(cause),
                        ..gone
                    });
                } else if let (EntryKind::Dir, Some((cause, _, _))) = (mb.kind, removal) {
                    // A directory removed with its subtree (a whiteout, or
                    // another type placed for a moment) and made again in
                    // the same layer: the children went with it.
                    let gone = deleted(b, &mb, None);
                    out.changes.push(Change {
                        action: ChangeAction::Modified,
                        kind: ma.kind,
                        size: ma.size,
                        byte_delta: signed(ma.size).saturating_add(gone.byte_delta),
                        aspects: ma.aspects(&mb),
                        cause: Some(cause.clone()),
                        ..gone
                    });
                } else {
                    let mut aspects = ma.aspects(&mb);
                    if a.inode != b.inode && aspects.is_empty() && mb.kind != EntryKind::Dir {
                        aspects.push(Aspect::Inode);
                    }
                    out.changes.push(Change {
                        path: String::new(),
                        action: ChangeAction::Modified,
                        kind: ma.kind,
                        previous_kind: Some(mb.kind),
                        size: ma.size,
                        previous_size: Some(mb.size),
                        byte_delta: signed(ma.size) - signed(mb.size),
                        aspects,
                        cause: None,
                        previous_layer: previous_layer(b),
                        removed_entries: 0,
                    });
                }
            }
        }
        let made = out.changes.split_off(before_len);
        for mut change in made {
            if keep(id, &change) {
                change.path = cursor.path(tree, id).to_owned();
                out.changes.push(change);
            }
        }
        ids.resize(out.changes.len(), id);
    }
    out.tally();
    (out, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: String, kind: EntryKind, target: Option<String>) -> Entry {
        Entry {
            path,
            kind,
            size: 1,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: None,
            gname: None,
            mtime: 0,
            link_target: target,
            device: None,
            xattrs: vec![],
            whiteout: None,
            header_offset: 0,
            data_offset: 0,
            content_hash: None,
        }
    }

    /// Hostile input: names 10,000 directories deep (every parent implied).
    /// Each implied directory stores only its own name, so the tree holds
    /// about as many name bytes as the input and the merge is fast, where
    /// storing each directory's full path took quadratic time and memory.
    #[test]
    fn deep_paths_merge_in_linear_time_and_memory() {
        let deep = "d/".repeat(10_000);
        let lower = vec![
            entry(format!("{deep}f"), EntryKind::File, None),
            entry(format!("{deep}g"), EntryKind::File, None),
        ];
        let mut upper = vec![
            entry(
                "y".into(),
                EntryKind::Symlink,
                Some(format!("{}{deep}", "../".repeat(10_000))),
            ),
            entry(format!("y/{deep}h"), EntryKind::File, None),
            entry(
                format!("{deep}k"),
                EntryKind::Hardlink,
                Some(format!("{deep}f")),
            ),
        ];
        let mut whiteout = entry(format!("{deep}.wh.g"), EntryKind::File, None);
        whiteout.whiteout = Some(Whiteout::Remove {
            target: format!("{deep}g"),
        });
        upper.push(whiteout);
        let input: usize = lower.iter().chain(&upper).map(|e| e.path.len()).sum();
        let layers: Vec<&[Entry]> = vec![&lower, &upper];
        let started = std::time::Instant::now();
        let mut engine = Engine::new(&layers);
        engine.apply(0);
        engine.apply(1);
        let elapsed = started.elapsed();
        // `y/d/…/d/h` resolves through the symlink to `d/…/d/d/…/d/h`
        // (20,000 deep): 10,000 more one-byte names.
        let stored = engine.tree.stored_name_bytes();
        assert!(
            stored <= input,
            "the tree stores {stored} name bytes for {input} bytes of names"
        );
        assert!(engine.tree.slot_count() < 20_010);
        assert!(
            elapsed < std::time::Duration::from_millis(500),
            "merging 10,000-deep names took {elapsed:?}"
        );
        let id = engine.tree.lookup(&format!("{deep}{deep}h"));
        assert!(id.is_some_and(|id| engine.tree.node(id).is_some()));
        assert!(engine.tree.get(&format!("{deep}g")).is_none());
        let f = engine.tree.get(&format!("{deep}f")).map(|n| n.inode);
        assert_eq!(f, engine.tree.get(&format!("{deep}k")).map(|n| n.inode));
        assert!(engine.warnings.iter().any(|w| w.code == "through-symlink"));
    }
}
