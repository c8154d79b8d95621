//! Whole images from a description ([`ImageSpec`]): layers (uncompressed
//! tars), the history command of each, tags and manifest annotations,
//! written as a docker-archive, an OCI archive (layers gzip or plain) or
//! the files of an OCI layout directory. One archive may hold several
//! images ([`docker_archive_of`], [`oci_archive_of`]); identical blobs are
//! stored once, as real tools do.

use serde_json::{Value, json};

use crate::image::{sha256, sha256_hex, tar_of};
use crate::layer::gzip;

/// One image to build.
#[derive(Debug, Clone, Default)]
pub struct ImageSpec {
    /// Uncompressed layer tars, base first.
    pub layers: Vec<Vec<u8>>,
    /// `created_by` of the history entry making each layer (missing ones
    /// are `layer N`).
    pub history: Vec<String>,
    /// Tag (docker `RepoTags`) or ref name (OCI).
    pub tag: String,
    /// Manifest annotations (OCI only).
    pub annotations: Vec<(String, String)>,
}

impl ImageSpec {
    /// An image of these layers, each made by `created_by`.
    pub fn new(tag: &str, layers: &[(&[u8], &str)]) -> ImageSpec {
        ImageSpec {
            layers: layers.iter().map(|(l, _)| l.to_vec()).collect(),
            history: layers.iter().map(|(_, h)| (*h).to_owned()).collect(),
            tag: tag.to_owned(),
            annotations: Vec::new(),
        }
    }

    /// Adds a manifest annotation.
    pub fn annotate(mut self, key: &str, value: &str) -> ImageSpec {
        self.annotations.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The image config: diff_ids of the layers and one history entry per
    /// layer.
    pub fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| sha256(l)).collect();
        let history: Vec<Value> = (0..self.layers.len())
            .map(|i| {
                json!({
                    "created": "2023-11-14T22:13:20Z",
                    "created_by": self.history.get(i).cloned().unwrap_or_else(|| format!("layer {i}")),
                })
            })
            .collect();
        serde_json::to_vec(&json!({
            "architecture": "amd64", "os": "linux", "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .unwrap_or_else(|e| panic!("config json: {e}"))
    }
}

/// A docker-archive of several images (layers uncompressed, each stored
/// once as `<diff_id hex>.tar`).
pub fn docker_archive_of(images: &[ImageSpec]) -> Vec<u8> {
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = Vec::new();
    for image in images {
        let config = image.config();
        let config_name = format!("{}.json", sha256_hex(&config));
        let names: Vec<String> = image
            .layers
            .iter()
            .map(|l| format!("{}.tar", sha256_hex(l)))
            .collect();
        for (name, layer) in names.iter().zip(&image.layers) {
            add_once(&mut members, name, layer);
        }
        add_once(&mut members, &config_name, &config);
        manifest.push(json!({"Config": config_name, "RepoTags": [image.tag], "Layers": names}));
    }
    let manifest =
        serde_json::to_vec(&Value::Array(manifest)).unwrap_or_else(|e| panic!("manifest: {e}"));
    members.push(("manifest.json".to_owned(), manifest));
    outer(&members)
}

/// The members of an OCI layout holding several images: `oci-layout`,
/// `index.json` (one manifest per image, with its ref name) and the blobs
/// (layers gzip when `gzip`). Write them to a directory, or tar them with
/// [`oci_archive_of`].
pub fn oci_layout_of(images: &[ImageSpec], gzip_layers: bool) -> Vec<(String, Vec<u8>)> {
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifests = Vec::new();
    let media = if gzip_layers {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    } else {
        "application/vnd.oci.image.layer.v1.tar"
    };
    for image in images {
        let config = image.config();
        let mut layers = Vec::new();
        for layer in &image.layers {
            let stored = if gzip_layers {
                gzip(layer)
            } else {
                layer.clone()
            };
            layers
                .push(json!({"mediaType": media, "digest": sha256(&stored), "size": stored.len()}));
            add_once(&mut blobs, &blob_path(&stored), &stored);
        }
        let annotations: serde_json::Map<String, Value> = image
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha256(&config), "size": config.len()},
            "layers": layers,
            "annotations": annotations,
        }))
        .unwrap_or_else(|e| panic!("manifest: {e}"));
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(&manifest), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": image.tag},
        }));
        add_once(&mut blobs, &blob_path(&config), &config);
        add_once(&mut blobs, &blob_path(&manifest), &manifest);
    }
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests}))
        .unwrap_or_else(|e| panic!("index: {e}"));
    let mut members = vec![
        (
            "oci-layout".to_owned(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".to_owned(), index),
    ];
    members.extend(blobs);
    members
}

/// An OCI archive (a tar of [`oci_layout_of`]).
pub fn oci_archive_of(images: &[ImageSpec], gzip_layers: bool) -> Vec<u8> {
    outer(&oci_layout_of(images, gzip_layers))
}

fn blob_path(bytes: &[u8]) -> String {
    format!("blobs/sha256/{}", sha256_hex(bytes))
}

fn add_once(members: &mut Vec<(String, Vec<u8>)>, name: &str, bytes: &[u8]) {
    if !members.iter().any(|(n, _)| n == name) {
        members.push((name.to_owned(), bytes.to_vec()));
    }
}

fn outer(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    tar_of(&refs)
}
