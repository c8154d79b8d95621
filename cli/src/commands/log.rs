//! `layerscope log`: one path followed through every layer (the core's
//! timeline), or with `--diff N..M` the file as layer N leaves it against
//! the file as layer M leaves it (`diff -u` body).

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use layerscope::display::{name, text};
use layerscope::overlay::{
    Aspect, EntryAction, FileDiff, FileTimeline, RemovalCause, TimelineStep, file_diff, timeline,
};
use layerscope::textdiff::{DiffBody, LineKind};

use super::common::{self, ImageArgs, layer_entries, opener};
use super::flatten::parse_range;

/// Arguments of `log`.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// The path in the image (leading `/` optional; any bytes).
    #[arg(value_name = "PATH")]
    pub path: std::ffi::OsString,
    /// Compare the file as layer N leaves it with the file as layer M
    /// leaves it (`diff -u` body; at most 1 MiB of each side).
    #[arg(long, value_name = "N..M")]
    pub diff: Option<String>,
    /// Print the timeline (or the diff) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `log`.
pub fn run(args: LogArgs) -> anyhow::Result<ExitCode> {
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let layers = match layer_entries(&loaded) {
        Ok(l) => l,
        Err(error) => {
            common::print_error(&format!("{error:#}"));
            return Ok(ExitCode::from(common::EXIT_INVALID));
        }
    };
    let path = common::image_path(&args.path)?;
    if let Some(range) = &args.diff {
        let (old, new) = parse_range(range)?;
        let mut open = opener(&loaded);
        return match file_diff(&layers, &path, old, new, &mut open) {
            Ok(diff) if args.json => {
                common::print_json(&diff)?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(diff) => {
                print_lines(diff_lines(&diff))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => Ok(common::report_error(&error.into(), args.json)),
        };
    }
    match timeline(&layers, &loaded.opened.history, &path) {
        Ok(t) if args.json => {
            common::print_json(&t)?;
            Ok(ExitCode::SUCCESS)
        }
        Ok(t) => {
            print_lines(timeline_lines(&t))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => Ok(common::report_error(&error.into(), args.json)),
    }
}

/// Writes lines to stdout (a closed pipe ends quietly, as everywhere).
fn print_lines(lines: Vec<String>) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush())?;
    Ok(())
}

/// A path as shown: `/` for the root, else the name through the
/// presentation rule.
fn shown(path: &str) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        name(path).to_string()
    }
}

/// Why something was removed, in words.
fn cause_words(cause: &RemovalCause) -> String {
    match cause {
        RemovalCause::Whiteout => "whiteout".to_owned(),
        RemovalCause::OpaqueDir { dir } => format!("opaque directory {}", shown(dir)),
        RemovalCause::ReplacedByType { kind } => format!("replaced by a {}", kind.name()),
        RemovalCause::Overwritten => "overwritten".to_owned(),
        RemovalCause::Duplicate => "listed twice".to_owned(),
    }
}

/// The change column of one step: `added`, `modified(content,mode)`,
/// `deleted (whiteout)`, `deleted with etc (opaque directory /)`.
fn step_words(step: &TimelineStep) -> String {
    let change = &step.change;
    let mut words = change.action.word().to_owned();
    if !change.aspects.is_empty() {
        let aspects: Vec<&str> = change.aspects.iter().map(|a| a.name()).collect();
        words.push_str(&format!("({})", aspects.join(",")));
    }
    if let Some(ancestor) = &step.removed_with {
        words.push_str(&format!(" with {}", shown(ancestor)));
    }
    let replaced = change.aspects.contains(&Aspect::Type);
    match (&step.cause, change.action) {
        (Some(cause), EntryAction::Deleted) => {
            words.push_str(&format!(" ({})", cause_words(cause)));
        }
        // A directory removed and made again: its children went.
        (Some(cause), _) if !replaced => {
            words.push_str(&format!(" (contents removed: {})", cause_words(cause)));
        }
        _ => {}
    }
    words
}

/// The timeline as text: the path, then one line per step (layer, what
/// happened, the layer's history command).
pub fn timeline_lines(t: &FileTimeline) -> Vec<String> {
    let mut lines = vec![format!(
        "{} ({} in the final image)",
        shown(&t.path),
        if t.present { "present" } else { "absent" }
    )];
    let rows: Vec<(String, String)> = t
        .steps
        .iter()
        .map(|s| (format!("layer {}", s.layer), step_words(s)))
        .collect();
    let w1 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let w2 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    for (step, (layer, words)) in t.steps.iter().zip(&rows) {
        let command = step
            .created_by
            .as_deref()
            .map_or_else(|| "-".to_owned(), |c| text(c).to_string());
        lines.push(format!("{layer:<w1$}  {words:<w2$}  {command}"));
    }
    if t.steps.is_empty() {
        lines.push("no layer changes it".to_owned());
    }
    lines
}

/// One side's header: `--- etc/conf (layer 2)`, noting an absent file
/// and a cut one.
fn side_header(marker: &str, path: &str, side: &layerscope::overlay::DiffSide) -> String {
    let mut line = format!("{marker} {} (layer {})", shown(path), side.layer);
    if !side.present {
        line.push_str(" absent");
    } else if side.cut {
        line.push_str(&format!(" first {} of {} bytes", side.compared, side.size));
    }
    line
}

/// The diff as text: `--- `/`+++ ` headers, then the `diff -u` hunks (or
/// a line for identical and binary files).
pub fn diff_lines(diff: &FileDiff) -> Vec<String> {
    let mut lines = vec![
        side_header("---", &diff.path, &diff.old),
        side_header("+++", &diff.path, &diff.new),
    ];
    match &diff.body {
        DiffBody::Identical => lines.push("identical".to_owned()),
        DiffBody::Binary { first_difference } => lines.push(match first_difference {
            Some(at) => format!(
                "binary files differ: {} and {} bytes, first difference at byte {at}",
                diff.old.size, diff.new.size
            ),
            None => format!(
                "binary files: {} and {} bytes, the same in the first {} bytes compared",
                diff.old.size,
                diff.new.size,
                diff.old.compared.min(diff.new.compared)
            ),
        }),
        DiffBody::Text { hunks, approximate } => {
            if *approximate {
                lines.push(
                    "(too many differences for an exact diff: the changed part is shown removed and added)"
                        .to_owned(),
                );
            }
            if hunks.is_empty() {
                lines.push("no difference in the bytes compared".to_owned());
            }
            for hunk in hunks {
                lines.push(hunk.header());
                for line in &hunk.lines {
                    lines.push(format!("{}{}", line.kind.marker(), text(&line.text)));
                    if line.no_newline {
                        let cut = match line.kind {
                            LineKind::Removed => diff.old.cut,
                            LineKind::Added => diff.new.cut,
                            LineKind::Context => diff.old.cut || diff.new.cut,
                        };
                        lines.push(if cut {
                            format!("\\ cut: only the first {} bytes were compared", diff.limit)
                        } else {
                            "\\ No newline at end of file".to_owned()
                        });
                    }
                }
            }
        }
    }
    lines
}
