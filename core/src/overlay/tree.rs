//! The mutable filesystem state the merge builds: names (paths) pointing at
//! inodes, so hard links share one file until a later layer replaces a name.
//!
//! Paths are the normalized relative paths of [`Entry::path`]; the root is
//! `""` and always exists as a directory. Invariant: every node's parent
//! exists and is a directory, so no name lives "under" a file or symlink.
//!
//! Every path ever named is interned once as a [`PathId`] (a slot holding
//! the path, its parent's id, its current node if any, and its children's
//! ids): lookups are one hash of the path, subtree removal walks child
//! lists, and nothing is kept sorted until a view asks for path order.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{Entry, EntryKind};

/// Marker for "no source entry" (implied directories).
pub(crate) const IMPLIED: usize = usize::MAX;

/// Maximum symlink expansions while resolving one parent path (as
/// filepath-securejoin / the kernel's ELOOP limit).
pub(crate) const MAX_SYMLINKS: usize = 255;

/// The layers' entries, indexed by layer then entry.
pub(crate) type Layers<'a> = [&'a [Entry]];

/// An interned path: index into the tree's slots (the root is 0).
pub(crate) type PathId = usize;

/// The root's id.
pub(crate) const ROOT: PathId = 0;

/// One name in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Node {
    /// Index into [`Tree::inodes`].
    pub inode: usize,
    /// Layer that placed this name ([`IMPLIED`] layer for the initial root).
    pub layer: usize,
    /// Entry (in that layer) that placed this name; [`IMPLIED`] when the
    /// name was created as an implied parent directory.
    pub entry: usize,
}

/// A file object; several names share it after hard links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inode {
    /// What it is (never `Hardlink`).
    pub kind: EntryKind,
    /// Layer of the entry that supplies metadata and data.
    pub layer: usize,
    /// That entry's index, or [`IMPLIED`] for implied directories.
    pub entry: usize,
    /// Names currently pointing at it.
    pub names: u32,
    /// Why it lost its last name, when it did: (layer, cause).
    pub hidden: Option<(usize, super::changes::RemovalCause)>,
}

/// Why resolving a parent path failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// More than [`MAX_SYMLINKS`] symlinks on the way.
    Loop,
}

/// One interned path.
#[derive(Debug, Clone)]
struct Slot {
    /// The normalized path (shared with the index's key).
    path: Arc<str>,
    /// The parent's id (the root is its own parent).
    parent: PathId,
    /// What the name points at now, if it exists.
    node: Option<Node>,
    /// Ids of the interned paths directly below (existing or not).
    children: Vec<PathId>,
}

/// The filesystem state.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// Every path ever named, by id.
    slots: Vec<Slot>,
    /// Path to id.
    index: HashMap<Arc<str>, PathId>,
    /// Number of slots holding a node.
    live: usize,
    /// Every inode ever created (removed ones keep `names == 0`).
    pub inodes: Vec<Inode>,
}

impl Tree {
    /// A tree holding only the (implied) root directory.
    pub fn new() -> Tree {
        let root: Arc<str> = Arc::from("");
        let mut index = HashMap::new();
        index.insert(Arc::clone(&root), ROOT);
        let mut tree = Tree {
            slots: vec![Slot {
                path: root,
                parent: ROOT,
                node: None,
                children: Vec::new(),
            }],
            index,
            live: 0,
            inodes: Vec::new(),
        };
        let inode = tree.new_inode(EntryKind::Dir, IMPLIED, IMPLIED);
        tree.link_id(ROOT, inode, IMPLIED, IMPLIED);
        tree
    }

    /// Makes room for `paths` more names without rehashing.
    pub fn reserve(&mut self, paths: usize) {
        self.index.reserve(paths);
        self.slots.reserve(paths);
        self.inodes.reserve(paths);
    }

    /// Creates an inode with no names yet.
    pub fn new_inode(&mut self, kind: EntryKind, layer: usize, entry: usize) -> usize {
        self.inodes.push(Inode {
            kind,
            layer,
            entry,
            names: 0,
            hidden: None,
        });
        self.inodes.len() - 1
    }

    /// The id of `path`, if it was ever interned.
    pub fn lookup(&self, path: &str) -> Option<PathId> {
        self.index.get(path).copied()
    }

    /// The id of `path`, interning it (and its missing ancestors) first.
    pub fn intern(&mut self, path: &str) -> PathId {
        if let Some(id) = self.lookup(path) {
            return id;
        }
        let parent = parent_of(path);
        if let Some(parent_id) = self.lookup(parent) {
            return self.create(parent_id, path);
        }
        // Walk up to the nearest interned ancestor, then create downwards.
        let mut missing = vec![path, parent];
        let mut parent_id = loop {
            let above = parent_of(missing.last().copied().unwrap_or(""));
            match self.lookup(above) {
                Some(id) => break id,
                None => missing.push(above),
            }
        };
        while let Some(p) = missing.pop() {
            parent_id = self.create(parent_id, p);
        }
        parent_id
    }

    /// The id of `path`, a name directly below `parent` (an interned id),
    /// interning it first.
    pub fn intern_child(&mut self, parent: PathId, path: &str) -> PathId {
        match self.lookup(path) {
            Some(id) => id,
            None => self.create(parent, path),
        }
    }

    /// Interns `path` (not yet interned) below `parent`.
    fn create(&mut self, parent: PathId, path: &str) -> PathId {
        let id = self.slots.len();
        let key: Arc<str> = Arc::from(path);
        self.index.insert(Arc::clone(&key), id);
        self.slots.push(Slot {
            path: key,
            parent,
            node: None,
            children: Vec::new(),
        });
        if let Some(s) = self.slots.get_mut(parent) {
            s.children.push(id);
        }
        id
    }

    /// The path of an id ("" for an unknown id).
    pub fn path(&self, id: PathId) -> &str {
        self.slots.get(id).map_or("", |s| &s.path)
    }

    /// The parent of an id (the root is its own parent).
    pub fn parent(&self, id: PathId) -> PathId {
        self.slots.get(id).map_or(ROOT, |s| s.parent)
    }

    /// Number of slots (ids are below this).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The node at an id.
    pub fn node(&self, id: PathId) -> Option<Node> {
        self.slots.get(id).and_then(|s| s.node)
    }

    /// Points the name `id` at `inode`, replacing whatever it pointed at
    /// (callers free the name first).
    pub fn link_id(&mut self, id: PathId, inode: usize, layer: usize, entry: usize) {
        if let Some(i) = self.inodes.get_mut(inode) {
            i.names = i.names.saturating_add(1);
            i.hidden = None;
        }
        if let Some(slot) = self.slots.get_mut(id) {
            if slot.node.is_none() {
                self.live += 1;
            }
            slot.node = Some(Node {
                inode,
                layer,
                entry,
            });
        }
    }

    /// Points `path` at `inode` (the path must be free).
    #[cfg(test)]
    pub fn link(&mut self, path: &str, inode: usize, layer: usize, entry: usize) {
        let id = self.intern(path);
        self.link_id(id, inode, layer, entry);
    }

    /// Takes the node off a name (children are left alone).
    pub fn unlink_id(&mut self, id: PathId) -> Option<Node> {
        let node = self.slots.get_mut(id).and_then(|s| s.node.take());
        if node.is_some() {
            self.live -= 1;
        }
        node
    }

    /// The node at `path`.
    pub fn get(&self, path: &str) -> Option<Node> {
        self.lookup(path).and_then(|id| self.node(id))
    }

    /// The inode of a node.
    pub fn inode(&self, node: Node) -> Option<&Inode> {
        self.inodes.get(node.inode)
    }

    /// The kind of the object at an id.
    pub fn kind_of(&self, id: PathId) -> Option<EntryKind> {
        self.node(id).and_then(|n| self.inode(n)).map(|i| i.kind)
    }

    /// The kind of the object at `path`.
    pub fn kind_at(&self, path: &str) -> Option<EntryKind> {
        self.get(path).and_then(|n| self.inode(n)).map(|i| i.kind)
    }

    /// The entry that supplies an inode's metadata.
    pub fn source<'a>(&self, layers: &Layers<'a>, inode: usize) -> Option<&'a Entry> {
        let i = self.inodes.get(inode)?;
        layers.get(i.layer).and_then(|l| l.get(i.entry))
    }

    /// Removes the name `id` and everything under it; returns the removed
    /// nodes (top first). Inodes that lose their last name record `cause`.
    pub fn remove_subtree(
        &mut self,
        id: PathId,
        layer: usize,
        cause: &super::changes::RemovalCause,
    ) -> Vec<Node> {
        let mut removed = Vec::new();
        let mut is_dir = id == ROOT;
        if let Some(node) = self.unlink_id(id) {
            is_dir |= self
                .inodes
                .get(node.inode)
                .is_some_and(|i| i.kind == EntryKind::Dir);
            removed.push(node);
        }
        // Only directories have names below them (tree invariant).
        if is_dir {
            let mut stack = self.live_children(id);
            while let Some(child) = stack.pop() {
                if let Some(node) = self.unlink_id(child) {
                    removed.push(node);
                    stack.extend(self.live_children(child));
                }
            }
        }
        for node in &removed {
            if let Some(i) = self.inodes.get_mut(node.inode) {
                i.names = i.names.saturating_sub(1);
                if i.names == 0 {
                    i.hidden = Some((layer, cause.clone()));
                }
            }
        }
        removed
    }

    /// Ids of the existing names directly below `id` (unordered).
    pub fn live_children(&self, id: PathId) -> Vec<PathId> {
        self.slots.get(id).map_or_else(Vec::new, |s| {
            s.children
                .iter()
                .copied()
                .filter(|c| self.node(*c).is_some())
                .collect()
        })
    }

    /// Every interned id in path (byte) order, without comparing whole
    /// paths: each directory's children are sorted by name, where a child
    /// sorts as `name` and its subtree as `name/` (so `a`, `a-b`, `a/c`
    /// come out as byte order has them). Paths are normalized, so names
    /// are non-empty and hold no `/`.
    pub fn order(&self) -> Vec<PathId> {
        let mut out = Vec::with_capacity(self.slots.len());
        out.push(ROOT);
        // (id, expand): emit the id, or lay out its children.
        let mut work: Vec<(PathId, bool)> = vec![(ROOT, true)];
        let mut keys: Vec<(&str, bool, PathId)> = Vec::new();
        while let Some((id, expand)) = work.pop() {
            if !expand {
                out.push(id);
                continue;
            }
            let Some(slot) = self.slots.get(id) else {
                continue;
            };
            keys.clear();
            for &child in &slot.children {
                let Some(c) = self.slots.get(child) else {
                    continue;
                };
                let name = crate::paths::split_parent(&c.path).1;
                keys.push((name, false, child));
                if !c.children.is_empty() {
                    keys.push((name, true, child));
                }
            }
            keys.sort_unstable_by(|x, y| sort_key_cmp(x.0, x.1, y.0, y.1).then(x.2.cmp(&y.2)));
            work.extend(keys.iter().rev().map(|k| (k.2, k.1)));
        }
        out
    }

    /// Every existing name with its node, sorted by path (parents before
    /// their children).
    #[cfg(test)]
    pub fn sorted(&self) -> Vec<(PathId, Node)> {
        self.live_in(&self.order())
    }

    /// The existing names among `order`, with their nodes, in that order.
    pub fn live_in(&self, order: &[PathId]) -> Vec<(PathId, Node)> {
        let mut out = Vec::with_capacity(self.live);
        out.extend(
            order
                .iter()
                .filter_map(|&id| self.node(id).map(|n| (id, n))),
        );
        out
    }

    /// Names directly below `dir`, sorted.
    #[cfg(test)]
    pub fn children(&self, dir: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .lookup(dir)
            .map(|id| self.live_children(id))
            .unwrap_or_default()
            .into_iter()
            .map(|c| self.path(c).to_owned())
            .collect();
        out.sort();
        out
    }

    /// Resolves a directory path the way a runtime does when it opens an
    /// entry's parent inside the root (filepath-securejoin semantics, as
    /// `umoci unpack`, containerd and moby do): symlinks among the
    /// components are followed *inside the root* (absolute targets restart
    /// at the root, `..` stops at the root); missing components and
    /// non-directories are kept lexically. The result is a normalized path
    /// whose existing components are all non-symlinks.
    pub fn resolve_dir<'d>(
        &self,
        layers: &Layers<'_>,
        dir: &'d str,
    ) -> Result<Cow<'d, str>, ResolveError> {
        // Fast path: an existing directory has only directories above it.
        if self.kind_at(dir) == Some(EntryKind::Dir) {
            return Ok(Cow::Borrowed(dir));
        }
        let mut pending: Vec<String> = dir
            .rsplit('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let mut resolved = String::new();
        let mut starts: Vec<usize> = Vec::new();
        let mut expansions = 0usize;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "" | "." => continue,
                ".." => {
                    if let Some(start) = starts.pop() {
                        resolved.truncate(start.saturating_sub(usize::from(start > 0)));
                    }
                    continue;
                }
                _ => {}
            }
            let start = if resolved.is_empty() {
                0
            } else {
                resolved.len() + 1
            };
            let candidate_len = resolved.len();
            if !resolved.is_empty() {
                resolved.push('/');
            }
            resolved.push_str(&component);
            let node = self.get(&resolved);
            let symlink_target = node
                .filter(|n| self.inode(*n).map(|i| i.kind) == Some(EntryKind::Symlink))
                .and_then(|n| self.source(layers, n.inode))
                .and_then(|e| e.link_target.clone());
            match symlink_target {
                Some(target) => {
                    expansions += 1;
                    if expansions > MAX_SYMLINKS {
                        return Err(ResolveError::Loop);
                    }
                    resolved.truncate(candidate_len);
                    if target.starts_with('/') {
                        resolved.clear();
                        starts.clear();
                    }
                    pending.extend(
                        target
                            .rsplit('/')
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned),
                    );
                }
                None => starts.push(start),
            }
        }
        Ok(Cow::Owned(resolved))
    }
}

/// Compares `x` (followed by `/` when `x_sub`) with `y` (likewise) as
/// byte strings; names hold no `/`.
fn sort_key_cmp(x: &str, x_sub: bool, y: &str, y_sub: bool) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (x, y) = (x.as_bytes(), y.as_bytes());
    let n = x.len().min(y.len());
    let head = x.get(..n).cmp(&y.get(..n));
    if head != Ordering::Equal {
        return head;
    }
    // One name is a prefix of the other: the next byte decides.
    let next = |s: &[u8], sub: bool| s.get(n).copied().or(sub.then_some(b'/'));
    next(x, x_sub).cmp(&next(y, y_sub))
}

/// The parent directory of a normalized path.
pub(crate) fn parent_of(path: &str) -> &str {
    crate::paths::split_parent(path).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: EntryKind, target: Option<&str>) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            uname: None,
            gname: None,
            mtime: 0,
            link_target: target.map(str::to_owned),
            device: None,
            xattrs: vec![],
            whiteout: None,
            header_offset: 0,
            data_offset: 0,
            content_hash: None,
        }
    }

    #[test]
    fn resolves_symlinks_inside_root() {
        let entries = vec![
            entry("etc", EntryKind::Dir, None),
            entry("a", EntryKind::Symlink, Some("/etc")),
            entry("b", EntryKind::Symlink, Some("../../../etc/x")),
            entry("loop", EntryKind::Symlink, Some("loop")),
        ];
        let layers: Vec<&[Entry]> = vec![&entries];
        let mut tree = Tree::new();
        for (i, e) in entries.iter().enumerate() {
            let ino = tree.new_inode(e.kind, 0, i);
            tree.link(&e.path, ino, 0, i);
        }
        assert_eq!(tree.resolve_dir(&layers, "a").unwrap(), "etc");
        assert_eq!(tree.resolve_dir(&layers, "a/sub").unwrap(), "etc/sub");
        assert_eq!(tree.resolve_dir(&layers, "b/y").unwrap(), "etc/x/y");
        assert_eq!(tree.resolve_dir(&layers, "loop/z"), Err(ResolveError::Loop));
        assert_eq!(tree.resolve_dir(&layers, "nope/x").unwrap(), "nope/x");
        assert_eq!(tree.children(""), vec!["a", "b", "etc", "loop"]);
    }

    #[test]
    fn order_is_byte_order() {
        let names = [
            "a", "a-b", "a/c", "a/c/d", "a.b", "a.b/x", "a0", "b", " x", "a/ c", "a/c-d",
            "a/c/d-e", "a/c/d/f", "ab", "ab/c", "é", "a\u{7f}", "a~",
        ];
        let mut tree = Tree::new();
        for (i, p) in names.iter().enumerate() {
            let ino = tree.new_inode(EntryKind::Dir, 0, i);
            tree.link(p, ino, 0, i);
        }
        let got: Vec<&str> = tree.sorted().iter().map(|(id, _)| tree.path(*id)).collect();
        let mut want: Vec<&str> = names.to_vec();
        want.push("");
        want.sort_unstable();
        assert_eq!(got, want);
    }
}
