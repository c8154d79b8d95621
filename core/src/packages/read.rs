//! Reading one layer's database files: one forward pass over the layer's
//! decoded stream, each wanted entry's data copied in stream order (a
//! database file whole, up to `--max-package-db-bytes`; an executable only
//! when it starts like an object file, up to `--max-binary-bytes`), then
//! parsed. Nothing else of the layer is kept.

use std::io::{Read, Write};

use crate::display::quoted;
use crate::layer::content;
use crate::layer::opener::{self, LayerOpener};
use crate::limits::Limits;
use crate::model::{Entry, Warning};

use super::binary;
use super::kinds::{self, DbKind};
use super::model::{DbFile, LayerDbFiles};
use super::parse;

/// One file a layer's read must parse.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadItem {
    /// Index of the entry whose data is read (a hard link's target).
    pub entry: usize,
    /// The path the file is known by (decides the parser's view of it).
    pub path: String,
    /// Its parser.
    pub kind: DbKind,
}

/// Collects a file's bytes; for executables, only when the first bytes
/// look like an object file (others are drained without being kept).
struct Collect {
    bytes: Vec<u8>,
    binary: bool,
    keep: Option<bool>,
}

impl Write for Collect {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.keep == Some(false) {
            return Ok(data.len());
        }
        self.bytes.extend_from_slice(data);
        if self.keep.is_none() && (!self.binary || self.bytes.len() >= 4) {
            let keep = !self.binary || binary::looks_binary(&self.bytes);
            self.keep = Some(keep);
            if !keep {
                self.bytes = Vec::new();
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads and parses `items` (entries of `layer`, whose entry list is
/// `entries`) from the layer's blob. Problems — a file over its limit, a
/// malformed file, a layer that cannot be read to the end — are warnings;
/// files not reached have no content.
pub fn read_layer(
    opener: &mut dyn LayerOpener,
    layer: usize,
    entries: &[Entry],
    items: &[ReadItem],
    limits: &Limits,
) -> LayerDbFiles {
    let mut out = LayerDbFiles {
        layer,
        ..LayerDbFiles::default()
    };
    let mut order: Vec<(&ReadItem, &Entry)> = items
        .iter()
        .filter_map(|i| entries.get(i.entry).map(|e| (i, e)))
        .collect();
    order.sort_by_key(|(i, e)| (e.header_offset, i.entry));
    let mut big_binaries = (0u64, 0u64);
    let mut wanted: Vec<(&ReadItem, &Entry)> = Vec::new();
    for (item, entry) in order {
        match kinds::over_limit(item.kind, entry.size, limits) {
            Some(_) if item.kind == DbKind::Binary => {
                big_binaries.0 += 1;
                big_binaries.1 = big_binaries.1.max(entry.size);
            }
            Some((limit, value, flag)) => {
                out.warnings.push(
                    Warning::new(
                        "package-db-too-large",
                        format!(
                            "{}: {} bytes, over {limit} = {value}; not read (raise it with {flag})",
                            quoted(&item.path),
                            entry.size
                        ),
                    )
                    .in_layer(layer),
                );
                out.files.push(DbFile {
                    entry: item.entry,
                    path: item.path.clone(),
                    content: None,
                });
            }
            None => wanted.push((item, entry)),
        }
    }
    if big_binaries.0 > 0 {
        out.warnings.push(
            Warning::new(
                "binary-too-large",
                format!(
                    "{} executable(s) over max_binary_bytes = {} (largest {} bytes) not searched for Go or cargo-auditable packages (raise it with {})",
                    big_binaries.0,
                    limits.max_binary_bytes,
                    big_binaries.1,
                    crate::limits::flags::MAX_BINARY_BYTES
                ),
            )
            .in_layer(layer),
        );
    }
    if wanted.is_empty() {
        return out;
    }
    let mut stream = match opener::open_decoded(opener, layer) {
        Ok(s) => s,
        Err(error) => {
            unreadable(&mut out, layer, &error.to_string(), &wanted);
            return out;
        }
    };
    let mut pos = 0u64;
    let mut last: Option<(usize, Vec<u8>)> = None;
    for (n, (item, entry)) in wanted.iter().enumerate() {
        // The same data under two names (hard links) is read once.
        let bytes = match &last {
            Some((index, bytes)) if *index == item.entry => bytes.clone(),
            _ => {
                let mut sink = Collect {
                    bytes: Vec::new(),
                    binary: item.kind == DbKind::Binary,
                    keep: None,
                };
                match content::copy_file(
                    &mut stream as &mut dyn Read,
                    &mut pos,
                    entry,
                    layer,
                    &mut sink,
                ) {
                    Ok(hash) => {
                        if entry.content_hash.is_some_and(|h| h != hash) {
                            out.warnings.push(
                                Warning::new(
                                    "package-db-changed",
                                    format!(
                                        "{}: data differs from the scanned content",
                                        quoted(&item.path)
                                    ),
                                )
                                .in_layer(layer),
                            );
                        }
                    }
                    Err(error) => {
                        unreadable(
                            &mut out,
                            layer,
                            &error.to_string(),
                            wanted.get(n..).unwrap_or_default(),
                        );
                        return out;
                    }
                }
                if sink.keep == Some(false) {
                    continue;
                }
                sink.bytes
            }
        };
        let content = parse::parse(item.kind, &item.path, &bytes, layer, &mut out.warnings);
        out.files.push(DbFile {
            entry: item.entry,
            path: item.path.clone(),
            content,
        });
        let shared = wanted
            .get(n + 1)
            .is_some_and(|(next, _)| next.entry == item.entry);
        last = shared.then_some((item.entry, bytes));
    }
    out
}

/// Records that the layer could not be read from `rest` on.
fn unreadable(out: &mut LayerDbFiles, layer: usize, why: &str, rest: &[(&ReadItem, &Entry)]) {
    out.warnings.push(
        Warning::new(
            "package-db-unreadable",
            format!(
                "layer {layer}: {} package database file(s) not read: {why}",
                rest.len()
            ),
        )
        .in_layer(layer),
    );
    for (item, _) in rest {
        out.files.push(DbFile {
            entry: item.entry,
            path: item.path.clone(),
            content: None,
        });
    }
}
