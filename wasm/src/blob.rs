//! What the page asks about a stored blob before scheduling its jobs: the
//! compression its first bytes show and whether its stored digest is a job
//! of its own, and the algorithm that digest uses (with WebCrypto's name
//! for it). The core decides; this only converts.

use layerscope::Algorithm;
use layerscope::layer::compression::{Detected, SNIFF_LEN, detect};
use layerscope::layer::scan::{blob_algorithm, stored_hash_needed};
use layerscope::model::LayerPlan;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{from_json, to_js};
use crate::error::WasmError;

/// What a blob's leading bytes say.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobHead {
    /// `none`, `gzip`, `zstd`, or an unsupported format's name.
    compression: &'static str,
    /// Whether the core decodes it.
    supported: bool,
    /// Whether the stored bytes need a digest of their own (compressed, or
    /// another algorithm than the diff_id's).
    separate_stored_hash: bool,
}

/// The compression of the blob of `plan` (JSON as in `open`'s `plans`)
/// from its first bytes (`head`, up to 512 are looked at), and whether
/// hashing its stored bytes is a job apart from scanning it.
#[wasm_bindgen(js_name = blobHead)]
pub fn blob_head(plan: &str, head: &[u8]) -> Result<JsValue, WasmError> {
    let plan: LayerPlan = from_json("plan", plan)?;
    let detected = detect(head.get(..SNIFF_LEN).unwrap_or(head));
    to_js(&BlobHead {
        compression: detected.name(),
        supported: matches!(detected, Detected::Supported(_)),
        separate_stored_hash: match detected {
            Detected::Supported(c) => stored_hash_needed(&plan, c),
            Detected::Unsupported(_) => false,
        },
    })
}

/// The algorithm the stored blob of `plan` is hashed with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobAlgorithm {
    /// The name in digest strings (`sha256`).
    name: &'static str,
    /// The same algorithm's name in WebCrypto (`SHA-256`).
    web_crypto: &'static str,
}

/// The algorithm the core hashes the stored blob of `plan` (JSON as in
/// `open`'s `plans`) with: `{name, webCrypto}`.
#[wasm_bindgen(js_name = blobAlgorithm)]
pub fn blob_algorithm_of(plan: &str) -> Result<JsValue, WasmError> {
    let plan: LayerPlan = from_json("plan", plan)?;
    let algorithm = blob_algorithm(&plan);
    to_js(&BlobAlgorithm {
        name: algorithm.name(),
        web_crypto: match algorithm {
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512 => "SHA-512",
        },
    })
}
