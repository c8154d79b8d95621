//! The package scan the `packages`, `sbom` and `inspect` commands share:
//! the core plans which database files each layer must read, this module
//! reads the layers on worker threads (largest read first), and the core
//! attributes.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use layerscope::model::Entry;
use layerscope::packages::{self, LayerDbFiles, PackageReport};

use super::common::{Loaded, open_layer_blob};

/// The packages of the loaded image as layer `layer` leaves it (the final
/// image when None), reading layers on `threads` threads.
pub fn package_report(
    loaded: &Loaded,
    layers: &[&[Entry]],
    layer: Option<usize>,
    threads: usize,
) -> PackageReport {
    let plan = packages::plan(layers);
    let last = layer.unwrap_or(usize::MAX);
    // Layers above the one asked for are not needed.
    let mut todo: Vec<usize> = (0..plan.reads.len())
        .filter(|i| *i <= last && plan.reads.get(*i).is_some_and(|r| !r.is_empty()))
        .collect();
    todo.sort_by_key(|i| {
        std::cmp::Reverse(
            loaded
                .opened
                .layers
                .get(*i)
                .and_then(|p| p.location.as_ref())
                .map_or(0, |l| l.size()),
        )
    });
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<LayerDbFiles>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, todo.len().max(1)) {
            scope.spawn(|| {
                let mut opener = |i: usize| -> std::io::Result<Box<dyn std::io::Read>> {
                    let reader: Box<dyn std::io::Read> = open_layer_blob(loaded, i)?;
                    Ok(reader)
                };
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = todo.get(n) else { break };
                    let items = plan.reads.get(i).map_or(&[][..], Vec::as_slice);
                    let entries = layers.get(i).copied().unwrap_or_default();
                    let files =
                        packages::read_layer(&mut opener, i, entries, items, &loaded.limits);
                    if let Ok(mut all) = results.lock() {
                        all.push(files);
                    }
                }
            });
        }
    });
    let mut files = results.into_inner().unwrap_or_default();
    files.sort_by_key(|f| f.layer);
    packages::report(&plan, &files, layer)
}
