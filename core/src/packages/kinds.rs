//! Which files are package databases: the path (and, for binaries, the
//! mode) of a layer entry decides which parser reads it.

use serde::{Deserialize, Serialize};

use crate::limits::Limits;
use crate::model::{Entry, EntryKind};

/// The parser a database file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbKind {
    /// `var/lib/dpkg/status` or `var/lib/dpkg/status.d/NAME`.
    DpkgStatus,
    /// `var/lib/dpkg/info/NAME.list` or `var/lib/dpkg/status.d/NAME.md5sums`.
    DpkgFiles,
    /// `lib/apk/db/installed` (also under `usr/`).
    Apk,
    /// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, or an `*.egg-info` file.
    PythonMetadata,
    /// `*.dist-info/RECORD`.
    PythonRecord,
    /// `node_modules/NAME/package.json` or `node_modules/@SCOPE/NAME/package.json`.
    Npm,
    /// `etc/os-release` or `usr/lib/os-release`.
    OsRelease,
    /// An rpm database (`rpmdb.sqlite`, `Packages`, `Packages.db`).
    Rpm,
    /// A regular file with an execute bit: maybe a Go or cargo-auditable binary.
    Binary,
}

const DPKG: &str = "var/lib/dpkg/";
const RPM_DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
const RPM_FILES: [&str; 3] = ["rpmdb.sqlite", "Packages", "Packages.db"];

/// The database kind of `path`, judged by the path alone (binaries need
/// the entry: see [`classify`]).
pub fn kind_of_path(path: &str) -> Option<DbKind> {
    if let Some(rest) = path.strip_prefix(DPKG) {
        if rest == "status" {
            return Some(DbKind::DpkgStatus);
        }
        if let Some(name) = rest.strip_prefix("status.d/") {
            if name.is_empty() || name.contains('/') {
                return None;
            }
            return Some(if name.ends_with(".md5sums") {
                DbKind::DpkgFiles
            } else {
                DbKind::DpkgStatus
            });
        }
        if let Some(name) = rest.strip_prefix("info/") {
            if !name.contains('/') && name.len() > ".list".len() && name.ends_with(".list") {
                return Some(DbKind::DpkgFiles);
            }
        }
        return None;
    }
    if path == "lib/apk/db/installed" || path == "usr/lib/apk/db/installed" {
        return Some(DbKind::Apk);
    }
    if path == "etc/os-release" || path == "usr/lib/os-release" {
        return Some(DbKind::OsRelease);
    }
    for dir in RPM_DIRS {
        if let Some(name) = path.strip_prefix(dir) {
            if RPM_FILES.contains(&name) {
                return Some(DbKind::Rpm);
            }
        }
    }
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    let parent_name = parent.rsplit('/').next().unwrap_or(parent);
    match name {
        "METADATA" if parent_name.ends_with(".dist-info") => return Some(DbKind::PythonMetadata),
        "RECORD" if parent_name.ends_with(".dist-info") => return Some(DbKind::PythonRecord),
        "PKG-INFO" if parent_name.ends_with(".egg-info") => return Some(DbKind::PythonMetadata),
        "package.json" if is_node_package_dir(parent) => return Some(DbKind::Npm),
        _ => {}
    }
    // distutils installs metadata as a single `NAME-VERSION.egg-info` file
    // next to the package, in a site-packages or dist-packages directory.
    if name.ends_with(".egg-info")
        && (parent_name == "site-packages" || parent_name == "dist-packages")
    {
        return Some(DbKind::PythonMetadata);
    }
    None
}

/// Whether `dir` is a package directory right below `node_modules`
/// (`…/node_modules/NAME` or `…/node_modules/@SCOPE/NAME`).
fn is_node_package_dir(dir: &str) -> bool {
    let mut parts = dir.rsplit('/');
    let (Some(name), Some(up)) = (parts.next(), parts.next()) else {
        return false;
    };
    if name.is_empty() || name.starts_with('.') {
        return false;
    }
    if up == "node_modules" {
        return !name.starts_with('@');
    }
    up.starts_with('@') && up.len() > 1 && parts.next() == Some("node_modules")
}

/// The database kind of a layer entry: by path for database files (a
/// regular file or a hard link), else a regular executable file of at
/// most `limits.max_binary_bytes`… and above a few bytes.
pub fn classify(entry: &Entry) -> Option<DbKind> {
    if entry.whiteout.is_some() {
        return None;
    }
    if !matches!(entry.kind, EntryKind::File | EntryKind::Hardlink) {
        return None;
    }
    if let Some(kind) = kind_of_path(&entry.path) {
        return Some(kind);
    }
    (entry.kind == EntryKind::File && entry.mode & 0o111 != 0 && entry.size >= MIN_BINARY_BYTES)
        .then_some(DbKind::Binary)
}

/// Executables smaller than this cannot hold a Go or auditable section.
pub const MIN_BINARY_BYTES: u64 = 64;

/// Whether a file of `kind` and `size` is over its read limit.
pub fn over_limit(
    kind: DbKind,
    size: u64,
    limits: &Limits,
) -> Option<(&'static str, u64, &'static str)> {
    let (limit, name, flag) = if kind == DbKind::Binary {
        (
            limits.max_binary_bytes,
            "max_binary_bytes",
            crate::limits::flags::MAX_BINARY_BYTES,
        )
    } else {
        (
            limits.max_package_db_bytes,
            "max_package_db_bytes",
            crate::limits::flags::MAX_PACKAGE_DB_BYTES,
        )
    };
    (size > limit).then_some((name, limit, flag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_parsers() {
        use DbKind::*;
        let cases = [
            ("var/lib/dpkg/status", Some(DpkgStatus)),
            ("var/lib/dpkg/status-old", None),
            ("var/lib/dpkg/status.d/base-files", Some(DpkgStatus)),
            ("var/lib/dpkg/status.d/base-files.md5sums", Some(DpkgFiles)),
            ("var/lib/dpkg/info/bash.list", Some(DpkgFiles)),
            ("var/lib/dpkg/info/libc6:amd64.list", Some(DpkgFiles)),
            ("var/lib/dpkg/info/bash.md5sums", None),
            ("var/lib/dpkg/info/.list", None),
            ("lib/apk/db/installed", Some(Apk)),
            ("usr/lib/apk/db/installed", Some(Apk)),
            ("etc/os-release", Some(OsRelease)),
            ("usr/lib/os-release", Some(OsRelease)),
            ("var/lib/rpm/rpmdb.sqlite", Some(Rpm)),
            ("usr/lib/sysimage/rpm/Packages.db", Some(Rpm)),
            (
                "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                Some(PythonMetadata),
            ),
            (
                "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
                Some(PythonRecord),
            ),
            (
                "usr/lib/python3/dist-packages/x.egg-info/PKG-INFO",
                Some(PythonMetadata),
            ),
            (
                "usr/lib/python3/dist-packages/x-1.0.egg-info",
                Some(PythonMetadata),
            ),
            ("srv/x-1.0.egg-info", None),
            ("METADATA", None),
            ("app/node_modules/left-pad/package.json", Some(Npm)),
            ("app/node_modules/@babel/core/package.json", Some(Npm)),
            ("app/node_modules/@babel/package.json", None),
            ("app/node_modules/left-pad/lib/package.json", None),
            ("app/node_modules/.bin/package.json", None),
            ("app/package.json", None),
            ("node_modules/a/package.json", Some(Npm)),
        ];
        for (path, want) in cases {
            assert_eq!(kind_of_path(path), want, "{path}");
        }
    }
}
