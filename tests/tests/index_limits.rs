//! The index walk's descriptor budget: an OCI index listing more
//! descriptors than `max_index_descriptors` stops with a limit error that
//! names the limit and the flag that raises it; raising it opens the image.

use std::io::Cursor;

use layerscope::archive::{OpenOptions, TarSource, open_image};
use layerscope::{Error, Limits};
use layerscope_test_support::image::{descriptor, sha256, sha256_hex, tar_of};
use layerscope_test_support::layer::LayerBuilder;

/// An OCI archive whose index.json lists one small image `copies` times.
fn archive_listing_manifest(copies: usize) -> Vec<u8> {
    let mut layer = LayerBuilder::new();
    layer.file("hello", b"hi\n");
    let layer = layer.finish();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]}
    }))
    .expect("config json");
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", &layer)],
    }))
    .expect("manifest json");
    let entry = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": vec![entry; copies],
    }))
    .expect("index json");
    let blobs: Vec<(String, &[u8])> = [&layer, &config, &manifest]
        .into_iter()
        .map(|blob| {
            (
                format!("blobs/sha256/{}", sha256_hex(blob)),
                blob.as_slice(),
            )
        })
        .collect();
    let mut members: Vec<(&str, &[u8])> = vec![
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", &index),
    ];
    members.extend(blobs.iter().map(|(name, blob)| (name.as_str(), *blob)));
    tar_of(&members)
}

fn open_with(bytes: Vec<u8>, limits: Limits) -> layerscope::Result<usize> {
    let mut source = TarSource::new(Cursor::new(bytes), &limits)?;
    let options = OpenOptions {
        limits,
        ..OpenOptions::default()
    };
    open_image(&mut source, &options).map(|opened| opened.images.len())
}

#[test]
fn too_many_index_descriptors_name_their_own_flag() {
    let limits = Limits {
        max_index_descriptors: 10,
        ..Limits::default()
    };
    match open_with(archive_listing_manifest(11), limits) {
        Err(Error::Limit {
            limit, value, flag, ..
        }) => {
            assert_eq!(limit, "max_index_descriptors");
            assert_eq!(value, 10);
            assert_eq!(flag, "--max-index-descriptors");
        }
        other => panic!("expected the descriptor limit, got {other:?}"),
    }
}

#[test]
fn descriptors_within_the_limit_open() {
    let limits = Limits {
        max_index_descriptors: 11,
        ..Limits::default()
    };
    let images = open_with(archive_listing_manifest(11), limits).expect("opens");
    assert!(images >= 1, "at least one image listed");
}
