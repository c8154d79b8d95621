//! `layerscope ls`: the entry index of one layer, with what each entry
//! changes relative to the tree below it; or, with `--merged`, the final
//! (or cumulative) tree with each path's provenance.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name};
use layerscope::error::RequestError;
use layerscope::model::{Entry, EntryKind, Whiteout};
use layerscope::overlay::{ChangeAction, EntryChange, MergedEntry, Overlay, entry_changes};

use super::common::{self, Failure, ImageArgs, layer_entries};

/// Arguments of `ls`.
#[derive(Debug, Clone, Args)]
pub struct LsArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Layer index (0 = base). Without --merged: list this layer's own
    /// entries, each with what it changes (added, modified and which
    /// attributes, deleted, unchanged) relative to the layers below.
    /// With --merged: the cumulative tree up to and including this layer.
    #[arg(long)]
    pub layer: Option<usize>,
    /// List the merged tree (all layers applied, or up to --layer) with the
    /// layer that provides each path and its history (+N added, ~N
    /// modified, -N deleted in layer N).
    #[arg(long)]
    pub merged: bool,
    /// Print entries as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The text change column: `added`, `modified(mode,mtime)`, `deleted`,
/// `unchanged`.
pub fn change_column(change: &EntryChange) -> String {
    let word = change.action.word();
    if change.aspects.is_empty() {
        word.to_owned()
    } else {
        let aspects: Vec<&str> = change.aspects.iter().map(|a| a.name()).collect();
        format!("{word}({})", aspects.join(","))
    }
}

/// Runs `ls`.
pub fn run(args: LsArgs) -> anyhow::Result<ExitCode> {
    if args.merged {
        return run_merged(&args);
    }
    let Some(layer) = args.layer else {
        eprintln!("error: choose a layer with --layer N (or list the merged tree with --merged)");
        return Ok(ExitCode::from(common::EXIT_INVALID));
    };
    let loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    let count = loaded.opened.layers.len();
    let Some(scan) = loaded.scans.get(layer).and_then(Option::as_ref) else {
        let failure: Failure = if layer >= count {
            layerscope::Error::Request(RequestError::NoSuchLayer {
                index: layer,
                count,
            })
            .into()
        } else {
            let detail = loaded
                .report
                .failures()
                .find_map(|c| c.detail.clone())
                .unwrap_or_else(|| "the layer could not be read".into());
            common::print_error(&detail);
            return Ok(ExitCode::from(common::EXIT_INVALID));
        };
        return Ok(common::report_error(&failure, args.json));
    };
    // The change column needs every layer up to this one.
    let below: Option<Vec<&[Entry]>> = loaded
        .scans
        .iter()
        .take(layer + 1)
        .map(|s| s.as_ref().map(|s| s.entries.as_slice()))
        .collect();
    let mut unknown_why = "a lower layer could not be read".to_owned();
    let changes: Option<Vec<EntryChange>> = below.and_then(|layers| {
        let overlay = Overlay::up_to(&layers, layer).ok()?;
        if let Err(error) = overlay.check_listing(&loaded.limits) {
            unknown_why = error.to_string();
            return None;
        }
        let own = overlay.changes().get(layer)?;
        Some(entry_changes(&scan.entries, own))
    });
    if changes.is_none() {
        eprintln!(
            "warning: {}; the change column is unknown",
            message(&unknown_why)
        );
    }
    let change_at = |i: usize| changes.as_ref().and_then(|c| c.get(i));
    if args.json {
        let entries: Vec<serde_json::Value> = scan
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut value = serde_json::to_value(e).unwrap_or_default();
                if let Some(map) = value.as_object_mut() {
                    map.insert(
                        "change".into(),
                        serde_json::to_value(change_at(i)).unwrap_or_default(),
                    );
                }
                value
            })
            .collect();
        common::print_json(&serde_json::json!({
            "layer": layer,
            "diffId": scan.diff_id,
            "entries": entries,
            "warnings": scan.warnings,
        }))?;
    } else {
        let columns: Vec<String> = (0..scan.entries.len())
            .map(|i| change_at(i).map_or_else(|| "?".to_owned(), change_column))
            .collect();
        let width = columns.iter().map(String::len).max().unwrap_or(0);
        print_lines(scan.entries.iter().zip(&columns).map(|(entry, column)| {
            format!(
                "{} {column:<width$}  {}",
                meta_columns(
                    entry.kind,
                    entry.mode,
                    entry.uid,
                    entry.gid,
                    entry.size,
                    entry.mtime
                ),
                path_and_suffix(entry)
            )
        }))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_merged(args: &LsArgs) -> anyhow::Result<ExitCode> {
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
    let overlay = match args.layer {
        Some(last) => match Overlay::up_to(&layers, last) {
            Ok(o) => o,
            Err(error) => return Ok(common::report_error(&error.into(), args.json)),
        },
        None => Overlay::new(&layers),
    };
    if let Err(error) = overlay.check_listing(&loaded.limits) {
        return Ok(common::report_error(&error.into(), args.json));
    }
    let tree = overlay.entries();
    if args.json {
        common::print_json(&serde_json::json!({
            "layer": args.layer,
            "layers": layers.len(),
            "entries": tree,
            "warnings": overlay.warnings(),
        }))?;
    } else {
        let rows: Vec<(String, String)> = tree.iter().map(|m| (provider(m), history(m))).collect();
        let w1 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let w2 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        print_lines(tree.iter().zip(&rows).map(|(m, (layer, hist))| {
            format!(
                "{} {layer:<w1$} {hist:<w2$}  {}",
                meta_columns(m.kind, m.mode, m.uid, m.gid, m.size, m.mtime),
                merged_path_and_suffix(m)
            )
        }))?;
        common::print_warnings(overlay.warnings());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes lines to stdout. A closed pipe (`| head`) is an error that the
/// binary turns into a quiet exit with status 141, as for every command.
fn print_lines(lines: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut lines = lines;
    lines
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush())?;
    Ok(())
}

/// The provenance column: `L3` (layer 3 placed it), `L3*` (an implied
/// directory created for layer 3's entries), `-` (the implicit root).
pub fn provider(m: &MergedEntry) -> String {
    match (m.layer, m.implied) {
        (Some(l), false) => format!("L{l}"),
        (Some(l), true) => format!("L{l}*"),
        (None, _) => "-".to_owned(),
    }
}

/// The history column: `+0,~2,-4,+5` (added in 0, modified in 2, deleted
/// in 4 — itself or with a parent —, added again in 5); `-` when empty.
pub fn history(m: &MergedEntry) -> String {
    if m.history.is_empty() {
        return "-".to_owned();
    }
    m.history
        .iter()
        .map(|e| {
            let sign = match e.action {
                ChangeAction::Added => '+',
                ChangeAction::Modified => '~',
                ChangeAction::Deleted => '-',
            };
            format!("{sign}{}", e.layer)
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn type_char(kind: EntryKind) -> char {
    match kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
    }
}

fn meta_columns(kind: EntryKind, mode: u32, uid: u64, gid: u64, size: u64, mtime: u64) -> String {
    format!(
        "{}{} {:>5}/{:<5} {:>12} {:>11}",
        type_char(kind),
        mode_string(mode),
        uid,
        gid,
        size,
        mtime
    )
}

/// A path as listed: `.` for the root, else the name through the
/// presentation rule (quoted with escapes when it needs them).
fn display_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        name(path).to_string()
    }
}

fn path_and_suffix(entry: &Entry) -> String {
    let mut line = display_path(&entry.path);
    match (&entry.whiteout, entry.kind, &entry.link_target) {
        (Some(Whiteout::Remove { target }), _, _) => {
            line.push_str(&format!("  [whiteout: deletes {}]", name(target)))
        }
        (Some(Whiteout::Opaque { dir }), _, _) => line.push_str(&format!(
            "  [opaque: hides lower contents of {}]",
            if dir.is_empty() {
                "/".to_owned()
            } else {
                name(dir).to_string()
            }
        )),
        (None, EntryKind::Symlink, Some(t)) => line.push_str(&format!(" -> {}", name(t))),
        (None, EntryKind::Hardlink, Some(t)) => line.push_str(&format!(" link to {}", name(t))),
        _ => {}
    }
    line
}

fn merged_path_and_suffix(m: &MergedEntry) -> String {
    let mut line = display_path(&m.path);
    if let Some(t) = &m.link_target {
        line.push_str(&format!(" -> {}", name(t)));
    }
    if let Some(first) = &m.hardlink_to {
        line.push_str(&format!(" link to {}", display_path(first)));
    }
    line
}

/// One `ls -l`-style line.
pub fn format_entry(entry: &Entry) -> String {
    format!(
        "{} {}",
        meta_columns(
            entry.kind,
            entry.mode,
            entry.uid,
            entry.gid,
            entry.size,
            entry.mtime
        ),
        path_and_suffix(entry)
    )
}

fn mode_string(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for (shift, special, special_char) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let exec = bits & 1 != 0;
        s.push(match (mode & special != 0, exec) {
            (true, true) => special_char,
            (true, false) => special_char.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}
