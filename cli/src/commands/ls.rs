//! `layerscope ls`: the entry index of one layer.

use std::process::ExitCode;

use clap::Args;
use layerscope::error::RequestError;
use layerscope::model::{Entry, EntryKind, Whiteout};

use super::common::{self, Failure, ImageArgs};

/// Arguments of `ls`.
#[derive(Debug, Clone, Args)]
pub struct LsArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Layer index (0 = base).
    #[arg(long)]
    pub layer: Option<usize>,
    /// Print entries as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `ls`.
pub fn run(args: LsArgs) -> anyhow::Result<ExitCode> {
    let Some(layer) = args.layer else {
        eprintln!("error: choose a layer with --layer N");
        return Ok(ExitCode::from(common::EXIT_INVALID));
    };
    let loaded = match common::load(&args.image, true, Some(layer)) {
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
            eprintln!("error: layer {layer}: {detail}");
            return Ok(ExitCode::from(common::EXIT_INVALID));
        };
        return Ok(common::report_error(&failure, args.json));
    };
    if args.json {
        common::print_json(&serde_json::json!({
            "layer": layer,
            "diffId": scan.diff_id,
            "entries": scan.entries,
            "warnings": scan.warnings,
        }))?;
    } else {
        for entry in &scan.entries {
            println!("{}", format_entry(entry));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One `ls -l`-style line.
pub fn format_entry(entry: &Entry) -> String {
    let type_char = match entry.kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
    };
    let mut line = format!(
        "{type_char}{} {:>5}/{:<5} {:>12} {:>11} {}",
        mode_string(entry.mode),
        entry.uid,
        entry.gid,
        entry.size,
        entry.mtime,
        if entry.path.is_empty() {
            "."
        } else {
            &entry.path
        }
    );
    match (&entry.whiteout, entry.kind, &entry.link_target) {
        (Some(Whiteout::Remove { target }), _, _) => {
            line.push_str(&format!("  [whiteout: deletes {target}]"))
        }
        (Some(Whiteout::Opaque { dir }), _, _) => line.push_str(&format!(
            "  [opaque: hides lower contents of {}]",
            if dir.is_empty() { "/" } else { dir }
        )),
        (None, EntryKind::Symlink, Some(t)) => line.push_str(&format!(" -> {t}")),
        (None, EntryKind::Hardlink, Some(t)) => line.push_str(&format!(" link to {t}")),
        _ => {}
    }
    line
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
