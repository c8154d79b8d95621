//! A file as one layer leaves it versus as another leaves it: which entry
//! supplies its bytes after each of the two layers ([`track_files`]), the
//! first [`DIFF_SIDE_LIMIT`] bytes of each read through the
//! driver's [`LayerOpener`], and their [`textdiff`](crate::textdiff).

use serde::{Deserialize, Serialize};

use crate::error::{Error, RequestError, Result};
use crate::layer::opener::LayerOpener;
use crate::model::Entry;
use crate::textdiff::{self, DiffBody};

use super::stack::read_entry_prefix;
use super::track::{FileSource, track_files};

/// The most bytes of each side read and compared (1 MiB).
pub const DIFF_SIDE_LIMIT: u64 = 1 << 20;

/// One side of a [`FileDiff`]: the path as layer `layer` leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSide {
    /// The layer (the cumulative tree up to and including it).
    pub layer: usize,
    /// Whether the path is a regular file there (other sides — absent, or
    /// of another type — compare as empty, like `diff -N`).
    pub present: bool,
    /// The layer whose entry supplies the bytes (differs from the layer
    /// that placed the path for hard links to lower files).
    pub source_layer: Option<usize>,
    /// The file's size.
    pub size: u64,
    /// Bytes read and compared (at most [`DIFF_SIDE_LIMIT`]).
    pub compared: u64,
    /// The file is longer than what was compared.
    pub cut: bool,
}

/// A regular file compared between two layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    /// The path.
    pub path: String,
    /// The old side (the first layer asked for).
    pub old: DiffSide,
    /// The new side.
    pub new: DiffSide,
    /// Bytes compared at most per side.
    pub limit: u64,
    /// Identical, a text diff, or binary with the first differing offset.
    pub body: DiffBody,
}

/// Per layer asked for, the entry supplying `path`'s bytes after it, with
/// its layer: None when the path is not a regular file there (absent, or
/// of another type). Read off [`track_files`], which merges only what can
/// change the answer.
pub fn file_versions<'a>(
    layers: &[&'a [Entry]],
    path: &str,
    at: &[usize],
) -> Result<Vec<Option<(usize, &'a Entry)>>> {
    let count = layers.len();
    if let Some(&bad) = at.iter().find(|&&l| l >= count) {
        return Err(Error::Request(RequestError::NoSuchLayer {
            index: bad,
            count,
        }));
    }
    let events = track_files(layers, &|e: &Entry| e.path == path);
    // The path's source after each layer.
    let mut now: Option<FileSource> = None;
    let after: Vec<Option<FileSource>> = events
        .iter()
        .map(|list| {
            if let Some(event) = list.iter().find(|e| e.path == path) {
                now = event.source;
            }
            now
        })
        .collect();
    Ok(at
        .iter()
        .map(|&layer| {
            let source = after.get(layer).copied().flatten()?;
            let entry = layers.get(source.layer)?.get(source.entry)?;
            Some((source.layer, entry))
        })
        .collect())
}

/// Compares `path` as layer `old` leaves it with `path` as layer `new`
/// leaves it, reading at most [`DIFF_SIDE_LIMIT`] bytes of each through
/// `opener`; a side where the path is not a regular file compares as
/// empty. A path that is a regular file after neither layer is a
/// `NotAFile` request error.
pub fn file_diff(
    layers: &[&[Entry]],
    path: &str,
    old: usize,
    new: usize,
    opener: &mut dyn LayerOpener,
) -> Result<FileDiff> {
    let versions = file_versions(layers, path, &[old, new])?;
    let (before, after) = match versions.as_slice() {
        [a, b] => (*a, *b),
        _ => (None, None),
    };
    if before.is_none() && after.is_none() {
        return Err(RequestError::NotAFile { path: path.into() }.into());
    }
    let mut read =
        |layer: usize, version: Option<(usize, &Entry)>| -> Result<(DiffSide, Vec<u8>)> {
            let Some((source, entry)) = version else {
                let side = DiffSide {
                    layer,
                    present: false,
                    source_layer: None,
                    size: 0,
                    compared: 0,
                    cut: false,
                };
                return Ok((side, Vec::new()));
            };
            let bytes = read_entry_prefix(opener, source, entry, Some(DIFF_SIDE_LIMIT))?;
            let side = DiffSide {
                layer,
                present: true,
                source_layer: Some(source),
                size: entry.size,
                compared: bytes.len() as u64,
                cut: entry.size > bytes.len() as u64,
            };
            Ok((side, bytes))
        };
    let (old_side, old_bytes) = read(old, before)?;
    let same_entry =
        matches!((before, after), (Some((l, a)), Some((m, b))) if l == m && std::ptr::eq(a, b));
    let (new_side, new_bytes) = if same_entry {
        (
            DiffSide {
                layer: new,
                ..old_side.clone()
            },
            old_bytes.clone(),
        )
    } else {
        read(new, after)?
    };
    let body = if same_entry {
        DiffBody::Identical
    } else {
        textdiff::diff(&old_bytes, &new_bytes, old_side.cut, new_side.cut)
    };
    Ok(FileDiff {
        path: path.to_owned(),
        old: old_side,
        new: new_side,
        limit: DIFF_SIDE_LIMIT,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntryKind, Whiteout};

    fn entry(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry::sample(path, kind, size)
    }

    #[test]
    fn versions_follow_the_layers() {
        let l0 = vec![entry("f", EntryKind::File, 1)];
        let mut link = entry("g", EntryKind::Hardlink, 0);
        link.link_target = Some("f".into());
        let l1 = vec![entry("f", EntryKind::File, 2), link];
        let mut wh = entry(".wh.f", EntryKind::File, 0);
        wh.whiteout = Some(Whiteout::Remove { target: "f".into() });
        let l2 = vec![wh];
        let l3 = vec![entry("f", EntryKind::Dir, 0)];
        let layers: Vec<&[Entry]> = vec![&l0, &l1, &l2, &l3];
        let sizes = |at: &[usize], path: &str| -> Result<Vec<Option<(usize, u64)>>> {
            Ok(file_versions(&layers, path, at)?
                .into_iter()
                .map(|v| v.map(|(l, e)| (l, e.size)))
                .collect())
        };
        assert_eq!(
            sizes(&[0, 1, 2], "f").unwrap(),
            vec![Some((0, 1)), Some((1, 2)), None]
        );
        // The hard link's bytes come from layer 1's entry for f.
        assert_eq!(
            sizes(&[2, 1], "g").unwrap(),
            vec![Some((1, 2)), Some((1, 2))]
        );
        // A directory there: not a regular file.
        assert_eq!(sizes(&[3], "f").unwrap(), vec![None]);
        assert!(matches!(
            sizes(&[4], "f"),
            Err(Error::Request(RequestError::NoSuchLayer {
                index: 4,
                count: 4
            }))
        ));
    }
}
