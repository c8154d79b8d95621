//! `layerscope inspect`: summary, layers, aligned history, config.

use std::process::ExitCode;

use clap::Args;
use layerscope::display::{message, name, quoted, text};
use layerscope::model::Compression;
use layerscope::report::InspectReport;

use super::checks::{describe, status_word};
use super::common::{self, ImageArgs, human_bytes, short_digest};

/// Arguments of `inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// The image.
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print the report as JSON (see docs/json.md).
    #[arg(long)]
    pub json: bool,
}

/// Runs `inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let mut loaded = match common::load(&args.image, true, None) {
        Ok(l) => l,
        Err(f) => return Ok(common::report_error(&f, args.json)),
    };
    // The distribution, when every layer could be read.
    let os = common::layer_entries(&loaded).ok().and_then(|layers| {
        let mut open = common::opener(&loaded);
        layerscope::packages::os_release(&layers, &mut open, &loaded.limits, None)
    });
    loaded.report.image.os_release = os;
    if args.json {
        common::print_json(&loaded.report)?;
    } else {
        print_human(&loaded.report);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_human(report: &InspectReport) {
    let image = &report.image;
    let tags = if image.tags.is_empty() {
        "(untagged)".to_owned()
    } else {
        names(&image.tags)
    };
    println!("Image:     {tags}");
    println!(
        "Format:    {}",
        serde_json::to_value(report.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    if report.images.len() > 1 {
        println!(
            "Images:    {} in this input (showing #{}; choose with --image)",
            report.images.len(),
            report.selected
        );
        for choice in &report.images {
            let marker = if choice.index == report.selected {
                "*"
            } else {
                " "
            };
            let shown = choice
                .tags
                .first()
                .map(|t| name(t).to_string())
                .unwrap_or_else(|| short_digest(choice.digest.as_ref()));
            println!(
                "  {marker}{:>3} {:<40} {:<12} {:?} {}",
                choice.index,
                shown,
                name(choice.platform.as_deref().unwrap_or("-")),
                choice.kind,
                name(&choice.media_type)
            );
        }
    }
    if let Some(d) = &image.manifest_digest {
        println!("Manifest:  {d}");
    }
    if let Some(d) = &image.config_digest {
        println!("Config:    {d}");
    }
    println!(
        "Platform:  {}",
        name(image.platform.as_deref().unwrap_or("-"))
    );
    println!(
        "Created:   {}",
        text(image.created.as_deref().unwrap_or("-"))
    );
    if let Some(a) = &image.author {
        println!("Author:    {}", text(a));
    }
    if let Some(os) = &image.os_release {
        println!("Distro:    {}", text(&os.display));
    }
    println!(
        "Size:      {} stored, {} uncompressed, {} layers",
        human_bytes(image.compressed_size),
        human_bytes(image.uncompressed_size),
        report.layers.len()
    );
    let c = &report.config;
    if let Some(e) = &c.entrypoint {
        println!("Entrypoint: {}", argv(e));
    }
    if let Some(e) = &c.cmd {
        println!("Cmd:       {}", argv(e));
    }
    if let Some(u) = c.user.as_deref().filter(|u| !u.is_empty()) {
        println!("User:      {}", name(u));
    }
    if let Some(w) = c.working_dir.as_deref().filter(|w| !w.is_empty()) {
        println!("WorkDir:   {}", name(w));
    }
    for e in &c.env {
        println!("Env:       {}", text(e));
    }
    if !c.exposed_ports.is_empty() {
        println!("Ports:     {}", names(&c.exposed_ports));
    }
    if !c.volumes.is_empty() {
        println!("Volumes:   {}", names(&c.volumes));
    }
    for (k, v) in &c.labels {
        println!("Label:     {}={}", name(k), text(v));
    }
    if let Some(s) = &c.stop_signal {
        println!("StopSignal: {}", name(s));
    }
    println!();
    println!(
        "{:>3}  {:<10} {:<12} {:<12} {:<5} {:>10} {:>10} {:>7}  CREATED BY",
        "#", "STATUS", "DIGEST", "DIFF_ID", "COMP", "SIZE", "UNCOMP", "ENTRIES"
    );
    for layer in &report.layers {
        let compression = match layer.compression {
            Some(Compression::None) => "tar",
            Some(Compression::Gzip) => "gzip",
            Some(Compression::Zstd) => "zstd",
            None => "-",
        };
        println!(
            "{:>3}  {:<10} {:<12} {:<12} {:<5} {:>10} {:>10} {:>7}  {}",
            layer.index,
            status_word(layer.status),
            short_digest(layer.digest.as_ref()),
            short_digest(layer.diff_id.as_ref()),
            compression,
            human_bytes(layer.size),
            layer
                .uncompressed_size
                .map_or_else(|| "-".into(), human_bytes),
            layer.entries.map_or_else(|| "-".into(), |e| e.to_string()),
            text(&one_line(layer.created_by.as_deref().unwrap_or(""), 80))
        );
    }
    if !report.history.is_empty() {
        println!();
        println!("History:");
        for h in &report.history {
            let layer = match (h.empty_layer, h.layer) {
                (true, _) => "  (empty)".to_owned(),
                (false, Some(l)) => format!("  layer {l:>2}"),
                (false, None) => "  layer ?".to_owned(),
            };
            println!(
                "{layer}  {}  {}",
                text(h.created.as_deref().unwrap_or("-")),
                text(&one_line(h.created_by.as_deref().unwrap_or(""), 100))
            );
        }
    }
    println!();
    let verdict = if report.verification.ok {
        "all checkable digests verified"
    } else {
        "VERIFICATION FAILED"
    };
    println!("Verification: {verdict}");
    for failure in report.failures() {
        println!("  {}", message(&describe(failure)));
    }
    common::print_warnings(&report.warnings);
}

/// Names through the presentation rule, comma separated.
fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| name(n).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A command's argument vector: `["/bin/sh", "-c", "…"]`, each argument
/// quoted with escapes.
fn argv(args: &[String]) -> String {
    let quoted: Vec<String> = args.iter().map(|a| quoted(a).to_string()).collect();
    format!("[{}]", quoted.join(", "))
}

/// Collapses whitespace and shortens to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        collapsed
    } else {
        let mut s: String = collapsed.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
