//! dive's efficiency score, with dive's exact definition (re-expressed from
//! reading `dive/filetree/efficiency.go` and `dive/image/analysis.go`), so
//! `layerscope efficiency --ci` passes or fails where `dive --ci` does.
//!
//! dive builds one tree per layer from the raw tar names (whiteout names
//! kept as `.wh.NAME` nodes, opaque markers dropped, implied parents blank),
//! then visits each layer's *leaves* in name order. Each leaf adds its size
//! to its path's running total; a whiteout leaf adds the size of the
//! subtree it deletes (looked up in the stack of the layers below) when
//! that was a directory, else 0. A path seen twice or more is an
//! "inefficiency"; wasted bytes are the inefficient paths' totals; the
//! score is Σ(smallest size per path) / Σ(total per path).
//!
//! Quirks kept on purpose, because they are dive's definition: deleting a
//! whole directory counts its bytes once (not as waste); a whiteout whose
//! target the lower stack does not hold stops the visit of the rest of
//! that layer and leaves a −1 in the minimum sum; a layer that only
//! implies a directory resets that directory's "is a directory" flag in
//! the stack.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::Entry;

const WHITEOUT: &str = ".wh.";
const DOUBLE_WHITEOUT: &str = ".wh..wh..";

/// One path dive reports as inefficient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inefficiency {
    /// Path (normalized, no leading slash).
    pub path: String,
    /// Sum of the sizes seen for it across layers.
    pub cumulative_size: i64,
    /// How many times it was seen.
    pub count: u64,
}

/// dive's image analysis numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiveEfficiency {
    /// Efficiency score, 0..=1 (1 when nothing is counted).
    pub score: f64,
    /// Σ cumulative size of inefficient paths.
    pub wasted_bytes: u64,
    /// Σ of every layer's entry sizes.
    pub size_bytes: u64,
    /// Σ of entry sizes of all layers but the first.
    pub user_size_bytes: u64,
    /// wasted / user size (NaN or infinity, serialized as null, when the
    /// user size is 0).
    pub wasted_user_percent: f64,
    /// Inefficient paths, smallest total first (as dive sorts them).
    pub inefficiencies: Vec<Inefficiency>,
}

#[derive(Debug, Clone)]
struct DNode {
    name: String,
    parent: usize,
    children: BTreeMap<String, usize>,
    size: i64,
    is_dir: bool,
}

#[derive(Debug, Clone)]
struct DTree {
    nodes: Vec<DNode>,
}

impl DTree {
    fn new() -> Self {
        DTree {
            nodes: vec![DNode {
                name: String::new(),
                parent: 0,
                children: BTreeMap::new(),
                size: 0,
                is_dir: true,
            }],
        }
    }

    fn add(&mut self, path: &str, info: (i64, bool)) {
        let names: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let mut node = 0usize;
        for (i, name) in names.iter().enumerate() {
            let existing = self
                .nodes
                .get(node)
                .and_then(|n| n.children.get(*name).copied());
            node = match existing {
                Some(child) => child,
                None => {
                    if name.starts_with(DOUBLE_WHITEOUT) {
                        return;
                    }
                    self.nodes.push(DNode {
                        name: (*name).to_owned(),
                        parent: node,
                        children: BTreeMap::new(),
                        size: 0,
                        is_dir: false,
                    });
                    let id = self.nodes.len() - 1;
                    if let Some(p) = self.nodes.get_mut(node) {
                        p.children.insert((*name).to_owned(), id);
                    }
                    id
                }
            };
            if i + 1 == names.len() {
                if let Some(n) = self.nodes.get_mut(node) {
                    n.size = info.0;
                    n.is_dir = info.1;
                }
            }
        }
    }

    fn get(&self, path: &str) -> Option<usize> {
        let mut node = 0usize;
        for name in path.split('/').filter(|c| !c.is_empty()) {
            node = *self.nodes.get(node)?.children.get(name)?;
        }
        Some(node)
    }

    /// dive's `Path()`: names joined, the leaf's `.wh.` prefix stripped.
    fn path(&self, id: usize) -> String {
        let mut names = Vec::new();
        let mut cur = id;
        while cur != 0 {
            let Some(n) = self.nodes.get(cur) else { break };
            let name = if cur == id {
                n.name.strip_prefix(WHITEOUT).unwrap_or(&n.name)
            } else {
                &n.name
            };
            names.push(name.to_owned());
            cur = n.parent;
        }
        names.reverse();
        names.join("/")
    }

    /// Every node below `id` and itself, children first in name order.
    fn post_order(&self, id: usize, out: &mut Vec<usize>) {
        let mut stack = vec![(id, false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                out.push(node);
                continue;
            }
            stack.push((node, true));
            if let Some(n) = self.nodes.get(node) {
                for child in n.children.values().rev() {
                    stack.push((*child, false));
                }
            }
        }
    }

    fn visit_all(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.post_order(0, &mut out);
        out.retain(|id| *id != 0);
        out
    }

    fn subtree_size(&self, id: usize) -> i64 {
        let mut ids = Vec::new();
        self.post_order(id, &mut ids);
        ids.iter()
            .filter_map(|i| self.nodes.get(*i))
            .fold(0i64, |acc, n| acc.saturating_add(n.size))
    }

    /// Lays `upper` over this tree the way dive's `Stack` does: every node
    /// of `upper` (children first, in name order) adds its path with its
    /// size, or, for a `.wh.NAME` node, removes `NAME`. Walks both trees
    /// together so each node costs one child lookup, not a path walk from
    /// the root (paths can be thousands of components deep).
    fn stack(&mut self, upper: &DTree) {
        // The upper nodes on the way to the current one (root first), each
        // with its counterpart here (None: not here, or not yet created).
        // Invariant: the Nones are a suffix of the chain.
        let mut chain: Vec<(usize, Option<usize>)> = vec![(0, Some(0))];
        let mut work: Vec<(usize, bool)> = Vec::new();
        if let Some(root) = upper.nodes.first() {
            work.extend(root.children.values().rev().map(|&c| (c, false)));
        }
        while let Some((id, expanded)) = work.pop() {
            let Some(n) = upper.nodes.get(id) else {
                continue;
            };
            if !expanded {
                let here = chain
                    .last()
                    .and_then(|&(_, mine)| mine)
                    .and_then(|mine| self.nodes.get(mine)?.children.get(&n.name).copied());
                chain.push((id, here));
                work.push((id, true));
                work.extend(n.children.values().rev().map(|&c| (c, false)));
                continue;
            }
            if let Some(target) = n.name.strip_prefix(WHITEOUT) {
                self.remove_below(&mut chain, target);
            } else if let Some(mine) = self.create_chain(upper, &mut chain) {
                if let Some(node) = self.nodes.get_mut(mine) {
                    node.size = n.size;
                    node.is_dir = n.is_dir;
                }
            }
            chain.pop();
        }
    }

    /// dive's `RemovePath` for the whiteout on top of `chain`: removes the
    /// name `target` from the directory below it (an empty `target` names
    /// that directory itself).
    fn remove_below(&mut self, chain: &mut [(usize, Option<usize>)], target: &str) {
        let depth = chain.len().saturating_sub(2);
        let Some(parent) = chain.get(depth).and_then(|c| c.1) else {
            return;
        };
        let victim = if target.is_empty() {
            Some(parent)
        } else {
            self.nodes
                .get(parent)
                .and_then(|p| p.children.get(target).copied())
        };
        let Some(victim) = victim.filter(|v| *v != 0) else {
            return;
        };
        let Some((above, name)) = self.nodes.get(victim).map(|n| (n.parent, n.name.clone())) else {
            return;
        };
        if let Some(p) = self.nodes.get_mut(above) {
            p.children.remove(&name);
        }
        if victim == parent {
            if let Some(c) = chain.get_mut(depth) {
                c.1 = None;
            }
        }
    }

    /// dive's `AddPath` for the node on top of `chain`: creates the missing
    /// counterparts (not below a missing `.wh..wh..` name, which dive
    /// never creates) and returns the top one.
    fn create_chain(
        &mut self,
        upper: &DTree,
        chain: &mut [(usize, Option<usize>)],
    ) -> Option<usize> {
        let first_missing = chain.partition_point(|c| c.1.is_some());
        let mut parent = chain.get(first_missing.checked_sub(1)?)?.1?;
        for c in chain.iter_mut().skip(first_missing) {
            let name = &upper.nodes.get(c.0)?.name;
            let existing = self
                .nodes
                .get(parent)
                .and_then(|p| p.children.get(name).copied());
            let mine = match existing {
                Some(mine) => mine,
                None => {
                    if name.starts_with(DOUBLE_WHITEOUT) {
                        return None;
                    }
                    self.nodes.push(DNode {
                        name: name.clone(),
                        parent,
                        children: BTreeMap::new(),
                        size: 0,
                        is_dir: false,
                    });
                    let mine = self.nodes.len() - 1;
                    if let Some(p) = self.nodes.get_mut(parent) {
                        p.children.insert(name.clone(), mine);
                    }
                    mine
                }
            };
            c.1 = Some(mine);
            parent = mine;
        }
        chain.last()?.1
    }
}

fn layer_tree(entries: &[Entry]) -> DTree {
    let mut tree = DTree::new();
    for e in entries {
        if e.path.is_empty() {
            continue;
        }
        let size = i64::try_from(e.size).unwrap_or(i64::MAX);
        tree.add(&e.path, (size, e.kind == crate::model::EntryKind::Dir));
    }
    tree
}

#[derive(Default)]
struct PathData {
    cumulative: i64,
    min: i64,
    count: u64,
}

/// Computes dive's efficiency numbers for layers given bottom first.
pub fn dive_efficiency(layers: &[&[Entry]]) -> DiveEfficiency {
    let trees: Vec<DTree> = layers.iter().map(|l| layer_tree(l)).collect();
    let mut data: HashMap<String, PathData> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut stacked = trees.first().cloned().unwrap_or_else(DTree::new);
    for tree in &trees {
        for id in tree.visit_all() {
            let Some(node) = tree.nodes.get(id) else {
                continue;
            };
            if !node.children.is_empty() {
                continue;
            }
            let path = tree.path(id);
            let slot = data.entry(path.clone()).or_insert(PathData {
                cumulative: 0,
                min: -1,
                count: 0,
            });
            let size = if node.name.starts_with(WHITEOUT) {
                match stacked.get(&path) {
                    None => break,
                    Some(prev) => {
                        let is_dir = stacked.nodes.get(prev).is_some_and(|n| n.is_dir);
                        if is_dir {
                            stacked.subtree_size(prev)
                        } else {
                            0
                        }
                    }
                }
            } else {
                node.size
            };
            slot.cumulative = slot.cumulative.saturating_add(size);
            if slot.min < 0 || size < slot.min {
                slot.min = size;
            }
            slot.count += 1;
            if slot.count == 2 {
                order.push(path);
            }
        }
        stacked.stack(tree);
    }
    let (mut min_sum, mut total) = (0i64, 0i64);
    for d in data.values() {
        min_sum = min_sum.saturating_add(d.min);
        total = total.saturating_add(d.cumulative);
    }
    let score = if total == 0 {
        1.0
    } else {
        min_sum as f64 / total as f64
    };
    let mut inefficiencies: Vec<Inefficiency> = order
        .into_iter()
        .filter_map(|path| {
            data.get(&path).map(|d| Inefficiency {
                cumulative_size: d.cumulative,
                count: d.count,
                path,
            })
        })
        .collect();
    inefficiencies.sort_by(|a, b| {
        a.cumulative_size
            .cmp(&b.cumulative_size)
            .then(a.path.cmp(&b.path))
    });
    let wasted_bytes = inefficiencies
        .iter()
        .fold(0u64, |acc, i| acc.wrapping_add(i.cumulative_size as u64));
    let sizes: Vec<u64> = layers
        .iter()
        .map(|l| l.iter().map(|e| e.size).fold(0u64, u64::saturating_add))
        .collect();
    let size_bytes = sizes.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let user_size_bytes = sizes.iter().skip(1).fold(0u64, |a, b| a.saturating_add(*b));
    DiveEfficiency {
        score,
        wasted_bytes,
        size_bytes,
        user_size_bytes,
        wasted_user_percent: wasted_bytes as f64 / user_size_bytes as f64,
        inefficiencies,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryKind;

    fn e(path: &str, size: u64) -> Entry {
        Entry::sample(path, EntryKind::File, size)
    }

    /// dive's own unit case: implied directories are not directories, so
    /// the whiteout of `etc/nginx` counts 0 and the score is 0.75.
    #[test]
    fn matches_dives_reference_case() {
        let l0 = vec![e("etc/nginx/nginx.conf", 2000), e("etc/nginx/public", 3000)];
        let l1 = vec![e("etc/nginx/nginx.conf", 5000), e("etc/athing", 10000)];
        let l2 = vec![e("etc/.wh.nginx", 0)];
        let d = dive_efficiency(&[&l0, &l1, &l2]);
        assert_eq!(d.score, 0.75);
        assert_eq!(d.inefficiencies.len(), 1);
        assert_eq!(d.inefficiencies[0].path, "etc/nginx/nginx.conf");
        assert_eq!(d.inefficiencies[0].cumulative_size, 7000);
        assert_eq!(d.wasted_bytes, 7000);
    }

    impl DTree {
        /// dive's `RemovePath` by path (the reference for `stack`).
        fn remove(&mut self, path: &str) {
            if let Some(id) = self.get(path).filter(|id| *id != 0) {
                let (parent, name) = match self.nodes.get(id) {
                    Some(n) => (n.parent, n.name.clone()),
                    None => return,
                };
                if let Some(p) = self.nodes.get_mut(parent) {
                    p.children.remove(&name);
                }
            }
        }

        /// `stack` the way dive writes it: one path walk per node.
        fn stack_by_paths(&mut self, upper: &DTree) {
            for id in upper.visit_all() {
                let Some(n) = upper.nodes.get(id) else {
                    continue;
                };
                let path = upper.path(id);
                if n.name.starts_with(WHITEOUT) {
                    self.remove(&path);
                } else {
                    self.add(&path, (n.size, n.is_dir));
                }
            }
        }

        /// Every reachable path with its size and flag, in order.
        fn listing(&self) -> Vec<(String, i64, bool)> {
            let mut ids = Vec::new();
            self.post_order(0, &mut ids);
            ids.iter()
                .filter_map(|id| {
                    let n = self.nodes.get(*id)?;
                    let mut names = Vec::new();
                    let mut cur = *id;
                    while cur != 0 {
                        names.push(self.nodes.get(cur)?.name.clone());
                        cur = self.nodes.get(cur)?.parent;
                    }
                    names.reverse();
                    Some((names.join("/"), n.size, n.is_dir))
                })
                .collect()
        }
    }

    proptest::proptest! {
        /// The one-walk `stack` gives exactly what dive's path-by-path
        /// stacking gives, whiteouts (including `.wh.` alone and
        /// `.wh..wh..` names) and all.
        #[test]
        fn stack_matches_path_walks(
            lower in proptest::collection::vec(("[ab]{1,2}(/[ab]{1,2}){0,3}", 0u64..9), 0..12),
            upper in proptest::collection::vec(
                ("([ab]|\\.wh\\.|\\.wh\\.[ab]|\\.wh\\.\\.wh\\.\\.x)(/([ab]|\\.wh\\.|\\.wh\\.[ab]|\\.wh\\.\\.wh\\.\\.x)){0,3}", 0u64..9),
                0..12,
            ),
        ) {
            let lower: Vec<Entry> = lower.iter().map(|(p, s)| e(p, *s)).collect();
            let upper: Vec<Entry> = upper.iter().map(|(p, s)| e(p, *s)).collect();
            let (base, top) = (layer_tree(&lower), layer_tree(&upper));
            let mut walked = base.clone();
            walked.stack_by_paths(&top);
            let mut stacked = base;
            stacked.stack(&top);
            proptest::prop_assert_eq!(stacked.listing(), walked.listing());
        }
    }

    #[test]
    fn scratch_is_perfect() {
        let l0 = vec![e("nothing", 0)];
        let d = dive_efficiency(&[&l0, &[], &[]]);
        assert_eq!(d.score, 1.0);
        assert!(d.inefficiencies.is_empty());
    }
}
