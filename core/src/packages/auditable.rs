//! Rust binaries built with cargo-auditable: a `.dep-v0` section (ELF,
//! PE or Mach-O, found with the `object` crate) holding zlib-compressed
//! JSON, `{"packages":[{"name","version","source","kind","root"}]}`.
//! Build-time dependencies (`"kind":"build"`) are left out.

use std::io::Read;

use object::{Object, ObjectSection};
use serde::Deserialize;

use super::model::{DbContent, PackageRecord};

/// Section name.
const SECTION: &str = ".dep-v0";
/// Largest inflated dependency list read.
const MAX_JSON: u64 = 8 << 20;

/// What looking for a dependency list found.
#[derive(Debug, Clone, PartialEq)]
pub enum Auditable {
    /// No `.dep-v0` section (or not an object file).
    Absent,
    /// The section is there but unreadable (why, quoting no input).
    Malformed(&'static str),
    /// The crates.
    Found(DbContent),
}

#[derive(Deserialize)]
struct DepList {
    packages: Vec<Dep>,
}

#[derive(Deserialize)]
struct Dep {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
}

/// Looks for a cargo-auditable section in an executable's bytes.
pub fn parse(data: &[u8]) -> Auditable {
    let Ok(file) = object::File::parse(data) else {
        return Auditable::Absent;
    };
    let Some(section) = file.section_by_name(SECTION) else {
        return Auditable::Absent;
    };
    let Ok(compressed) = section.data() else {
        return Auditable::Malformed("the section lies outside the file");
    };
    let mut json = Vec::new();
    let inflated = flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json);
    if inflated.is_err() {
        return Auditable::Malformed("the section is not zlib data");
    }
    if json.len() as u64 > MAX_JSON {
        return Auditable::Malformed("the dependency list inflates past 8 MiB");
    }
    let Ok(list) = serde_json::from_slice::<DepList>(&json) else {
        return Auditable::Malformed("the dependency list is not the expected JSON");
    };
    let packages = list
        .packages
        .into_iter()
        .filter(|d| d.kind.as_deref() != Some("build"))
        .map(|d| PackageRecord {
            name: d.name,
            version: d.version,
            ..PackageRecord::default()
        })
        .collect();
    Auditable::Found(DbContent::Cargo { packages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_an_object_file() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), Auditable::Absent);
        assert_eq!(parse(b"\x7fELF\x02\x01\x01"), Auditable::Absent);
    }
}
