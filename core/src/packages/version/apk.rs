//! apk's version ordering (apk-tools `version.c`): dotted numbers, an
//! optional letter, `_suffix[N]` parts (`alpha` < `beta` < `pre` < `rc` <
//! release < `cvs` < `svn` < `git` < `hg` < `p`) and `-rN`. None when the
//! text does not follow that form.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    numbers: Vec<&'a [u8]>,
    letter: u8,
    /// (rank, number); release is rank 4.
    suffixes: Vec<(u8, &'a [u8])>,
    revision: &'a [u8],
}

const RELEASE: u8 = 4;

fn rank(name: &str) -> Option<u8> {
    Some(match name {
        "alpha" => 0,
        "beta" => 1,
        "pre" => 2,
        "rc" => 3,
        "cvs" => 5,
        "svn" => 6,
        "git" => 7,
        "hg" => 8,
        "p" => 9,
        _ => return None,
    })
}

fn digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

fn parse(v: &str) -> Option<Version<'_>> {
    let (main, revision) = match v.rsplit_once("-r") {
        Some((m, r)) if !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) => (m, r),
        _ => (v, "0"),
    };
    let mut parts = main.split('_');
    let head = parts.next()?;
    let mut numbers = Vec::new();
    let mut letter = 0u8;
    let mut rest = head;
    loop {
        let (n, r) = digits(rest);
        if n.is_empty() {
            return None;
        }
        numbers.push(n.as_bytes());
        rest = r;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            continue;
        }
        break;
    }
    match rest.as_bytes() {
        [] => {}
        [c] if c.is_ascii_lowercase() => letter = *c,
        _ => return None,
    }
    let mut suffixes = Vec::new();
    for part in parts {
        let n = part.bytes().take_while(u8::is_ascii_lowercase).count();
        let (name, num) = part.split_at(n);
        if !num.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        suffixes.push((rank(name)?, num.as_bytes()));
    }
    Some(Version {
        numbers,
        letter,
        suffixes,
        revision: revision.as_bytes(),
    })
}

/// Compares two apk versions.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a.trim())?, parse(b.trim())?);
    for i in 0..a.numbers.len().max(b.numbers.len()) {
        match (a.numbers.get(i), b.numbers.get(i)) {
            (Some(x), Some(y)) => {
                let o = super::numeric(x, y);
                if o != Ordering::Equal {
                    return Some(o);
                }
            }
            (Some(_), None) => return Some(Ordering::Greater),
            (None, Some(_)) => return Some(Ordering::Less),
            (None, None) => {}
        }
    }
    let o = a.letter.cmp(&b.letter);
    if o != Ordering::Equal {
        return Some(o);
    }
    for i in 0..a.suffixes.len().max(b.suffixes.len()) {
        let x = a.suffixes.get(i).copied().unwrap_or((RELEASE, b""));
        let y = b.suffixes.get(i).copied().unwrap_or((RELEASE, b""));
        let o = x.0.cmp(&y.0).then_with(|| super::numeric(x.1, y.1));
        if o != Ordering::Equal {
            return Some(o);
        }
    }
    Some(super::numeric(a.revision, b.revision))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn alpine_examples() {
        let cases = [
            ("1.2.4-r2", "1.2.4-r10", Less),
            ("1.36.1-r5", "1.36.1-r5", Equal),
            ("1.0_rc1", "1.0", Less),
            ("1.0_p1", "1.0", Greater),
            ("1.0_alpha", "1.0_beta2", Less),
            ("1.0a", "1.0", Greater),
            ("1.0.1", "1.0", Greater),
            ("3.0.12-r0", "3.0.9-r3", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare(a, b), Some(want), "{a} vs {b}");
            assert_eq!(compare(b, a), Some(want.reverse()), "{b} vs {a}");
        }
        assert_eq!(compare("x.y", "1"), None);
    }
}
