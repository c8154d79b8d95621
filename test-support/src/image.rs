//! Image archives around layer tars, for tests that need a whole image:
//! a docker-archive ([`docker_archive`]), outer tars of named members
//! ([`tar_of`]), OCI descriptors and `sha256:` digests.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The hex part of [`sha256`].
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// An OCI descriptor of `bytes`.
pub fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()})
}

/// A tar of `(name, data)` members, in order (ustar headers, mode 0644).
pub fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut outer = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        outer
            .append_data(&mut header, name, *data)
            .unwrap_or_else(|e| panic!("appending {name}: {e}"));
    }
    outer
        .into_inner()
        .unwrap_or_else(|e| panic!("finishing the outer tar: {e}"))
}

/// A config naming the layers' diff_ids (uncompressed layers: their own
/// digests).
pub fn config(layers: &[&[u8]]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}
    }))
    .unwrap_or_else(|e| panic!("config json: {e}"))
}

/// A docker-archive (tag `x:1`) of uncompressed layer tars, layer `i` at
/// `l{i}/layer.tar`.
pub fn docker_archive(layers: &[&[u8]]) -> Vec<u8> {
    let config = config(layers);
    let config_name = format!("{}.json", sha256_hex(&config));
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&json!([
        {"Config": config_name, "RepoTags": ["x:1"], "Layers": names}
    ]))
    .unwrap_or_else(|e| panic!("manifest json: {e}"));
    let mut members: Vec<(&str, &[u8])> = vec![(config_name.as_str(), &config)];
    members.extend(names.iter().map(String::as_str).zip(layers.iter().copied()));
    members.push(("manifest.json", &manifest));
    tar_of(&members)
}

/// A docker-archive like [`docker_archive`] whose config also holds the
/// keys of `extra` (e.g. `created`, `history`).
pub fn docker_archive_with(layers: &[&[u8]], extra: &Value) -> Vec<u8> {
    let mut config: Value =
        serde_json::from_slice(&config(layers)).unwrap_or_else(|e| panic!("config json: {e}"));
    if let (Some(map), Some(more)) = (config.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            map.insert(k.clone(), v.clone());
        }
    }
    let config = serde_json::to_vec(&config).unwrap_or_else(|e| panic!("config json: {e}"));
    let config_name = format!("{}.json", sha256_hex(&config));
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::to_vec(&json!([
        {"Config": config_name, "RepoTags": ["x:1"], "Layers": names}
    ]))
    .unwrap_or_else(|e| panic!("manifest json: {e}"));
    let mut members: Vec<(&str, &[u8])> = vec![(config_name.as_str(), &config)];
    members.extend(names.iter().map(String::as_str).zip(layers.iter().copied()));
    members.push(("manifest.json", &manifest));
    tar_of(&members)
}
