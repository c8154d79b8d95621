//! `layerscope`: inspect, verify and index container images from the
//! command line. All format logic lives in the `layerscope` core crate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use layerscope_cli::commands::{
    advise, cat, diff, efficiency, flatten, inspect, log, ls, packages, sbom, share, verify,
};

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
    /// Follow one path through every layer (added, modified, deleted, with each layer's command); --diff N..M compares the file between two layers.
    Log(log::LogArgs),
    /// Write one file's bytes (merged view, or one layer with --layer).
    Cat(cat::CatArgs),
    /// Compare two images, or show one layer's changeset with --layer.
    Diff(diff::DiffArgs),
    /// Wasted space, duplicates and dive's efficiency score; --ci exits 1 when a rule fails.
    Efficiency(efficiency::EfficiencyArgs),
    /// Advice with evidence: waste, caches, secrets, permissions, root user, small layers, cache order.
    Advise(advise::AdviseArgs),
    /// Packages (deb, apk, Python, npm, Go and cargo-auditable binaries) with the layer that added, changed or removed each.
    Packages(packages::PackagesArgs),
    /// A CycloneDX 1.6 or SPDX 2.3 JSON SBOM of the final image, each package with its layer.
    Sbom(sbom::SbomArgs),
    /// What several images share: layers matched by diff_id, sizes, the common base, bytes saved.
    Share(share::ShareArgs),
}

/// Exit status of a process that wrote to a closed pipe (128 + SIGPIPE),
/// as a shell reports one killed by the signal.
const BROKEN_PIPE_EXIT: u8 = 141;

/// Whether a panic payload is std's "failed printing to stdout" on a
/// closed pipe (`layerscope ls IMAGE | head`), which is not a bug.
fn is_broken_pipe_panic(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.contains("failed printing to stdout") && text.contains("Broken pipe")
}

/// Whether an error is, at its root, a write to a closed pipe.
fn is_broken_pipe_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints a command-line error (which quotes the arguments it refused)
/// through the presentation rule, line by line; help and version go to
/// stdout as they are.
fn usage_error(error: &clap::Error) -> ExitCode {
    let rendered = error.render().to_string();
    if !error.use_stderr() {
        print!("{rendered}");
        return ExitCode::SUCCESS;
    }
    for line in rendered.lines() {
        eprintln!("{}", layerscope::display::message(line));
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    // A reader that stops early (`| head`) ends the output quietly, like
    // other Unix tools, instead of printing a panic or an error.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_broken_pipe_panic(info.payload()) {
            default_hook(info);
        }
    }));
    let outcome = std::panic::catch_unwind(|| match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Flatten(args) => flatten::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Log(args) => log::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Efficiency(args) => efficiency::run(args),
        Command::Advise(args) => advise::run(args),
        Command::Packages(args) => packages::run(args),
        Command::Sbom(args) => sbom::run(args),
        Command::Share(args) => share::run(args),
    });
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(error)) if is_broken_pipe_error(&error) => ExitCode::from(BROKEN_PIPE_EXIT),
        Err(payload) if is_broken_pipe_panic(&*payload) => ExitCode::from(BROKEN_PIPE_EXIT),
        Ok(Err(error)) => {
            eprintln!(
                "error: {}",
                layerscope::display::message(&format!("{error:#}"))
            );
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
