//! The mutable filesystem state the merge builds: names (paths) pointing at
//! inodes, so hard links share one file until a later layer replaces a name.
//!
//! Paths are the normalized relative paths of [`Entry::path`]; the root is
//! `""` and always exists as a directory. Invariant: every node's parent
//! exists and is a directory, so no name lives "under" a file or symlink.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::model::{Entry, EntryKind};

/// Marker for "no source entry" (implied directories).
pub(crate) const IMPLIED: usize = usize::MAX;

/// Maximum symlink expansions while resolving one parent path (as
/// filepath-securejoin / the kernel's ELOOP limit).
pub(crate) const MAX_SYMLINKS: usize = 255;

/// The layers' entries, indexed by layer then entry.
pub(crate) type Layers<'a> = [&'a [Entry]];

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

/// The filesystem state.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    /// Every name, sorted (parents sort before their children).
    pub nodes: BTreeMap<String, Node>,
    /// Every inode ever created (removed ones keep `names == 0`).
    pub inodes: Vec<Inode>,
}

impl Tree {
    /// A tree holding only the (implied) root directory.
    pub fn new() -> Tree {
        let mut tree = Tree {
            nodes: BTreeMap::new(),
            inodes: Vec::new(),
        };
        let inode = tree.new_inode(EntryKind::Dir, IMPLIED, IMPLIED);
        tree.link(String::new(), inode, IMPLIED, IMPLIED);
        tree
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

    /// Points `path` at `inode` (the path must be free).
    pub fn link(&mut self, path: String, inode: usize, layer: usize, entry: usize) {
        if let Some(i) = self.inodes.get_mut(inode) {
            i.names = i.names.saturating_add(1);
            i.hidden = None;
        }
        self.nodes.insert(
            path,
            Node {
                inode,
                layer,
                entry,
            },
        );
    }

    /// The node at `path`.
    pub fn get(&self, path: &str) -> Option<Node> {
        self.nodes.get(path).copied()
    }

    /// The inode of a node.
    pub fn inode(&self, node: Node) -> Option<&Inode> {
        self.inodes.get(node.inode)
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

    /// Removes `path` and everything under it; returns the removed names
    /// (top first). Inodes that lose their last name record `cause`.
    pub fn remove_subtree(
        &mut self,
        path: &str,
        layer: usize,
        cause: &super::changes::RemovalCause,
    ) -> Vec<(String, Node)> {
        let mut removed = Vec::new();
        let mut is_dir = path.is_empty();
        if let Some(node) = self.nodes.remove(path) {
            is_dir |= self
                .inodes
                .get(node.inode)
                .is_some_and(|i| i.kind == EntryKind::Dir);
            removed.push((path.to_owned(), node));
        }
        // Only directories have names below them (tree invariant).
        if is_dir {
            removed.extend(self.take_descendants(path));
        }
        for (_, node) in &removed {
            if let Some(i) = self.inodes.get_mut(node.inode) {
                i.names = i.names.saturating_sub(1);
                if i.names == 0 {
                    i.hidden = Some((layer, cause.clone()));
                }
            }
        }
        removed
    }

    /// Names strictly below `dir`, in order.
    pub fn descendants<'t>(
        &'t self,
        dir: &str,
    ) -> Box<dyn Iterator<Item = (&'t String, &'t Node)> + 't> {
        if dir.is_empty() {
            return Box::new(
                self.nodes
                    .range::<str, _>((Bound::Excluded(""), Bound::Unbounded)),
            );
        }
        let lo = format!("{dir}/");
        let hi = format!("{dir}0");
        Box::new(
            self.nodes
                .range::<str, _>((Bound::Included(lo.as_str()), Bound::Excluded(hi.as_str())))
                .collect::<Vec<_>>()
                .into_iter(),
        )
    }

    /// Direct children of `dir`.
    pub fn children(&self, dir: &str) -> Vec<String> {
        self.descendants(dir)
            .filter(|(k, _)| {
                let rest = if dir.is_empty() {
                    k.as_str()
                } else {
                    k.get(dir.len() + 1..).unwrap_or("")
                };
                !rest.contains('/')
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn take_descendants(&mut self, dir: &str) -> Vec<(String, Node)> {
        let keys: Vec<String> = self.descendants(dir).map(|(k, _)| k.clone()).collect();
        keys.into_iter()
            .filter_map(|k| self.nodes.remove(&k).map(|n| (k, n)))
            .collect()
    }

    /// Resolves a directory path the way a runtime does when it opens an
    /// entry's parent inside the root (filepath-securejoin semantics, as
    /// `umoci unpack`, containerd and moby do): symlinks among the
    /// components are followed *inside the root* (absolute targets restart
    /// at the root, `..` stops at the root); missing components and
    /// non-directories are kept lexically. The result is a normalized path
    /// whose existing components are all non-symlinks.
    pub fn resolve_dir(&self, layers: &Layers<'_>, dir: &str) -> Result<String, ResolveError> {
        // Fast path: an existing directory has only directories above it.
        if self.kind_at(dir) == Some(EntryKind::Dir) {
            return Ok(dir.to_owned());
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
            let node = self.nodes.get(resolved.as_str()).copied();
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
        Ok(resolved)
    }
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
            tree.link(e.path.clone(), ino, 0, i);
        }
        assert_eq!(tree.resolve_dir(&layers, "a").unwrap(), "etc");
        assert_eq!(tree.resolve_dir(&layers, "a/sub").unwrap(), "etc/sub");
        assert_eq!(tree.resolve_dir(&layers, "b/y").unwrap(), "etc/x/y");
        assert_eq!(tree.resolve_dir(&layers, "loop/z"), Err(ResolveError::Loop));
        assert_eq!(tree.resolve_dir(&layers, "nope/x").unwrap(), "nope/x");
        assert_eq!(tree.children(""), vec!["a", "b", "etc", "loop"]);
    }
}
