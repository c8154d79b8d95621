//! Criterion benchmarks of the scan pipeline on an in-memory layer (~64 MB,
//! many small files): tar indexing alone and with `advise`'s content secret
//! scan in the same pass, the whole `scan_layer` over a plain
//! and a gzip blob, and raw sha256 / raw inflate for reference. Every group
//! reports throughput in uncompressed layer bytes, so the numbers compare.
//!
//! Run: `cargo bench -p layerscope --bench pipeline`.

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use layerscope::layer::{index_stream, scan_layer};
use layerscope::{Algorithm, Limits};
use layerscope_test_support::layer::{LayerBuilder, gzip};
use layerscope_test_support::model::blob_plan;
use sha2::{Digest as _, Sha256};

/// Target size of the generated layer.
const LAYER_BYTES: usize = 64 << 20;

/// SplitMix64, so the data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A layer tar of about [`LAYER_BYTES`]: directories of small files
/// (log-spread sizes, text-like and random content), a few MB-sized files.
fn make_layer() -> Vec<u8> {
    let mut rng = Rng(42);
    let words: [&[u8]; 12] = [
        b"import ", b"return ", b"value", b" = ", b"self.", b"config", b"\n", b"    ", b"def ",
        b"layer", b"(", b")",
    ];
    let mut text = Vec::with_capacity(1 << 20);
    while text.len() < 1 << 20 {
        text.extend_from_slice(words[rng.below(words.len() as u64) as usize]);
    }
    let random: Vec<u8> = (0..(1 << 17))
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();

    let mut tar = LayerBuilder::new();
    let mut written = 0usize;
    let mut dir = 0;
    while written < LAYER_BYTES {
        let path = format!("usr/lib/pkg{dir}/");
        tar.dir(&path);
        for file in 0..(10 + rng.below(30)) {
            // Mostly small files; every 200th is MB-sized.
            let size = if rng.below(200) == 0 {
                (1 << 20) + rng.below(3 << 20) as usize
            } else {
                (64f64 * 1024f64.powf(rng.below(1000) as f64 / 1000.0)) as usize
            };
            let source = if rng.below(3) == 0 { &random } else { &text };
            let mut data = Vec::with_capacity(size);
            while data.len() < size {
                let start = rng.below((source.len() - 4096) as u64) as usize;
                let take = (size - data.len()).min(4096);
                data.extend_from_slice(&source[start..start + take]);
            }
            tar.file(&format!("{path}f{file}.py"), &data);
            written += size + 512;
        }
        dir += 1;
    }
    tar.finish()
}

fn group<'a>(c: &'a mut Criterion, name: &str, bytes: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.warm_up_time(Duration::from_secs(1));
    g
}

fn pipeline(c: &mut Criterion) {
    let layer = make_layer();
    let gz = gzip(&layer);
    let limits = Limits::default();
    let n = layer.len();

    let mut g = group(c, "index_stream", n);
    g.bench_function("plain_tar", |b| {
        b.iter(|| {
            index_stream(black_box(&layer[..]), 0, Algorithm::Sha256, &limits).expect("index")
        })
    });
    g.bench_function("plain_tar_with_secrets", |b| {
        b.iter(|| {
            let max = Some(layerscope::secrets::DEFAULT_MAX_FILE_BYTES);
            layerscope::secrets::index_stream(
                black_box(&layer[..]),
                0,
                Algorithm::Sha256,
                &limits,
                max,
            )
            .expect("index")
        })
    });
    g.finish();

    let mut g = group(c, "scan_layer", n);
    let plain_plan = blob_plan(0, layer.len() as u64);
    g.bench_function("plain", |b| {
        b.iter(|| scan_layer(black_box(&layer[..]), &plain_plan, &limits).expect("scan"))
    });
    let gz_plan = blob_plan(0, gz.len() as u64);
    g.bench_function("gzip", |b| {
        b.iter(|| scan_layer(black_box(&gz[..]), &gz_plan, &limits).expect("scan"))
    });
    g.finish();

    let mut g = group(c, "reference", n);
    g.bench_function("sha256", |b| {
        b.iter(|| Sha256::digest(black_box(&layer[..])))
    });
    g.bench_function("inflate_gzip", |b| {
        let mut buf = vec![0u8; 256 << 10];
        b.iter(|| {
            let mut dec = flate2::read::GzDecoder::new(black_box(&gz[..]));
            let mut total = 0usize;
            loop {
                let got = dec.read(&mut buf).expect("inflate");
                if got == 0 {
                    break total;
                }
                total += got;
            }
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    pipeline(&mut c);
    c.final_summary();
}
