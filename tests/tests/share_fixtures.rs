//! `share` and the cache-order advice on the buildah-built fixtures
//! (tests/fixtures/make-fixtures.sh): the multi-step image in three
//! formats plus `reuse.oci-layout` (app-a, app-b, cache-bad, cache-good,
//! all built FROM the multi-step image). The matrix, the totals and the
//! common base are checked against values computed here straight from the
//! files (manifest.json and tar member sizes, index.json, manifests,
//! configs, gunzipped blobs), not through layerscope.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use layerscope_test_support::fixtures::generated;
use layerscope_tests::cli_binary;
use serde_json::Value;

/// An image as read here: its diff_ids and each one's uncompressed size.
struct Expected {
    diff_ids: Vec<String>,
    sizes: BTreeMap<String, u64>,
    base_name: Option<String>,
    base_digest: Option<String>,
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The docker-archive: config diff_ids, member sizes of the layer tars.
fn docker(path: &Path) -> Expected {
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut sizes_by_member: BTreeMap<String, u64> = BTreeMap::new();
    let mut archive = tar::Archive::new(File::open(path).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        sizes_by_member.insert(name.clone(), entry.header().size().unwrap());
        if name.ends_with(".json") {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            members.insert(name, bytes);
        }
    }
    let manifest: Value = serde_json::from_slice(&members["manifest.json"]).unwrap();
    let config: Value =
        serde_json::from_slice(&members[manifest[0]["Config"].as_str().unwrap()]).unwrap();
    let diff_ids: Vec<String> = strings(&config["rootfs"]["diff_ids"]);
    let layers = strings(&manifest[0]["Layers"]);
    let sizes = diff_ids
        .iter()
        .zip(&layers)
        .map(|(d, member)| (d.clone(), sizes_by_member[member]))
        .collect();
    Expected {
        diff_ids,
        sizes,
        base_name: None,
        base_digest: None,
    }
}

/// Every image of the layout: diff_ids from the configs, sizes by
/// gunzipping each layer blob.
fn layout(dir: &Path) -> Vec<(String, Expected)> {
    let index = read_json(&dir.join("index.json"));
    let blob = |digest: &str| dir.join("blobs/sha256").join(&digest["sha256:".len()..]);
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|descriptor| {
            let reference = descriptor["annotations"]["org.opencontainers.image.ref.name"]
                .as_str()
                .unwrap()
                .to_owned();
            let manifest = read_json(&blob(descriptor["digest"].as_str().unwrap()));
            let config = read_json(&blob(manifest["config"]["digest"].as_str().unwrap()));
            let diff_ids = strings(&config["rootfs"]["diff_ids"]);
            let sizes = diff_ids
                .iter()
                .zip(manifest["layers"].as_array().unwrap())
                .map(|(d, layer)| {
                    let file = File::open(blob(layer["digest"].as_str().unwrap())).unwrap();
                    let mut decoder = flate2::read::MultiGzDecoder::new(file);
                    let size = std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
                    (d.clone(), size)
                })
                .collect();
            let annotation = |key: &str| {
                manifest["annotations"][key]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            };
            (
                reference,
                Expected {
                    diff_ids,
                    sizes,
                    base_name: annotation("org.opencontainers.image.base.name"),
                    base_digest: annotation("org.opencontainers.image.base.digest"),
                },
            )
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn layerscope(args: &[&str]) -> std::process::Output {
    Command::new(cli_binary()).args(args).output().unwrap()
}

#[test]
fn share_over_three_formats_and_four_images_on_one_base() {
    let docker_path = generated("multistep.docker.tar");
    let gzip_path = generated("multistep.oci-gzip.tar");
    let zstd_path = generated("multistep.oci-zstd.tar");
    let layout_path = generated("reuse.oci-layout");
    let out = layerscope(&[
        "share",
        "--json",
        docker_path.to_str().unwrap(),
        gzip_path.to_str().unwrap(),
        zstd_path.to_str().unwrap(),
        layout_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    // What the files say, read here. The multi-step image is the same in
    // every format (same diff_ids: checked below through the report).
    let multistep = docker(&docker_path);
    let apps = layout(&layout_path);
    let mut expected: Vec<&Expected> = vec![&multistep, &multistep, &multistep];
    expected.extend(apps.iter().map(|(_, e)| e));
    let mut size_of: BTreeMap<&str, u64> = BTreeMap::new();
    for image in &expected {
        for (d, s) in &image.sizes {
            size_of.insert(d, *s);
        }
    }

    let images = report["images"].as_array().unwrap();
    assert_eq!(
        images.len(),
        7,
        "3 single-image files + 4 images of the layout"
    );
    let refs: Vec<&str> = images[3..]
        .iter()
        .map(|i| i["tags"][0].as_str().unwrap())
        .collect();
    let names: Vec<&str> = apps.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(refs, names, "the layout's images in its listing order");
    for (image, want) in images.iter().zip(&expected) {
        assert_eq!(strings(&image["layers"]), want.diff_ids);
        let sum: u64 = want.diff_ids.iter().map(|d| size_of[d.as_str()]).sum();
        assert_eq!(image["uncompressedSize"], sum);
    }
    for (image, (_, want)) in images[3..].iter().zip(&apps) {
        assert_eq!(image["baseName"].as_str(), want.base_name.as_deref());
        assert_eq!(image["baseDigest"].as_str(), want.base_digest.as_deref());
    }
    assert_eq!(
        images[0]["format"], "docker-archive",
        "the docker-archive is read as one"
    );

    // The matrix: each distinct diff_id with the images using it.
    let mut users: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (i, image) in expected.iter().enumerate() {
        for d in &image.diff_ids {
            users.entry(d).or_default().insert(i);
        }
    }
    let layers = report["layers"].as_array().unwrap();
    assert_eq!(layers.len(), users.len());
    for layer in layers {
        let d = layer["diffId"].as_str().unwrap();
        let got: BTreeSet<usize> = layer["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got, users[d], "{d}");
        assert_eq!(layer["uncompressedSize"], size_of[d], "{d}");
    }

    // Totals, summed here.
    let sum: u64 = expected
        .iter()
        .flat_map(|e| e.diff_ids.iter())
        .map(|d| size_of[d.as_str()])
        .sum();
    let unique: u64 = users.keys().map(|d| size_of[d]).sum();
    let bytes = &report["bytes"];
    assert_eq!(bytes["sumUncompressed"], sum);
    assert_eq!(bytes["uniqueUncompressed"], unique);
    assert_eq!(bytes["savedUncompressed"], sum - unique);
    assert_eq!(bytes["unsizedLayers"], 0);
    assert_eq!(
        bytes["storedComparable"], false,
        "the base is stored plain, gzip and zstd"
    );

    // The common base: the multi-step image's four layers.
    let base = &report["commonBase"];
    assert_eq!(base["layers"], 4);
    assert_eq!(strings(&base["diffIds"]), multistep.diff_ids);
    let history = base["history"].as_array().unwrap();
    assert_eq!(history.len(), 6, "4 layers and the ENV, LABEL between them");
    assert_eq!(history.last().unwrap()["layer"], 3);
    // buildah annotates the four images built FROM the base with its name
    // (and, FROM scratch, the multi-step image with an empty name).
    let named: BTreeSet<u64> = base["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "localhost/layerscope/multistep:latest")
        .flat_map(|a| {
            a["images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap())
        })
        .collect();
    assert_eq!(named, BTreeSet::from([3, 4, 5, 6]));
    for (image, want) in images.iter().zip(&expected) {
        let above: u64 = want.diff_ids[4..].iter().map(|d| size_of[d.as_str()]).sum();
        assert_eq!(image["aboveBaseUncompressed"], above);
    }
}

fn cache_order(reference: &str) -> Vec<Value> {
    let layout = generated("reuse.oci-layout");
    let out = layerscope(&[
        "advise",
        "--json",
        "--image",
        reference,
        layout.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "cache-order")
        .cloned()
        .collect()
}

#[test]
fn cache_order_on_buildah_images() {
    let bad = cache_order("cache-bad");
    assert_eq!(bad.len(), 1, "sources copied before apt-get install");
    let advice = &bad[0];
    assert!(
        advice["message"]
            .as_str()
            .unwrap()
            .starts_with("layer 5 copies application files (3 files) before layer 6 (apt-get)")
    );
    let paths: BTreeSet<&str> = advice["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "srv/app/main.py",
            "srv/app/requirements.txt",
            "srv/app/util.py"
        ])
    );
    assert!(
        advice["evidence"][1]["command"]
            .as_str()
            .unwrap()
            .contains("apt-get install -y python3-requests")
    );
    assert!(
        cache_order("cache-good").is_empty(),
        "install first, sources last"
    );
    assert!(cache_order("app-a").is_empty(), "no install step");
    // The multi-step image: its base layer is a COPY of a root filesystem.
    let out = layerscope(&[
        "advise",
        "--json",
        generated("multistep.docker.tar").to_str().unwrap(),
    ]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|a| a["kind"] != "cache-order")
    );
}
