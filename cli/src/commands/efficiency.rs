//! `layerscope efficiency`: wasted space (exact), duplicates, and dive's
//! efficiency score with dive-compatible CI thresholds (`.dive-ci`).

use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name};
use layerscope::overlay::ci::{self, CiConfig, RuleStatus};
use layerscope::overlay::{Overlay, dive_efficiency};

use super::common::{self, ImageArgs, human_bytes, layer_entries};

/// Arguments of `efficiency`.
#[derive(Debug, Clone, Args)]
pub struct EfficiencyArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Evaluate the CI rules and exit 1 when one fails.
    #[arg(long)]
    pub ci: bool,
    /// dive CI config file (default: `.dive-ci` in the current directory, when present).
    #[arg(long, value_name = "FILE")]
    pub ci_config: Option<String>,
    /// Lowest allowed efficiency (0..1), or `disabled`.
    #[arg(long, value_name = "F")]
    pub lowest_efficiency: Option<String>,
    /// Highest allowed wasted bytes (`20MB`, `1GiB`), or `disabled`.
    #[arg(long, value_name = "B")]
    pub highest_wasted_bytes: Option<String>,
    /// Highest allowed wasted/user-bytes ratio (0..1), or `disabled`.
    #[arg(long, value_name = "P")]
    pub highest_user_wasted_percent: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// How many wasted files and duplicate groups to list.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
}

/// Runs `efficiency`.
pub fn run(args: EfficiencyArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers = layer_entries(&loaded)?;
    let overlay = Overlay::new(&layers);
    if let Err(error) = overlay.check_listing(&loaded.limits) {
        return Ok(common::report_error(&error.into(), args.json));
    }
    let waste = overlay.waste();
    let dive = dive_efficiency(&layers);
    let mut config = CiConfig::default();
    let file = args.ci_config.clone().or_else(|| {
        std::path::Path::new(".dive-ci")
            .is_file()
            .then(|| ".dive-ci".to_owned())
    });
    if let Some(path) = &file {
        let text = std::fs::read_to_string(path)?;
        config = ci::parse_dive_ci(&text, config);
    }
    if let Some(v) = &args.lowest_efficiency {
        config.lowest_efficiency = v.clone();
    }
    if let Some(v) = &args.highest_wasted_bytes {
        config.highest_wasted_bytes = v.clone();
    }
    if let Some(v) = &args.highest_user_wasted_percent {
        config.highest_user_wasted_percent = v.clone();
    }
    let result = ci::evaluate(&config, &dive);
    if args.json {
        common::print_json(&serde_json::json!({
            "waste": waste,
            "dive": dive,
            "ci": if args.ci { Some(&result) } else { None },
        }))?;
    } else {
        println!("efficiency (dive definition): {:.4} %", dive.score * 100.0);
        println!(
            "wasted (dive definition):     {} ({:.2} % of user bytes)",
            human_bytes(dive.wasted_bytes),
            dive.wasted_user_percent * 100.0
        );
        println!(
            "shipped file bytes: {}, visible: {}, invisible (deleted/overwritten later): {}",
            human_bytes(waste.shipped_bytes),
            human_bytes(waste.visible_bytes),
            human_bytes(waste.wasted_bytes)
        );
        println!(
            "duplicate content reclaimable (copies - 1): {}",
            human_bytes(waste.reclaimable_bytes)
        );
        println!("\nper layer:  shipped  wasted");
        for l in &waste.layers {
            println!(
                "  {:>3}  {:>10}  {:>10}",
                l.layer,
                human_bytes(l.shipped_bytes),
                human_bytes(l.wasted_bytes)
            );
        }
        if !waste.files.is_empty() {
            println!("\ninvisible files (largest first):");
            for f in waste.files.iter().take(args.top) {
                println!(
                    "  {:>10}  layer {}  {}  (hidden by layer {})",
                    human_bytes(f.size),
                    f.layer,
                    name(&f.path),
                    f.hidden_by.map_or("-".into(), |h| h.to_string())
                );
            }
        }
        if !waste.duplicates.is_empty() {
            println!("\nduplicate content:");
            for d in waste.duplicates.iter().take(args.top) {
                let places: Vec<String> = d
                    .locations
                    .iter()
                    .map(|l| format!("{}:{}", l.layer, name(&l.path)))
                    .collect();
                println!(
                    "  {:>10} x{}  {}",
                    human_bytes(d.reclaimable_bytes),
                    d.copies,
                    places.join(", ")
                );
            }
        }
        if args.ci {
            println!();
            for r in &result.rules {
                let word = match r.status {
                    RuleStatus::Pass => "PASS",
                    RuleStatus::Fail => "FAIL",
                    RuleStatus::Disabled => "SKIP",
                    RuleStatus::Misconfigured => "MISCONFIGURED",
                };
                println!("  {word}: {} ({})", message(&r.key), message(&r.message));
            }
            println!(
                "{}",
                if result.passed {
                    "result: PASS"
                } else {
                    "result: FAIL"
                }
            );
        }
    }
    if args.ci && !result.passed {
        return Ok(ExitCode::from(common::EXIT_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}
