//! PEP 440 ordering, leniently: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`
//! with the spellings PEP 440 normalizes (`alpha`, `beta`, `c`, `pre`,
//! `preview`, `-N` for post, separators `.`, `-`, `_`, a leading `v`).
//! The local part is ignored. None when the text is not of that form.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
}

fn number(s: &str) -> (Option<u64>, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    let (d, rest) = s.split_at(n);
    (if d.is_empty() { None } else { d.parse().ok() }, rest)
}

fn strip_sep(s: &str) -> &str {
    s.strip_prefix(['.', '-', '_']).unwrap_or(s)
}

fn parse(text: &str) -> Option<Version> {
    let lower = text.trim().to_ascii_lowercase();
    let s = lower.split('+').next().unwrap_or("");
    let s = s.strip_prefix('v').unwrap_or(s);
    let (epoch, s) = match s.split_once('!') {
        Some((e, r)) => (e.parse().ok()?, r),
        None => (0, s),
    };
    let mut release = Vec::new();
    let mut rest = s;
    loop {
        let (n, r) = number(rest);
        release.push(n?);
        match r.strip_prefix('.') {
            Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
            _ => {
                rest = r;
                break;
            }
        }
    }
    let mut version = Version {
        epoch,
        release,
        pre: None,
        post: None,
        dev: None,
    };
    let pre_words: [(&str, u8); 7] = [
        ("alpha", 0),
        ("beta", 1),
        ("preview", 2),
        ("pre", 2),
        ("rc", 2),
        ("a", 0),
        ("b", 1),
    ];
    let probe = strip_sep(rest);
    for (word, phase) in pre_words.iter().chain([("c", 2u8)].iter()) {
        if let Some(r) = probe.strip_prefix(word) {
            let (n, r) = number(strip_sep(r));
            version.pre = Some((*phase, n.unwrap_or(0)));
            rest = r;
            break;
        }
    }
    let probe = strip_sep(rest);
    for word in ["post", "rev", "r"] {
        if let Some(r) = probe.strip_prefix(word) {
            let (n, r) = number(strip_sep(r));
            version.post = Some(n.unwrap_or(0));
            rest = r;
            break;
        }
    }
    if version.post.is_none() {
        if let Some(r) = rest.strip_prefix('-') {
            let (n, r) = number(r);
            if let Some(n) = n {
                version.post = Some(n);
                rest = r;
            }
        }
    }
    let probe = strip_sep(rest);
    if let Some(r) = probe.strip_prefix("dev") {
        let (n, r) = number(strip_sep(r));
        version.dev = Some(n.unwrap_or(0));
        rest = r;
    }
    rest.is_empty().then_some(version)
}

/// Compares two Python versions.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (a, b) = (parse(a)?, parse(b)?);
    Some(key(&a).cmp(&key(&b)))
}

/// (epoch, release, pre, post, dev): each phase a (rank, number) pair.
type SortKey = (u64, Vec<u64>, (u8, u64), (u8, u64), (u8, u64));

/// PEP 440's sort key: trailing zero release parts dropped; a dev release
/// without pre or post sorts before every pre-release of its release; no
/// pre-release sorts after any; no post before any; no dev after any.
fn key(v: &Version) -> SortKey {
    let mut release = v.release.clone();
    while release.len() > 1 && release.last() == Some(&0) {
        release.pop();
    }
    let pre = match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (0, 0),
        (None, _, _) => (2, 0),
        (Some((phase, n)), _, _) => (1, u64::from(phase) << 56 | n.min((1 << 56) - 1)),
    };
    let post = v.post.map_or((0, 0), |n| (1, n));
    let dev = v.dev.map_or((1, 0), |n| (0, n));
    (v.epoch, release, pre, post, dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep440_order() {
        let ordered = [
            "1.0.dev0",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0.post1",
            "1.0.1",
            "1.1",
            "2!0.1",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Some(Ordering::Less), "{pair:?}");
        }
        assert_eq!(compare("1.0", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare("1.0-1", "1.0.post1"), Some(Ordering::Equal));
        assert_eq!(compare("1.0+local", "1.0"), Some(Ordering::Equal));
        assert_eq!(compare("v2.0", "1.9"), Some(Ordering::Greater));
        assert_eq!(compare("banana", "1.0"), None);
    }
}
