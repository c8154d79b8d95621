//! Sparse files in layers, as GNU tar writes them (old GNU `S` entries and
//! the PAX formats 0.0, 0.1 and 1.0, which Go's `archive/tar` — what
//! container runtimes extract with — expands): the index shows the real
//! name and size and the content hash of the expanded bytes; `flatten` and
//! `cat` give the expanded file. Also: a 1.0 map that never ends is a limit
//! error, not unbounded memory.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::overlay::read_entry_prefix;
use layerscope::{Error, Limits, OpenOptions};
use layerscope_test_support::fixtures::skipped;
use layerscope_test_support::image::docker_archive;
use layerscope_test_support::layer::LayerBuilder;
use layerscope_tests::{cli_binary, entry_in, inspect_with};

/// A 3 MiB file with two small data regions, the rest holes.
fn sparse_file(dir: &Path) -> Vec<u8> {
    let mut content = vec![0u8; 3 << 20];
    content[1 << 20..(1 << 20) + 5].copy_from_slice(b"hello");
    content[3_000_000..3_000_004].copy_from_slice(b"tail");
    let file = std::fs::File::create(dir.join("sparse")).unwrap();
    file.set_len(content.len() as u64).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_all_at(b"hello", 1 << 20).unwrap();
    file.write_all_at(b"tail", 3_000_000).unwrap();
    std::fs::write(dir.join("after.txt"), b"after\n").unwrap();
    content
}

fn gnu_tar_supports_sparse_versions() -> bool {
    Command::new("tar")
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--sparse-version"))
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn sparse_formats_expand_like_a_runtime() {
    if !gnu_tar_supports_sparse_versions() {
        skipped(
            "sparse_formats_expand_like_a_runtime",
            "this `tar` has no --sparse-version (GNU tar needed)",
        );
        return;
    }
    let bin = cli_binary();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let original = sparse_file(&root);
    let cases: [(&str, &[&str]); 5] = [
        ("plain", &["--format=pax"]),
        ("gnu", &["--sparse", "--format=gnu"]),
        (
            "pax-0.0",
            &["--sparse", "--sparse-version=0.0", "--format=pax"],
        ),
        (
            "pax-0.1",
            &["--sparse", "--sparse-version=0.1", "--format=pax"],
        ),
        (
            "pax-1.0",
            &["--sparse", "--sparse-version=1.0", "--format=pax"],
        ),
    ];
    let mut plain_hash = None;
    for (name, flags) in cases {
        let layer_path = dir.path().join(format!("layer-{name}.tar"));
        run(Command::new("tar")
            .args(flags)
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&layer_path)
            .args(["sparse", "after.txt"]));
        let layer = std::fs::read(&layer_path).unwrap();
        if name != "plain" {
            assert!(
                layer.len() < original.len() / 2,
                "{name}: GNU tar did not store the file sparse"
            );
        }
        let image = dir.path().join(format!("img-{name}.tar"));
        std::fs::write(&image, docker_archive(&[&layer])).unwrap();

        // Index: real name, real size, hash of the expanded bytes.
        let inspection = inspect_with(&image, &OpenOptions::default());
        let entry = entry_in(&inspection, 0, "sparse");
        assert_eq!(entry.size, original.len() as u64, "{name}: size");
        let hash = entry.content_hash.expect("content hash");
        assert_eq!(
            *plain_hash.get_or_insert(hash),
            hash,
            "{name}: content hash"
        );
        assert_eq!(entry_in(&inspection, 0, "after.txt").size, 6, "{name}");
        let listing = String::from_utf8(run(Command::new(&bin)
            .args(["ls", "--layer", "0"])
            .arg(&image)))
        .unwrap();
        let line = listing
            .lines()
            .find(|l| l.ends_with(" sparse"))
            .unwrap_or_else(|| panic!("{name}: no `sparse` line in {listing}"));
        assert!(line.contains(" 3145728 "), "{name}: ls line {line}");
        assert!(!listing.contains("GNUSparseFile"), "{name}: {listing}");

        // Previews (what the page shows): a prefix and the whole file,
        // expanded; a prefix reaching past the first hole and data block.
        let image_bytes = std::fs::read(&image).unwrap();
        let limits = Limits::default();
        let mut source =
            layerscope::archive::TarSource::new(std::io::Cursor::new(image_bytes), &limits)
                .unwrap();
        let locations = inspection
            .opened
            .layers
            .iter()
            .map(|p| p.location.clone())
            .collect();
        let mut opener = layerscope::overlay::SourceOpener {
            source: &mut source,
            locations,
        };
        for max in [Some(10), Some(1_048_576 + 5), None] {
            let got = read_entry_prefix(&mut opener, 0, entry, max).unwrap();
            let want = max.map_or(original.len(), |m| m as usize);
            assert!(
                got == original[..want],
                "{name}: preview of {max:?} bytes differs"
            );
        }

        // cat and flatten: the expanded bytes.
        let cat = run(Command::new(&bin).arg("cat").arg(&image).arg("sparse"));
        assert!(cat == original, "{name}: cat gives other bytes");
        let flat = dir.path().join(format!("flat-{name}.tar"));
        run(Command::new(&bin)
            .arg("flatten")
            .arg(&image)
            .arg("-o")
            .arg(&flat));
        let mut archive = tar::Archive::new(std::fs::File::open(&flat).unwrap());
        let mut found = Vec::new();
        for member in archive.entries().unwrap() {
            let mut member = member.unwrap();
            let path = member.path().unwrap().to_string_lossy().into_owned();
            assert_eq!(member.header().entry_type(), tar::EntryType::Regular);
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).unwrap();
            match path.as_str() {
                "sparse" => assert!(bytes == original, "{name}: flattened bytes differ"),
                "after.txt" => assert_eq!(bytes, b"after\n", "{name}"),
                other => panic!("{name}: unexpected member {other}"),
            }
            found.push(path);
        }
        assert_eq!(found.len(), 2, "{name}: {found:?}");
    }
}

/// One PAX sparse 1.0 entry whose map (at the start of its data) is
/// `map`, followed by `data`.
fn v1_layer(map: &[u8], data_len: usize) -> Vec<u8> {
    let mut data = map.to_vec();
    data.resize(data.len().div_ceil(512) * 512, 0);
    data.extend(std::iter::repeat_n(b'x', data_len));
    let mut layer = LayerBuilder::new();
    layer
        .pax(&[
            ("GNU.sparse.major", b"1"),
            ("GNU.sparse.minor", b"0"),
            ("GNU.sparse.name", b"f"),
            ("GNU.sparse.realsize", b"100"),
        ])
        .file("GNUSparseFile.1/f", &data);
    layer.finish()
}

#[test]
fn sparse_map_bomb_is_a_limit_error() {
    let limits = Limits {
        max_pax_bytes: 4096,
        ..Limits::default()
    };
    let map = b"1000\n"
        .iter()
        .copied()
        .chain(b"55555\n".repeat(4000))
        .collect::<Vec<u8>>();
    let err = index_stream(&v1_layer(&map, 0)[..], 0, Algorithm::Sha256, &limits).unwrap_err();
    assert!(matches!(err, Error::Limit { .. }), "{err}");
    let huge = b"999999999999\n";
    let err = index_stream(&v1_layer(huge, 0)[..], 0, Algorithm::Sha256, &limits).unwrap_err();
    assert!(matches!(err, Error::Limit { .. }), "{err}");
}

#[test]
fn bad_sparse_maps_are_errors_naming_the_entry() {
    let limits = Limits::default();
    // A good one first.
    let ok = index_stream(
        &v1_layer(b"1\n10\n5\n", 5)[..],
        0,
        Algorithm::Sha256,
        &limits,
    )
    .unwrap();
    assert_eq!(
        (ok.entries[0].path.as_str(), ok.entries[0].size),
        ("f", 100)
    );
    for (map, data, why) in [
        (&b"2\n50\n5\n10\n5\n"[..], 10, "out of order"),
        (b"1\n98\n5\n", 5, "past the file size"),
        (b"1\n10\n5\n", 7, "data bytes"),
    ] {
        let err = index_stream(&v1_layer(map, data)[..], 0, Algorithm::Sha256, &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"f\""), "{why}: {err}");
        assert!(err.contains(why), "{why}: {err}");
    }
}
