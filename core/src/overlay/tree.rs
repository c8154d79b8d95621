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

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
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

/// One interned name: a path component below its parent's slot.
#[derive(Debug, Clone)]
struct Slot {
    /// The last component of the path ("" for the root); shared with the
    /// child index's key.
    name: Arc<str>,
    /// The parent's id (the root is its own parent).
    parent: PathId,
    /// Number of components (the root has 0).
    depth: usize,
    /// Length of the full path in bytes (the root has 0).
    path_len: u64,
    /// What the name points at now, if it exists.
    node: Option<Node>,
    /// Ids of the interned paths directly below (existing or not).
    children: Vec<PathId>,
}

/// Key of the child index: a name below a parent id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChildKey {
    parent: PathId,
    name: Arc<str>,
}

/// A borrowed view of a [`ChildKey`], so lookups need no allocation.
trait AsChildKey {
    fn key(&self) -> (PathId, &str);
}

impl AsChildKey for ChildKey {
    fn key(&self) -> (PathId, &str) {
        (self.parent, &self.name)
    }
}

impl AsChildKey for (PathId, &str) {
    fn key(&self) -> (PathId, &str) {
        (self.0, self.1)
    }
}

impl<'a> Borrow<dyn AsChildKey + 'a> for ChildKey {
    fn borrow(&self) -> &(dyn AsChildKey + 'a) {
        self
    }
}

/// The parent's fixed-width id, then the name's bytes (the rest of the
/// key, so no terminator is needed).
fn hash_key<H: Hasher>((parent, name): (PathId, &str), state: &mut H) {
    state.write_usize(parent);
    state.write(name.as_bytes());
}

impl Hash for ChildKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_key(self.key(), state);
    }
}

impl Hash for dyn AsChildKey + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_key(self.key(), state);
    }
}

impl PartialEq for dyn AsChildKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for dyn AsChildKey + '_ {}

/// The filesystem state.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// Every path ever named, by id.
    slots: Vec<Slot>,
    /// (parent id, name) to id.
    index: HashMap<ChildKey, PathId>,
    /// Sum of the full-path lengths of every interned name: the bytes a
    /// listing of every path would hold (quadratic in depth for deep
    /// trees, which is why views check it against a limit first).
    path_bytes: u64,
    /// Number of slots holding a node.
    live: usize,
    /// Every inode ever created (removed ones keep `names == 0`).
    pub inodes: Vec<Inode>,
}

impl Tree {
    /// A tree holding only the (implied) root directory.
    pub fn new() -> Tree {
        let mut tree = Tree {
            slots: vec![Slot {
                name: Arc::from(""),
                parent: ROOT,
                depth: 0,
                path_len: 0,
                node: None,
                children: Vec::new(),
            }],
            index: HashMap::new(),
            path_bytes: 0,
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

    /// The id of the name `name` directly below `parent`, if interned.
    pub fn child(&self, parent: PathId, name: &str) -> Option<PathId> {
        self.index.get(&(parent, name) as &dyn AsChildKey).copied()
    }

    /// The id of `path`, if it was ever interned: one lookup per component.
    pub fn lookup(&self, path: &str) -> Option<PathId> {
        if path.is_empty() {
            return Some(ROOT);
        }
        path.split('/')
            .try_fold(ROOT, |id, name| self.child(id, name))
    }

    /// The id of `path`, interning it (and its missing ancestors) first.
    pub fn intern(&mut self, path: &str) -> PathId {
        if path.is_empty() {
            return ROOT;
        }
        path.split('/')
            .fold(ROOT, |id, name| self.intern_child(id, name))
    }

    /// The id of `name` directly below `parent` (an interned id),
    /// interning it first.
    pub fn intern_child(&mut self, parent: PathId, name: &str) -> PathId {
        match self.child(parent, name) {
            Some(id) => id,
            None => self.create(parent, name),
        }
    }

    /// Interns `name` (not yet interned) below `parent`.
    fn create(&mut self, parent: PathId, name: &str) -> PathId {
        let id = self.slots.len();
        let name: Arc<str> = Arc::from(name);
        self.index.insert(
            ChildKey {
                parent,
                name: Arc::clone(&name),
            },
            id,
        );
        let depth = self.slots.get(parent).map_or(0, |s| s.depth) + 1;
        let parent_len = self.slots.get(parent).map_or(0, |s| s.path_len);
        let separator = u64::from(parent != ROOT);
        let path_len = parent_len
            .saturating_add(separator)
            .saturating_add(name.len() as u64);
        self.path_bytes = self.path_bytes.saturating_add(path_len);
        self.slots.push(Slot {
            name,
            parent,
            depth,
            path_len,
            node: None,
            children: Vec::new(),
        });
        if let Some(s) = self.slots.get_mut(parent) {
            s.children.push(id);
        }
        id
    }

    /// Sum of the full-path lengths of every name ever interned.
    pub fn path_bytes(&self) -> u64 {
        self.path_bytes
    }

    /// The last component of an id's path ("" for the root or an unknown id).
    pub fn name(&self, id: PathId) -> &str {
        self.slots.get(id).map_or("", |s| &s.name)
    }

    /// The full path of an id, built from its components ("" for the root
    /// or an unknown id). Linear in the path's length; see [`PathCursor`]
    /// for many ids in path order.
    pub fn path(&self, id: PathId) -> String {
        let mut ids = Vec::new();
        let mut len = 0usize;
        let mut cur = id;
        while let Some(slot) = self.slots.get(cur).filter(|_| cur != ROOT) {
            ids.push(cur);
            len += slot.name.len() + 1;
            cur = slot.parent;
        }
        let mut out = String::with_capacity(len);
        for &id in ids.iter().rev() {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(self.name(id));
        }
        out
    }

    /// Whether the path of `id` is exactly `path`, compared component by
    /// component from the end (no allocation).
    pub fn path_is(&self, id: PathId, path: &str) -> bool {
        let (mut id, mut rest) = (id, path);
        loop {
            if id == ROOT {
                return rest.is_empty();
            }
            let Some(slot) = self.slots.get(id) else {
                return false;
            };
            if slot.parent == ROOT {
                return rest == &*slot.name;
            }
            let Some(head) = rest
                .strip_suffix(&*slot.name)
                .and_then(|h| h.strip_suffix('/'))
            else {
                return false;
            };
            (id, rest) = (slot.parent, head);
        }
    }

    /// The parent of an id (the root is its own parent).
    pub fn parent(&self, id: PathId) -> PathId {
        self.slots.get(id).map_or(ROOT, |s| s.parent)
    }

    /// Number of slots (ids are below this).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of name text the tree stores (each component once): linear in
    /// the total length of the names it was given, whatever their depth.
    #[cfg(test)]
    pub fn stored_name_bytes(&self) -> usize {
        self.slots.iter().map(|s| s.name.len()).sum()
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

    /// Ids of every interned name directly below `id`, existing or not
    /// (in interning order).
    pub fn interned_children(&self, id: PathId) -> &[PathId] {
        self.slots.get(id).map_or(&[], |s| s.children.as_slice())
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
                let name: &str = &c.name;
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
        // Per resolved component: where it starts in `resolved` and its id
        // (None once a component does not exist), so each step is one
        // child lookup rather than a walk from the root.
        let mut starts: Vec<(usize, Option<PathId>)> = Vec::new();
        let mut expansions = 0usize;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "" | "." => continue,
                ".." => {
                    if let Some((start, _)) = starts.pop() {
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
            let here = starts.last().map_or(Some(ROOT), |s| s.1);
            let id = here.and_then(|h| self.child(h, &component));
            let node = id.and_then(|id| self.node(id));
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
                None => starts.push((start, id)),
            }
        }
        Ok(Cow::Owned(resolved))
    }
}

/// Builds the full paths of many ids, reusing the work shared with the
/// previous one: after a path is built, the next id's path only costs the
/// components below their common ancestor (plus the copy of the shared
/// prefix when the caller keeps it). Ids in path order therefore cost the
/// new components each, not their whole depth.
#[derive(Debug, Default)]
pub(crate) struct PathCursor {
    /// The last path built.
    buf: String,
    /// Its components, root-most first: (id, length of `buf` up to and
    /// including that component).
    stack: Vec<(PathId, usize)>,
    /// Scratch list of ids to append.
    todo: Vec<PathId>,
}

impl PathCursor {
    /// The full path of `id` in `tree` ("" for the root or an unknown id).
    pub fn path(&mut self, tree: &Tree, id: PathId) -> &str {
        // Climb until an id already on the stack (or the root).
        self.todo.clear();
        let mut cur = id;
        let keep = loop {
            let Some(slot) = tree.slots.get(cur) else {
                self.todo.clear();
                break 0;
            };
            if cur == ROOT {
                break 0;
            }
            if self
                .stack
                .get(slot.depth - 1)
                .is_some_and(|&(on, _)| on == cur)
            {
                break slot.depth;
            }
            self.todo.push(cur);
            cur = slot.parent;
        };
        self.stack.truncate(keep);
        self.buf
            .truncate(self.stack.last().map_or(0, |&(_, len)| len));
        while let Some(next) = self.todo.pop() {
            if !self.buf.is_empty() {
                self.buf.push('/');
            }
            self.buf.push_str(tree.name(next));
            self.stack.push((next, self.buf.len()));
        }
        &self.buf
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
        let got: Vec<String> = tree.sorted().iter().map(|(id, _)| tree.path(*id)).collect();
        let mut want: Vec<&str> = names.to_vec();
        want.push("");
        want.sort_unstable();
        assert_eq!(got, want);
    }
}
