//! `layerscope flatten`: the final root filesystem (or a squashed range of
//! layers) as one tar. Also holds the small helpers the overlay commands
//! share: turning a loaded image into layer entry lists and a blob opener.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use layerscope::model::Entry;
use layerscope::overlay::Overlay;

use super::common::{self, ImageArgs, Loaded};

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
}

/// The scanned entries of every layer, or an error naming a layer that
/// could not be read.
pub fn layer_entries(loaded: &Loaded) -> anyhow::Result<Vec<&[Entry]>> {
    loaded
        .scans
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Some(scan) => Ok(scan.entries.as_slice()),
            None => {
                let detail = loaded
                    .report
                    .failures()
                    .find_map(|c| c.detail.clone())
                    .unwrap_or_else(|| "blob missing or unreadable".into());
                bail!("layer {i} could not be read: {detail}")
            }
        })
        .collect()
}

/// A blob opener over the loaded image's input.
pub fn opener(loaded: &Loaded) -> impl FnMut(usize) -> io::Result<Box<dyn Read>> + '_ {
    move |layer: usize| {
        let location = loaded
            .opened
            .layers
            .get(layer)
            .and_then(|p| p.location.clone())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("layer {layer} blob is missing"),
                )
            })?;
        let reader: Box<dyn Read> = loaded.input.open_blob(&location)?;
        Ok(reader)
    }
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

/// Runs `flatten`.
pub fn run(args: FlattenArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, false)),
    };
    let layers = layer_entries(&loaded)?;
    let overlay = match &args.layers {
        Some(range) => {
            let (a, b) = parse_range(range)?;
            Overlay::range(&layers, a, b)?
        }
        None => Overlay::new(&layers),
    };
    for w in overlay.warnings() {
        eprintln!("warning: {}", w.message);
    }
    // Layers are decompressed on background threads, the next one ahead.
    let mut open = crate::prefetch::PrefetchOpener::new(&loaded, (0..layers.len()).collect());
    let summary = if args.output == "-" {
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        let s = overlay.export(&mut open, &mut out)?;
        out.flush()?;
        s
    } else {
        let file =
            File::create(&args.output).with_context(|| format!("creating {}", args.output))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let s = overlay.export(&mut open, &mut out)?;
        out.flush()?;
        s
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
    Ok(ExitCode::SUCCESS)
}
