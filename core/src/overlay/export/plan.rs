//! Which members turn one tree into another: the *planning* step of an
//! export. Compares the top tree with the base (empty for a full flatten)
//! id by id and groups what must be written by phase — directories,
//! whiteouts and opaque markers, members without data, files with data
//! (by source layer, in stream order), hard links — without any offsets
//! yet ([`super::layout`] places them).

use std::collections::HashMap;

use crate::model::{Entry, EntryKind};
use crate::overlay::tree::{Layers, Node, PathCursor, PathId, ROOT, Tree};

/// What one planned member is.
#[derive(Debug, Clone)]
pub(super) enum What<'a> {
    /// A directory, symlink, device, fifo or empty file (no data copied).
    Object {
        kind: EntryKind,
        source: Option<&'a Entry>,
    },
    /// A regular file whose data is copied from `layer`.
    Data { layer: usize, source: &'a Entry },
    /// A whiteout or opaque-directory marker (squash only).
    Whiteout,
    /// A hard link to an earlier member (or a path kept from the base).
    Link {
        target: PathId,
        kind: EntryKind,
        source: Option<&'a Entry>,
    },
}

/// The members to write, grouped by phase (tree ids, except markers).
#[derive(Debug, Default)]
pub(super) struct Plan<'a> {
    pub(super) dirs: Vec<(PathId, What<'a>)>,
    /// Marker paths, each with the id of its directory.
    pub(super) whiteouts: Vec<(String, PathId)>,
    pub(super) plain: Vec<(PathId, What<'a>)>,
    pub(super) data: Vec<(PathId, usize, &'a Entry)>,
    pub(super) links: Vec<(PathId, What<'a>)>,
}

/// The ancestors of `id`, nearest first, ending with the root.
fn ancestors(tree: &Tree, id: PathId) -> impl Iterator<Item = PathId> + '_ {
    let mut next = (id != ROOT).then(|| tree.parent(id));
    std::iter::from_fn(move || {
        let current = next?;
        next = (current != ROOT).then(|| tree.parent(current));
        Some(current)
    })
}

/// Sets `flags[id]`; returns whether it was already set (an id out of
/// range counts as set, which ends the callers' walks).
fn mark(flags: &mut [bool], id: PathId) -> bool {
    flags.get_mut(id).is_none_or(|f| std::mem::replace(f, true))
}

/// A value defined along the ancestor chain: `value(d)` is
/// `step(d, value(parent of d))`, and `beyond` above the root. Memoized
/// per id, so asking for many deep ids costs each id once, not its depth.
fn climb<T: Copy>(
    tree: &Tree,
    memo: &mut [Option<T>],
    id: PathId,
    beyond: T,
    step: impl Fn(PathId, T) -> T,
) -> T {
    let mut chain = Vec::new();
    let mut cur = id;
    let mut value = loop {
        if let Some(known) = memo.get(cur).copied().flatten() {
            break known;
        }
        chain.push(cur);
        if cur == ROOT {
            break beyond;
        }
        // Parents are interned before their children: this ends.
        cur = tree.parent(cur);
    };
    for &x in chain.iter().rev() {
        value = step(x, value);
        if let Some(m) = memo.get_mut(x) {
            *m = Some(value);
        }
    }
    value
}

/// Plans the members that turn `base` into `top` (base = an empty tree for
/// a full flatten). Base ids are top ids (the base is an earlier state of
/// the same tree), so both are compared id by id, never path by path.
pub(super) fn plan<'a>(top: &Tree, order: &[PathId], base: &Tree, layers: &Layers<'a>) -> Plan<'a> {
    let mut plan = Plan::default();
    let slots = top.slot_count();
    let changed = |id: PathId, node: &Node| base.node(id) != Some(*node);
    let source = |node: &Node| {
        top.inode(*node)
            .and_then(|i| layers.get(i.layer).and_then(|l| l.get(i.entry)))
    };
    let names = top.live_in(order);
    // The name of each inode that stays valid (unchanged in base and top),
    // and the directories with an unchanged entry somewhere below them.
    let mut anchor: HashMap<usize, PathId> = HashMap::new();
    let mut keeps_lower = vec![false; slots];
    for (id, node) in &names {
        if !changed(*id, node) {
            anchor.entry(node.inode).or_insert(*id);
            for dir in ancestors(top, *id) {
                if mark(&mut keeps_lower, dir) {
                    break;
                }
            }
        }
    }
    let mut emitted_dirs = vec![false; slots];
    for &(id, node) in &names {
        if !changed(id, &node) {
            continue;
        }
        let Some(inode) = top.inode(node) else {
            continue;
        };
        let entry = source(&node);
        if inode.kind == EntryKind::Dir {
            plan.dirs.push((
                id,
                What::Object {
                    kind: EntryKind::Dir,
                    source: entry,
                },
            ));
            mark(&mut emitted_dirs, id);
            continue;
        }
        if let Some(&target) = anchor.get(&node.inode) {
            plan.links.push((
                id,
                What::Link {
                    target,
                    kind: inode.kind,
                    source: entry,
                },
            ));
            continue;
        }
        anchor.insert(node.inode, id);
        match entry {
            Some(e) if inode.kind == EntryKind::File && e.size > 0 => {
                plan.data.push((id, inode.layer, e));
            }
            _ => plan.plain.push((
                id,
                What::Object {
                    kind: inode.kind,
                    source: entry,
                },
            )),
        }
    }
    // Base paths gone from top. A directory (in both trees) that lost lower
    // entries and keeps none of them (every entry below it is written
    // here: it was made opaque or replaced in the range) gets one opaque
    // marker (on its top-most such ancestor); other removals get a
    // whiteout, top-most only.
    let dir_in_both = |dir: PathId| {
        top.kind_of(dir) == Some(EntryKind::Dir) && base.kind_of(dir) == Some(EntryKind::Dir)
    };
    let fresh = |dir: PathId| dir_in_both(dir) && !keeps_lower.get(dir).copied().unwrap_or(true);
    let mut fresh_memo: Vec<Option<Option<PathId>>> = vec![None; slots];
    let mut opaque: Vec<PathId> = Vec::new();
    let mut opaque_set = vec![false; slots];
    let mut whiteouts: Vec<(PathId, String)> = Vec::new();
    for (id, _) in base.live_in(order) {
        if id == ROOT || top.node(id).is_some() {
            continue;
        }
        let dir = top.parent(id);
        let topmost = climb(top, &mut fresh_memo, dir, None, |x, above| {
            above.or_else(|| fresh(x).then_some(x))
        });
        if let Some(dir) = topmost {
            if !mark(&mut opaque_set, dir) {
                opaque.push(dir);
            }
            continue;
        }
        if dir_in_both(dir) {
            whiteouts.push((dir, format!(".wh.{}", top.name(id))));
        }
    }
    // A whiteout under an opaque directory is redundant (kept out).
    let mut under_memo: Vec<Option<bool>> = vec![None; slots];
    whiteouts.retain(|(dir, _)| {
        !climb(top, &mut under_memo, *dir, false, |x, above| {
            above || opaque_set.get(x).copied().unwrap_or(false)
        })
    });
    let marker = crate::layer::entry::OPAQUE_MARKER;
    let mut cursor = PathCursor::default();
    plan.whiteouts = whiteouts
        .iter()
        .map(|(dir, name)| (dir, name.as_str()))
        .chain(opaque.iter().map(|dir| (dir, marker)))
        .map(|(&dir, name)| (crate::paths::join(cursor.path(top, dir), name), dir))
        .collect();
    plan.whiteouts.sort();
    // Unchanged parents of written members, so the layer is self-describing.
    let mut extra: Vec<PathId> = Vec::new();
    let starts = plan.whiteouts.iter().map(|(_, dir)| Some(*dir)).chain(
        plan.plain
            .iter()
            .map(|(id, _)| id)
            .chain(plan.data.iter().map(|(id, _, _)| id))
            .chain(plan.links.iter().map(|(id, _)| id))
            .chain(plan.dirs.iter().map(|(id, _)| id))
            .map(|&id| (id != ROOT).then(|| top.parent(id))),
    );
    let mut seen = vec![false; slots];
    for start in starts.flatten() {
        let mut parent = start;
        while parent != ROOT
            && !emitted_dirs.get(parent).copied().unwrap_or(true)
            && !mark(&mut seen, parent)
        {
            extra.push(parent);
            parent = top.parent(parent);
        }
    }
    for id in extra {
        if let Some(node) = top.node(id) {
            let entry = source(&node);
            plan.dirs.push((
                id,
                What::Object {
                    kind: EntryKind::Dir,
                    source: entry,
                },
            ));
        }
    }
    // Path order, by each id's position in `order`.
    let mut rank = vec![usize::MAX; slots];
    for (i, id) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(*id) {
            *r = i;
        }
    }
    plan.dirs
        .sort_by_key(|(id, _)| rank.get(*id).copied().unwrap_or(usize::MAX));
    plan.data
        .sort_by_key(|(_, layer, e)| (*layer, e.data_offset));
    plan
}
