//! Arguments shared by the subcommands, the open → scan flow with progress
//! reporting that most of them start with, and what the overlay commands
//! take from its result (layer entry lists, blob readers).

use std::io::{self, IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use layerscope::archive::{OpenOptions, OpenedImage, open_image};
use layerscope::display::message;
use layerscope::layer::LayerScan;
use layerscope::limits::flags;
use layerscope::model::{Entry, Warning};
use layerscope::report::InspectReport;
use layerscope::secrets::LayerSecrets;
use layerscope::{Error, Limits};

use crate::input::Input;
use crate::parallel;

/// Exit code for checks that failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for unreadable or invalid input.
pub const EXIT_INVALID: u8 = 2;

/// Which image to open and how.
#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    /// Image: a tar file (docker-archive, OCI archive), an OCI layout directory, or `-` for standard input.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Select one image of a multi-image archive: listing index, tag, or digest (prefix).
    #[arg(long = "image", value_name = "SEL")]
    pub select: Option<String>,
    /// Platform for multi-platform indexes: OS/ARCH[/VARIANT].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Resource limits.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Threads for scanning layers (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Resource limits for untrusted input, each with its flag.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest JSON document read (bytes).
    #[arg(long = flags::MAX_JSON_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_json_bytes: Option<u64>,
    /// Most members in the outer archive.
    #[arg(long = flags::MAX_ARCHIVE_MEMBERS.trim_start_matches('-'), value_name = "N")]
    pub max_archive_members: Option<u64>,
    /// Most entries in one layer.
    #[arg(long = flags::MAX_ENTRIES.trim_start_matches('-'), value_name = "N")]
    pub max_entries: Option<u64>,
    /// Longest entry path (bytes).
    #[arg(long = flags::MAX_PATH_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_path_bytes: Option<u64>,
    /// Largest PAX extended header (bytes).
    #[arg(long = flags::MAX_PAX_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_pax_bytes: Option<u64>,
    /// Most decompressed bytes in one layer.
    #[arg(long = flags::MAX_LAYER_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_layer_bytes: Option<u64>,
    /// Deepest index nesting followed.
    #[arg(long = flags::MAX_INDEX_DEPTH.trim_start_matches('-'), value_name = "N")]
    pub max_index_depth: Option<u64>,
    /// Most descriptors followed through indexes in total.
    #[arg(long = flags::MAX_INDEX_DESCRIPTORS.trim_start_matches('-'), value_name = "N")]
    pub max_index_descriptors: Option<u64>,
    /// Most bytes of full paths in a merged-tree listing.
    #[arg(long = flags::MAX_LISTING_PATH_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_listing_path_bytes: Option<u64>,
    /// Largest package database file read (bytes).
    #[arg(long = flags::MAX_PACKAGE_DB_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_package_db_bytes: Option<u64>,
    /// Largest executable read for Go / cargo-auditable package lists (bytes).
    #[arg(long = flags::MAX_BINARY_BYTES.trim_start_matches('-'), value_name = "BYTES")]
    pub max_binary_bytes: Option<u64>,
}

impl LimitArgs {
    /// The limits, defaults overridden by flags.
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_json_bytes: self.max_json_bytes.unwrap_or(d.max_json_bytes),
            max_archive_members: self.max_archive_members.unwrap_or(d.max_archive_members),
            max_entries_per_layer: self.max_entries.unwrap_or(d.max_entries_per_layer),
            max_path_bytes: self.max_path_bytes.unwrap_or(d.max_path_bytes),
            max_pax_bytes: self.max_pax_bytes.unwrap_or(d.max_pax_bytes),
            max_layer_bytes: self.max_layer_bytes.unwrap_or(d.max_layer_bytes),
            max_index_depth: self.max_index_depth.unwrap_or(d.max_index_depth),
            max_index_descriptors: self
                .max_index_descriptors
                .unwrap_or(d.max_index_descriptors),
            max_listing_path_bytes: self
                .max_listing_path_bytes
                .unwrap_or(d.max_listing_path_bytes),
            max_package_db_bytes: self.max_package_db_bytes.unwrap_or(d.max_package_db_bytes),
            max_binary_bytes: self.max_binary_bytes.unwrap_or(d.max_binary_bytes),
        }
    }
}

/// An opened (and possibly scanned) image.
#[derive(Debug)]
pub struct Loaded {
    /// The input, for opening blobs again.
    pub input: Input,
    /// What opening found.
    pub opened: OpenedImage,
    /// The report, with scans applied.
    pub report: InspectReport,
    /// Each layer's scan (None where missing or failed).
    pub scans: Vec<Option<LayerScan>>,
    /// Each layer's content secret scan, made in the same pass when asked
    /// for ([`load_scanning_secrets`]; None otherwise).
    pub secrets: Vec<Option<LayerSecrets>>,
    /// The limits in force.
    pub limits: Limits,
}

/// A command failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// The core error.
    pub error: Error,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error }
    }
}

/// Opens the image; scans all layers when `scan` is true (or only `only`).
pub fn load(args: &ImageArgs, scan: bool, only: Option<usize>) -> Result<Loaded, Failure> {
    load_with(args, scan, only, None)
}

/// Opens and scans every layer, scanning file contents for secrets in the
/// same pass (files over `max_file_bytes` skipped): [`Loaded::secrets`].
pub fn load_scanning_secrets(args: &ImageArgs, max_file_bytes: u64) -> Result<Loaded, Failure> {
    load_with(args, true, None, Some(max_file_bytes))
}

fn load_with(
    args: &ImageArgs,
    scan: bool,
    only: Option<usize>,
    secrets: Option<u64>,
) -> Result<Loaded, Failure> {
    let limits = args.limits.limits();
    let input = Input::from_arg(&args.image).map_err(|source| Error::Io {
        what: args.image.clone(),
        offset: 0,
        source,
    })?;
    let options = OpenOptions {
        image: args.select.clone(),
        platform: args.platform.clone(),
        limits,
    };
    let opened = {
        let mut source = input.source(&limits)?;
        open_image(&mut *source, &options)?
    };
    let mut report = InspectReport::new(&opened);
    let mut scans: Vec<Option<LayerScan>> = opened.layers.iter().map(|_| None).collect();
    let mut found: Vec<Option<LayerSecrets>> = opened.layers.iter().map(|_| None).collect();
    if scan {
        let plans: Vec<_> = opened
            .layers
            .iter()
            .filter(|p| only.is_none_or(|o| o == p.index))
            .cloned()
            .collect();
        let total: u64 = plans
            .iter()
            .filter_map(|p| p.location.as_ref())
            .map(|l| l.size())
            .sum();
        let progress = Arc::new(AtomicU64::new(0));
        let bar = Progress::new(total);
        let workers = args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let results = thread_progress(&bar, &progress, || {
            parallel::scan_all_secrets(
                &input,
                &plans,
                &limits,
                workers,
                Arc::clone(&progress),
                &|_| {},
                secrets,
            )
        });
        bar.finish();
        for (plan, result) in plans.iter().zip(results) {
            match result {
                Some(Ok((scan, layer_secrets))) => {
                    report.apply_scan(&scan);
                    if let Some(cell) = scans.get_mut(plan.index) {
                        *cell = Some(scan);
                    }
                    if let Some(cell) = found.get_mut(plan.index) {
                        *cell = layer_secrets;
                    }
                }
                Some(Err(error)) => report.apply_failure(plan.index, &error),
                None => {}
            }
        }
    }
    Ok(Loaded {
        input,
        opened,
        report,
        scans,
        secrets: found,
        limits,
    })
}

/// The scanned entries of every layer, or an error naming a layer that
/// could not be read.
pub fn layer_entries(loaded: &Loaded) -> anyhow::Result<Vec<&[Entry]>> {
    loaded
        .scans
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Some(scan) => Ok(scan.entries.as_slice()),
            None => {
                let detail = loaded
                    .report
                    .failures()
                    .find_map(|c| c.detail.clone())
                    .unwrap_or_else(|| "blob missing or unreadable".into());
                bail!("layer {i} could not be read: {detail}")
            }
        })
        .collect()
}

/// A reader over layer `layer`'s stored blob, or NotFound when the image
/// lacks it.
pub fn open_layer_blob(loaded: &Loaded, layer: usize) -> io::Result<Box<dyn Read + Send>> {
    let location = loaded
        .opened
        .layers
        .get(layer)
        .and_then(|p| p.location.clone())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("layer {layer} blob is missing"),
            )
        })?;
    loaded.input.open_blob(&location)
}

/// A path argument as the image names it: the argument's bytes
/// normalized and encoded like every name of the image, so a name that is
/// not UTF-8 can be asked for.
pub fn image_path(arg: &std::ffi::OsStr) -> anyhow::Result<String> {
    layerscope::paths::normalize(arg.as_encoded_bytes())
        .map(|n| n.path)
        .map_err(|why| {
            let shown = layerscope::names::encode(arg.as_encoded_bytes()).into_owned();
            anyhow::anyhow!(
                "path {} {}",
                layerscope::display::quoted(&shown),
                why.describe()
            )
        })
}

/// A blob opener over the loaded image's input.
pub fn opener(loaded: &Loaded) -> impl FnMut(usize) -> io::Result<Box<dyn Read>> + '_ {
    move |layer: usize| {
        let reader: Box<dyn Read> = open_layer_blob(loaded, layer)?;
        Ok(reader)
    }
}

/// Runs `work` while a side thread updates the bar from the counter.
fn thread_progress<T: Send>(
    bar: &Progress,
    counter: &AtomicU64,
    work: impl FnOnce() -> T + Send,
) -> T {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                bar.update(counter.load(Ordering::Relaxed));
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        result
    })
}

/// A progress bar on stderr, shown only on a terminal and only once the
/// work has taken more than a second.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    terminal: bool,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// A bar for `total` bytes.
    pub fn new(total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Sets the position, revealing the bar after a second.
    pub fn update(&self, position: u64) {
        if self.terminal
            && !self.shown.load(Ordering::Relaxed)
            && self.start.elapsed() > Duration::from_secs(1)
        {
            self.shown.store(true, Ordering::Relaxed);
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        }
        self.bar.set_position(position);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Prints an error the way every command does and returns exit code 2.
pub fn report_error(failure: &Failure, json: bool) -> ExitCode {
    let error = &failure.error;
    if json {
        let value = serde_json::json!({
            "error": { "kind": error.kind(), "message": error.to_string(), "details": error.details() }
        });
        if let Ok(text) = crate::json::to_string(&value, false) {
            println!("{text}");
        }
    }
    eprintln!("error: {}", message(&error.to_string()));
    ExitCode::from(EXIT_INVALID)
}

/// Prints warnings on stderr, each through the presentation rule.
pub fn print_warnings<'a>(warnings: impl IntoIterator<Item = &'a Warning>) {
    for w in warnings {
        eprintln!("warning: {}", message(&w.message));
    }
}

/// Prints an error line on stderr through the presentation rule.
pub fn print_error(text: &str) {
    eprintln!("error: {}", message(text));
}

/// Prints a value as pretty JSON on stdout (through [`crate::json`]).
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let text = crate::json::to_string(value, true)?;
    println!("{text}");
    Ok(())
}

/// Human-readable byte size.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS.get(unit).copied().unwrap_or("B"))
    }
}

/// The first 12 hex characters of a digest (`sha256:` prefix dropped).
pub fn short_digest(digest: Option<&layerscope::Digest>) -> String {
    digest.map_or_else(
        || "-".to_owned(),
        |d| d.encoded().chars().take(12).collect::<String>(),
    )
}
