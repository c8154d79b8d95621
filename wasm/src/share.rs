//! Sharing across several dropped images (core [`layerscope::share`]): one
//! call opens every input, runs the reads the core's [`ShareSet`] asks for
//! (each blob's first bytes, one inflation per layer still unsized) and
//! returns the report. Conversions only: which images count, how layers
//! match, sizes, totals and the common base are the core's.

use js_sys::{Array, Function};
use layerscope::Error;
use layerscope::layer::{count_uncompressed, probe};
use layerscope::share::{Admission, BlobJob, ShareSet, open_input};
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::options::open_options;
use crate::source::Source;

/// Analyses what several images share. `inputs[i]` is a `Blob`/`File` or
/// `Uint8Array` (an image tar) or a `Map` of path → `File` (a dropped OCI
/// layout folder); `names[i]` is how it is shown; `identities[i]` (a
/// string, or null) names the file itself — two inputs with the same
/// identity count once. `options` is the `open` options JSON (`image`,
/// `platform`, `limits`). `progress(done, total)` is called after each
/// layer inflated. Returns the share report (docs/json.md, `share
/// --json`); an input that cannot be read is in `inputs[i].errors`, the
/// others are analysed.
#[wasm_bindgen(js_name = shareImages)]
pub fn share_images(
    inputs: Array,
    names: Array,
    identities: Array,
    options: Option<String>,
    progress: Option<Function>,
) -> Result<JsValue, WasmError> {
    let options = open_options(options.as_deref())?;
    let limits = options.limits;
    let mut set = ShareSet::new(false);
    let mut sources: Vec<Option<Source>> = Vec::new();
    for i in 0..inputs.length() {
        let name = names
            .get(i)
            .as_string()
            .unwrap_or_else(|| format!("input {i}"));
        let identity = identities.get(i).as_string();
        let index = match set.add_input(&name, identity.as_deref()) {
            Admission::Open(index) => index,
            Admission::Duplicate { .. } => {
                sources.push(None);
                continue;
            }
        };
        match Source::from_js(&inputs.get(i), &limits) {
            Ok(mut source) => {
                set.add_images(index, open_input(source.as_dyn(), &options));
                sources.push(Some(source));
            }
            Err(WasmError::Core(error)) => {
                set.add_failure(index, &error);
                sources.push(None);
            }
            Err(_) => {
                set.add_failure(
                    index,
                    &Error::NotAnImage {
                        reason: "it is neither a file nor a folder",
                    },
                );
                sources.push(None);
            }
        }
    }
    for job in set.probe_jobs() {
        let result = with_blob(&mut sources, &job, |reader| probe(reader, &job.plan));
        set.record_probe(job.blob, result);
    }
    let mut done = 0u32;
    loop {
        let jobs = set.count_jobs();
        if jobs.is_empty() {
            break;
        }
        let total = done.saturating_add(u32::try_from(jobs.len()).unwrap_or(u32::MAX));
        for job in jobs {
            let result = with_blob(&mut sources, &job.job, |reader| {
                count_uncompressed(reader, &job.job.plan, &limits)
            });
            set.record_count(&job, result);
            done = done.saturating_add(1);
            if let Some(callback) = &progress {
                // A throwing callback must not stop the analysis.
                let _ = callback.call2(&JsValue::NULL, &JsValue::from(done), &JsValue::from(total));
            }
        }
    }
    to_js(&set.report())
}

/// Runs `read` on a reader over the job's blob.
fn with_blob<T>(
    sources: &mut [Option<Source>],
    job: &BlobJob,
    read: impl FnOnce(&mut dyn std::io::Read) -> layerscope::Result<T>,
) -> layerscope::Result<T> {
    let location = job.plan.blob_location()?;
    let source = sources
        .get_mut(job.input)
        .and_then(Option::as_mut)
        .ok_or_else(|| Error::missing_blob(job.plan.index, job.plan.blob_digest()))?;
    let mut reader = source.as_dyn().open(location)?;
    read(&mut *reader)
}
