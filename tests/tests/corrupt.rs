//! Corrupted copies of real fixtures: a flipped byte in a layer blob, in
//! the config, in a manifest blob, and archives cut short inside a layer.
//! Each must fail verification naming the right object, or fail opening
//! with a clear error — never panic, never verify.

use std::fs;
use std::path::{Path, PathBuf};

use layerscope::OpenOptions;
use layerscope::model::{BlobLocation, CheckStatusKind, CheckedObject, EntryKind};
use layerscope::verdict::Verdict;
use layerscope_test_support::fixtures::{generated, shared, shared_present};
use layerscope_tests::{InspectFailure, failures, inspect_ok, inspect_path, layer_location, scan};
use tempfile::TempDir;

/// Copies a fixture (file or layout directory) into a fresh temp dir.
fn copy_fixture(src: &Path) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let name = src.file_name().unwrap_or_default();
    let dst = dir.path().join(name);
    copy_recursive(src, &dst);
    (dir, dst)
}

fn copy_recursive(src: &Path, dst: &Path) {
    if src.is_dir() {
        fs::create_dir_all(dst).unwrap_or_else(|e| panic!("mkdir {}: {e}", dst.display()));
        let entries =
            fs::read_dir(src).unwrap_or_else(|e| panic!("read_dir {}: {e}", src.display()));
        for entry in entries.flatten() {
            copy_recursive(&entry.path(), &dst.join(entry.file_name()));
        }
    } else {
        fs::copy(src, dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    }
}

/// The file and offset inside it where a blob's byte `at` lives.
fn blob_byte(root: &Path, location: &BlobLocation, at: u64) -> (PathBuf, u64) {
    assert!(
        at < location.size(),
        "offset {at} outside blob of {} bytes",
        location.size()
    );
    match location {
        BlobLocation::ArchiveRange { offset, .. } => (root.to_path_buf(), offset + at),
        BlobLocation::LayoutFile { path, .. } => (root.join(path), at),
    }
}

/// Replaces one byte of a file (xor with `mask`).
fn flip(file: &Path, offset: u64, mask: u8) {
    let mut bytes = fs::read(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    let index = usize::try_from(offset).unwrap_or(usize::MAX);
    let byte = bytes
        .get_mut(index)
        .unwrap_or_else(|| panic!("{} has no byte {offset}", file.display()));
    *byte ^= mask;
    fs::write(file, bytes).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
}

/// Position of `needle` inside a blob's bytes.
fn find_in_blob(root: &Path, location: &BlobLocation, needle: &[u8]) -> u64 {
    let bytes =
        layerscope_tests::read_blob(root, location).unwrap_or_else(|e| panic!("read blob: {e}"));
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| {
            panic!(
                "{:?} not found in {}",
                String::from_utf8_lossy(needle),
                location.path()
            )
        });
    at as u64
}

/// Asserts the corrupted input fails verification and every failing check
/// is about one of `allowed` objects with one of `statuses`; returns them.
fn assert_fails_on(
    path: &Path,
    allowed: &[CheckedObject],
    statuses: &[CheckStatusKind],
) -> Vec<(CheckedObject, CheckStatusKind, Option<String>)> {
    let inspection = match inspect_path(path, &OpenOptions::default()) {
        Ok(i) => i,
        Err(InspectFailure::Core(e)) => panic!(
            "{}: open failed instead of a verification failure: {e}",
            path.display()
        ),
        Err(InspectFailure::Io(e)) => panic!("{}: {e}", path.display()),
    };
    assert!(
        !inspection.report.verification.ok,
        "{}: corruption went unnoticed",
        path.display()
    );
    let bad = failures(&inspection);
    assert!(!bad.is_empty());
    for (object, status, detail) in &bad {
        assert!(
            allowed.contains(object),
            "{}: unexpected failing object {object:?} {status:?} {detail:?}",
            path.display()
        );
        assert!(
            statuses.contains(status),
            "{}: {object:?} has status {status:?} ({detail:?})",
            path.display()
        );
    }
    bad
}

const MISMATCH: &[CheckStatusKind] = &[CheckStatusKind::Mismatch];
const MISMATCH_OR_FAILED: &[CheckStatusKind] =
    &[CheckStatusKind::Mismatch, CheckStatusKind::Failed];

#[test]
fn flipped_byte_in_uncompressed_layer_file_data() {
    // docker-archive: flip a byte in the middle of busybox's data so the tar
    // structure stays intact and only the digests can notice.
    let original = generated("multistep.docker.tar");
    let clean = inspect_ok(&original);
    let busybox = scan(&clean, 0)
        .entries
        .iter()
        .find(|e| e.path == "bin/busybox")
        .cloned()
        .unwrap_or_else(|| panic!("no busybox"));
    let (_dir, copy) = copy_fixture(&original);
    let (file, offset) = blob_byte(
        &copy,
        layer_location(&clean, 0),
        busybox.data_offset + busybox.size / 2,
    );
    flip(&file, offset, 0x01);
    let bad = assert_fails_on(
        &copy,
        &[
            CheckedObject::LayerBlob { layer: 0 },
            CheckedObject::LayerDiffId { layer: 0 },
        ],
        MISMATCH,
    );
    // Both the diff_id and the content-addressed member name catch it.
    assert_eq!(bad.len(), 2, "{bad:?}");
    // The index still reads: same entries, but busybox hashes differently.
    let broken = inspect_path(&copy, &OpenOptions::default()).map_err(|e| format!("{e:?}"));
    let broken = broken.unwrap_or_else(|e| panic!("{e}"));
    let moved = scan(&broken, 0)
        .entries
        .iter()
        .find(|e| e.path == "bin/busybox")
        .cloned();
    assert_eq!(
        moved.as_ref().map(|e| (e.size, e.kind)),
        Some((busybox.size, EntryKind::File))
    );
    assert_ne!(moved.and_then(|e| e.content_hash), busybox.content_hash);
}

#[test]
fn flipped_byte_in_compressed_layers() {
    for rel in [
        "multistep.oci-gzip.tar",
        "multistep.oci-zstd.tar",
        "multistep.oci-layout",
    ] {
        let original = generated(rel);
        let clean = inspect_ok(&original);
        for layer in [0, 2] {
            for (at_name, at) in [
                ("middle", layer_location(&clean, layer).size() / 2),
                ("last byte", layer_location(&clean, layer).size() - 1),
            ] {
                let (_dir, copy) = copy_fixture(&original);
                let (file, offset) = blob_byte(&copy, layer_location(&clean, layer), at);
                flip(&file, offset, 0x20);
                let bad = assert_fails_on(
                    &copy,
                    &[
                        CheckedObject::LayerBlob { layer },
                        CheckedObject::LayerDiffId { layer },
                    ],
                    MISMATCH_OR_FAILED,
                );
                // The blob itself is always named.
                assert!(
                    bad.iter()
                        .any(|(o, _, _)| *o == CheckedObject::LayerBlob { layer }),
                    "{rel} layer {layer} {at_name}: {bad:?}"
                );
                // A decoder failure says which compression broke.
                for (_, status, detail) in &bad {
                    if *status == CheckStatusKind::Failed {
                        let detail = detail.clone().unwrap_or_default();
                        assert!(
                            detail.contains("gzip")
                                || detail.contains("zstd")
                                || detail.contains("truncated")
                                || detail.contains("malformed"),
                            "{rel} layer {layer}: {detail}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn flipped_byte_in_config() {
    // `"User":"1000:1000"` → `"User":"3000:1000"`: still valid JSON.
    for rel in [
        "multistep.docker.tar",
        "multistep.oci-gzip.tar",
        "multistep.oci-zstd.tar",
        "multistep.oci-layout",
    ] {
        let original = generated(rel);
        let clean = inspect_ok(&original);
        let config = config_location(&original, &clean);
        let (_dir, copy) = copy_fixture(&original);
        let at = find_in_blob(&copy, &config, b"\"User\":\"1000") + 8;
        let (file, offset) = blob_byte(&copy, &config, at);
        flip(&file, offset, 0x02);
        let bad = assert_fails_on(&copy, &[config_object(&clean)], MISMATCH);
        assert_eq!(bad.len(), 1, "{rel}: {bad:?}");
        // The edited value is what the report shows.
        let broken = inspect_path(&copy, &OpenOptions::default()).map_err(|e| format!("{e:?}"));
        let user = broken.map(|i| i.report.config.user);
        assert_eq!(user, Ok(Some("3000:1000".to_owned())), "{rel}");
    }
}

/// The config check's object in a clean inspection.
fn config_object(clean: &layerscope::Inspection) -> CheckedObject {
    clean
        .report
        .verification
        .checks
        .iter()
        .map(|c| c.object.clone())
        .find(|o| matches!(o, CheckedObject::Config { .. }))
        .unwrap_or_else(|| panic!("no config check"))
}

/// Where the config is: the blob named by the config check.
fn config_location(root: &Path, clean: &layerscope::Inspection) -> BlobLocation {
    let CheckedObject::Config { name } = config_object(clean) else {
        unreachable!("config_object returns a Config")
    };
    locate(root, &name)
}

/// Locates a member path (archive) or relative file (layout) by name.
fn locate(root: &Path, name: &str) -> BlobLocation {
    let input = layerscope_cli::input::Input::from_arg(root.to_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut source = input
        .source(&Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    match source.locate(name) {
        Ok(Some(location)) => location,
        other => panic!("{name} not found in {}: {other:?}", root.display()),
    }
}

#[test]
fn flipped_byte_in_manifest_blob() {
    // One hex digit of the `org.opencontainers.image.base.digest` annotation:
    // still valid JSON, nothing else refers to it, only the digest notices.
    for rel in [
        "multistep.oci-gzip.tar",
        "multistep.oci-zstd.tar",
        "multistep.oci-layout",
    ] {
        let original = generated(rel);
        let clean = inspect_ok(&original);
        let digest = clean
            .report
            .image
            .manifest_digest
            .clone()
            .unwrap_or_else(|| panic!("{rel}: no manifest digest"));
        let name = format!("blobs/sha256/{}", digest.encoded());
        let manifest = locate(&original, &name);
        let (_dir, copy) = copy_fixture(&original);
        let at = find_in_blob(&copy, &manifest, b"base.digest\":\"sha256:") + 21;
        let (file, offset) = blob_byte(&copy, &manifest, at);
        flip(&file, offset, 0x01);
        let bad = assert_fails_on(&copy, &[manifest_object(&clean)], MISMATCH);
        assert_eq!(bad.len(), 1, "{rel}: {bad:?}");
    }
}

/// The manifest blob's check object in a clean OCI inspection (the one
/// whose status is verified: index.json itself is not checkable).
fn manifest_object(clean: &layerscope::Inspection) -> CheckedObject {
    clean
        .report
        .verification
        .checks
        .iter()
        .find(|c| {
            matches!(c.object, CheckedObject::Manifest { .. })
                && c.status == CheckStatusKind::Verified
        })
        .map(|c| c.object.clone())
        .unwrap_or_else(|| {
            panic!(
                "no verified manifest check: {:#?}",
                clean.report.verification.checks
            )
        })
}

/// Archives cut in the middle of layer `layer`'s data (two more with the
/// shared fixtures).
fn cut_archives() -> Vec<(PathBuf, usize)> {
    let mut all = vec![
        (generated("multistep.docker.tar"), 0),
        (generated("multistep.oci-gzip.tar"), 0),
        (generated("multistep.oci-zstd.tar"), 0),
        (generated("two-images.oci.tar"), 0),
    ];
    if shared_present("the shared-fixture archives of tests/tests/corrupt.rs") {
        all.push((shared("dive/test-docker-image.tar"), 0));
        all.push((shared("dive/test-kaniko-image.tar"), 0));
    }
    all
}

/// Copies `original` and cuts the copy in the middle of layer `layer`'s
/// data; returns the temp dir, the copy and the cut member's location.
fn cut_copy(original: &Path, layer: usize) -> (TempDir, PathBuf, BlobLocation) {
    let clean = inspect_ok(original);
    let location = layer_location(&clean, layer).clone();
    let BlobLocation::ArchiveRange { offset, size, .. } = location else {
        panic!("not an archive")
    };
    let (dir, copy) = copy_fixture(original);
    let file = fs::OpenOptions::new()
        .write(true)
        .open(&copy)
        .unwrap_or_else(|e| panic!("{e}"));
    file.set_len(offset + size / 2)
        .unwrap_or_else(|e| panic!("{e}"));
    (dir, copy, location)
}

#[test]
fn archive_cut_inside_a_layer_never_verifies() {
    for (original, layer) in cut_archives() {
        let (_dir, copy, _) = cut_copy(&original, layer);
        match inspect_path(&copy, &OpenOptions::default()) {
            Err(InspectFailure::Core(e)) => {
                // Any refusal is acceptable here (the precise error is
                // checked by the ignored test below); a panic or a pass is not.
                assert!(
                    !e.to_string().is_empty(),
                    "{}: empty message",
                    original.display()
                );
            }
            Err(InspectFailure::Io(e)) => panic!("{}: {e}", original.display()),
            Ok(i) => {
                let bad = failures(&i);
                assert!(
                    !i.report.verification.ok,
                    "{}: truncation unnoticed",
                    original.display()
                );
                assert!(
                    bad.iter()
                        .any(|(o, s, _)| *o == CheckedObject::LayerBlob { layer }
                            && *s == CheckStatusKind::Failed),
                    "{}: {bad:?}",
                    original.display()
                );
            }
        }
    }
}

#[test]
fn archive_cut_inside_a_layer_names_the_member() {
    for (original, layer) in cut_archives() {
        let (_dir, copy, location) = cut_copy(&original, layer);
        let BlobLocation::ArchiveRange { size, member, .. } = location else {
            panic!("not an archive")
        };
        match inspect_path(&copy, &OpenOptions::default()) {
            Err(InspectFailure::Core(e)) => {
                assert_eq!(e.kind(), "TruncatedError", "{}: {e}", original.display());
                let text = e.to_string();
                assert!(
                    text.contains(member.as_str()),
                    "{}: {text} should name {member}",
                    original.display()
                );
                assert!(
                    text.contains(&size.to_string()),
                    "{}: {text}",
                    original.display()
                );
            }
            Err(InspectFailure::Io(e)) => panic!("{}: {e}", original.display()),
            Ok(i) => panic!(
                "{}: opened a cut archive: {:?}",
                original.display(),
                failures(&i)
            ),
        }
    }
}

#[test]
fn layout_blob_cut_short() {
    // In a layout directory the other files stay intact: the layer's scan
    // fails (truncated stream) or its size and digest mismatch.
    for layer in [0, 1, 3] {
        let original = generated("multistep.oci-layout");
        let clean = inspect_ok(&original);
        let location = layer_location(&clean, layer).clone();
        let (_dir, copy) = copy_fixture(&original);
        let file = copy.join(location.path());
        let handle = fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .unwrap_or_else(|e| panic!("{e}"));
        handle
            .set_len(location.size() / 2)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(handle);
        let bad = assert_fails_on(
            &copy,
            &[
                CheckedObject::LayerBlob { layer },
                CheckedObject::LayerDiffId { layer },
            ],
            MISMATCH_OR_FAILED,
        );
        assert!(
            bad.iter()
                .any(|(o, _, _)| *o == CheckedObject::LayerBlob { layer }),
            "{bad:?}"
        );
        // The core's word for it (the CLI's `verdict`, the page's badge).
        let report = inspect_path(&copy, &OpenOptions::default())
            .unwrap_or_else(|_| panic!("opens"))
            .report;
        assert_eq!(
            report.layers.get(layer).map(|l| l.verdict),
            Some(Verdict::Truncated)
        );
    }
}

#[test]
fn layout_blob_missing() {
    let original = generated("multistep.oci-layout");
    let clean = inspect_ok(&original);
    let location = layer_location(&clean, 2).clone();
    let (_dir, copy) = copy_fixture(&original);
    fs::remove_file(copy.join(location.path())).unwrap_or_else(|e| panic!("{e}"));
    let bad = assert_fails_on(
        &copy,
        &[CheckedObject::LayerBlob { layer: 2 }],
        &[CheckStatusKind::Missing],
    );
    assert_eq!(bad.len(), 1, "{bad:?}");
    let report = inspect_path(&copy, &OpenOptions::default())
        .unwrap_or_else(|_| panic!("opens"))
        .report;
    let verdicts: Vec<Verdict> = report.layers.iter().map(|l| l.verdict).collect();
    assert_eq!(verdicts.get(2), Some(&Verdict::MissingBlob));
    assert!(
        verdicts
            .iter()
            .enumerate()
            .all(|(i, v)| i == 2 || *v == Verdict::Verified),
        "{verdicts:?}"
    );
}

#[test]
fn every_flipped_blob_byte_is_noticed() {
    // Sweep: flip bytes spread over every content-addressed blob of a small
    // two-image archive (skipping the big base layer). Each copy must fail
    // to open or fail verification; none may panic or verify.
    let original = generated("two-images.oci.tar");
    let clean = layerscope_tests::inspect_with(&original, &layerscope_tests::select_image("umoci"));
    let blob = |digest: Option<&layerscope::Digest>| {
        let digest = digest.unwrap_or_else(|| panic!("digest missing"));
        locate(&original, &format!("blobs/sha256/{}", digest.encoded()))
    };
    let mut members: Vec<BlobLocation> = clean
        .opened
        .layers
        .iter()
        .skip(1)
        .filter_map(|p| p.location.clone())
        .collect();
    members.push(blob(clean.report.image.config_digest.as_ref()));
    members.push(blob(clean.report.image.manifest_digest.as_ref()));
    assert_eq!(members.len(), 6);
    let bytes = fs::read(&original).unwrap_or_else(|e| panic!("{e}"));
    let dir = TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    let copy = dir.path().join("copy.tar");
    let mut tried = 0;
    for location in &members {
        let BlobLocation::ArchiveRange { offset, size, .. } = location else {
            panic!("not an archive")
        };
        let step = (size / 23).max(1);
        let mut at = 0;
        while at < *size {
            let mut corrupt = bytes.clone();
            if let Some(b) = corrupt.get_mut(usize::try_from(offset + at).unwrap_or(usize::MAX)) {
                *b ^= 0x10;
            }
            fs::write(&copy, &corrupt).unwrap_or_else(|e| panic!("{e}"));
            let result = inspect_path(&copy, &layerscope_tests::select_image("umoci"));
            if let Ok(i) = result {
                assert!(
                    !i.report.verification.ok,
                    "flip at {} in {} unnoticed",
                    at,
                    location.path()
                );
            }
            tried += 1;
            at += step;
        }
    }
    assert!(tried > 100);
}
