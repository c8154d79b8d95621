//! Helpers for the integration tests that go through the CLI's library or
//! binary: one-call inspection the way the CLI opens inputs, small queries
//! over reports and scans, the built `layerscope` binary. Inputs (fixture
//! paths, tar and image builders, readers) come from
//! `layerscope-test-support`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

use layerscope::layer::LayerScan;
use layerscope::model::{BlobLocation, Check, CheckStatusKind, CheckedObject, Entry, Whiteout};
use layerscope::{Error, Inspection, OpenOptions, inspect};
use layerscope_cli::input::Input;

/// Failure of [`inspect_path`]: either the input could not be opened as a
/// file/directory at all, or the core refused it.
#[derive(Debug)]
pub enum InspectFailure {
    /// The path could not be opened.
    Io(io::Error),
    /// The core returned an error.
    Core(Error),
}

impl InspectFailure {
    /// The core error, panicking (test helper) when it was an I/O failure.
    pub fn core(self) -> Error {
        match self {
            InspectFailure::Core(e) => e,
            InspectFailure::Io(e) => panic!("expected a core error, got I/O error {e}"),
        }
    }
}

/// Opens `path` (tar file or layout directory) the way the CLI does and
/// scans every layer.
pub fn inspect_path(path: &Path, options: &OpenOptions) -> Result<Inspection, InspectFailure> {
    let arg = path
        .to_str()
        .ok_or_else(|| InspectFailure::Io(io::Error::other("non-UTF-8 path")))?;
    let input = Input::from_arg(arg).map_err(InspectFailure::Io)?;
    let mut source = input
        .source(&options.limits)
        .map_err(InspectFailure::Core)?;
    let inspection = inspect(&mut *source, options).map_err(InspectFailure::Core)?;
    // The report is updated layer by layer; recomputing it from all checks
    // at once must give the same statuses, totals and verdict.
    let mut recomputed = inspection.report.clone();
    recomputed.refresh();
    assert_eq!(
        recomputed,
        inspection.report,
        "{}: incremental report differs from a full refresh",
        path.display()
    );
    Ok(inspection)
}

/// Like [`inspect_path`] with default options, panicking on failure.
pub fn inspect_ok(path: &Path) -> Inspection {
    inspect_with(path, &OpenOptions::default())
}

/// Like [`inspect_path`], panicking on failure with the error text.
pub fn inspect_with(path: &Path, options: &OpenOptions) -> Inspection {
    match inspect_path(path, options) {
        Ok(i) => i,
        Err(InspectFailure::Core(e)) => panic!("{}: {} ({})", path.display(), e, e.kind()),
        Err(InspectFailure::Io(e)) => panic!("{}: {e}", path.display()),
    }
}

/// Options selecting an image by listing index, tag or digest.
pub fn select_image(selector: &str) -> OpenOptions {
    OpenOptions {
        image: Some(selector.to_owned()),
        ..OpenOptions::default()
    }
}

/// Options selecting a platform.
pub fn select_platform(platform: &str) -> OpenOptions {
    OpenOptions {
        platform: Some(platform.to_owned()),
        ..OpenOptions::default()
    }
}

/// The scan of layer `index`, panicking when it is absent.
pub fn scan(inspection: &Inspection, index: usize) -> &LayerScan {
    match inspection.scans.get(index) {
        Some(Some(scan)) => scan,
        Some(None) => panic!("layer {index} was not scanned: {:?}", failures(inspection)),
        None => panic!("no layer {index}: {} layers", inspection.scans.len()),
    }
}

/// The entry at `path` in a layer scan.
pub fn entry<'a>(scan: &'a LayerScan, path: &str) -> Option<&'a Entry> {
    scan.entries.iter().find(|e| e.path == path)
}

/// The entry at `path` in layer `index`, panicking when absent.
pub fn entry_in<'a>(inspection: &'a Inspection, index: usize, path: &str) -> &'a Entry {
    let layer = scan(inspection, index);
    entry(layer, path).unwrap_or_else(|| panic!("layer {index} has no entry {path:?}"))
}

/// Whiteouts of one layer as `(path, whiteout)` pairs, in stream order.
pub fn whiteouts(scan: &LayerScan) -> Vec<(String, Whiteout)> {
    scan.entries
        .iter()
        .filter_map(|e| e.whiteout.clone().map(|w| (e.path.clone(), w)))
        .collect()
}

/// For each layer, the number of whiteout entries (unscanned layers count 0).
pub fn whiteout_counts(inspection: &Inspection) -> Vec<usize> {
    inspection
        .scans
        .iter()
        .map(|s| s.as_ref().map_or(0, |s| whiteouts(s).len()))
        .collect()
}

/// Checks that did not pass, as `(object, status, detail)` for messages.
pub fn failures(inspection: &Inspection) -> Vec<(CheckedObject, CheckStatusKind, Option<String>)> {
    inspection
        .report
        .failures()
        .map(|c| (c.object.clone(), c.status, c.detail.clone()))
        .collect()
}

/// Checks about one object.
pub fn checks_of<'a>(inspection: &'a Inspection, object: &CheckedObject) -> Vec<&'a Check> {
    inspection
        .report
        .verification
        .checks
        .iter()
        .filter(|c| &c.object == object)
        .collect()
}

/// Asserts the whole digest chain verified, with a readable message.
pub fn assert_verified(inspection: &Inspection, what: &str) {
    assert!(
        inspection.report.verification.ok,
        "{what}: verification failed: {:#?}",
        failures(inspection)
    );
    assert!(
        inspection.scans.iter().all(Option::is_some),
        "{what}: a layer was not scanned"
    );
}

/// Reads the stored bytes of a blob straight from the fixture on disk
/// (`path` is the tar file or the layout directory).
pub fn read_blob(path: &Path, location: &BlobLocation) -> io::Result<Vec<u8>> {
    let (mut file, start, size) = match location {
        BlobLocation::ArchiveRange { offset, size, .. } => (File::open(path)?, *offset, *size),
        BlobLocation::LayoutFile { path: rel, size } => (File::open(path.join(rel))?, 0, *size),
    };
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(size).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "blob cut short",
        ));
    }
    Ok(bytes)
}

/// The location of layer `index` in the opened image.
pub fn layer_location(inspection: &Inspection, index: usize) -> &BlobLocation {
    inspection
        .opened
        .layers
        .get(index)
        .and_then(|p| p.location.as_ref())
        .unwrap_or_else(|| panic!("layer {index} has no location"))
}

/// The `layerscope` binary next to this test's target directory, built if
/// needed (this package only depends on the CLI's library).
pub fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args([
        "build",
        "--quiet",
        "-p",
        "layerscope-cli",
        "--bin",
        "layerscope",
    ]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building the layerscope binary failed");
    let bin = profile_dir.join(format!("layerscope{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}
