//! Version ordering per ecosystem: dpkg's (`deb`), apk's, PEP 440
//! (`pypi`), semver (`npm`, `cargo`, `golang` — `v`/`go` prefixes dropped,
//! missing minor/patch as zero); anything a scheme cannot parse falls back
//! to a natural ordering (digit runs as numbers, other runs as text).

mod apk;
mod dpkg;
mod pep440;

use std::cmp::Ordering;

use super::model::Ecosystem;

/// Compares two versions of one package by its ecosystem's rules.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Ordering {
    let ordered = match ecosystem {
        Ecosystem::Deb => Some(dpkg::compare(a, b)),
        Ecosystem::Apk => apk::compare(a, b),
        Ecosystem::Pypi => pep440::compare(a, b),
        Ecosystem::Npm | Ecosystem::Cargo | Ecosystem::Golang => semver_compare(a, b),
        // rpm's rpmvercmp is close enough to dpkg's for ordering purposes
        // (rpm databases are not read yet, see `rpm.rs`).
        Ecosystem::Rpm => Some(dpkg::compare(a, b)),
    };
    ordered.unwrap_or_else(|| natural(a, b))
}

fn semver_compare(a: &str, b: &str) -> Option<Ordering> {
    Some(semver_of(a)?.cmp(&semver_of(b)?))
}

fn semver_of(text: &str) -> Option<semver::Version> {
    let t = text.trim();
    let t = t.strip_prefix("go").unwrap_or(t);
    let t = t.strip_prefix('v').unwrap_or(t);
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    // `1.22` / `1` (Go toolchains, loose npm versions): pad with zeros.
    let (core, rest) = match t.find(['-', '+']) {
        Some(i) => (t.get(..i)?, t.get(i..)?),
        None => (t, ""),
    };
    let dots = core.matches('.').count();
    let padded = match dots {
        0 => format!("{core}.0.0{rest}"),
        1 => format!("{core}.0{rest}"),
        _ => return None,
    };
    semver::Version::parse(&padded).ok()
}

/// Digit runs compare as numbers (leading zeros ignored), other runs as
/// bytes; a longer version with an equal prefix is greater.
pub fn natural(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let (run_x, rest_x) = run(x, p.is_ascii_digit());
                let (run_y, rest_y) = run(y, q.is_ascii_digit());
                let order = if p.is_ascii_digit() && q.is_ascii_digit() {
                    numeric(run_x, run_y)
                } else {
                    run_x.cmp(run_y)
                };
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (rest_x, rest_y);
            }
        }
    }
}

fn run(s: &[u8], digits: bool) -> (&[u8], &[u8]) {
    let n = s
        .iter()
        .position(|c| c.is_ascii_digit() != digits)
        .unwrap_or(s.len());
    s.split_at(n)
}

/// Compares two ASCII digit strings as numbers of any length.
pub(crate) fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |s: &[u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
    let (a, b) = (
        a.get(trim(a)..).unwrap_or_default(),
        b.get(trim(b)..).unwrap_or_default(),
    );
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn semver_family() {
        assert_eq!(compare(Ecosystem::Npm, "1.10.0", "1.9.0"), Greater);
        assert_eq!(compare(Ecosystem::Npm, "1.0.0-rc.1", "1.0.0"), Less);
        assert_eq!(compare(Ecosystem::Golang, "v0.14.0", "v0.9.1"), Greater);
        assert_eq!(compare(Ecosystem::Golang, "go1.22", "go1.21.5"), Greater);
        assert_eq!(
            compare(
                Ecosystem::Golang,
                "v0.0.0-20240101000000-abcdef123456",
                "v0.0.0-20230101000000-abcdef123456"
            ),
            Greater
        );
        assert_eq!(compare(Ecosystem::Cargo, "0.2.10", "0.2.9"), Greater);
        assert_eq!(compare(Ecosystem::Npm, "latest-ish", "1.0.0"), Greater);
    }

    #[test]
    fn natural_order() {
        assert_eq!(natural("a10", "a9"), Greater);
        assert_eq!(natural("1.002", "1.2"), Equal);
        assert_eq!(natural("1.2", "1.2.1"), Less);
        assert_eq!(natural("", ""), Equal);
    }
}
