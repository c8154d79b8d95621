//! Criterion benchmarks of the overlay merge: 10k / 100k / 1M synthetic
//! entries spread over 12 layers (directories, files, overwrites of lower
//! files, file and directory whiteouts, opaque markers, hard links), and
//! the merged-tree view built from it.
//!
//! Run: `cargo bench -p layerscope --bench overlay`.
//!
//! For load-independent comparisons, one merge (plus the tree view) of N
//! entries without criterion:
//! `LAYERSCOPE_OVERLAY_ONCE=100000 valgrind --tool=callgrind target/release/deps/overlay-*`.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use layerscope::model::{Entry, EntryKind, Whiteout};
use layerscope::overlay::Overlay;
use layerscope_test_support::model as support;

const LAYERS: usize = 12;

/// Entry number `n`: distinct offsets, mtime and content hash.
fn entry(path: String, kind: EntryKind, size: u64, n: u64) -> Entry {
    Entry {
        size,
        mode: 0o644,
        mtime: n,
        header_offset: n * 1024,
        data_offset: n * 1024 + 512,
        content_hash: Some(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        ..support::entry(path, kind)
    }
}

/// `total` entries over [`LAYERS`] layers, deterministic.
fn synthetic(total: usize) -> Vec<Vec<Entry>> {
    let per_layer = total / LAYERS;
    let mut layers = Vec::with_capacity(LAYERS);
    let mut n = 0u64;
    for layer in 0..LAYERS {
        let mut entries = Vec::with_capacity(per_layer);
        let dirs = per_layer / 50 + 1;
        for d in 0..dirs {
            entries.push(entry(
                format!("usr/d{}/s{}", d % 997, d),
                EntryKind::Dir,
                0,
                n,
            ));
            n += 1;
        }
        while entries.len() < per_layer {
            let i = entries.len();
            let d = i % dirs;
            // Later layers rewrite a share of the files of lower layers.
            let owner = if layer > 0 && i % 7 == 0 {
                layer - 1
            } else {
                layer
            };
            let path = format!("usr/d{}/s{}/f{}-{}", d % 997, d, owner, i);
            match i % 101 {
                0 if layer > 0 => {
                    let mut w = entry(
                        format!("usr/d{}/s{}/.wh.f{}-{}", d % 997, d, layer - 1, i + 1),
                        EntryKind::File,
                        0,
                        n,
                    );
                    w.whiteout = Some(Whiteout::Remove {
                        target: format!("usr/d{}/s{}/f{}-{}", d % 997, d, layer - 1, i + 1),
                    });
                    entries.push(w);
                }
                1 if layer > 2 && d % 13 == 0 => {
                    let dir = format!("usr/d{}/s{}", d % 997, d);
                    let mut w = entry(format!("{dir}/.wh..wh..opq"), EntryKind::File, 0, n);
                    w.whiteout = Some(Whiteout::Opaque { dir });
                    entries.push(w);
                }
                2 => {
                    let mut h = entry(format!("{path}.link"), EntryKind::Hardlink, 0, n);
                    h.link_target = entries.last().map(|e: &Entry| e.path.clone());
                    entries.push(h);
                }
                _ => entries.push(entry(path, EntryKind::File, 4096 + (i as u64 % 1000), n)),
            }
            n += 1;
        }
        layers.push(entries);
    }
    layers
}

fn merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("overlay-merge");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for total in [10_000usize, 100_000, 1_000_000] {
        let layers = synthetic(total);
        let refs: Vec<&[Entry]> = layers.iter().map(Vec::as_slice).collect();
        group.throughput(Throughput::Elements(total as u64));
        group.bench_with_input(BenchmarkId::new("merge", total), &refs, |b, refs| {
            b.iter(|| black_box(Overlay::new(refs)).changes().len())
        });
        group.bench_with_input(BenchmarkId::new("merge+tree", total), &refs, |b, refs| {
            b.iter(|| black_box(Overlay::new(refs).entries()).len())
        });
    }
    group.finish();
}

criterion_group!(benches, merge);

fn main() {
    if let Some(total) = std::env::var("LAYERSCOPE_OVERLAY_ONCE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let layers = synthetic(total);
        let refs: Vec<&[Entry]> = layers.iter().map(Vec::as_slice).collect();
        let start = std::time::Instant::now();
        let overlay = Overlay::new(&refs);
        let merged = start.elapsed();
        let tree = overlay.entries();
        let total_time = start.elapsed();
        println!(
            "{total} entries: merge {merged:?}, merge+tree {total_time:?} ({} paths, {} changes)",
            tree.len(),
            overlay
                .changes()
                .iter()
                .map(|c| c.changes.len())
                .sum::<usize>()
        );
        if std::env::var_os("LAYERSCOPE_OVERLAY_DIGEST").is_some() {
            let json = serde_json::to_vec(&(
                &tree,
                overlay.changes(),
                overlay.waste(),
                overlay.warnings(),
            ))
            .unwrap_or_default();
            println!(
                "digest {:016x} ({} bytes)",
                xxhash_rust::xxh3::xxh3_64(&json),
                json.len()
            );
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
