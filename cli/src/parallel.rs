//! Scanning layers in parallel on all cores. Each compressed layer is
//! itself split over two threads: one reads, hashes the stored bytes and
//! decompresses; the other hashes the uncompressed stream and indexes the
//! tar. Uncompressed layers need only one thread (one hash covers both
//! digests), so two of them run side by side instead. `advise` has the
//! indexing stage scan file contents for secrets too (core
//! `secrets::index_stream`): no second decode of any layer.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::thread;

use layerscope::layer::scan::{diff_algorithm, stored_hash_needed};
use layerscope::layer::{BlobStage, EntryIndex, LayerScan, StreamIndex, hash_blob, index_layer};
use layerscope::model::{Compression, LayerPlan};
use layerscope::secrets::{self, LayerSecrets};
use layerscope::{Error, Limits};

use crate::chunks::{ChunkReader, Message, pump};
use crate::input::Input;
use crate::section::Section;

/// Counts bytes read from a layer blob into a shared progress counter.
struct Counting<R> {
    inner: R,
    progress: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// One layer's scan and, when asked for, its content secret scan.
pub type Scanned = (LayerScan, Option<LayerSecrets>);

/// Scans one layer, pipelining decompression and indexing when the blob is
/// compressed; with `secrets` (the size limit), file contents are scanned
/// for secrets in the same pass.
pub fn scan_one(
    input: &Input,
    plan: &LayerPlan,
    limits: &Limits,
    progress: Arc<AtomicU64>,
    secrets: Option<u64>,
) -> Result<Scanned, Error> {
    let location = plan.blob_location()?;
    let reader = input.open_blob(location).map_err(|source| Error::Io {
        what: location.path().to_owned(),
        offset: 0,
        source,
    })?;
    let reader = io::BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: reader,
            progress,
        },
    );
    // Stored bytes are hashed on a thread of their own (reading the blob a
    // second time, from the page cache) so the decompressing thread only
    // inflates; the uncompressed stream is hashed and indexed on a third.
    let mut blob = BlobStage::with_stored_hash(reader, plan, location.size(), false)?;
    let separate_hash = stored_hash_needed(plan, blob.compression());
    thread::scope(|scope| {
        let stored = separate_hash.then(|| {
            scope.spawn(|| {
                let reader = input.open_blob(location).map_err(|source| Error::Io {
                    what: location.path().to_owned(),
                    offset: 0,
                    source,
                })?;
                hash_blob(io::BufReader::with_capacity(256 * 1024, reader), plan)
            })
        });
        let scanned = scan_stages(&mut blob, plan, limits, secrets);
        let stored = match stored {
            Some(handle) => Some(handle.join().map_err(|_| Error::Io {
                what: format!("layer {} blob", plan.index),
                offset: 0,
                source: io::Error::other("hashing thread panicked"),
            })??),
            None => None,
        };
        let (stream, found) = scanned?;
        let mut outcome = blob.finish()?;
        if let Some((digest, _size)) = stored {
            outcome.digest = Some(digest);
        }
        Ok((LayerScan::combine(plan, outcome, stream), found))
    })
}

/// Runs the uncompressed-stream stage: on this thread for plain tar, or on a
/// second thread fed through a chunk channel when the blob is compressed.
fn scan_stages<R: Read>(
    blob: &mut BlobStage<R>,
    plan: &LayerPlan,
    limits: &Limits,
    secrets: Option<u64>,
) -> Result<(StreamIndex, Option<LayerSecrets>), Error> {
    if blob.compression() == Compression::None {
        let algorithm = diff_algorithm(plan);
        return match secrets::index_stream(&mut *blob, plan.index, algorithm, limits, secrets) {
            Ok(s) => Ok(s),
            Err(e) => Err(blob.settle(e, limits)),
        };
    }
    let (sender, receiver) = sync_channel::<Message>(4);
    let (recycle_sender, recycle_receiver) = sync_channel::<Vec<u8>>(8);
    let index = plan.index;
    let algorithm = diff_algorithm(plan);
    let limits_copy = *limits;
    thread::scope(|scope| {
        let indexer = scope.spawn(move || {
            let reader = ChunkReader::new(receiver, Some(recycle_sender));
            secrets::index_stream(reader, index, algorithm, &limits_copy, secrets)
        });
        let pumped = pump(&mut *blob, &sender, Some(&recycle_receiver));
        drop(sender);
        let stream = indexer.join().map_err(|_| Error::Io {
            what: format!("layer {index}"),
            offset: 0,
            source: io::Error::other("indexing thread panicked"),
        })?;
        if let Err(e) = pumped {
            let pump_error = Error::Io {
                what: format!("layer {index} blob"),
                offset: 0,
                source: e,
            };
            return Err(blob.settle(pump_error, limits));
        }
        stream.map_err(|e| blob.settle(e, limits))
    })
}

/// Indexes one layer without checking anything (`flatten` without
/// `--verify`): plain tar is indexed by seeking over file data.
pub fn index_one(input: &Input, plan: &LayerPlan, limits: &Limits) -> Result<EntryIndex, Error> {
    let location = plan.blob_location()?;
    let reader = Section::open(input, location).map_err(|source| Error::Io {
        what: location.path().to_owned(),
        offset: 0,
        source,
    })?;
    index_layer(reader, plan, limits)
}

/// Indexes every layer (see [`index_one`]), up to `workers` at once,
/// largest first.
pub fn index_all(
    input: &Input,
    plans: &[LayerPlan],
    limits: &Limits,
    workers: usize,
) -> Vec<Option<Result<EntryIndex, Error>>> {
    run_all(
        plans,
        workers,
        &|plan| index_one(input, plan, limits),
        &|_| {},
    )
}

/// Scans every layer with up to `workers` layers in flight, largest first.
/// `on_done` is called as each layer finishes.
pub fn scan_all(
    input: &Input,
    plans: &[LayerPlan],
    limits: &Limits,
    workers: usize,
    progress: Arc<AtomicU64>,
    on_done: &(dyn Fn(usize) + Sync),
) -> Vec<Option<Result<LayerScan, Error>>> {
    scan_all_secrets(input, plans, limits, workers, progress, on_done, None)
        .into_iter()
        .map(|r| r.map(|r| r.map(|(scan, _)| scan)))
        .collect()
}

/// [`scan_all`] that, with `secrets` (the size limit), also scans every
/// layer's file contents for secrets in the same pass.
pub fn scan_all_secrets(
    input: &Input,
    plans: &[LayerPlan],
    limits: &Limits,
    workers: usize,
    progress: Arc<AtomicU64>,
    on_done: &(dyn Fn(usize) + Sync),
    secrets: Option<u64>,
) -> Vec<Option<Result<Scanned, Error>>> {
    let scan = |plan: &LayerPlan| scan_one(input, plan, limits, Arc::clone(&progress), secrets);
    run_all(plans, workers, &scan, on_done)
}

/// Runs `work` on every plan with up to `workers` threads, largest blob
/// first; results in plan order.
fn run_all<T: Send>(
    plans: &[LayerPlan],
    workers: usize,
    work: &(dyn Fn(&LayerPlan) -> T + Sync),
    on_done: &(dyn Fn(usize) + Sync),
) -> Vec<Option<T>> {
    let sizes: Vec<u64> = plans
        .iter()
        .map(|p| p.location.as_ref().map_or(0, |l| l.size()))
        .collect();
    run_sized(
        &sizes,
        workers,
        &|index| plans.get(index).map(work),
        on_done,
    )
    .into_iter()
    .map(Option::flatten)
    .collect()
}

/// Runs `work(i)` for every `i < sizes.len()` with up to `workers` threads,
/// largest `sizes[i]` first; results in index order.
pub fn run_sized<T: Send>(
    sizes: &[u64],
    workers: usize,
    work: &(dyn Fn(usize) -> T + Sync),
    on_done: &(dyn Fn(usize) + Sync),
) -> Vec<Option<T>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes.get(i).copied().unwrap_or(0)));
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..sizes.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..workers.max(1).min(sizes.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let slot = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = order.get(slot) else { break };
                    let result = work(index);
                    if let Ok(mut guard) = results.lock() {
                        if let Some(cell) = guard.get_mut(index) {
                            *cell = Some(result);
                        }
                    }
                    on_done(index);
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}
