//! Criterion benchmark of `share`'s core flow over 10 images in memory:
//! open every input, probe every blob, inflate each unsized layer once,
//! build the report. Two sets: 10 docker-archives (layers stored plain:
//! sizes come from probes, nothing is inflated) and 10 gzip OCI archives
//! (the shared base is inflated once, each image's own layers once).
//! Each image: a shared 16 MiB base of 4 layers and one 1 MiB layer of its
//! own.
//!
//! Run: `cargo bench -p layerscope --bench share`. With
//! `LAYERSCOPE_SHARE_WRITE=DIR` it writes the 20 inputs to DIR instead
//! (`img{0..9}.docker.tar`, `img{0..9}.oci-gzip.tar`), for timing the CLI.

#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use layerscope::Limits;
use layerscope::archive::{OpenOptions, TarSource};
use layerscope::layer::{count_uncompressed, index_layer, probe};
use layerscope::model::BlobLocation;
use layerscope::share::{Admission, BlobJob, ShareReport, ShareSet, open_input};
use layerscope_test_support::build::{ImageSpec, docker_archive_of, oci_archive_of};
use layerscope_test_support::layer::LayerBuilder;

const IMAGES: usize = 10;

/// A layer of `files` files of `size` pseudo-random bytes (so gzip has
/// work to do), seeded by `seed`.
fn layer(seed: u64, files: usize, size: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut b = LayerBuilder::new();
    for f in 0..files {
        let data: Vec<u8> = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Text-like bytes: compressible, not trivially.
                b'a' + (state % 16) as u8
            })
            .collect();
        b.file(&format!("d{seed}/f{f}"), &data);
    }
    b.finish()
}

fn images() -> Vec<ImageSpec> {
    let base: Vec<Vec<u8>> = (0..4).map(|i| layer(i, 16, 256 * 1024)).collect();
    (0..IMAGES)
        .map(|i| {
            let own = layer(100 + i as u64, 4, 256 * 1024);
            let mut layers: Vec<(&[u8], &str)> =
                base.iter().map(|l| (l.as_slice(), "RUN base")).collect();
            layers.push((&own, "COPY . /app"));
            ImageSpec::new(&format!("img{i}"), &layers)
        })
        .collect()
}

fn run(archives: &[Vec<u8>]) -> ShareReport {
    let limits = Limits::default();
    let mut set = ShareSet::new(false);
    for (i, bytes) in archives.iter().enumerate() {
        if let Admission::Open(index) = set.add_input(&format!("in{i}"), Some(&i.to_string())) {
            match TarSource::new(Cursor::new(bytes.as_slice()), &limits) {
                Ok(mut source) => {
                    set.add_images(index, open_input(&mut source, &OpenOptions::default()))
                }
                Err(error) => set.add_failure(index, &error),
            }
        }
    }
    let blob = |job: &BlobJob| -> &[u8] {
        match &job.plan.location {
            Some(BlobLocation::ArchiveRange { offset, size, .. }) => {
                let start = *offset as usize;
                archives[job.input]
                    .get(start..start + *size as usize)
                    .unwrap_or_default()
            }
            _ => &[],
        }
    };
    for job in set.probe_jobs() {
        let result = probe(blob(&job), &job.plan);
        set.record_probe(job.blob, result);
    }
    loop {
        let jobs = set.count_jobs();
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            let result = count_uncompressed(blob(&job.job), &job.job.plan, &limits);
            set.record_count(&job, result);
        }
    }
    set.report()
}

/// One stored blob per distinct diff_id, with its plan.
fn distinct_blobs(archives: &[Vec<u8>]) -> Vec<(Vec<u8>, layerscope::model::LayerPlan)> {
    let limits = Limits::default();
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for bytes in archives {
        let Ok(mut source) = TarSource::new(Cursor::new(bytes.as_slice()), &limits) else {
            continue;
        };
        let Ok(opened) = layerscope::open_image(&mut source, &OpenOptions::default()) else {
            continue;
        };
        for plan in opened.layers {
            if !seen.insert(plan.diff_id.clone()) {
                continue;
            }
            if let Some(BlobLocation::ArchiveRange { offset, size, .. }) = &plan.location {
                let start = *offset as usize;
                let blob = bytes
                    .get(start..start + *size as usize)
                    .unwrap_or_default()
                    .to_vec();
                out.push((blob, plan));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let specs = images();
    let docker: Vec<Vec<u8>> = specs
        .iter()
        .map(|s| docker_archive_of(std::slice::from_ref(s)))
        .collect();
    let gzip: Vec<Vec<u8>> = specs
        .iter()
        .map(|s| oci_archive_of(std::slice::from_ref(s), true))
        .collect();
    let report = run(&gzip);
    assert_eq!(report.images.len(), IMAGES);
    assert_eq!(report.common_base.layers, 4);
    assert_eq!(report.bytes.unsized_layers, 0);
    // What the gzip set inflates: each distinct layer once.
    let distinct: u64 = report.bytes.unique_uncompressed;
    let mut group = c.benchmark_group("share");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("10 docker-archives", |b| b.iter(|| black_box(run(&docker))));
    group.throughput(Throughput::Bytes(distinct));
    group.bench_function("10 gzip oci-archives", |b| b.iter(|| black_box(run(&gzip))));
    // The yardstick: one index-only pass (what `flatten` does) over the
    // distinct layers, each blob once.
    let distinct_blobs = distinct_blobs(&gzip);
    group.bench_function("index-only pass over the distinct layers", |b| {
        b.iter(|| {
            for (bytes, plan) in &distinct_blobs {
                black_box(
                    index_layer(Cursor::new(bytes.as_slice()), plan, &Limits::default()).ok(),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    // `LAYERSCOPE_SHARE_WRITE=DIR` writes the inputs as files instead (for
    // timing the CLI: `layerscope share DIR/*.docker.tar`).
    if let Some(dir) = std::env::var_os("LAYERSCOPE_SHARE_WRITE") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        for (i, spec) in images().into_iter().enumerate() {
            let docker = docker_archive_of(std::slice::from_ref(&spec));
            let gzip = oci_archive_of(&[spec], true);
            for (name, bytes) in [
                (format!("img{i}.docker.tar"), docker),
                (format!("img{i}.oci-gzip.tar"), gzip),
            ] {
                std::fs::write(dir.join(&name), bytes)
                    .unwrap_or_else(|e| panic!("writing {name}: {e}"));
            }
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
