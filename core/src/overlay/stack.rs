//! [`Overlay`]: the layers of one image applied in order, with everything
//! the other views need (merged tree, changesets, waste, export).

use std::io::{Read, Write};

use crate::error::{Error, RequestError, Result};
use crate::model::{Entry, EntryKind, Warning};

use super::changes::LayerChanges;
use super::export::{self, ExportLayout, ExportSummary, LayerOpener};
use super::merge::Engine;
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
    changes: Vec<LayerChanges>,
    /// Per layer, the path id of each change (parallel to `changes`).
    change_ids: Vec<Vec<PathId>>,
    warnings: Vec<Warning>,
}

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
            changes,
            change_ids,
            warnings,
            ..
        } = engine;
        Overlay {
            base: base.unwrap_or_else(Tree::new),
            order,
            tree,
            first,
            changes,
            change_ids,
            warnings,
            layers: all,
        }
    }

    /// The merged tree, sorted by path (parents before children).
    pub fn entries(&self) -> Vec<MergedEntry> {
        view::build(
            &self.tree,
            &self.tree.live_in(&self.order),
            &self.layers,
            &self.changes,
            &self.change_ids,
        )
    }

    /// One path of the merged tree.
    pub fn get(&self, path: &str) -> Option<MergedEntry> {
        let id = self.tree.lookup(path)?;
        let node = self.tree.node(id)?;
        view::build(
            &self.tree,
            &[(id, node)],
            &self.layers,
            &self.changes,
            &self.change_ids,
        )
        .into_iter()
        .next()
    }

    /// Each applied layer's own changes, bottom first.
    pub fn changes(&self) -> &[LayerChanges] {
        &self.changes
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
    pub fn export_layout(&self) -> ExportLayout<'a> {
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
/// when listed twice) to `out`; hard links are followed inside the layer.
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
    let mut wanted = path.to_owned();
    for _ in 0..entries.len().max(1) {
        let entry = entries
            .iter()
            .rev()
            .find(|e| e.path == wanted && e.whiteout.is_none())
            .ok_or_else(|| RequestError::NoSuchPath { path: path.into() })?;
        match entry.kind {
            EntryKind::File => return copy_entry(opener, layer, entry, out),
            EntryKind::Hardlink => wanted = entry.link_target.clone().unwrap_or_default(),
            _ => return Err(RequestError::NotAFile { path: path.into() }.into()),
        }
    }
    Err(RequestError::NotAFile { path: path.into() }.into())
}

fn copy_entry<W: Write + ?Sized>(
    opener: &mut dyn LayerOpener,
    layer: usize,
    entry: &Entry,
    out: &mut W,
) -> Result<u64> {
    let mut stream = export::open_decoded(opener, layer)?;
    let mut pos = 0u64;
    let hash = export::copy_file(&mut stream as &mut dyn Read, &mut pos, entry, layer, out)?;
    if entry.content_hash.is_some_and(|h| h != hash) {
        return Err(Error::ContentChanged {
            layer,
            path: entry.path.clone(),
        });
    }
    Ok(entry.size)
}
