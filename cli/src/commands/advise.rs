//! `layerscope advise`: actionable advice with evidence.

use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name, text};
use layerscope::overlay::Overlay;
use layerscope::overlay::advise::{AdviseInput, advise_from};
use layerscope::secrets::SecretReport;

use super::common::{self, ImageArgs, human_bytes, layer_entries};

/// Arguments of `advise`.
#[derive(Debug, Clone, Args)]
pub struct AdviseArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Layers with fewer file bytes than this count as small.
    #[arg(long, default_value_t = layerscope::overlay::advise::SMALL_LAYER_BYTES, value_name = "BYTES")]
    pub small_layer_bytes: u64,
    /// Files larger than this are not scanned for secrets by content.
    #[arg(long = "secret-max-file-size", default_value_t = layerscope::secrets::DEFAULT_MAX_FILE_BYTES, value_name = "BYTES")]
    pub secret_max_file_size: u64,
    /// Skip the content secret scan (file-name rules still apply).
    #[arg(long)]
    pub no_content_secrets: bool,
}

/// Runs `advise`.
pub fn run(args: AdviseArgs) -> anyhow::Result<ExitCode> {
    // The content secret scan runs in the pass that scans each layer.
    let loaded = if args.no_content_secrets {
        common::load(&args.image, true, None)
    } else {
        common::load_scanning_secrets(&args.image, args.secret_max_file_size)
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers = layer_entries(&loaded)?;
    let overlay = Overlay::new(&layers);
    if let Err(error) = overlay.check_listing(&loaded.limits) {
        return Ok(common::report_error(&error.into(), args.json));
    }
    let secrets = (!args.no_content_secrets).then(|| SecretReport {
        layers: loaded.secrets.iter().flatten().cloned().collect(),
        max_file_bytes: args.secret_max_file_size,
    });
    if let Some(report) = &secrets {
        for layer in &report.layers {
            common::print_warnings(&layer.warnings);
        }
    }
    // The merged tree and the waste report are independent: one each on
    // two threads.
    let (tree, waste) = std::thread::scope(|scope| {
        let waste = scope.spawn(|| overlay.waste());
        let tree = overlay.entries();
        waste
            .join()
            .map(|waste| (tree, waste))
            .map_err(|_| anyhow::anyhow!("the waste analysis thread panicked"))
    })?;
    let list = advise_from(
        &overlay,
        &tree,
        &waste,
        &AdviseInput {
            layers: &loaded.report.layers,
            config: &loaded.report.config,
            small_layer_bytes: args.small_layer_bytes,
            content_secrets: secrets.as_ref(),
        },
    );
    if args.json {
        common::print_json(&list)?;
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!("no advice");
    }
    for a in &list {
        println!("[{:?}] {}", a.severity, message(&a.message));
        for e in a.evidence.iter().take(10) {
            let mut parts = Vec::new();
            if let Some(l) = e.layer {
                parts.push(format!("layer {l}"));
            }
            if let Some(p) = &e.path {
                parts.push(name(p).to_string());
            }
            if let Some(line) = e.line {
                parts.push(format!("line {line}"));
            }
            if e.bytes > 0 {
                parts.push(human_bytes(e.bytes));
            }
            if let Some(n) = &e.note {
                parts.push(message(n).to_string());
            }
            if let Some(c) = &e.command {
                let short: String = c.chars().take(80).collect();
                parts.push(format!("`{}`", text(&short)));
            }
            println!("    {}", parts.join("  "));
        }
        if a.evidence.len() > 10 {
            println!("    … {} more", a.evidence.len() - 10);
        }
    }
    Ok(ExitCode::SUCCESS)
}
