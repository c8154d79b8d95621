//! `layerscope flatten`: the final root filesystem (or a squashed range of
//! layers) as one tar.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use clap::Args;
use layerscope::model::Entry;
use layerscope::overlay::{ExportLayout, Overlay, PositionedSink};

use super::checks;
use super::common::{self, ImageArgs, Loaded, layer_entries, open_layer_blob};

/// Arguments of `flatten`.
#[derive(Debug, Clone, Args)]
pub struct FlattenArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Output tar file, or `-` for standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: String,
    /// Squash layers A..B (inclusive) into one layer tar (with whiteouts for
    /// deleted lower paths) instead of writing the whole root filesystem.
    #[arg(long, value_name = "A..B")]
    pub layers: Option<String>,
    /// Check every digest (layer blobs, diff_ids) before writing, and
    /// write nothing when one fails. Without it, layers are only indexed
    /// (faster) and no digest is checked.
    #[arg(long)]
    pub verify: bool,
}

/// Parses `A..B` (or `A..=B`, or a single `N`).
pub fn parse_range(text: &str) -> anyhow::Result<(usize, usize)> {
    let (a, b) = match text.split_once("..") {
        Some((a, b)) => (a, b.trim_start_matches('=')),
        None => (text, text),
    };
    let a: usize = a
        .trim()
        .parse()
        .with_context(|| format!("bad layer range {text:?}"))?;
    let b: usize = b
        .trim()
        .parse()
        .with_context(|| format!("bad layer range {text:?}"))?;
    Ok((a, b))
}

/// The layers' entries: from the verified scan (`--verify`), or from an
/// index-only pass (no digests, no content hashes) run on all cores.
enum Layers<'l> {
    Scanned(Vec<&'l [Entry]>),
    Indexed(Vec<Vec<Entry>>),
}

impl Layers<'_> {
    fn slices(&self) -> Vec<&[Entry]> {
        match self {
            Layers::Scanned(v) => v.clone(),
            Layers::Indexed(v) => v.iter().map(Vec::as_slice).collect(),
        }
    }
}

/// Indexes every layer for flatten without checking digests.
fn index_layers(loaded: &Loaded, threads: Option<usize>) -> anyhow::Result<Vec<Vec<Entry>>> {
    let workers =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let results = crate::parallel::index_all(
        &loaded.input,
        &loaded.opened.layers,
        &loaded.limits,
        workers,
    );
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(Ok(index)) => Ok(index.entries),
            Some(Err(e)) => {
                Err(anyhow::Error::new(e).context(format!("layer {i} could not be read")))
            }
            None => bail!("layer {i} could not be read"),
        })
        .collect()
}

/// A file written with positioned writes (`pwrite`).
struct FileSink(File);

impl PositionedSink for FileSink {
    fn write_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.0, bytes, offset)
    }
}

/// Writes the export with one thread per core, largest layer first, each
/// writing its layer's members at their planned offsets.
fn write_parallel(
    loaded: &Loaded,
    layout: &ExportLayout<'_>,
    file: File,
    threads: Option<usize>,
) -> anyhow::Result<()> {
    let sink = FileSink(file);
    layout.write_metadata(&sink)?;
    let mut parts = layout.parts();
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    let workers = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, parts.len().max(1));
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(part) = parts.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if failed.lock().map_or(true, |f| f.is_some()) {
                        return;
                    }
                    let result = (|| -> anyhow::Result<()> {
                        let location = loaded
                            .opened
                            .layers
                            .get(part.layer)
                            .and_then(|p| p.location.as_ref())
                            .with_context(|| format!("layer {} blob is missing", part.layer))?;
                        let blob = loaded.input.open_blob(location)?;
                        let reader = io::BufReader::with_capacity(256 * 1024, blob);
                        layout.write_layer(part.layer, reader, &sink)?;
                        Ok(())
                    })();
                    if let Err(e) = result {
                        if let Ok(mut slot) = failed.lock() {
                            slot.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    match failed.into_inner() {
        Ok(Some(e)) => Err(e),
        Ok(None) => Ok(()),
        Err(_) => bail!("an export thread panicked"),
    }
}

/// Whether positioned writes work on `file` (a regular file or
/// `/dev/null`; not a pipe or terminal).
fn seekable(file: &File, path: &str) -> bool {
    path == "/dev/null" || file.metadata().is_ok_and(|m| m.is_file())
}

/// Runs `flatten`.
pub fn run(args: FlattenArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, args.verify, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, false)),
    };
    let layers = if args.verify {
        let failures: Vec<_> = loaded.report.failures().collect();
        if !failures.is_empty() {
            for check in &failures {
                common::print_error(&checks::describe(check));
            }
            eprintln!(
                "error: {} of {} checks failed; nothing written",
                failures.len(),
                loaded.report.verification.checks.len()
            );
            return Ok(ExitCode::from(common::EXIT_FAILED));
        }
        Layers::Scanned(layer_entries(&loaded)?)
    } else {
        Layers::Indexed(index_layers(&loaded, args.image.threads)?)
    };
    let layers = layers.slices();
    let overlay = match &args.layers {
        Some(range) => {
            let (a, b) = parse_range(range)?;
            Overlay::range(&layers, a, b)?
        }
        None => Overlay::new(&layers),
    };
    common::print_warnings(overlay.warnings());
    let layout = overlay.export_layout();
    let summary = if args.output == "-" {
        // Layers are decompressed on background threads, the next one ahead.
        let mut open = crate::prefetch::PrefetchOpener::new(
            |layer| open_layer_blob(&loaded, layer),
            (0..layers.len()).collect(),
        );
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        let s = layout.write_to(&mut open, &mut out)?;
        out.flush()?;
        s
    } else {
        let file =
            File::create(&args.output).with_context(|| format!("creating {}", args.output))?;
        let written = if seekable(&file, &args.output) {
            write_parallel(&loaded, &layout, file, args.image.threads)
                .map(|()| layout.summary().clone())
        } else {
            let mut open = crate::prefetch::PrefetchOpener::new(
                |layer| open_layer_blob(&loaded, layer),
                (0..layers.len()).collect(),
            );
            let mut out = BufWriter::with_capacity(1 << 20, file);
            layout
                .write_to(&mut open, &mut out)
                .map_err(anyhow::Error::from)
                .and_then(|s| out.flush().map(|()| s).map_err(anyhow::Error::from))
        };
        match written {
            Ok(s) => s,
            Err(e) => {
                // Leave no partial tar behind.
                if std::path::Path::new(&args.output).is_file() {
                    let _ = std::fs::remove_file(&args.output);
                }
                return Err(e);
            }
        }
    };
    eprintln!(
        "wrote {} members ({} dirs, {} files, {} hard links, {} whiteouts), {} of file data from layers {:?}",
        summary.members,
        summary.dirs,
        summary.files,
        summary.hardlinks,
        summary.whiteouts,
        common::human_bytes(summary.data_bytes),
        summary.layers_read
    );
    if args.verify {
        eprintln!(
            "every checkable digest verified before writing ({} checks; `layerscope verify` lists them)",
            loaded.report.verification.checks.len()
        );
    } else {
        eprintln!(
            "note: layer digests were not checked (layers were only indexed); pass --verify to check every digest before writing"
        );
    }
    Ok(ExitCode::SUCCESS)
}
