//! The index walk's descriptor budget: an OCI index listing more
//! descriptors than `max_index_descriptors` stops with a limit error that
//! names the limit and the flag that raises it; raising it opens the image.

use std::io::Cursor;

use layerscope::archive::{OpenOptions, TarSource, open_image};
use layerscope::{Error, Limits};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()})
}

/// An OCI archive whose index.json lists one small image `copies` times.
fn archive_listing_manifest(copies: usize) -> Vec<u8> {
    let mut layer = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    layer
        .append_data(&mut header, "hello", &b"hi\n"[..])
        .expect("layer member");
    let layer = layer.into_inner().expect("layer tar");
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
    let mut outer = tar::Builder::new(Vec::new());
    let mut add = |name: String, data: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        outer.append_data(&mut header, name, data).expect("member");
    };
    add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("index.json".into(), &index);
    for blob in [&layer, &config, &manifest] {
        let hex = sha256(blob).trim_start_matches("sha256:").to_owned();
        add(format!("blobs/sha256/{hex}"), blob);
    }
    outer.into_inner().expect("outer tar")
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
