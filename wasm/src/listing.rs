//! One layer's listing (core [`LayerListing`]) and the merged tree as the
//! page reads them: kind codes and flag bits for the virtualized tree's
//! columns, and rows of one directory. The core decides what is listed,
//! what each path is and what it changes; this only converts.

use layerscope::model::{Entry, EntryKind};
use layerscope::overlay::{
    EntryAction, EntryChange, LayerListing, ListedKind, ListingId, MergedEntry,
};
use serde::Serialize;

/// Node kind codes of the tables.
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

/// Flag bits of the tables.
pub mod flag {
    /// Layer table: the directory is opaque in this layer.
    pub const OPAQUE: u8 = 1;
    /// Both tables: a directory with no entry of its own (implied).
    pub const IMPLICIT: u8 = 2;
    /// Layer table: the entry adds the path.
    pub const ADDED: u8 = 4;
    /// Layer table: the entry modifies a path that existed below.
    pub const MODIFIED: u8 = 8;
    /// Layer table: the layer's bytes for the path are invisible in the final image.
    pub const WASTED: u8 = 16;
    /// Layer table: listed without any change.
    pub const UNCHANGED: u8 = 32;
    /// Layer table: the entry deletes what was below.
    pub const DELETED: u8 = 64;
    /// Merged table: a later layer modified the path after it appeared.
    pub const MODIFIED_LATER: u8 = 4;
    /// Merged table: a second (or later) name of a hard-linked file.
    pub const HARDLINK_NAME: u8 = 8;
}

/// Code of an entry kind.
pub fn entry_code(kind: EntryKind) -> u8 {
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

/// Code and flags of a listed path (without the change bits).
pub fn listed_code(listing: &LayerListing, id: ListingId, entries: &[Entry]) -> (u8, u8) {
    let opaque = if listing.get(id).is_some_and(|p| p.opaque) {
        flag::OPAQUE
    } else {
        0
    };
    match listing.kind(id, entries) {
        ListedKind::Entry(kind) => (entry_code(kind), opaque),
        ListedKind::Deleted => (code::DELETED, opaque),
        ListedKind::Implied => (code::DIR, opaque | flag::IMPLICIT),
    }
}

/// The flag bit of a change word.
pub fn change_flag(action: EntryAction) -> u8 {
    match action {
        EntryAction::Added => flag::ADDED,
        EntryAction::Modified => flag::MODIFIED,
        EntryAction::Deleted => flag::DELETED,
        EntryAction::Unchanged => flag::UNCHANGED,
    }
}

/// Flags of a merged entry.
pub fn merged_flags(entry: &MergedEntry) -> u8 {
    let mut flags = 0;
    if entry.implied {
        flags |= flag::IMPLICIT;
    }
    if entry.modified_later() {
        flags |= flag::MODIFIED_LATER;
    }
    if entry.hardlink_to.is_some() {
        flags |= flag::HARDLINK_NAME;
    }
    flags
}

/// The size a listed path shows: its entry's (0 when deleted or implied).
pub fn listed_size(listing: &LayerListing, id: ListingId, entries: &[Entry]) -> u64 {
    listing.placed(id, entries).map_or(0, |e| e.size)
}

/// One row of a directory listing.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed<'a> {
    /// Final path component.
    pub name: &'a str,
    /// Full path.
    pub path: String,
    /// `file`, `dir`, `symlink`, `hardlink`, `char-device`, `block-device`, `fifo` or `deleted`.
    pub kind: &'a str,
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
    /// What the layer does to the path (after `analyze`; else null).
    pub change: Option<&'a EntryChange>,
}

impl<'a> Listed<'a> {
    /// Describes the listed path `id`.
    pub fn new(
        listing: &'a LayerListing,
        id: ListingId,
        entries: &'a [Entry],
        change: Option<&'a EntryChange>,
    ) -> Listed<'a> {
        let listed = listing.get(id).copied().unwrap_or_default();
        let entry = listed.entry.and_then(|i| entries.get(i));
        let placed = listing.placed(id, entries);
        let kind = match listing.kind(id, entries) {
            ListedKind::Entry(kind) => kind.name(),
            ListedKind::Deleted => "deleted",
            ListedKind::Implied => "dir",
        };
        Listed {
            name: listing.name(id),
            path: listing.path(id),
            kind,
            size: placed.map_or(0, |e| e.size),
            mode: entry.map(|e| e.mode),
            uid: entry.map(|e| e.uid),
            gid: entry.map(|e| e.gid),
            mtime: entry.map(|e| e.mtime),
            link_target: placed.and_then(|e| e.link_target.as_deref()),
            whiteout: listed.whiteout,
            opaque: listed.opaque,
            implicit: listed.entry.is_none(),
            children: listing.children(id).len(),
            change,
        }
    }
}
