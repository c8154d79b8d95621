//! `flatten --layers A..B` on real images and synthetic layers: the
//! squashed layer applied on top of layers `0..A` gives the same tree as
//! the original layers `0..=B`, deletions included (as whiteouts in the
//! squashed tar, and one opaque marker for a directory made opaque or
//! replaced in the range).

use std::io::{Cursor, Read};

use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::model::{Entry, Whiteout};
use layerscope::overlay::LayerOpener;
use layerscope::{Limits, OpenOptions};
use layerscope_cli::input::Input;
use layerscope_test_support::fixtures::{generated, shared};
use layerscope_test_support::layer::LayerBuilder;
use layerscope_test_support::memory::MemoryLayers;
use layerscope_test_support::require_shared;
use layerscope_test_support::squash::check_squash;
use layerscope_tests::inspect_path;

/// Squashes `first..=last` ([`check_squash`]: it stacks to the same tree),
/// checks the whiteout count, and returns the squashed layer's entries.
fn squash(
    what: &str,
    layers: &[&[Entry]],
    open: &mut dyn LayerOpener,
    first: usize,
    last: usize,
) -> Vec<Entry> {
    let squashed =
        check_squash(layers, open, first, last).unwrap_or_else(|e| panic!("{what}: {e}"));
    let whiteouts = squashed
        .entries
        .iter()
        .filter(|e| e.whiteout.is_some())
        .count();
    assert_eq!(
        whiteouts as u64, squashed.summary.whiteouts,
        "{what} {first}..{last}"
    );
    squashed.entries
}

fn check(rel: &str, ranges: &[(usize, usize)]) -> Vec<Vec<Entry>> {
    check_path(rel, &shared(rel), ranges)
}

/// Squashes each range of the image at `path`; returns the squashed
/// layers' entries.
fn check_path(rel: &str, path: &std::path::Path, ranges: &[(usize, usize)]) -> Vec<Vec<Entry>> {
    let inspection = inspect_path(path, &OpenOptions::default()).unwrap();
    let layers: Vec<&[Entry]> = inspection
        .scans
        .iter()
        .map(|s| s.as_ref().unwrap().entries.as_slice())
        .collect();
    let input = Input::from_arg(path.to_str().unwrap()).unwrap();
    let plans = inspection.opened.layers.clone();
    let mut open = |layer: usize| -> std::io::Result<Box<dyn Read>> {
        let reader: Box<dyn Read> = input.open_blob(plans[layer].location.as_ref().unwrap())?;
        Ok(reader)
    };
    ranges
        .iter()
        .map(|&(first, last)| squash(rel, &layers, &mut open, first, last))
        .collect()
}

#[test]
fn dive_image_squashes() {
    require_shared!();
    // Layer 9 deletes root/example (a whiteout must carry that).
    check(
        "dive/test-docker-image.tar",
        &[(9, 9), (5, 9), (8, 13), (1, 13), (12, 13)],
    );
}

#[test]
fn gcr_whiteout_dir_squashes() {
    require_shared!();
    check(
        "go-containerregistry/mutate-whiteout_dir.tar",
        &[(1, 2), (2, 3), (1, 3)],
    );
}

// ---- opaque directories ----------------------------------------------

/// A layer of `(path, content)` members; a path ending in `/` is a
/// directory.
fn layer(members: &[(&str, &str)]) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    for (path, data) in members {
        match path.strip_suffix('/') {
            Some(dir) => b.dir(dir),
            None => b.file(path, data.as_bytes()),
        };
    }
    b.finish()
}

fn opaque_dirs(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match &e.whiteout {
            Some(Whiteout::Opaque { dir }) => Some(dir.clone()),
            _ => None,
        })
        .collect()
}

fn removed(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match &e.whiteout {
            Some(Whiteout::Remove { target }) => Some(target.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn opaque_and_replaced_directories_squash_to_opaque_markers() {
    let blobs = [
        layer(&[
            ("d/", ""),
            ("d/a", "a"),
            ("d/sub/", ""),
            ("d/sub/x", "x"),
            ("e/", ""),
            ("e/keep", "k"),
            ("e/drop", "d"),
            ("f/", ""),
            ("f/old", "o"),
            ("top", "t"),
        ]),
        // d made opaque.
        layer(&[("d/", ""), ("d/.wh..wh..opq", ""), ("d/b", "b")]),
        // f replaced by a file ...
        layer(&[("f", "now a file")]),
        // ... and by a directory again; one file of e deleted.
        layer(&[("f/", ""), ("f/new", "n"), ("e/.wh.drop", "")]),
    ];
    let entries: Vec<Vec<Entry>> = blobs
        .iter()
        .enumerate()
        .map(|(i, b)| {
            index_stream(Cursor::new(b), i, Algorithm::Sha256, &Limits::default())
                .unwrap()
                .entries
        })
        .collect();
    let layers: Vec<&[Entry]> = entries.iter().map(Vec::as_slice).collect();
    let mut open = MemoryLayers(&blobs);
    let s = squash("opaque", &layers, &mut open, 1, 1);
    assert_eq!(opaque_dirs(&s), ["d"]);
    assert!(removed(&s).is_empty(), "{:?}", removed(&s));
    let s = squash("opaque", &layers, &mut open, 1, 3);
    assert_eq!(opaque_dirs(&s), ["d", "f"]);
    assert_eq!(removed(&s), ["e/drop"]);
    let s = squash("opaque", &layers, &mut open, 2, 3);
    assert_eq!(opaque_dirs(&s), ["f"]);
    // Below layer 3, f is a file: the directory is new, nothing to hide.
    let s = squash("opaque", &layers, &mut open, 3, 3);
    assert!(opaque_dirs(&s).is_empty());
    assert_eq!(removed(&s), ["e/drop"]);
}

#[test]
fn buildah_opaque_whiteout_squashes_to_an_opaque_marker() {
    // Layer 2 is `rm -rf /data/old && mkdir /data/old && echo x >
    // /data/old/new`, which buildah stores as an opaque directory.
    let rel = "opaque.oci-gzip.tar";
    let squashed = check_path(rel, &generated(rel), &[(2, 2), (1, 2), (0, 2)]);
    assert_eq!(opaque_dirs(&squashed[0]), ["data/old"]);
    // data/old is new in 1..=2 and in 0..=2: nothing lower to hide.
    assert!(opaque_dirs(&squashed[1]).is_empty());
    assert!(opaque_dirs(&squashed[2]).is_empty());
}
