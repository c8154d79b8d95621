//! `layerscope sbom`: a CycloneDX 1.6 or SPDX 2.3 JSON document of the
//! final image, to standard output or a file. The core writes the bytes
//! (deterministic, terminal-safe); this command only places them.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use layerscope::sbom::{SbomFormat, sbom};

use super::common::{self, ImageArgs, layer_entries, print_warnings};
use super::package_scan::package_report;

/// Document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Arguments of `sbom`.
#[derive(Debug, Clone, Args)]
pub struct SbomArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Document format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Write the document to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// Runs `sbom`.
pub fn run(args: SbomArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, false)),
    };
    let layers = layer_entries(&loaded)?;
    let threads = args
        .image
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let packages = package_report(&loaded, &layers, None, threads);
    print_warnings(&packages.warnings);
    let mut report = loaded.report.clone();
    report.image.os_release = packages.os_release.clone();
    let format = match args.format {
        Format::Cyclonedx => SbomFormat::Cyclonedx,
        Format::Spdx => SbomFormat::Spdx,
    };
    let text = sbom(format, &report, &packages);
    match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())?,
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
