//! One layer's own directory listing: every path the layer's entries name,
//! with the rules a reader of one layer needs — a whiteout `.wh.NAME` is
//! listed at NAME as deleted (unless an entry of the layer places NAME,
//! which then wins: whiteouts apply to the layers below), an opaque marker
//! flags its directory, and parents no entry lists are implied
//! directories.
//!
//! Paths are interned like the overlay tree's ([`super::tree::Tree`]): each
//! name once, below its parent's id, so memory is linear in the names given
//! whatever their depth; full paths are built only for output
//! ([`LayerListing::walk`]). The listing also carries, per path, the change
//! word of the entry that lists it ([`super::entry_change`]) and whether the
//! bytes it ships are wasted, once the overlay is known.

use std::collections::HashSet;

use crate::model::{Entry, EntryKind, Whiteout};

use super::changes::{Change, LayerChanges};
use super::entry_change::EntryChange;
use super::tree::{PathCursor, PathId, ROOT, Tree};
use super::waste::WasteReport;

/// A path of a [`LayerListing`] (the root is [`LayerListing::ROOT`]).
pub type ListingId = PathId;

/// What a listed path is in this layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedKind {
    /// An entry of the layer places it (of this type).
    Entry(EntryKind),
    /// A whiteout of the layer deletes it, and no entry places it again.
    Deleted,
    /// A directory the layer does not list, implied by the paths below it.
    Implied,
}

/// One listed path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListedPath {
    /// The entry that lists the path: the last entry placing it, else the
    /// last whiteout naming it; None for an implied directory.
    pub entry: Option<usize>,
    /// `entry` is a whiteout.
    pub whiteout: bool,
    /// The layer holds an opaque marker for this directory.
    pub opaque: bool,
}

/// One layer's listing; see the module documentation.
#[derive(Debug, Clone)]
pub struct LayerListing {
    tree: Tree,
    /// Per id.
    paths: Vec<ListedPath>,
}

impl LayerListing {
    /// The root directory's id.
    pub const ROOT: ListingId = ROOT;

    /// Lists one layer's entries.
    pub fn build(entries: &[Entry]) -> LayerListing {
        let mut tree = Tree::new();
        tree.reserve(entries.len().min(1 << 22));
        let mut paths: Vec<ListedPath> = Vec::new();
        let at = |tree: &mut Tree, paths: &mut Vec<ListedPath>, path: &str| -> ListingId {
            let id = tree.intern(path);
            if paths.len() < tree.slot_count() {
                paths.resize(tree.slot_count(), ListedPath::default());
            }
            id
        };
        let mut opaque = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match &entry.whiteout {
                Some(Whiteout::Opaque { dir }) => opaque.push(at(&mut tree, &mut paths, dir)),
                Some(Whiteout::Remove { target }) => {
                    let id = at(&mut tree, &mut paths, target);
                    // An entry placing the path wins over a whiteout.
                    if let Some(p) = paths
                        .get_mut(id)
                        .filter(|p| p.entry.is_none() || p.whiteout)
                    {
                        p.entry = Some(index);
                        p.whiteout = true;
                    }
                }
                None => {
                    let id = at(&mut tree, &mut paths, &entry.path);
                    if let Some(p) = paths.get_mut(id) {
                        p.entry = Some(index);
                        p.whiteout = false;
                    }
                }
            }
        }
        for id in opaque {
            if let Some(p) = paths.get_mut(id) {
                p.opaque = true;
            }
        }
        paths.resize(tree.slot_count(), ListedPath::default());
        LayerListing { tree, paths }
    }

    /// Number of ids (the root included); ids are below this.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether only the root is listed.
    pub fn is_empty(&self) -> bool {
        self.paths.len() <= 1
    }

    /// The id of `path` ("" is the root), if listed.
    pub fn lookup(&self, path: &str) -> Option<ListingId> {
        self.tree.lookup(path)
    }

    /// What lists the path `id`.
    pub fn get(&self, id: ListingId) -> Option<&ListedPath> {
        self.paths.get(id)
    }

    /// What the path `id` is, given the layer's entries.
    pub fn kind(&self, id: ListingId, entries: &[Entry]) -> ListedKind {
        match self.paths.get(id) {
            Some(ListedPath {
                entry: Some(_),
                whiteout: true,
                ..
            }) => ListedKind::Deleted,
            Some(ListedPath {
                entry: Some(index), ..
            }) => entries
                .get(*index)
                .map_or(ListedKind::Implied, |e| ListedKind::Entry(e.kind)),
            _ => ListedKind::Implied,
        }
    }

    /// The entry placing the path `id` (None for a deleted or implied path).
    pub fn placed<'e>(&self, id: ListingId, entries: &'e [Entry]) -> Option<&'e Entry> {
        self.paths
            .get(id)
            .filter(|p| !p.whiteout)
            .and_then(|p| p.entry)
            .and_then(|index| entries.get(index))
    }

    /// Whether the path `id` is a directory of the layer (placed or
    /// implied); the root always is.
    pub fn is_dir(&self, id: ListingId, entries: &[Entry]) -> bool {
        id == ROOT
            || matches!(
                self.kind(id, entries),
                ListedKind::Implied | ListedKind::Entry(EntryKind::Dir)
            )
    }

    /// The last component of the path `id`.
    pub fn name(&self, id: ListingId) -> &str {
        self.tree.name(id)
    }

    /// The ids directly below `id`, in the order the layer first named them.
    pub fn children(&self, id: ListingId) -> &[ListingId] {
        self.tree.interned_children(id)
    }

    /// The full path of `id`.
    pub fn path(&self, id: ListingId) -> String {
        PathCursor::default().path(&self.tree, id).to_owned()
    }

    /// Calls `visit(id, path)` for every listed path but the root, in path
    /// (byte) order, parents before their children; each full path is
    /// built from the previous one.
    pub fn walk(&self, mut visit: impl FnMut(ListingId, &str)) {
        let mut cursor = PathCursor::default();
        for id in self.tree.order() {
            if id != ROOT {
                visit(id, cursor.path(&self.tree, id));
            }
        }
    }

    /// The layer's change for each listed path, by id (None: the layer
    /// changed nothing there).
    fn change_by_id<'c>(&self, changes: &'c LayerChanges) -> Vec<Option<&'c Change>> {
        let mut by_id = vec![None; self.paths.len()];
        for change in &changes.changes {
            if let Some(slot) = self.lookup(&change.path).and_then(|id| by_id.get_mut(id)) {
                *slot = Some(change);
            }
        }
        by_id
    }

    /// The change of every listed path, by id: the change of the entry that
    /// lists it (a whiteout's when it is deleted), or for an implied
    /// directory what the layer did to that path.
    pub fn path_changes(&self, changes: &LayerChanges) -> Vec<EntryChange> {
        let by_id = self.change_by_id(changes);
        self.paths
            .iter()
            .zip(&by_id)
            .map(|(p, change)| match p.whiteout {
                true => EntryChange::of_whiteout(*change),
                false => EntryChange::of_placed(*change),
            })
            .collect()
    }

    /// The change of every entry of the layer (in stream order); `entries`
    /// are the entries this listing was built from.
    pub fn entry_changes(&self, entries: &[Entry], changes: &LayerChanges) -> Vec<EntryChange> {
        let by_id = self.change_by_id(changes);
        let at = |path: &str| {
            self.lookup(path)
                .and_then(|id| by_id.get(id).copied().flatten())
        };
        let mut hid: Option<HashSet<&str>> = None;
        entries
            .iter()
            .map(|e| match &e.whiteout {
                Some(Whiteout::Remove { target }) => EntryChange::of_whiteout(at(target)),
                Some(Whiteout::Opaque { dir }) => {
                    let hid = hid.get_or_insert_with(|| opaque_dirs(changes));
                    EntryChange::of_opaque(hid.contains(dir.as_str()))
                }
                None => EntryChange::of_placed(at(&e.path)),
            })
            .collect()
    }

    /// Per id: whether the path's shipped bytes (its file entry in layer
    /// `layer`) are invisible in the final image, per `waste`.
    pub fn wasted(&self, layer: usize, waste: &WasteReport) -> Vec<bool> {
        let mut out = vec![false; self.paths.len()];
        for file in waste.files.iter().filter(|f| f.layer == layer) {
            if let Some(slot) = self.lookup(&file.path).and_then(|id| out.get_mut(id)) {
                *slot = true;
            }
        }
        out
    }
}

/// The directories whose opaque marker hid something in `changes`.
fn opaque_dirs(changes: &LayerChanges) -> HashSet<&str> {
    let mut dirs = HashSet::new();
    for c in &changes.changes {
        if let Some(super::changes::RemovalCause::OpaqueDir { dir }) = &c.cause {
            dirs.insert(dir.as_str());
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::Overlay;
    use crate::overlay::entry_change::EntryAction;

    fn entry(path: &str, kind: EntryKind, target: Option<&str>) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 3,
            mode: 0o644,
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

    fn whiteout(path: &str, w: Whiteout) -> Entry {
        Entry {
            whiteout: Some(w),
            ..entry(path, EntryKind::File, None)
        }
    }

    fn rows(listing: &LayerListing, entries: &[Entry], changes: &[EntryChange]) -> Vec<String> {
        let mut out = Vec::new();
        listing.walk(|id, path| {
            let kind = match listing.kind(id, entries) {
                ListedKind::Entry(k) => format!("{k:?}"),
                other => format!("{other:?}"),
            };
            let opaque = if listing.get(id).is_some_and(|p| p.opaque) {
                " opaque"
            } else {
                ""
            };
            out.push(format!(
                "{path} {kind} {}{opaque}",
                changes[id].action.word()
            ));
        });
        out
    }

    /// The case: a file becomes a directory, a directory a
    /// symlink, beside a genuinely new path; plus whiteouts, an opaque
    /// directory and implied parents.
    #[test]
    fn type_replacements_are_modified_and_listed_once() {
        use EntryKind::*;
        let l0 = vec![
            entry("etc", Dir, None),
            entry("etc/conf", File, None),
            entry("opt/x", Dir, None),
            entry("opt/x/y", File, None),
            entry("gone", File, None),
            entry("d/old", File, None),
            entry("back", File, None),
        ];
        let l1 = vec![
            entry("etc/conf", Dir, None),
            entry("etc/conf/a", File, None),
            entry("opt/x", Symlink, Some("/etc")),
            entry("part", File, None),
            whiteout(
                ".wh.gone",
                Whiteout::Remove {
                    target: "gone".into(),
                },
            ),
            whiteout(
                ".wh.none",
                Whiteout::Remove {
                    target: "none".into(),
                },
            ),
            whiteout("d/.wh..wh..opq", Whiteout::Opaque { dir: "d".into() }),
            entry("back", Symlink, Some("etc")),
            whiteout(
                ".wh.back",
                Whiteout::Remove {
                    target: "back".into(),
                },
            ),
            entry("new/deep/f", File, None),
        ];
        let layers: Vec<&[Entry]> = vec![&l0, &l1];
        let overlay = Overlay::new(&layers);
        let changes = &overlay.changes()[1];
        for path in ["etc/conf", "opt/x", "back"] {
            let c = changes.changes.iter().filter(|c| c.path == path).count();
            assert_eq!(c, 1, "{path} has one change");
        }
        let listing = LayerListing::build(&l1);
        let by_path = listing.path_changes(changes);
        assert_eq!(
            rows(&listing, &l1, &by_path),
            [
                "back Symlink modified",
                "d Implied unchanged opaque",
                "etc Implied unchanged",
                "etc/conf Dir modified",
                "etc/conf/a File added",
                "gone Deleted deleted",
                "new Implied added",
                "new/deep Implied added",
                "new/deep/f File added",
                "none Deleted unchanged",
                "opt Implied unchanged",
                "opt/x Symlink modified",
                "part File added",
            ]
        );
        let conf = listing.lookup("etc/conf").unwrap();
        assert_eq!(by_path[conf].previous_kind, Some(File));
        assert_eq!(by_path[conf].aspects, vec![crate::overlay::Aspect::Type]);
        assert_eq!(by_path[conf].previous_layer, Some(0));
        let per_entry = listing.entry_changes(&l1, changes);
        let words: Vec<&str> = per_entry.iter().map(|c| c.action.word()).collect();
        assert_eq!(
            words,
            [
                "modified",
                "added",
                "modified",
                "added",
                "deleted",
                "unchanged",
                "deleted",
                "modified",
                "deleted",
                "added"
            ]
        );
        assert_eq!(per_entry[2].previous_kind, Some(Dir));
        assert_eq!(per_entry[4].action, EntryAction::Deleted);
        // The symlink's replacement took opt/x/y with it: its history (had
        // it come back) and the counters say so.
        assert_eq!((changes.added, changes.modified), (5, 3));
        assert!(changes.removed_bytes >= 3 * 3);
    }
}
