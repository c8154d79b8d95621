//! The content secret scan `advise` runs: the core scans each layer
//! (`layerscope::secrets::scan_layer`); this module only runs layers on
//! worker threads (largest blob first) and collects them in layer order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use layerscope::model::Entry;
use layerscope::secrets::{self, LayerSecrets, SecretReport};

use super::common::{Loaded, open_layer_blob};

/// Scans every layer of the loaded image on `threads` threads.
pub fn secret_report(
    loaded: &Loaded,
    layers: &[&[Entry]],
    max_file_bytes: u64,
    threads: usize,
) -> SecretReport {
    let mut todo: Vec<usize> = (0..layers.len()).collect();
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
    let results: Mutex<Vec<LayerSecrets>> = Mutex::new(Vec::new());
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
                    let entries = layers.get(i).copied().unwrap_or_default();
                    let found = secrets::scan_layer(&mut opener, i, entries, max_file_bytes);
                    if let Ok(mut all) = results.lock() {
                        all.push(found);
                    }
                }
            });
        }
    });
    let mut layers_found = results.into_inner().unwrap_or_default();
    layers_found.sort_by_key(|l| l.layer);
    SecretReport {
        layers: layers_found,
        max_file_bytes,
    }
}
