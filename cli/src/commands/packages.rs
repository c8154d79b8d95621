//! `layerscope packages`: the packages present in the final image (or as
//! layer N leaves it), the layer that added each and the layers that
//! changed it, and the packages removed on the way.

use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name};
use layerscope::error::RequestError;
use layerscope::packages::{ChangeKind, PackageReport};

use super::common::{self, ImageArgs, layer_entries, print_warnings};
use super::package_scan::package_report;

/// Arguments of `packages`.
#[derive(Debug, Clone, Args)]
pub struct PackagesArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Show the packages as this layer leaves the image (0 = base).
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `packages`.
pub fn run(args: PackagesArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers = layer_entries(&loaded)?;
    if let Some(n) = args.layer.filter(|n| *n >= layers.len()) {
        let error = RequestError::NoSuchLayer {
            index: n,
            count: layers.len(),
        };
        return Ok(common::report_error(
            &layerscope::Error::from(error).into(),
            args.json,
        ));
    }
    let threads = args
        .image
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let report = package_report(&loaded, &layers, args.layer, threads);
    print_warnings(&report.warnings);
    if args.json {
        common::print_json(&report)?;
    } else {
        print_text(&report, args.layer);
    }
    Ok(ExitCode::SUCCESS)
}

fn change_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Upgraded => "upgraded",
        ChangeKind::Downgraded => "downgraded",
        ChangeKind::Changed => "changed",
        ChangeKind::Removed => "removed",
        ChangeKind::Readded => "re-added",
    }
}

/// The text listing: a distribution line, one line per package (as layer
/// `asked_layer` leaves the image, or in the final image), then the removed
/// packages and the databases not read.
fn print_text(report: &PackageReport, asked_layer: Option<usize>) {
    if let Some(os) = &report.os_release {
        println!(
            "distribution: {}",
            message(&layerscope::display::text(&os.display).to_string())
        );
    }
    println!(
        "{} packages{}",
        report.packages.len(),
        asked_layer
            .map(|l| format!(" as layer {l} leaves the image"))
            .unwrap_or_else(|| " in the final image".to_owned())
    );
    for p in &report.packages {
        let mut history = vec![format!("added in layer {}", p.added_layer)];
        for c in &p.changed_layers {
            let versions = match (&c.from, &c.to) {
                (Some(f), Some(t)) => format!(" {} → {}", name(f), name(t)),
                (Some(f), None) => format!(" {}", name(f)),
                (None, Some(t)) => format!(" {}", name(t)),
                (None, None) => String::new(),
            };
            history.push(format!(
                "{} in layer {}{versions}",
                change_word(c.change),
                c.layer
            ));
        }
        println!(
            "{:<7} {} {}  ({})",
            p.ecosystem.purl_type(),
            name(&p.name),
            name(&p.version),
            history.join(", ")
        );
    }
    if !report.removed.is_empty() {
        println!("removed:");
        for r in &report.removed {
            println!(
                "{:<7} {} {}  (added in layer {}, removed in layer {})",
                r.ecosystem.purl_type(),
                name(&r.name),
                name(&r.version),
                r.added_layer,
                r.removed_layer
            );
        }
    }
    for u in &report.unread {
        println!(
            "not read: {} (layer {}): {}",
            name(&u.path),
            u.layer,
            message(&u.reason)
        );
    }
}
