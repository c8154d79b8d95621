//! `layerscope cat`: one file's bytes from the merged view or one layer.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Args;
use layerscope::overlay::{Overlay, cat_layer_entry};

use super::common::{self, ImageArgs, layer_entries, opener};

/// Arguments of `cat`.
#[derive(Debug, Clone, Args)]
pub struct CatArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// The file's path in the image (leading `/` optional; any bytes).
    #[arg(value_name = "PATH")]
    pub path: std::ffi::OsString,
    /// Read the file from this layer's own entries instead of the merged view.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
}

/// Runs `cat`.
pub fn run(args: CatArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, false)),
    };
    let layers = layer_entries(&loaded)?;
    let path = common::image_path(&args.path)?;
    let mut open = opener(&loaded);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = match args.layer {
        Some(layer) => cat_layer_entry(&layers, layer, &path, &mut open, &mut out),
        None => Overlay::new(&layers).cat(&path, &mut open, &mut out),
    };
    out.flush()?;
    match result {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(error) => Ok(common::report_error(&error.into(), false)),
    }
}
