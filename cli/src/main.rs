//! `layerscope`: inspect, verify and index container images from the
//! command line. All format logic lives in the `layerscope` core crate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use layerscope_cli::commands::{advise, cat, diff, efficiency, flatten, inspect, ls, verify};

/// Container image layer inspector: open docker-archive, OCI archive or OCI
/// layout images, verify the whole digest chain, list layers and files.
#[derive(Debug, Parser)]
#[command(name = "layerscope", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Summary, layers (digest, diff_id, sizes, entries, verification), aligned history and config.
    Inspect(inspect::InspectArgs),
    /// Verify the whole digest chain: exit 0 when everything checkable verified, 1 when not, 2 for invalid input.
    Verify(verify::VerifyArgs),
    /// List the entries of one layer.
    Ls(ls::LsArgs),
    /// Write the final root filesystem (or a squashed layer range) as a tar.
    Flatten(flatten::FlattenArgs),
    /// Write one file's bytes (merged view, or one layer with --layer).
    Cat(cat::CatArgs),
    /// Compare two images, or show one layer's changeset with --layer.
    Diff(diff::DiffArgs),
    /// Wasted space, duplicates and dive's efficiency score; --ci exits 1 when a rule fails.
    Efficiency(efficiency::EfficiencyArgs),
    /// Advice with evidence: waste, caches, secrets, permissions, root user, small layers.
    Advise(advise::AdviseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = std::panic::catch_unwind(|| match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Flatten(args) => flatten::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Efficiency(args) => efficiency::run(args),
        Command::Advise(args) => advise::run(args),
    });
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!(
                "error: internal error (a bug in layerscope); please report it with the input that caused it"
            );
            ExitCode::from(2)
        }
    }
}
