//! Flatten's two writers agree: the parallel export (positioned writes,
//! layers in any order) produces exactly the bytes of the sequential one,
//! on real images and on layers with hard links, long names, xattrs,
//! whiteouts and GNU sparse files; the index-only pass finds the same
//! entries as the verified scan; sparse files flatten to their expanded
//! content.

use std::io::{Cursor, Read};

use layerscope::Limits;
use layerscope::OpenOptions;
use layerscope::digest::Algorithm;
use layerscope::layer::{index_layer, index_stream};
use layerscope::model::Entry;
use layerscope::overlay::Overlay;
use layerscope_cli::input::Input;
use layerscope_test_support::fixtures::shared;
use layerscope_test_support::layer::LayerBuilder;
use layerscope_test_support::memory::{MemoryLayers, VecSink};
use layerscope_test_support::model::{bare_plan, without_hashes};
use layerscope_test_support::require_shared;
use layerscope_tests::inspect_path;

/// Sequential and parallel exports of `overlay` (blobs are the stored
/// layer blobs, by layer index); asserts they are identical.
fn export_both(what: &str, overlay: &Overlay<'_>, blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut sequential = Vec::new();
    let summary = overlay
        .export(&mut MemoryLayers(blobs), &mut sequential)
        .unwrap();
    let layout = overlay.export_layout();
    assert_eq!(layout.summary(), &summary, "{what}");
    assert_eq!(layout.size(), sequential.len() as u64, "{what}");
    let sink = VecSink::default();
    // Layers first, in reverse order, metadata last: order must not matter.
    let mut parts = layout.parts();
    parts.reverse();
    for part in parts {
        layout
            .write_layer(part.layer, Cursor::new(&blobs[part.layer]), &sink)
            .unwrap();
    }
    layout.write_metadata(&sink).unwrap();
    let parallel = sink.into_inner();
    assert!(parallel == sequential, "{what}: parallel export differs");
    sequential
}

fn check_image(rel: &str, ranges: &[(usize, usize)]) {
    let path = shared(rel);
    let inspection = inspect_path(&path, &OpenOptions::default()).unwrap();
    let input = Input::from_arg(path.to_str().unwrap()).unwrap();
    let blobs: Vec<Vec<u8>> = inspection
        .opened
        .layers
        .iter()
        .map(|p| {
            let mut v = Vec::new();
            input
                .open_blob(p.location.as_ref().unwrap())
                .unwrap()
                .read_to_end(&mut v)
                .unwrap();
            v
        })
        .collect();
    let scanned: Vec<&[Entry]> = inspection
        .scans
        .iter()
        .map(|s| s.as_ref().unwrap().entries.as_slice())
        .collect();
    // The index-only pass (seeking over plain tar data) finds the same
    // entries, without content hashes.
    let indexed: Vec<Vec<Entry>> = inspection
        .opened
        .layers
        .iter()
        .zip(&blobs)
        .map(|(p, blob)| {
            index_layer(Cursor::new(blob), p, &Limits::default())
                .unwrap()
                .entries
        })
        .collect();
    for (i, (s, x)) in scanned.iter().zip(&indexed).enumerate() {
        assert_eq!(&without_hashes(s), x, "{rel} layer {i}");
    }
    let indexed: Vec<&[Entry]> = indexed.iter().map(Vec::as_slice).collect();
    let full = export_both(rel, &Overlay::new(&scanned), &blobs);
    let full_indexed = export_both(rel, &Overlay::new(&indexed), &blobs);
    assert!(full == full_indexed, "{rel}: index-only flatten differs");
    for &(a, b) in ranges {
        let what = format!("{rel} {a}..{b}");
        export_both(&what, &Overlay::range(&scanned, a, b).unwrap(), &blobs);
    }
}

#[test]
fn fixtures_parallel_equals_sequential() {
    require_shared!();
    check_image("dive/test-docker-image.tar", &[(5, 9), (1, 13)]);
    check_image("dive/test-oci-gzip-image.tar", &[]);
    check_image("dive/test-oci-zstd-image.tar", &[]);
    check_image("go-containerregistry/mutate-whiteout_dir.tar", &[(1, 3)]);
}

// ---- synthetic layers -------------------------------------------------

fn octal(field: &mut [u8], value: u64) {
    let text = format!("{:0width$o}\0", value, width = field.len() - 1);
    field.copy_from_slice(text.as_bytes());
}

/// Data chunks of the sparse test file: (offset, bytes), real size 1 MiB.
/// Enough chunks that the map spills into an extension block; every
/// chunk but the last is whole 512-byte blocks (as GNU tar writes them).
fn sparse_chunks() -> Vec<(u64, Vec<u8>)> {
    (0..6u64)
        .map(|i| {
            let len = if i == 5 {
                700
            } else {
                512 * (1 + i as usize % 2)
            };
            (i * 100_000 + 512 * i, vec![b'a' + i as u8; len])
        })
        .collect()
}

const SPARSE_SIZE: u64 = 1 << 20;

fn sparse_expanded() -> Vec<u8> {
    let mut v = vec![0u8; SPARSE_SIZE as usize];
    for (offset, data) in sparse_chunks() {
        v[offset as usize..offset as usize + data.len()].copy_from_slice(&data);
    }
    v
}

/// An old-GNU sparse member (type `S`): 4 map entries in the header, the
/// rest in one extension block, then the packed data.
fn sparse_member(name: &str) -> Vec<u8> {
    let chunks = sparse_chunks();
    let packed: Vec<u8> = chunks.iter().flat_map(|(_, d)| d.clone()).collect();
    let mut header = tar::Header::new_gnu();
    header.set_path(name).unwrap();
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_size(packed.len() as u64);
    let gnu = header.as_gnu_mut().unwrap();
    let mut ext = tar::GnuExtSparseHeader::new();
    // The map ends with an empty chunk at the real size (as GNU tar writes).
    let mut map: Vec<(u64, u64)> = chunks.iter().map(|(o, d)| (*o, d.len() as u64)).collect();
    map.push((SPARSE_SIZE, 0));
    for (i, (offset, len)) in map.iter().enumerate() {
        let slot = if i < 4 {
            &mut gnu.sparse[i]
        } else {
            &mut ext.sparse[i - 4]
        };
        octal(&mut slot.offset, *offset);
        octal(&mut slot.numbytes, *len);
    }
    gnu.isextended[0] = 1;
    octal(&mut gnu.realsize, SPARSE_SIZE);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(ext.as_bytes());
    out.extend_from_slice(&packed);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn synthetic_layers() -> Vec<Vec<u8>> {
    let long = format!("{}/{}", "deep".repeat(40), "n".repeat(120));
    let mut l0 = LayerBuilder::new();
    l0.dir("d")
        .file("d/a", b"first a")
        .file(&long, &vec![7u8; 5000])
        .pax(&[("SCHILY.xattr.user.note", &b"hello"[..])])
        .file("d/x", b"with xattr")
        .hardlink("d/hard", "d/a")
        .symlink("d/sym", "a")
        .file("d/empty", b"")
        .dir("gone")
        .file("gone/f", b"f")
        .raw(&sparse_member("d/sparse"));
    let mut l1 = LayerBuilder::new();
    l1.file("d/a", b"second a, longer")
        .file("gone/.wh.f", b"")
        .hardlink(&format!("{long}2"), &long)
        .file("e/new", &vec![9u8; 70_000]);
    vec![l0.finish(), l1.finish()]
}

fn index(blobs: &[Vec<u8>]) -> Vec<Vec<Entry>> {
    blobs
        .iter()
        .enumerate()
        .map(|(i, blob)| {
            let seek = index_layer(Cursor::new(blob), &bare_plan(i), &Limits::default()).unwrap();
            let scan =
                index_stream(Cursor::new(blob), i, Algorithm::Sha256, &Limits::default()).unwrap();
            assert_eq!(seek.entries, without_hashes(&scan.entries), "layer {i}");
            scan.entries
        })
        .collect()
}

#[test]
fn synthetic_parallel_equals_sequential() {
    let blobs = synthetic_layers();
    let entries = index(&blobs);
    let layers: Vec<&[Entry]> = entries.iter().map(Vec::as_slice).collect();
    export_both("synthetic full", &Overlay::new(&layers), &blobs);
    export_both(
        "synthetic squash 1..1",
        &Overlay::range(&layers, 1, 1).unwrap(),
        &blobs,
    );
    export_both(
        "synthetic layer 0",
        &Overlay::up_to(&layers, 0).unwrap(),
        &blobs,
    );
}

#[test]
fn gnu_sparse_flattens_expanded() {
    let blobs = synthetic_layers();
    let entries = index(&blobs);
    let layers: Vec<&[Entry]> = entries.iter().map(Vec::as_slice).collect();
    // The tar crate (like GNU tar and Python) reads the input member as the
    // expanded file.
    let mut input = tar::Archive::new(Cursor::new(&blobs[0]));
    let mut from_input = Vec::new();
    for e in input.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("d/sparse") {
            e.read_to_end(&mut from_input).unwrap();
        }
    }
    assert!(from_input == sparse_expanded());
    let flat = export_both("sparse", &Overlay::new(&layers), &blobs);
    let mut archive = tar::Archive::new(Cursor::new(flat));
    let mut found = false;
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("d/sparse") {
            assert_eq!(e.header().entry_type(), tar::EntryType::Regular);
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            assert!(data == sparse_expanded(), "expanded content");
            found = true;
        }
    }
    assert!(found);
    // `cat` reads the same bytes.
    let mut out = Vec::new();
    Overlay::new(&layers)
        .cat("d/sparse", &mut MemoryLayers(&blobs), &mut out)
        .unwrap();
    assert!(out == sparse_expanded());
}

#[test]
fn index_only_pass_notices_a_truncated_plain_layer() {
    let blobs = synthetic_layers();
    let entries = index(&blobs);
    let big = entries[1].iter().find(|e| e.path == "e/new").unwrap();
    let cut = &blobs[1][..(big.data_offset + 100) as usize];
    let seek = index_layer(Cursor::new(cut), &bare_plan(1), &Limits::default());
    assert!(seek.is_err(), "{seek:?}");
    let scan = index_stream(Cursor::new(cut), 1, Algorithm::Sha256, &Limits::default());
    assert!(scan.is_err());
}
