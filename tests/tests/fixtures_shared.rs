//! Every fixture of the shared fixture tree (images written by dive's and
//! go-containerregistry's tools) opens and verifies, or fails the way its
//! README says, with concrete facts checked per fixture.

use layerscope::OpenOptions;
use layerscope::model::{
    ArchiveFormat, BlobLocation, CheckStatusKind, CheckedObject, ChoiceKind, Compression,
    EntryKind, Whiteout,
};
use layerscope_test_support::fixtures::shared;
use layerscope_test_support::require_shared;
use layerscope_tests::{
    assert_verified, checks_of, entry_in, failures, inspect_ok, inspect_path, inspect_with, scan,
    select_image, whiteout_counts, whiteouts,
};

/// Expected shape of one fixture that must open and verify.
struct Expect {
    path: &'static str,
    format: ArchiveFormat,
    /// Compression detected for each layer, base first.
    compression: &'static [Compression],
    /// Number of entries in `history` and how many are `empty_layer`.
    history: (usize, usize),
    /// Number of images/artifacts listed.
    images: usize,
    /// Platform of the selected image from its config.
    platform: &'static str,
}

const N: Compression = Compression::None;
const G: Compression = Compression::Gzip;
const Z: Compression = Compression::Zstd;

#[rustfmt::skip]
const VERIFYING: &[Expect] = &[
    Expect { path: "dive/test-docker-image.tar", format: ArchiveFormat::DockerArchive, compression: &[N; 14], history: (15, 1), images: 1, platform: "linux/amd64" },
    Expect { path: "dive/test-kaniko-image.tar", format: ArchiveFormat::DockerArchive, compression: &[G; 14], history: (15, 1), images: 1, platform: "linux/amd64" },
    Expect { path: "dive/test-oci-gzip-image.tar", format: ArchiveFormat::OciArchive, compression: &[G], history: (1, 0), images: 1, platform: "linux/arm64" },
    Expect { path: "dive/test-oci-zstd-image.tar", format: ArchiveFormat::OciArchive, compression: &[Z], history: (1, 0), images: 1, platform: "linux/arm64" },
    Expect { path: "dive/test-oci-uncompressed-image.tar", format: ArchiveFormat::OciArchive, compression: &[N], history: (1, 0), images: 1, platform: "linux/arm64" },
    Expect { path: "dive/test-oci-estargz-image.tar", format: ArchiveFormat::OciArchive, compression: &[G], history: (1, 0), images: 1, platform: "linux/arm64" },
    Expect { path: "go-containerregistry/tarball-hello-world-v25.tar", format: ArchiveFormat::DockerOciArchive, compression: &[N], history: (2, 1), images: 1, platform: "linux/arm64" },
    Expect { path: "go-containerregistry/tarball-test_image_1.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/tarball-test_image_2.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/tarball-test_load_manifest.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/tarball-test_bundle.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 2, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/tarball-test_link.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 2, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/mutate-whiteout_image.tar", format: ArchiveFormat::DockerArchive, compression: &[N; 3], history: (3, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/mutate-whiteout_dir.tar", format: ArchiveFormat::DockerArchive, compression: &[G; 4], history: (4, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/mutate-overwritten_file.tar", format: ArchiveFormat::DockerArchive, compression: &[N; 3], history: (3, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/mutate-source_image.tar", format: ArchiveFormat::DockerArchive, compression: &[N], history: (1, 0), images: 1, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/layout/test_index", format: ArchiveFormat::OciLayout, compression: &[G], history: (1, 0), images: 4, platform: "linux/amd64" },
    Expect { path: "go-containerregistry/layout/test_index_one_image", format: ArchiveFormat::OciLayout, compression: &[G], history: (1, 0), images: 1, platform: "linux/amd64" },
];

#[test]
fn every_shared_fixture_opens_and_verifies() {
    require_shared!();
    for expect in VERIFYING {
        let path = shared(expect.path);
        let inspection = inspect_ok(&path);
        let report = &inspection.report;
        let what = expect.path;
        assert_verified(&inspection, what);
        assert_eq!(report.format, expect.format, "{what}: format");
        assert_eq!(report.images.len(), expect.images, "{what}: images listed");
        assert_eq!(
            report.layers.len(),
            expect.compression.len(),
            "{what}: layer count"
        );
        assert_eq!(
            inspection.opened.layers.len(),
            report.layers.len(),
            "{what}: plan vs report"
        );
        let found: Vec<Compression> = inspection
            .scans
            .iter()
            .flatten()
            .map(|s| s.compression)
            .collect();
        assert_eq!(found, expect.compression, "{what}: compression per layer");
        for layer in &report.layers {
            assert_eq!(
                layer.compression,
                found.get(layer.index).copied(),
                "{what}: report compression"
            );
            assert_eq!(
                layer.status,
                CheckStatusKind::Verified,
                "{what}: layer {} status",
                layer.index
            );
            assert_eq!(
                layer.verified,
                Some(true),
                "{what}: layer {} verified",
                layer.index
            );
        }
        let empty = report.history.iter().filter(|h| h.empty_layer).count();
        assert_eq!(
            (report.history.len(), empty),
            expect.history,
            "{what}: history (entries, empty)"
        );
        // Every layer is claimed by exactly one non-empty history entry, in order.
        let made: Vec<usize> = report.history.iter().filter_map(|h| h.layer).collect();
        let all: Vec<usize> = (0..report.layers.len()).collect();
        assert_eq!(made, all, "{what}: history ↔ layer alignment");
        assert!(
            report
                .history
                .iter()
                .filter(|h| h.empty_layer)
                .all(|h| h.layer.is_none()),
            "{what}: empty entries own no layer"
        );
        assert_eq!(
            report.image.platform.as_deref(),
            Some(expect.platform),
            "{what}: platform"
        );
        // The diff_id of each scan is what the config declares.
        for (plan, scan) in inspection
            .opened
            .layers
            .iter()
            .zip(inspection.scans.iter().flatten())
        {
            assert_eq!(
                plan.diff_id.as_ref(),
                Some(&scan.diff_id),
                "{what}: layer {} diff_id",
                plan.index
            );
        }
        // The media type agrees with detected compression where one is declared.
        for layer in &report.layers {
            if let (Some(mt), Some(c)) = (&layer.media_type, layer.compression) {
                let declared = if mt.ends_with("gzip") {
                    G
                } else if mt.ends_with("zstd") {
                    Z
                } else {
                    N
                };
                assert_eq!(declared, c, "{what}: layer {} media type {mt}", layer.index);
            }
        }
    }
}

#[test]
fn dive_docker_image_history_whiteouts_and_hardlinks() {
    require_shared!();
    let inspection = inspect_ok(&shared("dive/test-docker-image.tar"));
    let report = &inspection.report;
    assert_eq!(
        report.images.first().map(|c| c.tags.clone()),
        Some(vec!["dive-test:latest".to_owned()])
    );
    // The one empty history entry sits between layers, owning none.
    let empty: Vec<usize> = report
        .history
        .iter()
        .filter(|h| h.empty_layer)
        .map(|h| h.index)
        .collect();
    assert_eq!(empty.len(), 1);
    // Whiteouts: a file in layer 7, a directory in layer 9, nothing else.
    let mut expected = vec![0; 14];
    if let Some(c) = expected.get_mut(7) {
        *c = 1;
    }
    if let Some(c) = expected.get_mut(9) {
        *c = 1;
    }
    assert_eq!(whiteout_counts(&inspection), expected);
    assert_eq!(
        whiteouts(scan(&inspection, 7)),
        vec![(
            "root/example/.wh.somefile3.txt".to_owned(),
            Whiteout::Remove {
                target: "root/example/somefile3.txt".into()
            }
        )]
    );
    assert_eq!(
        whiteouts(scan(&inspection, 9)),
        vec![(
            "root/.wh.example".to_owned(),
            Whiteout::Remove {
                target: "root/example".into()
            }
        )]
    );
    // busybox: one regular file, every applet a hard link to it.
    let base = scan(&inspection, 0);
    assert_eq!(base.entries.len(), 415);
    let busybox = entry_in(&inspection, 0, "bin/[");
    assert_eq!(busybox.kind, EntryKind::File);
    assert!(
        busybox.size > 500_000,
        "busybox binary size {}",
        busybox.size
    );
    let links: Vec<_> = base
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Hardlink)
        .collect();
    assert_eq!(links.len(), 392);
    assert!(
        links
            .iter()
            .all(|e| e.link_target.as_deref() == Some("bin/[") && e.size == 0)
    );
    assert_eq!(entry_in(&inspection, 0, "bin/ls").kind, EntryKind::Hardlink);
    // chmod-only layer 4 changes the mode of somefile1.txt to 444.
    assert_eq!(
        entry_in(&inspection, 4, "root/example/somefile1.txt").mode,
        0o444
    );
    // Same facts through the kaniko build of the same Dockerfile.
    let kaniko = inspect_ok(&shared("dive/test-kaniko-image.tar"));
    assert_eq!(whiteout_counts(&kaniko), expected);
    assert_eq!(
        scan(&kaniko, 0)
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Hardlink)
            .count(),
        398
    );
}

#[test]
fn ggcr_whiteout_images() {
    require_shared!();
    let image = inspect_ok(&shared("go-containerregistry/mutate-whiteout_image.tar"));
    assert_eq!(whiteout_counts(&image), vec![0, 1, 0]);
    assert_eq!(
        whiteouts(scan(&image, 1)),
        vec![(
            ".wh.foo.txt".to_owned(),
            Whiteout::Remove {
                target: "foo.txt".into()
            }
        )]
    );
    assert!(scan(&image, 2).entries.is_empty(), "last layer is empty");
    assert_eq!(entry_in(&image, 0, "foo.txt").kind, EntryKind::File);
    assert_eq!(entry_in(&image, 0, "bar.txt").kind, EntryKind::File);

    let dir = inspect_ok(&shared("go-containerregistry/mutate-whiteout_dir.tar"));
    assert_eq!(whiteout_counts(&dir), vec![0, 0, 1, 0]);
    assert_eq!(
        whiteouts(scan(&dir, 2)),
        vec![(".wh.a".to_owned(), Whiteout::Remove { target: "a".into() })]
    );
    assert_eq!(entry_in(&dir, 0, "a/foo").kind, EntryKind::File);
    assert_eq!(entry_in(&dir, 1, "b/bar").kind, EntryKind::File);
    assert_eq!(entry_in(&dir, 3, "a/baz").kind, EntryKind::File);

    // A file replaced by a symlink in a later layer.
    let over = inspect_ok(&shared("go-containerregistry/mutate-overwritten_file.tar"));
    let symlinks: Vec<_> = scan(&over, 1)
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Symlink)
        .collect();
    assert_eq!(symlinks.len(), 1, "{:?}", scan(&over, 1).entries);
    let replaced = symlinks.first().map(|e| e.path.clone()).unwrap_or_default();
    assert_eq!(
        entry_in(&over, 0, &replaced).kind,
        EntryKind::File,
        "{replaced} is a file below"
    );
}

#[test]
fn test_bundle_lists_two_images_selectable_by_tag_and_index() {
    require_shared!();
    let path = shared("go-containerregistry/tarball-test_bundle.tar");
    let default = inspect_ok(&path);
    let tags: Vec<Vec<String>> = default
        .report
        .images
        .iter()
        .map(|c| c.tags.clone())
        .collect();
    assert_eq!(
        tags,
        vec![
            vec!["test_image_2".to_owned()],
            vec!["test_image_1".to_owned()]
        ]
    );
    assert!(
        default
            .report
            .images
            .iter()
            .all(|c| c.kind == ChoiceKind::Image)
    );
    let mut ids = Vec::new();
    for (selector, index) in [("test_image_1", 1), ("test_image_2", 0), ("1", 1), ("0", 0)] {
        let chosen = inspect_with(&path, &select_image(selector));
        assert_verified(&chosen, selector);
        assert_eq!(chosen.report.selected, index, "selector {selector}");
        assert_eq!(
            chosen.report.image.tags,
            tags.get(index).cloned().unwrap_or_default()
        );
        ids.push(chosen.report.image.config_digest.clone());
    }
    // The two images have different configs; tag and index agree.
    assert_ne!(ids.first(), ids.get(1));
    assert_eq!(ids.first(), ids.get(2));
    assert_eq!(ids.get(1), ids.get(3));
    let err = inspect_path(&path, &select_image("no_such_tag"))
        .map(|_| ())
        .unwrap_err()
        .core();
    assert_eq!(err.kind(), "SelectionError", "{err}");
    assert!(err.to_string().contains("test_image_1"), "{err}");
}

#[test]
fn test_link_resolves_layer_symlink_member() {
    require_shared!();
    let path = shared("go-containerregistry/tarball-test_link.tar");
    let second = inspect_with(&path, &select_image("1"));
    assert_verified(&second, "test_link image 1");
    assert_eq!(
        second.report.image.tags,
        vec!["bazel/v1/tarball:test_image_3".to_owned()]
    );
    assert_eq!(second.report.layers.len(), 2);
    // Layer 0 is `b159…/layer.tar`, a symlink to `6e77…/layer.tar`.
    let first = second
        .opened
        .layers
        .first()
        .and_then(|p| p.location.clone());
    match first {
        Some(BlobLocation::ArchiveRange { member, size, .. }) => {
            assert_eq!(
                member,
                "6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266/layer.tar"
            );
            assert_eq!(size, 10240);
        }
        other => panic!("layer 0 location {other:?}"),
    }
    let by_tag = inspect_with(&path, &select_image("bazel/v1/tarball:test_image_3"));
    assert_eq!(by_tag.report.selected, 1);
    // Image 0 shares that layer; both scans agree.
    let zero = inspect_ok(&path);
    assert_eq!(zero.report.selected, 0);
    assert_eq!(scan(&zero, 0).diff_id, scan(&second, 0).diff_id);
}

#[test]
fn hello_world_v25_falls_back_to_manifest_json() {
    require_shared!();
    let inspection = inspect_ok(&shared("go-containerregistry/tarball-hello-world-v25.tar"));
    assert_eq!(inspection.report.format, ArchiveFormat::DockerOciArchive);
    let codes: Vec<&str> = inspection
        .report
        .warnings
        .iter()
        .map(|w| w.code.as_str())
        .collect();
    assert!(codes.contains(&"index-unusable"), "{codes:?}");
    let hello = entry_in(&inspection, 0, "hello");
    assert_eq!(hello.kind, EntryKind::File);
    assert_eq!(hello.mode & 0o111, 0o111, "hello is executable");
    // Layer blob checked against its content-addressed member name.
    let blob = checks_of(&inspection, &CheckedObject::LayerBlob { layer: 0 });
    assert_eq!(
        blob.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![CheckStatusKind::Verified]
    );
}

#[test]
fn test_index_lists_nested_index_and_docker_list() {
    require_shared!();
    let inspection = inspect_ok(&shared("go-containerregistry/layout/test_index"));
    let report = &inspection.report;
    // Four leaves: ref 1, ref 2 (descriptor media type), the manifest inside
    // nested index 3, and the one inside the Docker manifest list 4.
    assert_eq!(report.images.len(), 4);
    let digests: Vec<String> = report
        .images
        .iter()
        .map(|c| {
            c.digest
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    let one = "sha256:eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650";
    assert_eq!(
        digests.iter().filter(|d| *d == one).count(),
        3,
        "{digests:?}"
    );
    assert!(digests.contains(
        &"sha256:32589985702551b6c56033bb3334432a0a513bf9d6aceda0f67c42b003850720".to_owned()
    ));
    // Both nested indexes were read and verified.
    let indexes: Vec<_> = report
        .verification
        .checks
        .iter()
        .filter(|c| matches!(&c.object, CheckedObject::Index { name } if name.contains("05f95b26") || name.contains("2b29a2b8")))
        .collect();
    assert_eq!(indexes.len(), 2, "{:#?}", report.verification.checks);
    assert!(
        indexes
            .iter()
            .all(|c| c.status == CheckStatusKind::Verified)
    );
    // The Docker manifest list's image is selectable by its ref name.
    let four = inspect_with(
        &shared("go-containerregistry/layout/test_index"),
        &select_image("4"),
    );
    assert_verified(&four, "test_index ref 4");
    assert_eq!(four.report.selected, 3);
}

#[test]
fn unusable_inputs_fail_with_clear_errors() {
    require_shared!();
    let cases = [
        (
            "go-containerregistry/tarball-no_manifest.tar",
            "NotAnImageError",
            "manifest.json",
        ),
        (
            "go-containerregistry/tarball-null_manifest.tar",
            "FormatError",
            "manifest lists no images",
        ),
        (
            "go-containerregistry/layout/test_index_media_type",
            "SelectionError",
            "b544f71ecd82372b",
        ),
        (
            "go-containerregistry/layout/test_gc_image_unknown_mediatype",
            "SelectionError",
            "32589985702551b6",
        ),
    ];
    for (rel, kind, needle) in cases {
        let err = match inspect_path(&shared(rel), &OpenOptions::default()) {
            Ok(i) => panic!("{rel}: opened unexpectedly: {:?}", i.report.images),
            Err(e) => e.core(),
        };
        assert_eq!(err.kind(), kind, "{rel}: {err}");
        assert!(err.to_string().contains(needle), "{rel}: {err}");
    }
}

#[test]
fn edited_config_is_the_only_mismatch() {
    require_shared!();
    let inspection = inspect_ok(&shared(
        "go-containerregistry/mutate-source_image_with_empty_layer_history.tar",
    ));
    let report = &inspection.report;
    assert!(!report.verification.ok);
    let bad = failures(&inspection);
    assert_eq!(bad.len(), 1, "{bad:#?}");
    let config = "6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e.json";
    match bad.first() {
        Some((CheckedObject::Config { name }, CheckStatusKind::Mismatch, _)) => {
            assert_eq!(name, config)
        }
        other => panic!("unexpected failure {other:?}"),
    }
    // Everything else verified (or is the unverifiable manifest.json root).
    for check in &report.verification.checks {
        let ok = match &check.object {
            CheckedObject::Config { .. } => check.status == CheckStatusKind::Mismatch,
            CheckedObject::Manifest { .. } | CheckedObject::LayerBlob { .. } => {
                matches!(
                    check.status,
                    CheckStatusKind::Verified | CheckStatusKind::NotCheckable
                )
            }
            _ => check.status == CheckStatusKind::Verified,
        };
        assert!(ok, "{check:?}");
    }
    assert_eq!(
        checks_of(&inspection, &CheckedObject::LayerDiffId { layer: 0 }).len(),
        1
    );
    assert_eq!(
        report.layers.first().map(|l| l.status),
        Some(CheckStatusKind::Verified)
    );
    // Its history has the empty-layer entry the name promises.
    assert_eq!(report.history.len(), 2);
    assert_eq!(report.history.iter().filter(|h| h.empty_layer).count(), 1);
}

#[test]
fn oci_single_layer_fixtures_agree_on_content() {
    require_shared!();
    // The buildkit gzip / zstd / uncompressed builds hold the same README.md.
    let mut hashes = Vec::new();
    for rel in [
        "dive/test-oci-gzip-image.tar",
        "dive/test-oci-zstd-image.tar",
        "dive/test-oci-uncompressed-image.tar",
        "dive/test-oci-estargz-image.tar",
    ] {
        let inspection = inspect_ok(&shared(rel));
        let readme = entry_in(&inspection, 0, "README.md");
        assert_eq!(readme.kind, EntryKind::File, "{rel}");
        hashes.push((readme.size, readme.content_hash));
    }
    assert!(
        hashes.windows(2).all(|w| w.first() == w.get(1)),
        "{hashes:?}"
    );
    // gzip/zstd/uncompressed share one config and so one diff_id.
    let diff: Vec<_> = [
        "dive/test-oci-gzip-image.tar",
        "dive/test-oci-zstd-image.tar",
        "dive/test-oci-uncompressed-image.tar",
    ]
    .iter()
    .map(|rel| scan(&inspect_ok(&shared(rel)), 0).diff_id.clone())
    .collect();
    assert!(diff.windows(2).all(|w| w.first() == w.get(1)), "{diff:?}");
}
