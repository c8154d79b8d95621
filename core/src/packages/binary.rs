//! An executable: Go build information first, then a cargo-auditable
//! dependency list; anything else carries no packages.

use super::auditable::{self, Auditable};
use super::gobinary::{self, GoInfo};
use super::model::DbContent;

/// Whether `head` starts like an ELF, PE or Mach-O file (the only files
/// worth reading whole).
pub fn looks_binary(head: &[u8]) -> bool {
    matches!(
        head.get(..4),
        Some(
            b"\x7fELF"
                | [b'M', b'Z', _, _]
                | [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
        )
    )
}

/// What an executable's bytes carry; the `&str` is a problem to report
/// (quoting no input).
pub fn parse(data: &[u8]) -> (DbContent, Option<&'static str>) {
    match gobinary::parse(data) {
        GoInfo::Found(content) => return (content, None),
        GoInfo::Unsupported => {
            return (
                DbContent::NoPackages,
                Some("Go binary built before Go 1.18: its module list is not read"),
            );
        }
        GoInfo::NotGo => {}
    }
    match auditable::parse(data) {
        Auditable::Found(content) => (content, None),
        Auditable::Malformed(why) => (DbContent::NoPackages, Some(why)),
        Auditable::Absent => (DbContent::NoPackages, None),
    }
}
