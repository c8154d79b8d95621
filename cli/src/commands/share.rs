//! `layerscope share`: what several images share and cost together. The
//! core's [`ShareSet`] decides everything; this module opens the inputs,
//! runs the blob reads it asks for on threads, and prints the report.

use std::io::{self, BufReader};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use clap::Args;
use layerscope::archive::OpenOptions;
use layerscope::display::{message, name, text};
use layerscope::layer::{count_uncompressed, probe};
use layerscope::model::Compression;
use layerscope::share::{
    Admission, BlobJob, InputStatus, ShareReport, ShareSet, SizeSource, open_input,
};
use layerscope::{Error, Limits};

use super::checks::describe;
use super::common::{self, EXIT_FAILED, EXIT_INVALID, LimitArgs, human_bytes, short_digest};
use crate::input::{Input, identity};
use crate::parallel;

/// Arguments of `share`.
#[derive(Debug, Clone, Args)]
pub struct ShareArgs {
    /// Images: tar files (docker-archive, OCI archive) or OCI layout directories; a multi-image archive counts as its images.
    #[arg(value_name = "IMAGE", required = true, num_args = 1..)]
    pub images: Vec<String>,
    /// Take only this image of each input: listing index, tag, or digest (prefix).
    #[arg(long = "image", value_name = "SEL")]
    pub select: Option<String>,
    /// Platform for multi-platform indexes: OS/ARCH[/VARIANT].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Verify every input fully (every digest); exit 1 when something fails.
    #[arg(long)]
    pub verify: bool,
    /// Print JSON (see docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Resource limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Threads for reading layers (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Runs `share`.
pub fn run(args: ShareArgs) -> anyhow::Result<ExitCode> {
    let limits = args.limits.limits();
    let options = OpenOptions {
        image: args.select.clone(),
        platform: args.platform.clone(),
        limits,
    };
    let workers = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut set = ShareSet::new(args.verify);
    let mut inputs: Vec<Option<Input>> = Vec::new();
    for arg in &args.images {
        let index = match set.add_input(arg, identity(arg).as_deref()) {
            Admission::Open(index) => index,
            Admission::Duplicate { .. } => {
                inputs.push(None);
                continue;
            }
        };
        match Input::from_arg(arg) {
            Ok(input) => {
                match input.source(&limits) {
                    Ok(mut source) => set.add_images(index, open_input(&mut *source, &options)),
                    Err(error) => set.add_failure(index, &error),
                }
                inputs.push(Some(input));
            }
            Err(source) => {
                set.add_failure(
                    index,
                    &Error::Io {
                        what: arg.clone(),
                        offset: 0,
                        source,
                    },
                );
                inputs.push(None);
            }
        }
    }
    if set.image_count() < 2 && !set.has_unreadable() {
        common::print_error("share compares two or more images; give more inputs");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if args.verify {
        verify_all(&mut set, &inputs, &limits, workers);
    }
    for job in set.probe_jobs() {
        let result = open(&inputs, &job).and_then(|reader| probe(reader, &job.plan));
        set.record_probe(job.blob, result);
    }
    loop {
        let jobs = set.count_jobs();
        if jobs.is_empty() {
            break;
        }
        let sizes: Vec<u64> = jobs.iter().map(|j| location_size(&j.job)).collect();
        let results = parallel::run_sized(
            &sizes,
            workers,
            &|i| {
                let job = jobs.get(i)?;
                Some(open(&inputs, &job.job).and_then(|reader| {
                    count_uncompressed(
                        BufReader::with_capacity(256 * 1024, reader),
                        &job.job.plan,
                        &limits,
                    )
                }))
            },
            &|_| {},
        );
        for (job, result) in jobs.iter().zip(results) {
            let result = result.flatten().unwrap_or_else(|| Err(not_run(&job.job)));
            set.record_count(job, result);
        }
    }
    let report = set.report();
    if args.json {
        common::print_json(&report)?;
    } else {
        print_text(&report);
    }
    for input in &report.inputs {
        for error in &input.errors {
            common::print_error(&format!("{}: {}", name(&input.name), error.message));
        }
    }
    Ok(if set.has_unreadable() {
        ExitCode::from(EXIT_INVALID)
    } else if report.verified == Some(false) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scans every blob of every input once (the inputs' own threads).
fn verify_all(set: &mut ShareSet, inputs: &[Option<Input>], limits: &Limits, workers: usize) {
    let jobs = set.verify_jobs();
    for (index, input) in inputs.iter().enumerate() {
        let mine: Vec<&BlobJob> = jobs.iter().filter(|j| j.input == index).collect();
        let Some(input) = input else {
            continue;
        };
        if mine.is_empty() {
            continue;
        }
        let plans: Vec<_> = mine.iter().map(|j| j.plan.clone()).collect();
        let progress = Arc::new(AtomicU64::new(0));
        let results = parallel::scan_all(input, &plans, limits, workers, progress, &|_| {});
        for (job, result) in mine.iter().zip(results) {
            let result = result.unwrap_or_else(|| Err(not_run(job)));
            set.record_scan(job.blob, result);
        }
    }
}

/// A reader over a job's blob.
fn open(inputs: &[Option<Input>], job: &BlobJob) -> Result<Box<dyn io::Read + Send>, Error> {
    let location = job.plan.blob_location()?;
    let input = inputs
        .get(job.input)
        .and_then(Option::as_ref)
        .ok_or_else(|| not_run(job))?;
    input.open_blob(location).map_err(|source| Error::Io {
        what: location.path().to_owned(),
        offset: 0,
        source,
    })
}

fn location_size(job: &BlobJob) -> u64 {
    job.plan.location.as_ref().map_or(0, |l| l.size())
}

fn not_run(job: &BlobJob) -> Error {
    Error::Io {
        what: format!("layer {} blob", job.plan.index),
        offset: 0,
        source: io::Error::other("not read"),
    }
}

fn print_text(report: &ShareReport) {
    println!("Images:");
    for (i, image) in report.images.iter().enumerate() {
        let tag = image
            .tags
            .first()
            .map(|t| name(t).to_string())
            .unwrap_or_else(|| "(untagged)".to_owned());
        let within = report
            .inputs
            .get(image.input)
            .filter(|input| input.images.len() > 1)
            .map(|_| format!(" [#{}]", image.listing_index))
            .unwrap_or_default();
        println!(
            "  {i:>2}  {}{within}  {tag}  {} layers, {} uncompressed, {} stored, {} above the base",
            name(&image.name),
            image.layers.len(),
            human_bytes(image.uncompressed_size),
            human_bytes(image.stored_size),
            human_bytes(image.above_base_uncompressed),
        );
        if let Some(v) = &image.verification {
            if v.ok {
                println!("      verified");
            }
            for check in &v.failures {
                println!("      FAILED {}", message(&describe(check)));
            }
        }
        common::print_warnings(&image.warnings);
    }
    for (i, input) in report.inputs.iter().enumerate() {
        match input.status {
            InputStatus::Duplicate => println!(
                "  --  {}: the same file as input {}, counted once",
                name(&input.name),
                input
                    .same_as
                    .map_or_else(|| "?".to_owned(), |s| s.to_string())
            ),
            InputStatus::Unreadable => {
                println!("  --  {}: unreadable (input {i})", name(&input.name))
            }
            InputStatus::Analysed => {}
        }
    }
    println!();
    let columns: String = (0..report.images.len())
        .map(|i| format!("{:>3}", i % 1000))
        .collect();
    println!(
        "Layers (images using each):\n  {:<14} {:<4}{columns}  {:>10}  CREATED BY",
        "DIFF_ID", "BASE", "UNCOMP"
    );
    for layer in &report.layers {
        let marks: String = (0..report.images.len())
            .map(|i| {
                if layer.images.contains(&i) {
                    "  ●"
                } else {
                    "  ·"
                }
            })
            .collect();
        let size = match (layer.uncompressed_size, layer.size_source) {
            (Some(s), Some(SizeSource::Inflated)) => format!("{}*", human_bytes(s)),
            (Some(s), _) => human_bytes(s),
            (None, _) => "?".to_owned(),
        };
        let command: String = layer
            .created_by
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        println!(
            "  {:<14} {:<4}{marks}  {size:>10}  {}",
            short_digest(layer.diff_id.as_ref()),
            if layer.in_base { "yes" } else { "" },
            text(&command)
        );
        if let Some(error) = &layer.size_error {
            println!("      size unknown: {}", message(error));
        }
    }
    if report
        .layers
        .iter()
        .any(|l| l.size_source == Some(SizeSource::Inflated))
    {
        println!("  (* counted by inflating the layer once)");
    }
    println!();
    let base = &report.common_base;
    if base.layers == 0 {
        println!("Common base: none (the images' first layers differ)");
    } else {
        println!(
            "Common base: {} layer{}, {}",
            base.layers,
            if base.layers == 1 { "" } else { "s" },
            human_bytes(base.uncompressed_size)
        );
        for h in &base.history {
            println!(
                "  {}{}",
                text(h.created_by.as_deref().unwrap_or("-")),
                if h.empty_layer { "  (no layer)" } else { "" }
            );
        }
    }
    for a in &base.annotations {
        println!(
            "  base annotation: {} {} (images {})",
            name(a.name.as_deref().unwrap_or("-")),
            name(a.digest.as_deref().unwrap_or("-")),
            a.images
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!();
    let b = &report.bytes;
    println!(
        "Uncompressed: {} summed over the images, {} with each layer once, {} saved by sharing",
        human_bytes(b.sum_uncompressed),
        human_bytes(b.unique_uncompressed),
        human_bytes(b.saved_uncompressed)
    );
    if b.unsized_layers > 0 {
        println!(
            "  ({} layer{} of unknown size left out)",
            b.unsized_layers,
            if b.unsized_layers == 1 { "" } else { "s" }
        );
    }
    match (b.unique_stored, b.saved_stored) {
        (Some(unique), Some(saved)) => println!(
            "Stored:       {} summed over the images, {} with each blob once, {} saved by sharing",
            human_bytes(b.sum_stored),
            human_bytes(unique),
            human_bytes(saved)
        ),
        _ => println!(
            "Stored:       {} summed over the images; not comparable (a shared layer is stored as different blobs)",
            human_bytes(b.sum_stored)
        ),
    }
    let forms: Vec<String> = report
        .layers
        .iter()
        .filter(|l| l.images.len() > 1)
        .filter_map(|l| {
            let mut kinds: Vec<&str> = l
                .uses
                .iter()
                .filter_map(|u| u.compression)
                .map(Compression::name)
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            (kinds.len() > 1).then(|| {
                format!(
                    "{} ({})",
                    short_digest(l.diff_id.as_ref()),
                    kinds.join(", ")
                )
            })
        })
        .collect();
    if !forms.is_empty() {
        println!("  layers stored in several forms: {}", forms.join("; "));
    }
    common::print_warnings(&report.warnings);
}
