//! dpkg's database: `var/lib/dpkg/status` (every package, control
//! paragraphs separated by blank lines), distroless `status.d/NAME` (one
//! paragraph each, same format), and the per-package file lists
//! `info/NAME[:ARCH].list` (one absolute path per line) and distroless
//! `status.d/NAME.md5sums` (`MD5  PATH` per line).
//!
//! A package counts as present when its `Status` says its files are on
//! disk: every known state but `not-installed` and `config-files`. A paragraph
//! without `Status` (distroless writes none) counts as installed.

use super::model::{DbContent, PackageRecord};
use super::text::{self, field};

/// What parsing noticed besides the packages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Oddities {
    /// Lines that were neither fields nor continuations.
    pub skipped_lines: u64,
    /// Paragraphs without `Package` or `Version`.
    pub incomplete: u64,
}

/// Parses a status file (or one `status.d` file).
pub fn parse_status(text: &str) -> (DbContent, Oddities) {
    let mut odd = Oddities::default();
    let mut packages = Vec::new();
    for block in text::field_blocks(text, false, &mut odd.skipped_lines) {
        let (Some(name), Some(version)) = (field(&block, "Package"), field(&block, "Version"))
        else {
            odd.incomplete += 1;
            continue;
        };
        if name.is_empty() || version.is_empty() {
            odd.incomplete += 1;
            continue;
        }
        let present = field(&block, "Status").is_none_or(|status| {
            let state = status.split_whitespace().nth(2).unwrap_or("");
            matches!(
                state,
                "installed"
                    | "half-installed"
                    | "unpacked"
                    | "half-configured"
                    | "triggers-awaited"
                    | "triggers-pending"
            )
        });
        if !present {
            continue;
        }
        let source = field(&block, "Source").map(|s| {
            // "glibc (2.36-9)": the source package's own version follows.
            s.split_whitespace().next().unwrap_or(s).to_owned()
        });
        packages.push(PackageRecord {
            name: name.to_owned(),
            version: version.to_owned(),
            arch: field(&block, "Architecture").map(str::to_owned),
            source,
            license: None,
            files: Vec::new(),
        });
    }
    (DbContent::Dpkg { packages }, odd)
}

/// The package a file list belongs to, from its path: `info/bash.list` →
/// `bash`, `info/libc6:amd64.list` → `libc6:amd64`, `status.d/x.md5sums` → `x`.
pub fn list_owner(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".list")
        .or_else(|| name.strip_suffix(".md5sums"))
        .unwrap_or(name)
        .to_owned()
}

/// Parses a file list (`.list`: a path per line; `.md5sums`: hash, spaces,
/// path). Paths come out normalized (relative); `/.` and empty lines are dropped.
pub fn parse_files(path: &str, text: &str) -> DbContent {
    let md5 = path.ends_with(".md5sums");
    let files = text
        .lines()
        .filter_map(|line| {
            let p = if md5 {
                line.split_once("  ").map(|(_, p)| p)?
            } else {
                line
            };
            text::join_lexical("", p.trim_end_matches('\r'))
        })
        .collect();
    DbContent::DpkgFiles {
        package: list_owner(path),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_paragraphs_states_and_truncation() {
        let text = "Package: bash\nStatus: install ok installed\nArchitecture: amd64\n\
                    Source: bash (5.2-1)\nVersion: 5.2.15-2+b2\nDescription: GNU\n shell\n\n\
                    Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\
                    Package: half\nStatus: install reinstreq half-installed\nVersion: 2\n\n\
                    Package: cut\nStatus: install ok inst";
        let (content, odd) = parse_status(text);
        let DbContent::Dpkg { packages } = content else {
            panic!("not dpkg")
        };
        let names: Vec<_> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "half"]);
        assert_eq!(packages[0].source.as_deref(), Some("bash"));
        assert_eq!(packages[0].arch.as_deref(), Some("amd64"));
        assert_eq!(odd.incomplete, 1);
    }

    #[test]
    fn file_lists() {
        let DbContent::DpkgFiles { package, files } = parse_files(
            "var/lib/dpkg/info/libc6:amd64.list",
            "/.\n/usr\n/usr/lib/x.so\n\n",
        ) else {
            panic!()
        };
        assert_eq!(package, "libc6:amd64");
        assert_eq!(files, ["usr", "usr/lib/x.so"]);
        let DbContent::DpkgFiles { package, files } = parse_files(
            "var/lib/dpkg/status.d/tzdata.md5sums",
            "0123  usr/share/zoneinfo/UTC\nbad\n",
        ) else {
            panic!()
        };
        assert_eq!(package, "tzdata");
        assert_eq!(files, ["usr/share/zoneinfo/UTC"]);
    }
}
