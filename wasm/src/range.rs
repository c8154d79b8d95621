//! Work on one layer knowing only its plan, for the page's scan workers:
//! scan a layer (optionally without hashing its stored bytes), hash a
//! stored blob on its own, and merge the two results.
//!
//! Splitting a compressed layer in two jobs lets two workers share it: one
//! hashes the stored (compressed) bytes while the other decompresses,
//! hashes the uncompressed stream and indexes the tar — the same split as
//! the CLI's pipeline.

use std::io::{self, Read};
use std::rc::Rc;

use js_sys::{Function, Map, Uint8Array};
use layerscope::archive::source::ExactReader;
use layerscope::layer::scan::{diff_algorithm, stored_hash_needed};
use layerscope::layer::{
    BlobOutcome, BlobStage, LayerScan, StreamIndex, hash_blob, index_stream_published,
};
use layerscope::model::{BlobLocation, Entry, LayerPlan};
use layerscope::{Digest, Error, ImageSource, LayoutDirSource};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::convert::{from_json, to_js};
use crate::error::WasmError;
use crate::input::{InputReader, JsLayoutDir};
use crate::progress::{Progress, Tally, Unpacked};
use crate::source::{describe, location_kind};

type Result<T, E = WasmError> = std::result::Result<T, E>;

/// What [`scan_range`] returns besides the scan bytes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RangeSummary<'a> {
    index: usize,
    compression: layerscope::model::Compression,
    blob_digest: &'a Digest,
    blob_size: u64,
    diff_id: &'a Digest,
    uncompressed_size: u64,
    entry_count: usize,
    checks: &'a [layerscope::model::Check],
    /// False when the stored bytes were not hashed here (see `hashStored`).
    stored_hashed: bool,
}

/// Runs `work` on a reader over the plan's stored blob (exactly its bytes):
/// an archive range of the dropped `Blob`, or a file of the dropped folder.
fn with_blob<T>(
    input: &JsValue,
    plan: &LayerPlan,
    work: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    let location = plan.blob_location()?.clone();
    match (&location, input.dyn_ref::<Map>()) {
        (BlobLocation::LayoutFile { .. }, Some(map)) => {
            let mut source = LayoutDirSource::new(JsLayoutDir::new(map.clone()));
            let mut reader = source.open(&location)?;
            work(&mut reader)
        }
        (BlobLocation::ArchiveRange { offset, size, .. }, None) => {
            let mut reader =
                InputReader::from_js(input).ok_or_else(|| WasmError::BadInput(describe(input)))?;
            io::Seek::seek(&mut reader, io::SeekFrom::Start(*offset)).map_err(|source| {
                Error::Io {
                    what: location.path().to_owned(),
                    offset: 0,
                    source,
                }
            })?;
            reader.will_read(*size);
            let mut exact = ExactReader::new(reader.take(*size), *size);
            work(&mut exact)
        }
        _ => Err(WasmError::BadInput(format!(
            "{} for a {} location",
            describe(input),
            location_kind(&location)
        ))),
    }
}

/// Scans one layer: the body of `Session.scanLayerRange`.
pub fn scan_range(
    input: JsValue,
    plan: &str,
    limits: Option<&str>,
    progress: Option<Function>,
    hash_stored: bool,
    batch: Option<Function>,
) -> Result<JsValue> {
    let plan: LayerPlan = from_json("plan", plan)?;
    let limits = crate::options::parse_limits(limits)?;
    let expected = plan.location.as_ref().map_or(0, |l| l.size());
    let (scan, stored_hashed) = with_blob(&input, &plan, |reader| {
        let tally = Tally::new(progress);
        let reader = Progress::counted(reader, Rc::clone(&tally));
        let mut blob = BlobStage::with_stored_hash(reader, &plan, expected, hash_stored)?;
        let mut publish = |entries: &[Entry]| {
            if let (Some(batch), Ok(json)) = (&batch, serde_json::to_vec(entries)) {
                // A throwing callback must not abort the scan.
                let _ = batch.call1(&JsValue::NULL, &Uint8Array::from(json.as_slice()));
            }
        };
        let indexed = index_stream_published(
            &mut Unpacked::new(&mut blob, tally),
            plan.index,
            diff_algorithm(&plan),
            &limits,
            &mut publish,
        );
        let stream = match indexed {
            Ok(s) => s,
            Err(e) => return Err(blob.settle(e, &limits).into()),
        };
        let outcome = blob.finish()?;
        // An uncompressed blob's digest is the stream's: nothing is missing.
        let hashed = hash_stored || !stored_hash_needed(&plan, outcome.compression);
        Ok((LayerScan::combine(&plan, outcome, stream), hashed))
    })?;
    let bytes = serde_json::to_vec(&scan).map_err(|e| WasmError::Convert(e.to_string()))?;
    let summary = to_js(&RangeSummary {
        index: scan.index,
        compression: scan.compression,
        blob_digest: &scan.blob_digest,
        blob_size: scan.blob_size,
        diff_id: &scan.diff_id,
        uncompressed_size: scan.uncompressed_size,
        entry_count: scan.entries.len(),
        checks: &scan.checks,
        stored_hashed,
    })?;
    let object = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&object, &JsValue::from_str("summary"), &summary);
    let _ = js_sys::Reflect::set(
        &object,
        &JsValue::from_str("scan"),
        &Uint8Array::from(bytes.as_slice()),
    );
    Ok(object.into())
}

/// Hashes one layer's stored blob: the body of `Session.hashBlobRange`.
pub fn hash_range(input: JsValue, plan: &str, progress: Option<Function>) -> Result<JsValue> {
    let plan: LayerPlan = from_json("plan", plan)?;
    let (digest, size) = with_blob(&input, &plan, |reader| {
        Ok(hash_blob(Progress::new(reader, progress), &plan)?)
    })?;
    #[derive(Serialize)]
    struct Hashed<'a> {
        digest: &'a Digest,
        size: u64,
    }
    to_js(&Hashed {
        digest: &digest,
        size,
    })
}

/// A scan made without hashing the stored bytes, completed with the stored
/// digest computed elsewhere: the blob and diff_id checks are made again.
pub fn with_stored_digest(plan: &LayerPlan, scan: LayerScan, digest: &str) -> Result<LayerScan> {
    let digest: Digest = serde_json::from_value(serde_json::Value::String(digest.to_owned()))
        .map_err(|source| WasmError::BadJson {
            what: "stored digest",
            source,
        })?;
    let outcome = BlobOutcome {
        compression: scan.compression,
        digest: Some(digest),
        size: scan.blob_size,
    };
    let stream = StreamIndex {
        digest: scan.diff_id,
        size: scan.uncompressed_size,
        entries: scan.entries,
        trailing_bytes: 0,
        trailing_data: false,
        warnings: scan.warnings,
    };
    Ok(LayerScan::combine(plan, outcome, stream))
}
