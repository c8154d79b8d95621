//! `layerscope diff`: two images' final trees, history and config, and the
//! layers they share; or one layer's own changeset (`--layer N`).

use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name, quoted, text};
use layerscope::overlay::diff::{DiffSide, diff_images};
use layerscope::overlay::{ChangeAction, Overlay, RemovalCause};

use super::common::{self, ImageArgs, human_bytes, layer_entries};

/// Arguments of `diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// Image A (or the only image with `--layer`).
    #[command(flatten)]
    pub image: ImageArgs,
    /// Image B.
    #[arg(value_name = "B")]
    pub other: Option<String>,
    /// Show one layer's own changeset instead of comparing two images.
    #[arg(long, value_name = "N")]
    pub layer: Option<usize>,
    /// Also report mtime-only changes.
    #[arg(long)]
    pub mtime: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `diff`.
pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let a = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers_a = layer_entries(&a)?;
    if let Some(layer) = args.layer {
        let overlay = Overlay::up_to(&layers_a, layer)?;
        if let Err(error) = overlay.check_listing(&a.limits) {
            return Ok(common::report_error(&error.into(), args.json));
        }
        let Some(changes) = overlay.changes().get(layer) else {
            anyhow::bail!("no layer {layer}");
        };
        if args.json {
            common::print_json(changes)?;
        } else {
            for c in &changes.changes {
                let sign = match c.action {
                    ChangeAction::Added => "+",
                    ChangeAction::Modified => "~",
                    ChangeAction::Deleted => "-",
                };
                let detail = match c.action {
                    ChangeAction::Modified => format!("{:?}", c.aspects),
                    ChangeAction::Deleted => match &c.cause {
                        // The one cause that holds a name: presented.
                        Some(RemovalCause::OpaqueDir { dir }) => {
                            format!("Some(OpaqueDir {{ dir: {} }})", quoted(dir))
                        }
                        other => format!("{other:?}"),
                    },
                    ChangeAction::Added => String::new(),
                };
                println!(
                    "{sign} {:>+12} {} {detail}",
                    c.byte_delta,
                    if c.path.is_empty() {
                        "/".to_owned()
                    } else {
                        name(&c.path).to_string()
                    }
                );
            }
            println!(
                "layer {layer}: {} added, {} modified, {} deleted; net {} bytes",
                changes.added, changes.modified, changes.deleted, changes.net_bytes
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(other) = &args.other else {
        anyhow::bail!("give a second image, or --layer N");
    };
    let b_args = ImageArgs {
        image: other.clone(),
        ..args.image.clone()
    };
    let b = match common::load(&b_args, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers_b = layer_entries(&b)?;
    let (overlay_a, overlay_b) = (Overlay::new(&layers_a), Overlay::new(&layers_b));
    for (overlay, limits) in [(&overlay_a, &a.limits), (&overlay_b, &b.limits)] {
        if let Err(error) = overlay.check_listing(limits) {
            return Ok(common::report_error(&error.into(), args.json));
        }
    }
    let tree_a = overlay_a.entries();
    let tree_b = overlay_b.entries();
    let diff = diff_images(
        &DiffSide {
            tree: &tree_a,
            layers: &a.report.layers,
            history: &a.report.history,
            config: &a.report.config,
        },
        &DiffSide {
            tree: &tree_b,
            layers: &b.report.layers,
            history: &b.report.history,
            config: &b.report.config,
        },
        args.mtime,
    );
    if args.json {
        common::print_json(&diff)?;
        return Ok(ExitCode::SUCCESS);
    }
    for f in &diff.added {
        println!("+ {:>10}  {}", human_bytes(f.size), name(&f.path));
    }
    for f in &diff.removed {
        println!("- {:>10}  {}", human_bytes(f.size), name(&f.path));
    }
    for f in &diff.changed {
        println!(
            "~ {:>10}  {}  {:?}",
            human_bytes(f.size),
            name(&f.path),
            f.aspects
        );
    }
    println!(
        "{} added ({}), {} removed ({}), {} changed",
        diff.added.len(),
        human_bytes(diff.added_bytes),
        diff.removed.len(),
        human_bytes(diff.removed_bytes),
        diff.changed.len()
    );
    println!(
        "shared layers: {} ({} stored once)",
        diff.shared_layers,
        human_bytes(diff.shared_bytes)
    );
    match &diff.rebuild {
        None => println!("first divergent layer: none (every layer of B equals A's at its index)"),
        Some(rebuild) => {
            let command = b
                .report
                .layers
                .get(rebuild.from_layer)
                .and_then(|l| l.created_by.as_deref())
                .unwrap_or("-");
            let short: String = command.chars().take(80).collect();
            println!(
                "first divergent layer: {} (`{}`)",
                rebuild.from_layer,
                text(&short)
            );
            println!(
                "rebuild cost: {} layer{} from there up, {} not in A: {} to push and to pull",
                rebuild.layers.len(),
                if rebuild.layers.len() == 1 { "" } else { "s" },
                rebuild.new_layers,
                human_bytes(rebuild.transfer_bytes)
            );
            for layer in &rebuild.layers {
                let short: String = layer
                    .created_by
                    .as_deref()
                    .unwrap_or("-")
                    .chars()
                    .take(70)
                    .collect();
                println!(
                    "  {} L{:<3} {:>10}  {}",
                    if layer.in_a { "=" } else { "+" },
                    layer.index,
                    human_bytes(layer.stored_size),
                    text(&short)
                );
            }
        }
    }
    println!(
        "history: {} common; {} only in A, {} only in B",
        diff.history.common,
        diff.history.only_a.len(),
        diff.history.only_b.len()
    );
    for c in &diff.config {
        println!(
            "config {}: {} -> {}",
            name(&c.field),
            json_text(&c.a),
            json_text(&c.b)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A config value as compact JSON, safe for a terminal.
fn json_text(value: &serde_json::Value) -> String {
    let json = crate::json::to_string(value, false).unwrap_or_default();
    message(&json).to_string()
}
