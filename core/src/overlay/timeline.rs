//! One path followed through every layer (`git log -- PATH` for an
//! image): each layer that added it, modified it (with the aspects that
//! changed), deleted it — itself, or with an ancestor removed by a
//! whiteout, an opaque directory or a type replacement — or listed it
//! unchanged, with that layer's history command.
//!
//! Every step is read off the layers' changesets ([`super::changes`]) and
//! worded by the per-entry rule ([`EntryChange::of_placed`]); nothing here
//! decides what a change is.

use serde::{Deserialize, Serialize};

use crate::error::{RequestError, Result};
use crate::model::{Entry, EntryKind, HistoryEntry};

use super::changes::{Change, RemovalCause};
use super::entry_change::{EntryAction, EntryChange};
use super::merge::{self, Engine};

/// One layer's step in a path's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineStep {
    /// The layer.
    pub layer: usize,
    /// Index of the history entry that made the layer (empty-layer
    /// entries skipped), when the config has one.
    pub history: Option<usize>,
    /// That entry's `created_by` (the build command).
    pub created_by: Option<String>,
    /// What the layer did to the path: added, modified (with aspects),
    /// deleted or unchanged — the per-entry rule of `ls --layer N`.
    pub change: EntryChange,
    /// The path's type after the step (for a deletion, the type removed).
    pub kind: EntryKind,
    /// Its data size after the step (0 for a deletion and non-files).
    pub size: u64,
    /// For deletions and type replacements: why the previous object went.
    pub cause: Option<RemovalCause>,
    /// For a deletion through an ancestor (whiteout or opaque directory
    /// over a parent, or a parent directory replaced by another type): the
    /// ancestor's path. None when the path itself was removed.
    pub removed_with: Option<String>,
}

/// A path's history across the layers of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileTimeline {
    /// The path (normalized, "" = root).
    pub path: String,
    /// The image's layer count.
    pub layers: usize,
    /// Every layer that touched the path, oldest first (a layer can have
    /// two steps: a deletion through an ancestor, then its own entry).
    pub steps: Vec<TimelineStep>,
    /// Whether the path exists in the final image.
    pub present: bool,
}

/// The timeline of `path` over `layers` (bottom first); `history` is the
/// config history aligned with layers (`OpenedImage::history`, may be
/// empty). A path no layer ever names is a `NoSuchPath` request error.
pub fn timeline(layers: &[&[Entry]], history: &[HistoryEntry], path: &str) -> Result<FileTimeline> {
    let mut engine = Engine::new(layers);
    for layer in 0..layers.len() {
        engine.apply(layer);
    }
    let no_path = || RequestError::NoSuchPath { path: path.into() };
    let id = engine.tree.lookup(path).ok_or_else(no_path)?;
    let present = engine.tree.node(id).is_some();
    let (changes, ids) = merge::changes_along(&engine.tree, layers, &engine.pending, id);
    let mut steps = Vec::new();
    // The path's state before the layer being read: (kind, size, layer
    // that last placed it) when it exists.
    let mut state: Option<(EntryKind, u64, Option<usize>)> = None;
    for (set, set_ids) in changes.iter().zip(&ids) {
        let layer = set.layer;
        let own: Vec<&Change> = set
            .changes
            .iter()
            .zip(set_ids)
            .filter(|(_, at)| **at == id)
            .map(|(c, _)| c)
            .collect();
        let ancestor = set
            .changes
            .iter()
            .zip(set_ids)
            .find(|(c, at)| **at != id && c.removed_subtree())
            .map(|(c, _)| c);
        let (history_index, created_by) = match HistoryEntry::of_layer(history, layer) {
            Some(h) => (Some(h.index), h.created_by.clone()),
            None => (None, None),
        };
        let step = |change: EntryChange, kind, size, cause, removed_with| TimelineStep {
            layer,
            history: history_index,
            created_by: created_by.clone(),
            change,
            kind,
            size,
            cause,
            removed_with,
        };
        // Whiteouts are applied before the layer's other entries: an
        // ancestor's removal comes first.
        if let (Some(a), Some((kind, _, placed))) = (ancestor, state) {
            steps.push(step(
                EntryChange {
                    action: EntryAction::Deleted,
                    aspects: Vec::new(),
                    previous_layer: placed,
                    previous_kind: Some(kind),
                },
                kind,
                0,
                a.cause.clone(),
                Some(a.path.clone()),
            ));
            state = None;
        }
        if let Some(c) = own.last() {
            let change = EntryChange::of_placed(Some(c));
            let deleted = change.action == EntryAction::Deleted;
            steps.push(step(
                change,
                c.kind,
                if deleted { 0 } else { c.size },
                c.cause.clone(),
                None,
            ));
            state = (!deleted).then_some((c.kind, c.size, Some(layer)));
        }
    }
    Ok(FileTimeline {
        path: path.to_owned(),
        layers: layers.len(),
        steps,
        present,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Whiteout;
    use crate::overlay::Aspect;

    fn entry(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            content_hash: Some(size),
            ..Entry::sample(path, kind, size)
        }
    }

    fn whiteout(target: &str) -> Entry {
        let (parent, name) = crate::paths::split_parent(target);
        let mut e = entry(
            &crate::paths::join(parent, &format!(".wh.{name}")),
            EntryKind::File,
            0,
        );
        e.whiteout = Some(Whiteout::Remove {
            target: target.into(),
        });
        e
    }

    fn opaque(dir: &str) -> Entry {
        let mut e = entry(&format!("{dir}/.wh..wh..opq"), EntryKind::File, 0);
        e.whiteout = Some(Whiteout::Opaque { dir: dir.into() });
        e
    }

    fn history(layers: usize) -> Vec<HistoryEntry> {
        // An empty-layer entry first: layer i is history entry i + 1.
        std::iter::once(None)
            .chain((0..layers).map(Some))
            .enumerate()
            .map(|(index, layer)| HistoryEntry {
                index,
                created: None,
                created_by: Some(format!("step {index}")),
                author: None,
                comment: None,
                empty_layer: layer.is_none(),
                layer,
            })
            .collect()
    }

    /// (layer, action, aspects, removed_with) of each step.
    fn summary(t: &FileTimeline) -> Vec<(usize, EntryAction, Vec<Aspect>, Option<&str>)> {
        t.steps
            .iter()
            .map(|s| {
                (
                    s.layer,
                    s.change.action,
                    s.change.aspects.clone(),
                    s.removed_with.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn a_file_through_every_kind_of_step() {
        use EntryAction::*;
        use EntryKind::*;
        let mut mode = entry("etc/f", File, 3);
        mode.mode = 0o600;
        let layers_owned = vec![
            vec![entry("etc", Dir, 0), entry("etc/f", File, 3)],
            vec![entry("etc/f", File, 5)],
            vec![mode.clone()],
            vec![entry("other", File, 1)],
            vec![mode.clone()],
            vec![whiteout("etc/f")],
            vec![entry("etc/f", File, 7)],
            vec![whiteout("etc")],
            vec![entry("etc/f", File, 8)],
            vec![opaque("etc")],
            vec![entry("etc/f", File, 9)],
            vec![entry("etc", File, 1)],
        ];
        let layers: Vec<&[Entry]> = layers_owned.iter().map(Vec::as_slice).collect();
        let t = timeline(&layers, &history(layers.len()), "etc/f").unwrap();
        assert_eq!(
            summary(&t),
            vec![
                (0, Added, vec![], None),
                (1, Modified, vec![Aspect::Content], None),
                (2, Modified, vec![Aspect::Content, Aspect::Mode], None),
                // Shipped again, identical: a new file object (the core's
                // rule: aspect inode for a re-shipped file).
                (4, Modified, vec![Aspect::Inode], None),
                (5, Deleted, vec![], None),
                (6, Added, vec![], None),
                (7, Deleted, vec![], Some("etc")),
                (8, Added, vec![], None),
                (9, Deleted, vec![], None),
                (10, Added, vec![], None),
                (11, Deleted, vec![], Some("etc")),
            ]
        );
        assert!(!t.present);
        let step = |layer| t.steps.iter().find(|s| s.layer == layer).unwrap();
        assert_eq!(step(0).created_by.as_deref(), Some("step 1"));
        assert_eq!(step(0).history, Some(1));
        assert_eq!(step(1).size, 5);
        assert_eq!(step(5).cause, Some(RemovalCause::Whiteout));
        assert_eq!(step(7).cause, Some(RemovalCause::Whiteout));
        assert_eq!(step(7).change.previous_layer, Some(6));
        assert_eq!(
            step(9).cause,
            Some(RemovalCause::OpaqueDir { dir: "etc".into() })
        );
        assert!(matches!(
            step(11).cause,
            Some(RemovalCause::ReplacedByType { kind: File })
        ));
        // The parent itself: modified with aspect type in layer 11.
        let parent = timeline(&layers, &[], "etc").unwrap();
        let last = parent.steps.last().unwrap();
        assert_eq!(
            (last.layer, last.change.action, last.change.aspects.clone()),
            (11, Modified, vec![Aspect::Type])
        );
        assert!(parent.present);
        assert_eq!(last.created_by, None);
        // A directory listed again with the same attributes: unchanged.
        let relisted = timeline(&layers[..2], &[], "etc").unwrap();
        assert_eq!(summary(&relisted), vec![(0, Added, vec![], None)]);
        let again: Vec<&[Entry]> = vec![layers[0], layers[0]];
        let relisted = timeline(&again, &[], "etc").unwrap();
        assert_eq!(
            summary(&relisted),
            vec![(0, Added, vec![], None), (1, Unchanged, vec![], None)]
        );
    }

    #[test]
    fn unknown_paths_are_an_error() {
        let l0 = vec![entry("a", EntryKind::File, 1)];
        let layers: Vec<&[Entry]> = vec![&l0];
        assert!(matches!(
            timeline(&layers, &[], "b"),
            Err(crate::Error::Request(RequestError::NoSuchPath { .. }))
        ));
    }

    #[test]
    fn a_hard_link_re_pointed_and_a_type_replacement_of_the_path() {
        let l0 = vec![
            entry("a", EntryKind::File, 1),
            entry("b", EntryKind::File, 1),
        ];
        let mut link = entry("c", EntryKind::Hardlink, 0);
        link.link_target = Some("a".into());
        let l1 = vec![link];
        let mut relink = entry("c", EntryKind::Hardlink, 0);
        relink.link_target = Some("b".into());
        let l2 = vec![relink];
        let l3 = vec![entry("c", EntryKind::Dir, 0)];
        let layers: Vec<&[Entry]> = vec![&l0, &l1, &l2, &l3];
        let t = timeline(&layers, &[], "c").unwrap();
        let got: Vec<_> = t
            .steps
            .iter()
            .map(|s| (s.layer, s.change.action, s.change.aspects.clone(), s.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, EntryAction::Added, vec![], EntryKind::File),
                (
                    2,
                    EntryAction::Modified,
                    vec![Aspect::Inode],
                    EntryKind::File
                ),
                (3, EntryAction::Modified, vec![Aspect::Type], EntryKind::Dir),
            ]
        );
        assert_eq!(t.steps[2].change.previous_kind, Some(EntryKind::File));
    }

    use proptest::prelude::*;

    /// One random entry over a few nested names.
    fn any_entry() -> impl Strategy<Value = Entry> {
        let paths = prop::sample::select(vec!["a", "a/b", "a/b/c", "a/d", "e"]);
        (paths, 0u8..6, 1u64..4).prop_map(|(path, kind, size)| match kind {
            0 | 1 => entry(path, EntryKind::File, size),
            2 => entry(path, EntryKind::Dir, 0),
            3 => {
                let mut e = entry(path, EntryKind::Symlink, 0);
                e.link_target = Some("x".into());
                e
            }
            4 => whiteout(path),
            _ => opaque(path),
        })
    }

    proptest! {
        /// Replaying the steps gives, after every layer, exactly whether
        /// the path is in the cumulative tree, and with which type.
        #[test]
        fn steps_replay_the_cumulative_trees(
            layers_owned in prop::collection::vec(prop::collection::vec(any_entry(), 0..5), 1..6),
            path in prop::sample::select(vec!["a", "a/b", "a/b/c", "a/d", "e"]),
        ) {
            let layers: Vec<&[Entry]> = layers_owned.iter().map(Vec::as_slice).collect();
            let Ok(t) = timeline(&layers, &[], path) else {
                // Never named: absent everywhere.
                for last in 0..layers.len() {
                    let overlay = crate::overlay::Overlay::up_to(&layers, last).unwrap();
                    prop_assert!(overlay.get(path).is_none());
                }
                return Ok(());
            };
            let mut state: Option<EntryKind> = None;
            for last in 0..layers.len() {
                for s in t.steps.iter().filter(|s| s.layer == last) {
                    state = (s.change.action != EntryAction::Deleted).then_some(s.kind);
                    if s.change.action == EntryAction::Added {
                        prop_assert!(s.change.previous_layer.is_none());
                    }
                }
                let overlay = crate::overlay::Overlay::up_to(&layers, last).unwrap();
                prop_assert_eq!(state, overlay.get(path).map(|m| m.kind), "after layer {}", last);
            }
            prop_assert_eq!(t.present, state.is_some());
        }
    }
}
