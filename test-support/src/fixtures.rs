//! Where the image fixtures are. The generated ones
//! (`tests/fixtures/generated/`, made by `tests/fixtures/make-fixtures.sh`)
//! are in the repository. The shared ones (`../shared/fixtures` beside the
//! repository: real images from dive, go-containerregistry, docker) are
//! not, and a plain clone has none: a test that needs them starts with
//! [`require_shared!`](crate::require_shared), which returns from the test
//! after one line on stderr when they are absent.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// A fixture made by `tests/fixtures/make-fixtures.sh`.
pub fn generated(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures/generated").join(rel)
}

/// The shared fixture tree, `../shared/fixtures` beside the repository.
pub fn shared_dir() -> PathBuf {
    repo_root().join("../shared/fixtures")
}

/// A fixture of the shared tree (which may be absent: see
/// [`shared_present`]).
pub fn shared(rel: &str) -> PathBuf {
    shared_dir().join(rel)
}

/// Whether the shared fixture tree is there. When it is not, says so in
/// one line naming `place` (the test's file and line), written to stderr
/// directly so that the test harness does not capture it.
pub fn shared_present(place: &str) -> bool {
    if shared_dir().is_dir() {
        return true;
    }
    skipped(place, "../shared/fixtures is absent");
    false
}

/// One line on stderr, not captured by the test harness: `skipped
/// <place>: <why>`.
pub fn skipped(place: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped {place}: {why}");
}

/// Returns from the calling test (after one line on stderr) when the shared
/// fixtures are absent.
#[macro_export]
macro_rules! require_shared {
    () => {
        if !$crate::fixtures::shared_present(concat!(file!(), ":", line!())) {
            return;
        }
    };
}
