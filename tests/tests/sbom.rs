//! `layerscope sbom` on a generated image: CycloneDX 1.6 and SPDX 2.3
//! documents valid against the official JSON schemas (fetched by
//! `cargo xtask schemas` into target/sbom-schemas/; skipped with one line
//! when absent), deterministic bytes with the config's `created` as the
//! timestamp, each package's layer and the image's digests present.

use std::path::{Path, PathBuf};
use std::process::Command;

use layerscope_test_support::fixtures::repo_root;
use layerscope_test_support::image::docker_archive_with;
use layerscope_test_support::packages::debian_image;
use layerscope_tests::cli_binary;
use serde_json::{Value, json};

const CREATED: &str = "2024-03-01T12:34:56.789Z";

fn image(dir: &Path) -> PathBuf {
    let blobs = debian_image();
    let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
    let path = dir.join("image.tar");
    std::fs::write(
        &path,
        docker_archive_with(&refs, &json!({ "created": CREATED })),
    )
    .unwrap();
    path
}

fn sbom(image: &Path, format: &str) -> Vec<u8> {
    let out = Command::new(cli_binary())
        .args(["sbom", "--format", format])
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn schema(name: &str) -> Option<Value> {
    let path = repo_root().join("target/sbom-schemas").join(name);
    let text = std::fs::read(path).ok()?;
    Some(serde_json::from_slice(&text).unwrap())
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what} is not valid: {errors:#?}");
}

#[test]
fn cyclonedx_and_spdx_are_valid_deterministic_and_carry_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let cdx_bytes = sbom(&path, "cyclonedx");
    assert_eq!(
        cdx_bytes,
        sbom(&path, "cyclonedx"),
        "same input, same bytes"
    );
    let spdx_bytes = sbom(&path, "spdx");
    let file = dir.path().join("out.spdx.json");
    let written = Command::new(cli_binary())
        .args(["sbom", "--format", "spdx", "-o"])
        .arg(&file)
        .arg(&path)
        .output()
        .unwrap();
    assert!(written.status.success());
    assert!(written.stdout.is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), spdx_bytes);

    let cdx: Value = serde_json::from_slice(&cdx_bytes).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["timestamp"], "2024-03-01T12:34:56Z");
    let components = cdx["components"].as_array().unwrap();
    let bash = components.iter().find(|c| c["name"] == "bash").unwrap();
    assert_eq!(
        bash["purl"],
        "pkg:deb/debian/bash@5.2.21-2?arch=amd64&distro=debian-12"
    );
    let props = bash["properties"].as_array().unwrap();
    let prop = |name: &str| {
        props
            .iter()
            .filter(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(prop("layerscope:addedLayer"), ["0"]);
    assert_eq!(prop("layerscope:versionLayer"), ["1"]);
    assert_eq!(prop("layerscope:changedLayer"), ["1 upgraded"]);
    assert!(prop("layerscope:layerDigest")[0].starts_with("sha256:"));
    assert!(
        components
            .iter()
            .any(|c| c["type"] == "operating-system" && c["version"] == "12")
    );
    assert!(
        components.iter().all(|c| c["name"] != "curl"),
        "removed packages are not in the final image"
    );
    let root_props = cdx["metadata"]["component"]["properties"]
        .as_array()
        .unwrap();
    assert_eq!(
        root_props
            .iter()
            .filter(|p| p["name"] == "layerscope:image:diffId")
            .count(),
        5
    );
    assert_eq!(cdx["metadata"]["component"]["hashes"][0]["alg"], "SHA-256");

    let spdx: Value = serde_json::from_slice(&spdx_bytes).unwrap();
    assert_eq!(spdx["creationInfo"]["created"], "2024-03-01T12:34:56Z");
    let packages = spdx["packages"].as_array().unwrap();
    assert_eq!(
        packages.len(),
        components.len(),
        "image + packages vs packages + os"
    );
    let six = packages.iter().find(|p| p["name"] == "six").unwrap();
    assert_eq!(
        six["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/six@1.17.0"
    );
    let note = six["annotations"][0]["comment"].as_str().unwrap();
    assert!(note.contains("addedLayer=3 versionLayer=4"), "{note}");

    let (Some(bom), Some(licenses), Some(jsf), Some(spdx_schema)) = (
        schema("bom-1.6.schema.json"),
        schema("spdx.schema.json"),
        schema("jsf-0.82.schema.json"),
        schema("spdx-2.3.schema.json"),
    ) else {
        eprintln!("skipped schema validation: target/sbom-schemas is absent (cargo xtask schemas)");
        return;
    };
    let cdx_validator = jsonschema::options()
        .should_validate_formats(true)
        .with_resource(
            "http://cyclonedx.org/schema/spdx.schema.json",
            jsonschema::Resource::from_contents(licenses).unwrap(),
        )
        .with_resource(
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            jsonschema::Resource::from_contents(jsf).unwrap(),
        )
        .build(&bom)
        .unwrap();
    assert_valid(&cdx_validator, &cdx, "CycloneDX");
    let spdx_validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&spdx_schema)
        .unwrap();
    assert_valid(&spdx_validator, &spdx, "SPDX");
    // The validators do reject: a broken document fails.
    let mut broken = cdx.clone();
    broken["components"][0]["type"] = json!("not-a-type");
    assert!(!cdx_validator.is_valid(&broken));
    let mut broken = spdx.clone();
    broken["packages"][0]["filesAnalyzed"] = json!("yes");
    assert!(!spdx_validator.is_valid(&broken));
}
