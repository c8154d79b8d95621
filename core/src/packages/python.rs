//! Python distributions: `NAME.dist-info/METADATA`, `NAME.egg-info/PKG-INFO`
//! and single-file `NAME.egg-info` (core metadata: RFC 822 headers, then
//! the description), and `NAME.dist-info/RECORD` (CSV: path, hash, size;
//! paths relative to the directory holding the dist-info).

use super::model::{DbContent, PackageRecord};
use super::text::{self, field};

/// Parses core metadata; None when `Name` or `Version` is missing.
pub fn parse_metadata(text: &str) -> Option<DbContent> {
    let mut skipped = 0;
    let blocks = text::field_blocks(text, true, &mut skipped);
    let block = blocks.first()?;
    let name = field(block, "Name").filter(|n| !n.is_empty())?;
    let version = field(block, "Version").filter(|v| !v.is_empty())?;
    let license = field(block, "License-Expression")
        .or_else(|| field(block, "License"))
        .filter(|l| !l.is_empty() && *l != "UNKNOWN")
        .map(|l| l.lines().next().unwrap_or(l).to_owned());
    Some(DbContent::Python {
        package: PackageRecord {
            name: name.to_owned(),
            version: version.to_owned(),
            license,
            ..PackageRecord::default()
        },
    })
}

/// The directory a dist-info's RECORD paths are relative to (the parent
/// of the `.dist-info` directory that holds `record_path`).
pub fn install_dir(record_path: &str) -> &str {
    let dist_info = record_path.rsplit_once('/').map_or("", |(d, _)| d);
    dist_info.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Parses a RECORD file: the first CSV field of each row (quoted fields
/// may hold commas), joined to the install directory.
pub fn parse_record(record_path: &str, text: &str) -> DbContent {
    let base = install_dir(record_path);
    let files = text
        .lines()
        .filter_map(|line| text::join_lexical(base, &first_csv_field(line)))
        .collect();
    DbContent::PythonRecord { files }
}

fn first_csv_field(line: &str) -> String {
    let Some(rest) = line.strip_prefix('"') else {
        return line.split(',').next().unwrap_or("").to_owned();
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                break;
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The PEP 503 normalized name (lowercase, runs of `-`, `_`, `.` as one `-`).
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers_stop_at_the_body() {
        let text =
            "Metadata-Version: 2.1\nName: Six\nVersion: 1.16.0\nLicense: MIT\n\nName: Not-This\n";
        let Some(DbContent::Python { package }) = parse_metadata(text) else {
            panic!()
        };
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("Six", "1.16.0")
        );
        assert_eq!(package.license.as_deref(), Some("MIT"));
        assert_eq!(parse_metadata("Name: x\n"), None);
        assert_eq!(parse_metadata("\u{fffd}\u{0}garbage"), None);
    }

    #[test]
    fn record_rows_resolve_against_the_install_dir() {
        let path = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD";
        let text = "six.py,sha256=abc,34549\n\"odd,name.py\",,\n../../../bin/tool,,\n\
                    ../../../../../../etc/x,,\n";
        let DbContent::PythonRecord { files } = parse_record(path, text) else {
            panic!()
        };
        assert_eq!(
            files,
            [
                "usr/lib/python3/dist-packages/six.py",
                "usr/lib/python3/dist-packages/odd,name.py",
                "usr/bin/tool"
            ]
        );
    }

    #[test]
    fn pep503_names() {
        assert_eq!(normalize_name("Foo.Bar__baz-"), "foo-bar-baz");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
    }
}
