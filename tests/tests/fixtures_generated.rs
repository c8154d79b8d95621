//! The fixtures made by `tests/fixtures/make-fixtures.sh` (buildah, skopeo,
//! umoci): formats, layer counts, digests and entries as the tools report
//! them. Facts below were read from the tools' own output:
//! `skopeo inspect --raw` (manifests, layer media types and blob digests),
//! `skopeo inspect --config` (diff_ids, history, runtime config) and
//! `tar -tv` on the layer blobs (entries).

use layerscope::model::{
    ArchiveFormat, CheckStatusKind, CheckedObject, Compression, EntryKind, Whiteout,
};
use layerscope_test_support::fixtures::generated;
use layerscope_tests::{
    assert_verified, checks_of, entry_in, inspect_ok, inspect_path, inspect_with, scan,
    select_image, select_platform, whiteouts,
};

/// `skopeo inspect --config … | jq .rootfs.diff_ids` (and the docker-archive member names).
const MULTISTEP_DIFF_IDS: [&str; 4] = [
    "sha256:323526134640ac8e31acb5f96995b6646b7a4ffa7a5ad41d31e4d0c0e412af82",
    "sha256:34296c9c5d93475972d985f9c30b460d671ba712e5f0f964314ae055f51468e4",
    "sha256:b15f65b6acacd75dc645ec47dc940c1d2f5311ed0ccaa94f100a17997d3e3da7",
    "sha256:8ae44b516547cf0cab23bbbc45e9903ced74c3e23af6794f5f5599c24ac24d96",
];
/// `skopeo inspect --raw oci-archive:multistep.oci-gzip.tar` → `.config.digest`.
const MULTISTEP_CONFIG: &str =
    "sha256:db42acb657310f6ac5987de146171f81fd63d4e0f0d38730995fe2ba2a6e70ca";
/// `skopeo inspect --raw …oci-gzip…` → `.layers[].digest` (prefixes).
const GZIP_BLOBS: [&str; 4] = [
    "sha256:50de309db8e0",
    "sha256:0ca2cdcd6547",
    "sha256:ace6344e6a36",
    "sha256:bebf5222f6dc",
];
/// `skopeo inspect --raw …oci-zstd…` → `.layers[].digest` (prefixes).
const ZSTD_BLOBS: [&str; 4] = [
    "sha256:c0cf9e2c38e9",
    "sha256:4848d19eb4e2",
    "sha256:18b73ae2291b",
    "sha256:914002c75aab",
];
/// Entries per layer, counted from `tar -tf` of each layer.
const MULTISTEP_ENTRIES: [usize; 4] = [279, 18, 6, 9];

/// The multi-step image in each container the script writes.
const MULTISTEP: [(&str, ArchiveFormat, Compression, Option<&str>); 5] = [
    (
        "multistep.docker.tar",
        ArchiveFormat::DockerArchive,
        Compression::None,
        None,
    ),
    (
        "multistep.oci-gzip.tar",
        ArchiveFormat::OciArchive,
        Compression::Gzip,
        None,
    ),
    (
        "multistep.oci-zstd.tar",
        ArchiveFormat::OciArchive,
        Compression::Zstd,
        None,
    ),
    (
        "multistep.oci-layout",
        ArchiveFormat::OciLayout,
        Compression::Gzip,
        None,
    ),
    (
        "two-images.oci.tar",
        ArchiveFormat::OciArchive,
        Compression::Gzip,
        Some("multistep"),
    ),
];

#[test]
fn multistep_image_in_every_container() {
    let mut entry_lists = Vec::new();
    for (rel, format, compression, selector) in MULTISTEP {
        let options = selector.map(select_image).unwrap_or_default();
        let inspection = inspect_with(&generated(rel), &options);
        let report = &inspection.report;
        assert_verified(&inspection, rel);
        assert_eq!(report.format, format, "{rel}");
        assert_eq!(report.layers.len(), 4, "{rel}");
        assert_eq!(
            report
                .image
                .config_digest
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(MULTISTEP_CONFIG),
            "{rel}"
        );
        for (index, layer) in report.layers.iter().enumerate() {
            assert_eq!(layer.compression, Some(compression), "{rel} layer {index}");
            assert_eq!(
                layer.diff_id.as_ref().map(ToString::to_string).as_deref(),
                MULTISTEP_DIFF_IDS.get(index).copied()
            );
            let blob = layer
                .digest
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let expected = match compression {
                Compression::Gzip => GZIP_BLOBS.get(index),
                Compression::Zstd => ZSTD_BLOBS.get(index),
                // Uncompressed: the blob is the diff_id.
                Compression::None => MULTISTEP_DIFF_IDS.get(index),
            };
            assert!(
                expected.is_some_and(|p| blob.starts_with(p)),
                "{rel} layer {index}: blob {blob}"
            );
            assert_eq!(
                layer.status,
                CheckStatusKind::Verified,
                "{rel} layer {index}"
            );
            // The blob itself is checked: against the descriptor (OCI) or the
            // content-addressed `<diff_id>.tar` member name (skopeo docker-archive).
            let blob_checks = checks_of(&inspection, &CheckedObject::LayerBlob { layer: index });
            assert_eq!(
                blob_checks.iter().map(|c| c.status).collect::<Vec<_>>(),
                vec![CheckStatusKind::Verified],
                "{rel} layer {index}"
            );
        }
        let counts: Vec<usize> = inspection
            .scans
            .iter()
            .flatten()
            .map(|s| s.entries.len())
            .collect();
        assert_eq!(counts, MULTISTEP_ENTRIES, "{rel}");
        // History: 11 entries, 7 empty (ENV LABEL WORKDIR EXPOSE USER ENTRYPOINT CMD).
        assert_eq!(report.history.len(), 11, "{rel}");
        let owners: Vec<Option<usize>> = report.history.iter().map(|h| h.layer).collect();
        assert_eq!(
            owners,
            vec![
                Some(0),
                Some(1),
                None,
                None,
                Some(2),
                Some(3),
                None,
                None,
                None,
                None,
                None
            ],
            "{rel}"
        );
        assert!(
            report
                .history
                .get(2)
                .and_then(|h| h.created_by.as_deref())
                .is_some_and(|c| c.contains("ENV APP_HOME")),
            "{rel}"
        );
        assert_eq!(
            report.image.created.as_deref(),
            Some("2023-11-14T22:13:20Z"),
            "{rel}"
        );
        let config = &report.config;
        assert_eq!(config.user.as_deref(), Some("1000:1000"));
        assert!(
            config.env.contains(&"APP_HOME=/app".to_owned())
                && config.env.contains(&"GREETING=hello world".to_owned())
        );
        assert_eq!(
            config.entrypoint,
            Some(vec!["/bin/sh".to_owned(), "-c".to_owned()])
        );
        assert_eq!(config.cmd, Some(vec!["cat /app/hello.txt".to_owned()]));
        assert_eq!(config.working_dir.as_deref(), Some("/app"));
        assert_eq!(config.exposed_ports, vec!["8080/tcp".to_owned()]);
        assert_eq!(
            config.labels.get("fixture.kind").map(String::as_str),
            Some("multi-step")
        );
        entry_lists.push(
            inspection
                .scans
                .into_iter()
                .flatten()
                .map(|s| s.entries)
                .collect::<Vec<_>>(),
        );
    }
    // Same uncompressed streams, so identical entry lists in every container.
    assert!(entry_lists.windows(2).all(|w| w.first() == w.get(1)));
}

#[test]
fn multistep_layer_contents() {
    let inspection = inspect_ok(&generated("multistep.oci-zstd.tar"));
    // Layer 0: busybox-static and its applet symlinks.
    let busybox = entry_in(&inspection, 0, "bin/busybox");
    assert_eq!((busybox.kind, busybox.mode), (EntryKind::File, 0o755));
    let ls = entry_in(&inspection, 0, "bin/ls");
    assert_eq!(
        (ls.kind, ls.link_target.as_deref()),
        (EntryKind::Symlink, Some("/bin/busybox"))
    );
    assert_eq!(entry_in(&inspection, 0, "tmp").mode, 0o1777);
    assert_eq!(entry_in(&inspection, 0, "root").mode, 0o700);
    // Layer 1: files the first RUN made.
    let hello = entry_in(&inspection, 1, "app/hello.txt");
    assert_eq!(
        (hello.kind, hello.size, hello.mode),
        (EntryKind::File, 6, 0o644)
    );
    assert_eq!(entry_in(&inspection, 1, "app/delete-me.txt").size, 38);
    // Layer 2: vfs diffing writes one whiteout per deleted path.
    assert_eq!(
        whiteouts(scan(&inspection, 2)),
        vec![
            (
                "app/cache/.wh.one".to_owned(),
                Whiteout::Remove {
                    target: "app/cache/one".into()
                }
            ),
            (
                "app/cache/.wh.two".to_owned(),
                Whiteout::Remove {
                    target: "app/cache/two".into()
                }
            ),
            (
                "app/.wh.delete-me.txt".to_owned(),
                Whiteout::Remove {
                    target: "app/delete-me.txt".into()
                }
            ),
        ]
    );
    assert_eq!(entry_in(&inspection, 2, "app/cache/new").size, 2);
    // Layer 3: hard link pair, symlink, chmods.
    let b = entry_in(&inspection, 3, "app/linked-b");
    assert_eq!(
        (b.kind, b.link_target.as_deref()),
        (EntryKind::Hardlink, Some("app/linked-a"))
    );
    assert_eq!(
        entry_in(&inspection, 3, "app/linked-a").kind,
        EntryKind::File
    );
    // A hard link to a file of a lower layer is stored as a plain copy.
    assert_eq!(
        entry_in(&inspection, 3, "app/hello-hardlink.txt").kind,
        EntryKind::File
    );
    assert_eq!(
        entry_in(&inspection, 3, "app/hello-hardlink.txt").content_hash,
        entry_in(&inspection, 1, "app/hello.txt").content_hash
    );
    let symlink = entry_in(&inspection, 3, "app/hello-symlink");
    assert_eq!(
        (symlink.kind, symlink.link_target.as_deref()),
        (EntryKind::Symlink, Some("hello.txt"))
    );
    assert_eq!(entry_in(&inspection, 3, "etc/app/config").mode, 0o600);
    assert_eq!(entry_in(&inspection, 3, "app/data").mode, 0o750);
    // --timestamp 1700000000 clamps every mtime.
    for layer in inspection.scans.iter().flatten() {
        assert!(
            layer
                .entries
                .iter()
                .all(|e| e.mtime == 1_700_000_000 && e.uid == 0 && e.gid == 0)
        );
    }
}

#[test]
fn multiplatform_layout_selects_by_platform() {
    let path = generated("multiplatform.oci-layout");
    // `skopeo inspect --raw oci:multiplatform.oci-layout:latest`: an index
    // with amd64 → eca7fae2…, arm64 → 81c1e6c9…; their configs 83e300e8…, f478077b….
    let default = inspect_ok(&path);
    let platforms: Vec<Option<String>> = default
        .report
        .images
        .iter()
        .map(|c| c.platform.clone())
        .collect();
    assert_eq!(
        platforms,
        vec![
            Some("linux/amd64".to_owned()),
            Some("linux/arm64".to_owned())
        ]
    );
    let cases = [
        (default, "linux/amd64", "sha256:eca7fae2", "sha256:83e300e8"),
        (
            inspect_with(&path, &select_platform("linux/arm64")),
            "linux/arm64",
            "sha256:81c1e6c9",
            "sha256:f478077b",
        ),
        (
            inspect_with(&path, &select_platform("linux/amd64")),
            "linux/amd64",
            "sha256:eca7fae2",
            "sha256:83e300e8",
        ),
    ];
    for (inspection, platform, manifest, config) in cases {
        assert_verified(&inspection, platform);
        let image = &inspection.report.image;
        assert_eq!(image.platform.as_deref(), Some(platform));
        assert!(
            image
                .manifest_digest
                .as_ref()
                .is_some_and(|d| d.to_string().starts_with(manifest))
        );
        assert!(
            image
                .config_digest
                .as_ref()
                .is_some_and(|d| d.to_string().starts_with(config))
        );
        assert_eq!(inspection.report.layers.len(), 1);
        let file = entry_in(&inspection, 0, "etc/platform");
        assert_eq!(file.size, format!("built for {platform}\n").len() as u64);
        // The nested index (the manifest list buildah pushed) is verified.
        assert!(
            inspection
                .report
                .verification
                .checks
                .iter()
                .any(|c| matches!(&c.object,
            CheckedObject::Index { name } if name.contains("ce1e978a"))
                    && c.status == CheckStatusKind::Verified)
        );
    }
    let err = inspect_path(&path, &select_platform("linux/s390x"))
        .map(|_| ())
        .unwrap_err()
        .core();
    assert_eq!(err.kind(), "SelectionError", "{err}");
}

#[test]
fn two_images_select_by_tag_and_index() {
    let path = generated("two-images.oci.tar");
    let default = inspect_ok(&path);
    let tags: Vec<Vec<String>> = default
        .report
        .images
        .iter()
        .map(|c| c.tags.clone())
        .collect();
    assert_eq!(
        tags,
        vec![vec!["multistep".to_owned()], vec!["umoci".to_owned()]]
    );
    assert_eq!(default.report.selected, 0);
    for selector in ["umoci", "1"] {
        let inspection = inspect_with(&path, &select_image(selector));
        let report = &inspection.report;
        assert_verified(&inspection, selector);
        assert_eq!(report.selected, 1);
        // `skopeo inspect --raw oci-archive:two-images.oci.tar:umoci`: 5 layers, config a43dd418….
        assert_eq!(report.layers.len(), 5);
        assert!(
            report
                .image
                .config_digest
                .as_ref()
                .is_some_and(|d| d.to_string().starts_with("sha256:a43dd418f27d"))
        );
        // The first four layers are the multi-step image's.
        for (layer, expected) in report.layers.iter().zip(MULTISTEP_DIFF_IDS) {
            assert_eq!(
                layer.diff_id.as_ref().map(ToString::to_string).as_deref(),
                Some(expected)
            );
        }
        // umoci history: +1 layer entry (repack), +1 empty (config).
        assert_eq!(report.history.len(), 13);
        assert_eq!(report.history.iter().filter(|h| h.empty_layer).count(), 8);
        assert_eq!(report.history.get(11).and_then(|h| h.layer), Some(4));
        assert_eq!(
            report.config.cmd,
            Some(vec!["cat /opt/umoci/added.txt".to_owned()])
        );
        // umoci's layer starts with a `./` root entry and whiteouts the symlink.
        let top = scan(&inspection, 4);
        let root = top.entries.first().map(|e| (e.path.as_str(), e.kind));
        assert_eq!(root, Some(("", EntryKind::Dir)));
        assert_eq!(
            whiteouts(top),
            vec![(
                "app/.wh.hello-symlink".to_owned(),
                Whiteout::Remove {
                    target: "app/hello-symlink".into()
                }
            )]
        );
        assert_eq!(entry_in(&inspection, 4, "opt/umoci/added.txt").size, 22);
    }
}

#[test]
fn overlay_opaque_whiteout() {
    let inspection = inspect_ok(&generated("opaque.oci-gzip.tar"));
    assert_verified(&inspection, "opaque");
    assert_eq!(inspection.report.layers.len(), 3);
    assert_eq!(
        whiteouts(scan(&inspection, 2)),
        vec![(
            "data/old/.wh..wh..opq".to_owned(),
            Whiteout::Opaque {
                dir: "data/old".into()
            }
        )]
    );
    assert_eq!(entry_in(&inspection, 2, "data/old/new").size, 2);
    assert_eq!(
        entry_in(&inspection, 1, "data/old/sub/b").kind,
        EntryKind::File
    );
    assert!(whiteouts(scan(&inspection, 1)).is_empty());
}

#[test]
fn web_sample_is_the_docker_archive() {
    let sample = generated("../../../web/sample/sample-image.tar");
    let original = generated("multistep.docker.tar");
    let (a, b) = (std::fs::read(&sample), std::fs::read(&original));
    assert!(
        a.is_ok() && a.ok() == b.ok(),
        "web/sample/sample-image.tar differs from multistep.docker.tar"
    );
    assert!(std::fs::metadata(&sample).is_ok_and(|m| m.len() < 3 << 20));
}
