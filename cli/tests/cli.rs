//! The `layerscope` binary end to end: exit codes, JSON shape, inputs.

use std::process::{Command, Output, Stdio};

use layerscope_test_support::fixtures::shared as fixture;
use layerscope_test_support::require_shared;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

#[test]
fn verify_exit_codes() {
    require_shared!();
    let ok = run(&[
        "verify",
        fixture("dive/test-oci-zstd-image.tar").to_str().unwrap(),
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let invalid = run(&[
        "verify",
        fixture("go-containerregistry/tarball-null_manifest.tar")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("manifest.json"));
    let missing = run(&["verify", "/nonexistent/image.tar"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn inspect_json_has_documented_layer_fields() {
    require_shared!();
    let out = run(&[
        "inspect",
        "--json",
        fixture("dive/test-kaniko-image.tar").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    let layers = report["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 14);
    for layer in layers {
        for field in [
            "digest",
            "diffId",
            "mediaType",
            "size",
            "uncompressedSize",
            "entries",
            "verified",
            "status",
            "verdict",
        ] {
            assert!(layer.get(field).is_some(), "layer lacks {field}: {layer}");
        }
        assert_eq!(layer["verified"], serde_json::Value::Bool(true));
        assert_eq!(layer["verdict"], "verified");
        assert_eq!(layer["compression"], "gzip");
    }
    assert!(report["history"].is_array());
    assert!(report["config"].is_object());
    assert_eq!(report["verification"]["ok"], true);
}

#[test]
fn flipped_layer_byte_fails_with_exit_1_naming_the_layer() {
    require_shared!();
    let source = fixture("dive/test-oci-gzip-image.tar");
    let report = json(&run(&["inspect", "--json", source.to_str().unwrap()]));
    let location = &report["layers"][0]["location"];
    let offset = location["offset"].as_u64().unwrap() + location["size"].as_u64().unwrap() / 2;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("corrupt.tar");
    let mut bytes = std::fs::read(&source).unwrap();
    bytes[offset as usize] ^= 0x40;
    std::fs::write(&copy, bytes).unwrap();
    let out = run(&["verify", "--json", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["verification"]["ok"], false);
    // The core's word for it, the one the page's badge shows.
    assert_eq!(report["layers"][0]["verdict"], "corrupt-compression");
    let failed: Vec<&serde_json::Value> = report["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "verified" && c["status"] != "not-checkable")
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|c| c["object"]["layer"] == 0),
        "{failed:?}"
    );
    let human = run(&["verify", copy.to_str().unwrap()]);
    assert_eq!(human.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&human.stdout).contains("layer 0"));
}

#[test]
fn reads_standard_input() {
    require_shared!();
    let file = std::fs::File::open(fixture("dive/test-docker-image.tar")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(["verify", "-"])
        .stdin(Stdio::from(file))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn layout_directory_and_selection() {
    require_shared!();
    let dir = fixture("go-containerregistry/layout/test_index_one_image");
    let out = run(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let bundle = fixture("go-containerregistry/tarball-test_bundle.tar");
    let report = json(&run(&[
        "inspect",
        "--json",
        "--image",
        "test_image_1",
        bundle.to_str().unwrap(),
    ]));
    assert_eq!(report["image"]["tags"][0], "test_image_1");
    let report = json(&run(&[
        "inspect",
        "--json",
        "--image",
        "0",
        bundle.to_str().unwrap(),
    ]));
    assert_eq!(report["image"]["tags"][0], "test_image_2");
    let none = run(&["inspect", "--image", "nope", bundle.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn ls_lists_whiteouts() {
    require_shared!();
    let out = run(&[
        "ls",
        fixture("dive/test-docker-image.tar").to_str().unwrap(),
        "--layer",
        "9",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let listing = json(&out);
    let entries = listing["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["whiteout"]["target"] == "root/example")
    );
    let out = run(&[
        "ls",
        fixture("dive/test-docker-image.tar").to_str().unwrap(),
        "--layer",
        "99",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// `layerscope … | head`: a reader that closes the pipe early ends the
/// output quietly with 141 (128 + SIGPIPE), never "internal error".
#[test]
fn closed_stdout_pipe_is_not_an_internal_error() {
    require_shared!();
    let image = fixture("dive/test-docker-image.tar");
    for args in [
        vec!["inspect", image.to_str().unwrap()],
        vec!["ls", image.to_str().unwrap(), "--merged"],
        vec!["ls", image.to_str().unwrap(), "--merged", "--json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_layerscope"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        // Close the read end before the image is even opened.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("binary ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("internal error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
    }
}
