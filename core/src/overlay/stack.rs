//! [`Overlay`]: the layers of one image applied in order, with everything
//! the other views need (merged tree, changesets, waste, export).

use std::io::{Read, Write};
use std::sync::OnceLock;

use crate::error::{Error, RequestError, Result};
use crate::layer::content;
use crate::layer::opener::{self, LayerOpener};
use crate::limits::Limits;
use crate::model::{Entry, EntryKind, Warning};

use super::changes::LayerChanges;
use super::export::{self, ExportLayout, ExportSummary};
use super::merge::{self, Engine, Pending};
use super::tree::{PathId, Tree};
use super::view::{self, MergedEntry};
use super::waste::{self, WasteReport};

/// The result of applying layers `first..=last` (with `0..first` applied
/// underneath as the base).
#[derive(Debug, Clone)]
pub struct Overlay<'a> {
    layers: Vec<&'a [Entry]>,
    tree: Tree,
    /// Every id of `tree` in path order.
    order: Vec<PathId>,
    base: Tree,
    first: usize,
    /// Per applied layer, what it touched (for the changesets).
    pending: Vec<Pending>,
    /// The changesets and, per layer, each change's path id, built on
    /// first use: they hold every change's full path, which flatten and
    /// cat never need (a deep tree's full paths add up quadratically).
    changes: OnceLock<Changesets>,
    warnings: Vec<Warning>,
}

/// Per layer: its changes, and the path id of each (parallel).
type Changesets = (Vec<LayerChanges>, Vec<Vec<PathId>>);

fn no_layer(index: usize, count: usize) -> Error {
    Error::Request(RequestError::NoSuchLayer { index, count })
}

impl<'a> Overlay<'a> {
    /// Applies every layer (bottom first).
    pub fn new(layers: &[&'a [Entry]]) -> Overlay<'a> {
        Self::build(layers, 0, layers.len())
    }

    /// The cumulative tree up to and including layer `last`.
    pub fn up_to(layers: &[&'a [Entry]], last: usize) -> Result<Overlay<'a>> {
        if last >= layers.len() {
            return Err(no_layer(last, layers.len()));
        }
        Ok(Self::build(layers, 0, last + 1))
    }

    /// Layers `first..=last` on top of `0..first`; [`Overlay::export`]
    /// then writes one layer equivalent to the range (a squash).
    pub fn range(layers: &[&'a [Entry]], first: usize, last: usize) -> Result<Overlay<'a>> {
        if last >= layers.len() || first > last {
            return Err(no_layer(last.max(first), layers.len()));
        }
        Ok(Self::build(layers, first, last + 1))
    }

    fn build(layers: &[&'a [Entry]], first: usize, end: usize) -> Overlay<'a> {
        let all: Vec<&'a [Entry]> = layers.to_vec();
        let mut engine = Engine::new(&all);
        let mut base = None;
        for layer in 0..end {
            if layer == first {
                base = Some(engine.tree.clone());
            }
            engine.apply(layer);
        }
        let order = engine.finish();
        let Engine {
            tree,
            pending,
            warnings,
            ..
        } = engine;
        Overlay {
            base: base.unwrap_or_else(Tree::new),
            order,
            tree,
            first,
            pending,
            changes: OnceLock::new(),
            warnings,
            layers: all,
        }
    }

    fn changesets(&self) -> &Changesets {
        self.changes.get_or_init(|| {
            merge::build_changes(&self.tree, &self.layers, &self.pending, &self.order)
        })
    }

    /// Bytes of full paths a listing of this overlay holds: every name the
    /// layers placed, implied parents included (changesets, the merged
    /// tree and waste each hold up to this much).
    pub fn listing_path_bytes(&self) -> u64 {
        self.tree.path_bytes()
    }

    /// Refuses, before any is built, listings whose full paths would
    /// exceed `limits.max_listing_path_bytes`: a small layer of very deep
    /// names implies directories whose paths add up quadratically in depth.
    /// Flatten, `cat` and [`Overlay::get`] never need this check.
    pub fn check_listing(&self, limits: &Limits) -> Result<()> {
        let bytes = self.listing_path_bytes();
        if bytes > limits.max_listing_path_bytes {
            return Err(Error::Limit {
                what: format!("a listing of the merged tree ({bytes} bytes of full paths)"),
                limit: "max_listing_path_bytes",
                value: limits.max_listing_path_bytes,
                flag: crate::limits::flags::MAX_LISTING_PATH_BYTES,
            });
        }
        Ok(())
    }

    /// The merged tree, sorted by path (parents before children).
    pub fn entries(&self) -> Vec<MergedEntry> {
        let (changes, ids) = self.changesets();
        view::build(
            &self.tree,
            &self.tree.live_in(&self.order),
            &self.layers,
            changes,
            ids,
        )
    }

    /// One path of the merged tree. Builds only the changes its history
    /// needs (unless every changeset is built already).
    pub fn get(&self, path: &str) -> Option<MergedEntry> {
        let id = self.tree.lookup(path)?;
        let node = self.tree.node(id)?;
        let items = [(id, node)];
        let build = |changes: &[LayerChanges], ids: &[Vec<PathId>]| {
            view::build(&self.tree, &items, &self.layers, changes, ids)
                .into_iter()
                .next()
        };
        match self.changes.get() {
            Some((changes, ids)) => build(changes, ids),
            None => {
                let (changes, ids) =
                    merge::changes_along(&self.tree, &self.layers, &self.pending, id);
                build(&changes, &ids)
            }
        }
    }

    /// Each applied layer's own changes, bottom first.
    pub fn changes(&self) -> &[LayerChanges] {
        &self.changesets().0
    }

    /// Recoverable oddities met while applying.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Wasted space and duplicate content of the applied layers.
    pub fn waste(&self) -> WasteReport {
        waste::analyze(&self.tree, &self.layers)
    }

    /// Writes the tree as a tar: the whole root filesystem for [`Overlay::new`]
    /// and [`Overlay::up_to`], or one squashed layer (with whiteouts for
    /// deleted lower paths) for [`Overlay::range`] with `first > 0`.
    pub fn export<W: Write + ?Sized>(
        &self,
        opener: &mut dyn LayerOpener,
        out: &mut W,
    ) -> Result<ExportSummary> {
        let empty;
        let base = if self.first == 0 {
            empty = Tree::new();
            &empty
        } else {
            &self.base
        };
        export::export(&self.tree, &self.order, base, &self.layers, opener, out)
    }

    /// Plans the tar [`Overlay::export`] writes, member by member with
    /// every byte offset, for drivers that write layers in parallel.
    pub fn export_layout(&self) -> ExportLayout<'_> {
        let empty;
        let base = if self.first == 0 {
            empty = Tree::new();
            &empty
        } else {
            &self.base
        };
        ExportLayout::new(&self.tree, &self.order, base, &self.layers)
    }

    /// Copies the data of the regular file at `path` (merged view) to `out`.
    pub fn cat<W: Write + ?Sized>(
        &self,
        path: &str,
        opener: &mut dyn LayerOpener,
        out: &mut W,
    ) -> Result<u64> {
        let node = self
            .tree
            .get(path)
            .ok_or_else(|| RequestError::NoSuchPath { path: path.into() })?;
        let inode = self
            .tree
            .inode(node)
            .filter(|i| i.kind == EntryKind::File)
            .ok_or_else(|| RequestError::NotAFile { path: path.into() })?;
        let entry = self
            .tree
            .source(&self.layers, node.inode)
            .ok_or_else(|| RequestError::NotAFile { path: path.into() })?;
        copy_entry(opener, inode.layer, entry, out)
    }
}

/// Copies one layer entry's data (`layer`'s entry for `path`, the last one
/// when listed twice) to `out`; hard links are followed inside the layer
/// ([`layer_file`]).
pub fn cat_layer_entry<W: Write + ?Sized>(
    layers: &[&[Entry]],
    layer: usize,
    path: &str,
    opener: &mut dyn LayerOpener,
    out: &mut W,
) -> Result<u64> {
    let entries = layers
        .get(layer)
        .ok_or_else(|| no_layer(layer, layers.len()))?;
    copy_entry(opener, layer, layer_file(entries, path)?, out)
}

/// The regular-file entry whose bytes `path` shows in one layer's
/// `entries`: the last non-whiteout entry of that path, with a hard link
/// followed — through chains — to the entry of its target written before
/// it (a tar hard link names a file archived earlier).
pub fn layer_file<'a>(entries: &'a [Entry], path: &str) -> Result<&'a Entry> {
    let find = |wanted: &str, before: usize| {
        entries
            .get(..before)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| e.path == wanted && e.whiteout.is_none())
    };
    let (mut at, mut entry) =
        find(path, entries.len()).ok_or_else(|| RequestError::NoSuchPath { path: path.into() })?;
    // Each hop goes to an earlier entry: this ends.
    while entry.kind == EntryKind::Hardlink {
        let target = entry.link_target.as_deref().unwrap_or_default();
        (at, entry) =
            find(target, at).ok_or_else(|| RequestError::NoSuchPath { path: path.into() })?;
    }
    if entry.kind != EntryKind::File {
        return Err(RequestError::NotAFile { path: path.into() }.into());
    }
    Ok(entry)
}

/// The first `max` bytes (all of them when `None`) of a regular file
/// entry's content in layer `layer`, expanded when it is a sparse file, for
/// previews: reading stops once `max` bytes are kept. Without a `max` the
/// content hash is checked as `cat` does.
pub fn read_entry_prefix(
    opener: &mut dyn LayerOpener,
    layer: usize,
    entry: &Entry,
    max: Option<u64>,
) -> Result<Vec<u8>> {
    let Some(max) = max.filter(|m| *m < entry.size) else {
        let mut bytes = Vec::new();
        copy_entry(opener, layer, entry, &mut bytes)?;
        return Ok(bytes);
    };
    let mut prefix = PrefixWriter {
        kept: Vec::new(),
        left: max,
        stopped: false,
    };
    let mut stream = opener::open_decoded(opener, layer)?;
    let mut pos = 0u64;
    match content::copy_file(
        &mut stream as &mut dyn Read,
        &mut pos,
        entry,
        layer,
        &mut prefix,
    ) {
        Ok(_) => Ok(prefix.kept),
        // The writer refused more bytes: the prefix is complete.
        Err(_) if prefix.stopped => Ok(prefix.kept),
        Err(e) => Err(e),
    }
}

/// Keeps the first `left` bytes written, then refuses the next write so
/// the copy stops early.
struct PrefixWriter {
    kept: Vec<u8>,
    left: u64,
    stopped: bool,
}

impl Write for PrefixWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            self.stopped = true;
            return Err(std::io::Error::other("preview is complete"));
        }
        let take = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        self.kept
            .extend_from_slice(buf.get(..take).unwrap_or_default());
        self.left -= take as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn copy_entry<W: Write + ?Sized>(
    opener: &mut dyn LayerOpener,
    layer: usize,
    entry: &Entry,
    out: &mut W,
) -> Result<u64> {
    let mut stream = opener::open_decoded(opener, layer)?;
    let mut pos = 0u64;
    let hash = content::copy_file(&mut stream as &mut dyn Read, &mut pos, entry, layer, out)?;
    if entry.content_hash.is_some_and(|h| h != hash) {
        return Err(Error::ContentChanged {
            layer,
            path: entry.path.clone(),
        });
    }
    Ok(entry.size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Whiteout;

    fn entry(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry::sample(path, kind, size)
    }

    #[test]
    fn listing_path_bytes_count_implied_parents_and_the_limit_names_its_flag() {
        // "a/b/c" implies "a" (1 byte) and "a/b" (3): 1 + 3 + 5 = 9 bytes.
        let layer = vec![entry("a/b/c", EntryKind::File, 1)];
        let overlay = Overlay::new(&[layer.as_slice()]);
        assert_eq!(overlay.listing_path_bytes(), 9);
        let roomy = Limits {
            max_listing_path_bytes: 9,
            ..Limits::default()
        };
        assert!(overlay.check_listing(&roomy).is_ok());
        let tight = Limits {
            max_listing_path_bytes: 8,
            ..Limits::default()
        };
        match overlay.check_listing(&tight) {
            Err(Error::Limit { flag, value, .. }) => {
                assert_eq!(flag, "--max-listing-path-bytes");
                assert_eq!(value, 8);
            }
            other => panic!("expected a limit error, got {other:?}"),
        }
        // 2,000 components deep: quadratic bytes, counted without building them.
        let deep = vec!["d"; 2000].join("/");
        let layer = vec![entry(&deep, EntryKind::File, 1)];
        let overlay = Overlay::new(&[layer.as_slice()]);
        let want: u64 = (1..=2000u64).map(|k| 2 * k - 1).sum();
        assert_eq!(overlay.listing_path_bytes(), want);
    }

    /// Hard links are followed through chains, each hop to the target's
    /// entry written before the link; a link to a later or missing entry,
    /// or to a non-file, is an error.
    #[test]
    fn layer_file_follows_hard_link_chains_backwards() {
        use EntryKind::*;
        let mut first = entry("a", File, 1);
        first.data_offset = 100;
        let mut later = entry("a", File, 2);
        later.data_offset = 200;
        let entries = vec![
            first,
            with(entry("b", Hardlink, 0), Some("a"), None),
            with(entry("c", Hardlink, 0), Some("b"), None),
            later,
            with(entry("loop", Hardlink, 0), Some("loop"), None),
            with(entry("ahead", Hardlink, 0), Some("z"), None),
            entry("z", File, 3),
            entry("d", Dir, 0),
            with(entry("e", Hardlink, 0), Some("d"), None),
        ];
        assert_eq!(layer_file(&entries, "c").unwrap().data_offset, 100);
        assert_eq!(layer_file(&entries, "b").unwrap().data_offset, 100);
        assert_eq!(layer_file(&entries, "a").unwrap().data_offset, 200);
        for (path, kind) in [
            ("loop", "RequestError"),
            ("ahead", "RequestError"),
            ("e", "RequestError"),
            ("d", "RequestError"),
            ("nope", "RequestError"),
        ] {
            assert_eq!(
                layer_file(&entries, path).unwrap_err().kind(),
                kind,
                "{path}"
            );
        }
        assert!(matches!(
            layer_file(&entries, "e"),
            Err(Error::Request(RequestError::NotAFile { .. }))
        ));
    }

    fn with(mut e: Entry, target: Option<&str>, whiteout: Option<Whiteout>) -> Entry {
        e.link_target = target.map(str::to_owned);
        e.whiteout = whiteout;
        e
    }

    /// `get` builds only the changes one path's history needs; its answer
    /// must be the merged listing's record for that path (a single record
    /// never names an earlier hard-link name).
    #[test]
    fn get_matches_the_full_listing() {
        use EntryKind::*;
        let l0 = vec![
            entry("a", Dir, 0),
            entry("a/f", File, 1),
            entry("a/b/g", File, 2),
            entry("d/e/f", File, 3),
            entry("x/y/z", File, 4),
            entry("h", File, 5),
        ];
        let l1 = vec![
            with(
                entry("a/.wh.b", File, 0),
                None,
                Some(Whiteout::Remove {
                    target: "a/b".into(),
                }),
            ),
            with(
                entry(".wh.d", File, 0),
                None,
                Some(Whiteout::Remove { target: "d".into() }),
            ),
            with(entry("a/l", Hardlink, 0), Some("a/f"), None),
            entry("h", File, 6),
        ];
        let l2 = vec![
            entry("d/e/f", File, 7),
            with(entry("x", Symlink, 0), Some("a"), None),
            entry("a", Dir, 0),
            with(
                entry("a/.wh..wh..opq", File, 0),
                None,
                Some(Whiteout::Opaque { dir: "a".into() }),
            ),
            entry("a/n", File, 8),
            entry("a/b/g", File, 9),
        ];
        let layers: Vec<&[Entry]> = vec![&l0, &l1, &l2];
        for last in 0..layers.len() {
            let full = Overlay::up_to(&layers, last).unwrap().entries();
            assert!(full.iter().any(|e| !e.history.is_empty()));
            for want in &full {
                let lazy = Overlay::up_to(&layers, last).unwrap();
                let got = lazy.get(&want.path);
                let mut want = want.clone();
                want.hardlink_to = None;
                assert_eq!(got.as_ref(), Some(&want), "{:?}", want.path);
                lazy.changes();
                assert_eq!(lazy.get(&want.path), got);
            }
        }
    }
}
