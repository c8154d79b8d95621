//! `layerscope verify`: the whole digest chain; exit 0 only when everything
//! checkable verified, 1 when something failed, 2 for unreadable input.

use std::process::ExitCode;

use layerscope::display::message;

use super::checks::{describe, status_word};
use super::common::{self, EXIT_FAILED, ImageArgs};
use clap::Args;

/// Arguments of `verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print the report as JSON (see docs/json.md).
    #[arg(long)]
    pub json: bool,
}

/// Runs `verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let report = &loaded.report;
    if args.json {
        common::print_json(report)?;
    } else {
        for check in &report.verification.checks {
            println!(
                "{:<10} {}",
                status_word(check.status),
                message(&describe(check))
            );
        }
        common::print_warnings(&report.warnings);
        let failed = report.failures().count();
        if failed == 0 {
            println!(
                "OK: every checkable digest verified ({} checks)",
                report.verification.checks.len()
            );
        } else {
            println!(
                "FAILED: {failed} of {} checks failed",
                report.verification.checks.len()
            );
        }
    }
    Ok(if report.verification.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
