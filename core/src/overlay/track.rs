//! Following chosen files through the layers: after each layer, which of
//! them exist as regular files and which layer's entry supplies their
//! data. The package scan uses it to read each database as every layer
//! leaves it, without building the whole merged tree per layer.
//!
//! Only the entries that can change the answer are merged — the chosen
//! files, every whiteout, every symlink (a parent may resolve through
//! one), the chosen files' ancestors (one may be replaced by another
//! type) and hard-link targets — by the same engine and rules as
//! [`super::Overlay`], so the answer is the full merge's.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{Entry, EntryKind};

use super::merge::Engine;
use super::tree::{IMPLIED, PathId};

/// The entry whose data a tracked file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSource {
    /// Layer index.
    pub layer: usize,
    /// Index of the entry in that layer's entry list.
    pub entry: usize,
}

/// A tracked path whose state changed in a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackEvent {
    /// The path in the merged tree.
    pub path: String,
    /// Its data's entry from this layer on; None when it is gone (or is
    /// no longer a chosen regular file).
    pub source: Option<FileSource>,
}

/// Per layer (bottom first), the chosen paths whose state that layer
/// changed, sorted by path. `wanted` chooses entries (a hard link is
/// followed to its target's data).
pub fn track_files(layers: &[&[Entry]], wanted: &dyn Fn(&Entry) -> bool) -> Vec<Vec<TrackEvent>> {
    let mut ancestors: HashSet<&str> = HashSet::new();
    let mut targets: HashSet<&str> = HashSet::new();
    for entry in layers.iter().flat_map(|l| l.iter()) {
        if !wanted(entry) {
            continue;
        }
        let mut paths = vec![entry.path.as_str()];
        if entry.kind == EntryKind::Hardlink {
            if let Some(target) = entry.link_target.as_deref() {
                targets.insert(target);
                paths.push(target);
            }
        }
        for path in paths {
            let mut rest = path;
            while let Some((parent, _)) = rest.rsplit_once('/') {
                if !ancestors.insert(parent) {
                    break;
                }
                rest = parent;
            }
        }
    }
    // Per layer: the kept entries, their original indexes, whether chosen.
    let mut kept: Vec<Vec<Entry>> = Vec::with_capacity(layers.len());
    let mut original: Vec<Vec<(usize, bool)>> = Vec::with_capacity(layers.len());
    for layer in layers {
        let mut entries = Vec::new();
        let mut index = Vec::new();
        for (i, entry) in layer.iter().enumerate() {
            let chosen = wanted(entry);
            if chosen
                || entry.whiteout.is_some()
                || entry.kind == EntryKind::Symlink
                || ancestors.contains(entry.path.as_str())
                || targets.contains(entry.path.as_str())
            {
                entries.push(entry.clone());
                index.push((i, chosen));
            }
        }
        kept.push(entries);
        original.push(index);
    }
    let refs: Vec<&[Entry]> = kept.iter().map(Vec::as_slice).collect();
    let mut engine = Engine::new(&refs);
    let mut live: HashMap<PathId, FileSource> = HashMap::new();
    let mut out = Vec::with_capacity(layers.len());
    for layer in 0..refs.len() {
        engine.apply(layer);
        let mut ids: Vec<PathId> = live.keys().copied().collect();
        if let Some(pending) = engine.pending.last() {
            ids.extend(pending.touched_ids());
        }
        ids.sort_unstable();
        ids.dedup();
        let mut events = BTreeMap::new();
        for id in ids {
            let now = engine.tree.node(id).and_then(|node| {
                if node.entry == IMPLIED {
                    return None;
                }
                let (_, chosen) = *original.get(node.layer)?.get(node.entry)?;
                let inode = engine.tree.inodes.get(node.inode)?;
                if !chosen || inode.kind != EntryKind::File || inode.entry == IMPLIED {
                    return None;
                }
                let (entry, _) = *original.get(inode.layer)?.get(inode.entry)?;
                Some(FileSource {
                    layer: inode.layer,
                    entry,
                })
            });
            let before = live.get(&id).copied();
            if before == now {
                continue;
            }
            match now {
                Some(source) => live.insert(id, source),
                None => live.remove(&id),
            };
            events.insert(engine.tree.path(id), now);
        }
        out.push(
            events
                .into_iter()
                .map(|(path, source)| TrackEvent { path, source })
                .collect(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Whiteout;

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 1,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: None,
            gname: None,
            mtime: 0,
            link_target: None,
            device: None,
            xattrs: vec![],
            whiteout: None,
            header_offset: 0,
            data_offset: 512,
            content_hash: None,
        }
    }

    fn whiteout(path: &str, target: &str) -> Entry {
        let mut e = entry(path, EntryKind::File);
        e.whiteout = Some(Whiteout::Remove {
            target: target.into(),
        });
        e
    }

    fn summary(events: &[Vec<TrackEvent>]) -> Vec<Vec<String>> {
        events
            .iter()
            .map(|l| {
                l.iter()
                    .map(|e| match e.source {
                        Some(s) => format!("{}={}:{}", e.path, s.layer, s.entry),
                        None => format!("{}=gone", e.path),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn files_through_updates_whiteouts_type_changes_links_and_symlinks() {
        let wanted = |e: &Entry| e.path.ends_with("db");
        let l0 = vec![
            entry("var", EntryKind::Dir),
            entry("var/db", EntryKind::File),
            entry("other", EntryKind::File),
            entry("a/db", EntryKind::File),
        ];
        let mut link = entry("b/db", EntryKind::Hardlink);
        link.link_target = Some("var/db".into());
        let l1 = vec![
            entry("other", EntryKind::File),
            link,
            entry("var/db", EntryKind::File),
        ];
        let mut sym = entry("lib", EntryKind::Symlink);
        sym.link_target = Some("usr/lib".into());
        let l2 = vec![whiteout(".wh.a", "a"), sym];
        let l3 = vec![
            entry("lib/x/db", EntryKind::File),
            entry("b", EntryKind::File),
        ];
        let layers: Vec<&[Entry]> = vec![&l0, &l1, &l2, &l3];
        let events = track_files(&layers, &wanted);
        assert_eq!(
            summary(&events),
            vec![
                vec!["a/db=0:3".to_owned(), "var/db=0:1".to_owned()],
                vec!["b/db=0:1".to_owned(), "var/db=1:2".to_owned()],
                vec!["a/db=gone".to_owned()],
                vec!["b/db=gone".to_owned(), "usr/lib/x/db=3:0".to_owned()],
            ]
        );
    }
}
