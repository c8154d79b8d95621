//! `layerscope share` end to end on generated images: layers matched by
//! diff_id across formats, sizes and totals checked against sums computed
//! here from the layer tars, multi-image archives, repeated and unreadable
//! inputs, the common base and its annotations, `--verify`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use layerscope_test_support::build::{ImageSpec, docker_archive_of, oci_archive_of, oci_layout_of};
use layerscope_test_support::image::sha256;
use layerscope_test_support::layer::LayerBuilder;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A layer with one file of `size` bytes of `fill`.
fn layer(path: &str, size: usize, fill: u8) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    b.file(path, &vec![fill; size]);
    b.finish()
}

struct Layers {
    rootfs: Vec<u8>,
    libs: Vec<u8>,
    app_a: Vec<u8>,
    app_b: Vec<u8>,
}

fn layers() -> Layers {
    Layers {
        rootfs: layer("bin/sh", 40_000, b'r'),
        libs: layer("usr/lib/libx.so", 30_000, b'l'),
        app_a: layer("app/a.txt", 5_000, b'a'),
        app_b: layer("app/b.txt", 7_000, b'b'),
    }
}

fn image_a(l: &Layers) -> ImageSpec {
    ImageSpec::new(
        "app-a:1",
        &[
            (&l.rootfs, "ADD rootfs.tar /"),
            (&l.libs, "RUN apt-get install -y libx"),
            (&l.app_a, "COPY a.txt /app/"),
        ],
    )
}

fn image_b(l: &Layers) -> ImageSpec {
    ImageSpec::new(
        "app-b:1",
        &[
            (&l.rootfs, "ADD rootfs.tar /"),
            (&l.libs, "RUN apt-get install -y libx"),
            (&l.app_b, "COPY b.txt /app/"),
        ],
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn layer_by_diff<'a>(report: &'a Value, bytes: &[u8]) -> &'a Value {
    let diff = sha256(bytes);
    report["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["diffId"] == diff.as_str())
        .unwrap_or_else(|| panic!("no layer {diff}"))
}

#[test]
fn gzip_and_plain_copies_of_a_layer_are_one_layer() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let plain = write(
        dir.path(),
        "a.docker.tar",
        &docker_archive_of(&[image_a(&l)]),
    );
    let gz = write(
        dir.path(),
        "b.oci.tar",
        &oci_archive_of(&[image_b(&l)], true),
    );
    let out = run(&["share", "--json", s(&plain), s(&gz)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["images"].as_array().unwrap().len(), 2);
    assert_eq!(
        report["layers"].as_array().unwrap().len(),
        4,
        "rootfs, libs, a, b"
    );
    for shared in [&l.rootfs, &l.libs] {
        let entry = layer_by_diff(&report, shared);
        assert_eq!(entry["images"], serde_json::json!([0, 1]));
        assert_eq!(entry["uncompressedSize"], shared.len());
        assert_eq!(
            entry["sizeSource"], "stored-uncompressed",
            "known from the plain copy"
        );
        assert_eq!(entry["inBase"], true);
        let forms: Vec<&str> = entry["uses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["compression"].as_str().unwrap())
            .collect();
        assert_eq!(forms, ["none", "gzip"]);
    }
    let b_only = layer_by_diff(&report, &l.app_b);
    assert_eq!(b_only["images"], serde_json::json!([1]));
    assert_eq!(b_only["uncompressedSize"], l.app_b.len());
    assert_eq!(
        b_only["sizeSource"], "inflated",
        "only stored gzip: counted"
    );
    // Totals computed here from the tars.
    let sum = (l.rootfs.len() + l.libs.len()) * 2 + l.app_a.len() + l.app_b.len();
    let unique = l.rootfs.len() + l.libs.len() + l.app_a.len() + l.app_b.len();
    let bytes = &report["bytes"];
    assert_eq!(bytes["sumUncompressed"], sum);
    assert_eq!(bytes["uniqueUncompressed"], unique);
    assert_eq!(bytes["savedUncompressed"], sum - unique);
    assert_eq!(bytes["unsizedLayers"], 0);
    assert_eq!(bytes["storedComparable"], false, "one layer, two blobs");
    assert_eq!(bytes["uniqueStored"], Value::Null);
    assert_eq!(report["commonBase"]["layers"], 2);
    assert_eq!(
        report["commonBase"]["diffIds"],
        serde_json::json!([sha256(&l.rootfs), sha256(&l.libs)])
    );
    let history: Vec<&str> = report["commonBase"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["createdBy"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["ADD rootfs.tar /", "RUN apt-get install -y libx"]);
    let images = report["images"].as_array().unwrap();
    assert_eq!(images[0]["aboveBaseUncompressed"], l.app_a.len());
    assert_eq!(images[1]["aboveBaseUncompressed"], l.app_b.len());
    assert_eq!(images[0]["layers"][2], sha256(&l.app_a));
    // The text output says the same.
    let text = run(&["share", s(&plain), s(&gz)]);
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.contains("Common base: 2 layers"), "{stdout}");
    assert!(stdout.contains("not comparable"), "{stdout}");
}

#[test]
fn stored_totals_when_every_image_stores_the_same_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let a = write(dir.path(), "a.tar", &oci_archive_of(&[image_a(&l)], true));
    let b = write(dir.path(), "b.tar", &oci_archive_of(&[image_b(&l)], true));
    let report = json(&run(&["share", "--json", s(&a), s(&b)]));
    let gz = |bytes: &[u8]| layerscope_test_support::layer::gzip(bytes).len();
    let sum = (gz(&l.rootfs) + gz(&l.libs)) * 2 + gz(&l.app_a) + gz(&l.app_b);
    let unique = gz(&l.rootfs) + gz(&l.libs) + gz(&l.app_a) + gz(&l.app_b);
    let bytes = &report["bytes"];
    assert_eq!(bytes["storedComparable"], true);
    assert_eq!(bytes["sumStored"], sum);
    assert_eq!(bytes["uniqueStored"], unique);
    assert_eq!(bytes["savedStored"], sum - unique);
    for layer in report["layers"].as_array().unwrap() {
        assert_eq!(layer["sizeSource"], "inflated");
    }
}

#[test]
fn a_multi_image_archive_counts_as_its_images_and_a_repeated_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let both = write(
        dir.path(),
        "both.tar",
        &oci_archive_of(&[image_a(&l), image_b(&l)], false),
    );
    let docker = write(
        dir.path(),
        "both.docker.tar",
        &docker_archive_of(&[image_b(&l), image_a(&l)]),
    );
    let out = run(&["share", "--json", s(&both), s(&docker), s(&both)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let tags: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tags"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["app-a:1", "app-b:1", "app-b:1", "app-a:1"],
        "listing order"
    );
    let listing: Vec<u64> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["listingIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(listing, [0, 1, 0, 1]);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs[2]["status"], "duplicate");
    assert_eq!(inputs[2]["sameAs"], 0);
    assert_eq!(inputs[2]["images"], serde_json::json!([]));
    let unique = l.rootfs.len() + l.libs.len() + l.app_a.len() + l.app_b.len();
    let sum = (l.rootfs.len() + l.libs.len()) * 4 + (l.app_a.len() + l.app_b.len()) * 2;
    assert_eq!(report["bytes"]["uniqueUncompressed"], unique);
    assert_eq!(report["bytes"]["sumUncompressed"], sum);
    assert_eq!(
        layer_by_diff(&report, &l.app_a)["images"],
        serde_json::json!([0, 3])
    );
    // The same blobs in plain form in both inputs: comparable.
    assert_eq!(report["bytes"]["storedComparable"], true);
    assert_eq!(report["bytes"]["uniqueStored"], unique);
    // --image takes one image of each input.
    let one = json(&run(&[
        "share",
        "--json",
        "--image",
        "app-b:1",
        s(&both),
        s(&docker),
    ]));
    assert_eq!(one["images"].as_array().unwrap().len(), 2);
    assert_eq!(one["commonBase"]["layers"], 3, "the same image twice");
}

#[test]
fn an_unreadable_input_is_named_and_the_others_are_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let a = write(dir.path(), "a.tar", &oci_archive_of(&[image_a(&l)], true));
    let b = write(dir.path(), "b.tar", &docker_archive_of(&[image_b(&l)]));
    let garbage = write(dir.path(), "garbage.tar", b"not an image at all");
    let hostile = dir.path().join("evil\u{1b}[31m.tar");
    let out = run(&["share", "--json", s(&a), s(&garbage), s(&b), s(&hostile)]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(
        report["images"].as_array().unwrap().len(),
        2,
        "a and b analysed"
    );
    assert_eq!(report["commonBase"]["layers"], 2);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs[1]["status"], "unreadable");
    assert!(inputs[1]["errors"][0]["kind"].as_str().is_some());
    assert_eq!(inputs[3]["status"], "unreadable");
    assert_eq!(inputs[3]["errors"][0]["kind"], "IoError");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("garbage.tar"), "{stderr}");
    assert!(
        stderr.contains("evil\\x1b[31m.tar"),
        "named, escaped: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no raw escape: {stderr:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}'), "JSON escapes it");
    // Text output: the same exit status, the names escaped.
    let text = run(&["share", s(&a), s(&garbage), s(&b), s(&hostile)]);
    assert_eq!(text.status.code(), Some(2));
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.contains("unreadable"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'));
}

#[test]
fn base_annotations_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let base_digest = format!("sha256:{}", "ab".repeat(32));
    let a = image_a(&l)
        .annotate(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12",
        )
        .annotate("org.opencontainers.image.base.digest", &base_digest);
    let b = image_b(&l)
        .annotate(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12",
        )
        .annotate("org.opencontainers.image.base.digest", &base_digest);
    let path = write(dir.path(), "both.tar", &oci_archive_of(&[a, b], true));
    let report = json(&run(&["share", "--json", s(&path)]));
    let annotations = report["commonBase"]["annotations"].as_array().unwrap();
    assert_eq!(annotations.len(), 1);
    assert_eq!(annotations[0]["name"], "docker.io/library/debian:12");
    assert_eq!(annotations[0]["digest"], base_digest.as_str());
    assert_eq!(annotations[0]["images"], serde_json::json!([0, 1]));
    assert_eq!(
        report["images"][1]["baseName"],
        "docker.io/library/debian:12"
    );
}

#[test]
fn one_image_alone_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let a = write(dir.path(), "a.tar", &oci_archive_of(&[image_a(&l)], true));
    let out = run(&["share", s(&a), s(&a)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two or more images"));
}

#[test]
fn verify_checks_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let a = write(dir.path(), "a.tar", &oci_archive_of(&[image_a(&l)], true));
    let layout = dir.path().join("b-layout");
    for (name, bytes) in oci_layout_of(&[image_b(&l)], true) {
        let path = layout.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = run(&["share", "--json", "--verify", s(&a), s(&layout)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["verified"], true);
    assert_eq!(report["images"][1]["format"], "oci-layout");
    assert_eq!(report["images"][1]["verification"]["ok"], true);
    for layer in report["layers"].as_array().unwrap() {
        assert_eq!(layer["sizeSource"], "scanned");
    }
    // Corrupt one blob of the layout: verification fails (exit 1).
    let gz = layerscope_test_support::layer::gzip(&l.app_b);
    let blob = layout
        .join("blobs/sha256")
        .join(&sha256(&gz)["sha256:".len()..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let out = run(&["share", "--json", "--verify", s(&a), s(&layout)]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["verified"], false);
    assert_eq!(report["images"][0]["verification"]["ok"], true);
    assert_eq!(report["images"][1]["verification"]["ok"], false);
}

#[cfg(unix)]
#[test]
fn a_layout_blob_linking_outside_the_layout_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let layout = dir.path().join("layout");
    for (name, bytes) in oci_layout_of(&[image_b(&l)], false) {
        let path = layout.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    // The app layer's blob becomes a link to a copy outside the layout.
    let blob = layout
        .join("blobs/sha256")
        .join(&sha256(&l.app_b)["sha256:".len()..]);
    let outside = write(dir.path(), "outside.tar", &l.app_b);
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    let a = write(dir.path(), "a.tar", &oci_archive_of(&[image_a(&l)], true));
    let report = json(&run(&["share", "--json", s(&a), s(&layout)]));
    let app_b = layer_by_diff(&report, &l.app_b);
    assert_eq!(app_b["uses"][0]["storedSize"], Value::Null, "not followed");
    assert_eq!(app_b["uncompressedSize"], Value::Null);
    assert_eq!(report["bytes"]["unsizedLayers"], 1);
    // A link that stays inside the layout is followed.
    std::fs::remove_file(&blob).unwrap();
    let inside = layout.join("copy.tar");
    std::fs::write(&inside, &l.app_b).unwrap();
    std::os::unix::fs::symlink("../../copy.tar", &blob).unwrap();
    let report = json(&run(&["share", "--json", s(&a), s(&layout)]));
    assert_eq!(
        layer_by_diff(&report, &l.app_b)["uncompressedSize"],
        l.app_b.len()
    );
}
