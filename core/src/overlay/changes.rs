//! Per-layer changesets: what one layer added, modified and deleted
//! relative to the tree below it, with byte deltas.

use serde::{Deserialize, Serialize};

use crate::model::{Entry, EntryKind, Xattr};

/// Why a name disappeared from the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum RemovalCause {
    /// A `.wh.NAME` whiteout (on the name or on a parent directory).
    Whiteout,
    /// An opaque marker `.wh..wh..opq` in `dir`.
    #[serde(rename_all = "camelCase")]
    OpaqueDir {
        /// The opaque directory ("" = root).
        dir: String,
    },
    /// An entry of another type took the path (its subtree went with it).
    #[serde(rename_all = "camelCase")]
    ReplacedByType {
        /// The new entry's type.
        kind: EntryKind,
    },
    /// An entry of the same type replaced it (new file data, new link).
    Overwritten,
    /// A later entry for the same path in the same layer (last wins).
    Duplicate,
}

/// What happened to a path in one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeAction {
    /// The path did not exist below this layer.
    Added,
    /// The path existed; see [`Change::aspects`] (an object of another
    /// type taking the path is a modification with aspect
    /// [`Aspect::Type`]).
    Modified,
    /// The path (and everything below it) is gone after this layer.
    Deleted,
}

/// Which property of a modified path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Aspect {
    /// File data (content hash or size).
    Content,
    /// Permission bits.
    Mode,
    /// uid or gid.
    Owner,
    /// Modification time.
    Mtime,
    /// Extended attributes.
    Xattrs,
    /// Symlink target.
    LinkTarget,
    /// Device numbers.
    Device,
    /// The path now names another file object (hard link re-pointed).
    Inode,
    /// An object of another type replaced the previous one (its subtree
    /// went with it); [`Change::previous_kind`] is the old type.
    Type,
}

impl Aspect {
    /// The aspect's name as in JSON (`content`, `linkTarget`, `type`, …).
    pub fn name(self) -> &'static str {
        match self {
            Aspect::Content => "content",
            Aspect::Mode => "mode",
            Aspect::Owner => "owner",
            Aspect::Mtime => "mtime",
            Aspect::Xattrs => "xattrs",
            Aspect::LinkTarget => "linkTarget",
            Aspect::Device => "device",
            Aspect::Inode => "inode",
            Aspect::Type => "type",
        }
    }
}

/// One path's change in one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The path (normalized, "" = root).
    pub path: String,
    /// Added, modified or deleted.
    pub action: ChangeAction,
    /// Type after the change (before it, for deletions).
    pub kind: EntryKind,
    /// Type before the change (None when added).
    pub previous_kind: Option<EntryKind>,
    /// Data size after the change (0 for deletions).
    pub size: u64,
    /// Data size before (None when added).
    pub previous_size: Option<u64>,
    /// Signed change of visible file bytes under this path.
    pub byte_delta: i64,
    /// What changed, for modifications.
    pub aspects: Vec<Aspect>,
    /// Why the previous object is gone, for deletions, type replacements
    /// and directories removed and made again in the same layer.
    pub cause: Option<RemovalCause>,
    /// Layer that provided the previous version (None when added, or when
    /// the previous version was an implied directory).
    pub previous_layer: Option<usize>,
    /// Names removed with it, itself included (deletions and type
    /// replacements).
    pub removed_entries: u64,
}

impl Change {
    /// Whether the previous object went away with everything below it: a
    /// deletion, or a directory replaced by an object of another type (or
    /// removed and made again in the same layer: a modification with a
    /// `cause`). Paths below then show this change as their own deletion.
    pub fn removed_subtree(&self) -> bool {
        self.action == ChangeAction::Deleted
            || (self.previous_kind == Some(EntryKind::Dir)
                && (self.aspects.contains(&Aspect::Type) || self.cause.is_some()))
    }

    /// File bytes of the previous object (and its subtree) this change
    /// removed from view: deletions and type replacements.
    pub fn removed_bytes(&self) -> u64 {
        match self.action {
            ChangeAction::Deleted => self.byte_delta.unsigned_abs(),
            ChangeAction::Modified
                if self.aspects.contains(&Aspect::Type) || self.cause.is_some() =>
            {
                signed(self.size)
                    .saturating_sub(self.byte_delta)
                    .unsigned_abs()
            }
            _ => 0,
        }
    }
}

/// One layer's own changes relative to the tree below it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerChanges {
    /// Layer index.
    pub layer: usize,
    /// Changes sorted by path, at most one per path (a type replacement is
    /// one modification with aspect [`Aspect::Type`]).
    pub changes: Vec<Change>,
    /// Number of added paths.
    pub added: u64,
    /// Number of modified paths (type replacements included).
    pub modified: u64,
    /// Number of deleted paths (top-most only).
    pub deleted: u64,
    /// Regular-file bytes the layer ships (all its file entries).
    pub shipped_bytes: u64,
    /// Bytes of files the layer added (new paths, and files that replaced
    /// an object of another type).
    pub added_bytes: u64,
    /// Bytes of visible files the layer removed (deleted or replaced subtrees).
    pub removed_bytes: u64,
    /// Net change of visible file bytes.
    pub net_bytes: i64,
}

/// The properties compared between two versions of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta<'a> {
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub link_target: Option<&'a str>,
    pub xattrs: &'a [Xattr],
    pub content_hash: Option<u64>,
    pub device: Option<(u32, u32)>,
}

/// Mode of directories a layer implies without listing them.
pub const IMPLIED_DIR_MODE: u32 = 0o755;

impl<'a> Meta<'a> {
    /// Metadata of an inode of `kind` whose source entry is `entry`
    /// (None = implied directory).
    pub fn of(kind: EntryKind, entry: Option<&'a Entry>) -> Meta<'a> {
        match entry {
            Some(e) => Meta {
                kind,
                size: if kind == EntryKind::File { e.size } else { 0 },
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                mtime: e.mtime,
                link_target: if kind == EntryKind::Symlink {
                    e.link_target.as_deref()
                } else {
                    None
                },
                xattrs: &e.xattrs,
                content_hash: e.content_hash,
                device: e.device,
            },
            None => Meta {
                kind,
                size: 0,
                mode: IMPLIED_DIR_MODE,
                uid: 0,
                gid: 0,
                mtime: 0,
                link_target: None,
                xattrs: &[],
                content_hash: None,
                device: None,
            },
        }
    }

    /// Which aspects differ from `other`.
    pub fn aspects(&self, other: &Meta<'_>) -> Vec<Aspect> {
        let mut out = Vec::new();
        if self.kind == EntryKind::File
            && (self.size != other.size || self.content_hash != other.content_hash)
        {
            out.push(Aspect::Content);
        }
        if self.mode != other.mode {
            out.push(Aspect::Mode);
        }
        if self.uid != other.uid || self.gid != other.gid {
            out.push(Aspect::Owner);
        }
        if self.mtime != other.mtime {
            out.push(Aspect::Mtime);
        }
        if !same_xattrs(self.xattrs, other.xattrs) {
            out.push(Aspect::Xattrs);
        }
        if self.link_target != other.link_target {
            out.push(Aspect::LinkTarget);
        }
        if self.device != other.device {
            out.push(Aspect::Device);
        }
        out
    }
}

/// Compares xattr sets ignoring order.
pub(crate) fn same_xattrs(a: &[Xattr], b: &[Xattr]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut x: Vec<&Xattr> = a.iter().collect();
    let mut y: Vec<&Xattr> = b.iter().collect();
    x.sort_by(|p, q| p.name.cmp(&q.name));
    y.sort_by(|p, q| p.name.cmp(&q.name));
    x == y
}

/// Clamps a byte count into `i64`.
pub(crate) fn signed(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

impl LayerChanges {
    /// Recomputes the counters from `changes`.
    pub(crate) fn tally(&mut self) {
        self.added = 0;
        self.modified = 0;
        self.deleted = 0;
        self.added_bytes = 0;
        self.removed_bytes = 0;
        self.net_bytes = 0;
        for c in &self.changes {
            let replaced = c.aspects.contains(&Aspect::Type);
            match c.action {
                ChangeAction::Added => self.added += 1,
                ChangeAction::Modified => self.modified += 1,
                ChangeAction::Deleted => self.deleted += 1,
            }
            if c.action == ChangeAction::Added || replaced {
                self.added_bytes = self.added_bytes.saturating_add(c.size);
            }
            self.removed_bytes = self.removed_bytes.saturating_add(c.removed_bytes());
            self.net_bytes = self.net_bytes.saturating_add(c.byte_delta);
        }
    }
}
