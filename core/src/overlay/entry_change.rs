//! The change of each entry of a layer: what one entry does to the tree of
//! the layers below it, read off the layer's changeset. This is the one
//! definition `ls --layer N`, the page's per-layer badges and the layer
//! listing ([`super::listing`]) show.
//!
//! The rule, per entry:
//! - a regular entry (file, directory, link, device) is `added` when its
//!   path did not exist below, `modified` when it did and something differs
//!   (the aspects; an object of another type taking the path is `modified`
//!   with aspect `type` and the previous kind), `deleted` when a later entry
//!   of the same layer removed it again, else `unchanged`;
//! - a whiteout `.wh.NAME` is `deleted` when NAME existed below (even when
//!   the layer creates it again), else `unchanged`;
//! - an opaque marker is `deleted` when it hid lower children, else
//!   `unchanged`.

use serde::{Deserialize, Serialize};

use crate::model::{Entry, EntryKind};

use super::changes::{Aspect, Change, ChangeAction, LayerChanges};

/// What one entry (or one path of a layer's listing) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryAction {
    /// The path did not exist below.
    Added,
    /// It did, and the entry changes it (see [`EntryChange::aspects`]).
    Modified,
    /// The entry removes what was below (whiteout, opaque marker), or was
    /// itself removed again later in the layer.
    Deleted,
    /// Listed again with identical attributes, or a marker with nothing to
    /// remove.
    Unchanged,
}

impl EntryAction {
    /// Every action, in the order of their codes ([`EntryAction::code`]).
    pub const ALL: [EntryAction; 4] = [
        EntryAction::Added,
        EntryAction::Modified,
        EntryAction::Deleted,
        EntryAction::Unchanged,
    ];

    /// The word: `added`, `modified`, `deleted`, `unchanged`.
    pub fn word(self) -> &'static str {
        match self {
            EntryAction::Added => "added",
            EntryAction::Modified => "modified",
            EntryAction::Deleted => "deleted",
            EntryAction::Unchanged => "unchanged",
        }
    }

    /// A small number for column tables: the index in [`EntryAction::ALL`].
    pub fn code(self) -> u8 {
        match self {
            EntryAction::Added => 0,
            EntryAction::Modified => 1,
            EntryAction::Deleted => 2,
            EntryAction::Unchanged => 3,
        }
    }
}

/// What one entry does to the tree below its layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryChange {
    /// Added, modified, deleted or unchanged.
    pub action: EntryAction,
    /// For `modified`: what differs (`type` when an object of another type
    /// was replaced).
    pub aspects: Vec<Aspect>,
    /// The layer that provided the previous version, when known.
    pub previous_layer: Option<usize>,
    /// The previous version's type (modified and deleted paths).
    pub previous_kind: Option<EntryKind>,
}

impl EntryChange {
    fn bare(action: EntryAction) -> EntryChange {
        EntryChange {
            action,
            aspects: Vec::new(),
            previous_layer: None,
            previous_kind: None,
        }
    }

    fn after(action: EntryAction, change: &Change) -> EntryChange {
        EntryChange {
            action,
            aspects: Vec::new(),
            previous_layer: change.previous_layer,
            previous_kind: change.previous_kind,
        }
    }

    /// The change of a path placed by an entry (or implied by one), given
    /// its layer's change for that path (None: nothing changed).
    pub fn of_placed(change: Option<&Change>) -> EntryChange {
        match change {
            None => EntryChange::bare(EntryAction::Unchanged),
            Some(c) => match c.action {
                ChangeAction::Added => EntryChange::bare(EntryAction::Added),
                ChangeAction::Modified if c.aspects.is_empty() => {
                    EntryChange::after(EntryAction::Unchanged, c)
                }
                ChangeAction::Modified => EntryChange {
                    aspects: c.aspects.clone(),
                    ..EntryChange::after(EntryAction::Modified, c)
                },
                ChangeAction::Deleted => EntryChange::after(EntryAction::Deleted, c),
            },
        }
    }

    /// The change of a whiteout `.wh.NAME`, given its layer's change for
    /// NAME: it deleted something when NAME existed below.
    pub fn of_whiteout(target: Option<&Change>) -> EntryChange {
        match target.filter(|c| c.action != ChangeAction::Added) {
            Some(c) => EntryChange::after(EntryAction::Deleted, c),
            None => EntryChange::bare(EntryAction::Unchanged),
        }
    }

    /// The change of an opaque marker: whether it hid lower children.
    pub fn of_opaque(hid: bool) -> EntryChange {
        EntryChange::bare(if hid {
            EntryAction::Deleted
        } else {
            EntryAction::Unchanged
        })
    }
}

/// The change of every entry of one layer (in stream order), from that
/// layer's changeset: see the module's rule.
pub fn entry_changes(entries: &[Entry], changes: &LayerChanges) -> Vec<EntryChange> {
    super::listing::LayerListing::build(entries).entry_changes(entries, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words the drivers show are the JSON names.
    #[test]
    fn words_are_the_json_names() {
        let json = |v: serde_json::Value| v.as_str().unwrap().to_owned();
        for action in EntryAction::ALL {
            assert_eq!(json(serde_json::to_value(action).unwrap()), action.word());
            assert_eq!(EntryAction::ALL[usize::from(action.code())], action);
        }
        use Aspect::*;
        for aspect in [
            Content, Mode, Owner, Mtime, Xattrs, LinkTarget, Device, Inode, Type,
        ] {
            assert_eq!(json(serde_json::to_value(aspect).unwrap()), aspect.name());
        }
        use EntryKind::*;
        for kind in [File, Dir, Symlink, Hardlink, CharDevice, BlockDevice, Fifo] {
            assert_eq!(json(serde_json::to_value(kind).unwrap()), kind.name());
        }
    }
}
