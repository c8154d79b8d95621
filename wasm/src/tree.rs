//! A directory index over one layer's entries, for listing a directory's
//! children and for the flat table the page's virtualized tree is built
//! from. Whiteout markers appear at the path they delete; opaque markers
//! flag their directory; parents that have no entry of their own appear as
//! implicit directories.

use std::collections::HashMap;

use layerscope::model::{Entry, EntryKind, Whiteout};
use layerscope::paths;
use serde::Serialize;

/// Node kind codes, also used in [`crate::Session::layer_table`].
pub mod code {
    /// Regular file.
    pub const FILE: u8 = 0;
    /// Directory.
    pub const DIR: u8 = 1;
    /// Symbolic link.
    pub const SYMLINK: u8 = 2;
    /// Hard link.
    pub const HARDLINK: u8 = 3;
    /// Character device.
    pub const CHAR: u8 = 4;
    /// Block device.
    pub const BLOCK: u8 = 5;
    /// Named pipe.
    pub const FIFO: u8 = 6;
    /// A path this layer deletes (whiteout).
    pub const DELETED: u8 = 7;
}

/// Node flag bits.
pub mod flag {
    /// The directory is opaque in this layer (hides all lower children).
    pub const OPAQUE: u8 = 1;
    /// The directory has no entry of its own in this layer.
    pub const IMPLICIT: u8 = 2;
}

fn kind_code(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::File => code::FILE,
        EntryKind::Dir => code::DIR,
        EntryKind::Symlink => code::SYMLINK,
        EntryKind::Hardlink => code::HARDLINK,
        EntryKind::CharDevice => code::CHAR,
        EntryKind::BlockDevice => code::BLOCK,
        EntryKind::Fifo => code::FIFO,
    }
}

fn kind_name(kind: u8) -> &'static str {
    match kind {
        code::FILE => "file",
        code::DIR => "dir",
        code::SYMLINK => "symlink",
        code::HARDLINK => "hardlink",
        code::CHAR => "char-device",
        code::BLOCK => "block-device",
        code::FIFO => "fifo",
        _ => "deleted",
    }
}

/// One path in the layer's tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// Full normalized path.
    pub path: String,
    /// Kind code ([`code`]).
    pub kind: u8,
    /// Flag bits ([`flag`]).
    pub flags: u8,
    /// Index of the entry in the scan (None for implicit directories).
    pub entry: Option<usize>,
}

/// Directory index of one layer.
#[derive(Debug, Default)]
pub struct DirIndex {
    /// Every node.
    pub nodes: Vec<Node>,
    by_path: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    /// The root directory is opaque in this layer.
    pub root_opaque: bool,
}

impl DirIndex {
    /// Builds the index from a scan's entries.
    pub fn build(entries: &[Entry]) -> DirIndex {
        let mut index = DirIndex::default();
        let mut opaque = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match &entry.whiteout {
                Some(Whiteout::Opaque { dir }) => opaque.push(dir.clone()),
                Some(Whiteout::Remove { target }) => index.upsert(target, code::DELETED, Some(i)),
                None => index.upsert(&entry.path, kind_code(entry.kind), Some(i)),
            }
        }
        for dir in opaque {
            if dir.is_empty() {
                index.root_opaque = true;
            } else if let Some(id) = index.ensure_dir(&dir) {
                if let Some(node) = index.nodes.get_mut(id) {
                    node.flags |= flag::OPAQUE;
                }
            }
        }
        index
    }

    fn upsert(&mut self, path: &str, kind: u8, entry: Option<usize>) {
        if path.is_empty() {
            return;
        }
        if let Some(&id) = self.by_path.get(path) {
            if let Some(node) = self.nodes.get_mut(id) {
                node.kind = kind;
                node.entry = entry;
                node.flags &= !flag::IMPLICIT;
            }
            return;
        }
        let (parent, _) = paths::split_parent(path);
        if !parent.is_empty() {
            self.ensure_dir(parent);
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            path: path.to_owned(),
            kind,
            flags: 0,
            entry,
        });
        self.by_path.insert(path.to_owned(), id);
        self.children.entry(parent.to_owned()).or_default().push(id);
    }

    fn ensure_dir(&mut self, path: &str) -> Option<usize> {
        if path.is_empty() {
            return None;
        }
        if let Some(&id) = self.by_path.get(path) {
            return Some(id);
        }
        self.upsert(path, code::DIR, None);
        let id = self.by_path.get(path).copied();
        if let Some(node) = id.and_then(|id| self.nodes.get_mut(id)) {
            node.flags |= flag::IMPLICIT;
        }
        id
    }

    /// The node at `path`.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.by_path.get(path).and_then(|&id| self.nodes.get(id))
    }

    /// Children of the directory at `dir` ("" = root), or None when `dir`
    /// is not a directory in this layer.
    pub fn children(&self, dir: &str) -> Option<Vec<&Node>> {
        if !dir.is_empty() && self.get(dir).is_none_or(|n| n.kind != code::DIR) {
            return None;
        }
        let ids = self
            .children
            .get(dir)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Some(ids.iter().filter_map(|&id| self.nodes.get(id)).collect())
    }

    /// Number of children of `path`.
    pub fn child_count(&self, path: &str) -> usize {
        self.children.get(path).map_or(0, Vec::len)
    }
}

/// One row of a directory listing.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed<'a> {
    /// Final path component.
    pub name: &'a str,
    /// Full path.
    pub path: &'a str,
    /// `file`, `dir`, `symlink`, `hardlink`, `char-device`, `block-device`, `fifo` or `deleted`.
    pub kind: &'static str,
    /// Size in bytes (files).
    pub size: u64,
    /// Permission bits.
    pub mode: Option<u32>,
    /// Owner.
    pub uid: Option<u64>,
    /// Group.
    pub gid: Option<u64>,
    /// Modification time (seconds since the epoch).
    pub mtime: Option<u64>,
    /// Link target.
    pub link_target: Option<&'a str>,
    /// This layer deletes the path (whiteout).
    pub whiteout: bool,
    /// The directory is opaque in this layer.
    pub opaque: bool,
    /// The directory has no entry of its own.
    pub implicit: bool,
    /// Number of children (directories).
    pub children: usize,
}

impl<'a> Listed<'a> {
    /// Describes `node` using its entry.
    pub fn new(index: &DirIndex, node: &'a Node, entries: &'a [Entry]) -> Listed<'a> {
        let entry = node.entry.and_then(|i| entries.get(i));
        let (_, name) = paths::split_parent(&node.path);
        let deleted = node.kind == code::DELETED;
        Listed {
            name,
            path: &node.path,
            kind: kind_name(node.kind),
            size: if deleted {
                0
            } else {
                entry.map_or(0, |e| e.size)
            },
            mode: entry.map(|e| e.mode),
            uid: entry.map(|e| e.uid),
            gid: entry.map(|e| e.gid),
            mtime: entry.map(|e| e.mtime),
            link_target: if deleted {
                None
            } else {
                entry.and_then(|e| e.link_target.as_deref())
            },
            whiteout: deleted,
            opaque: node.flags & flag::OPAQUE != 0,
            implicit: node.flags & flag::IMPLICIT != 0,
            children: index.child_count(&node.path),
        }
    }
}
