//! Package URLs (purl spec): `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`,
//! each part percent-encoded. Distribution packages take the os-release
//! `ID` as namespace and `distro=ID-VERSION_ID` as qualifier; Python
//! names are PEP 503 normalized; npm scopes and Go module paths become
//! namespaces.

use super::model::{Ecosystem, OsRelease};
use super::python;

/// Percent-encodes everything but ASCII letters, digits and `.-_~`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes each `/`-separated segment, keeping the separators.
fn encode_segments(text: &str) -> String {
    text.split('/')
        .filter(|s| !s.is_empty())
        .map(encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// The purl of a package.
pub fn purl(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    arch: Option<&str>,
    os: Option<&OsRelease>,
) -> String {
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    let (namespace, name) = match ecosystem {
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
            if let Some(arch) = arch.filter(|a| !a.is_empty()) {
                qualifiers.push(("arch", arch.to_owned()));
            }
            let id = os.and_then(|o| o.id.as_deref());
            if let Some(id) = id {
                let distro = match os.and_then(|o| o.version_id.as_deref()) {
                    Some(v) => format!("{id}-{v}"),
                    None => id.to_owned(),
                };
                qualifiers.push(("distro", distro));
            }
            (id.map(encode), encode(name))
        }
        Ecosystem::Pypi => (None, encode(&python::normalize_name(name))),
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, n)) if scope.starts_with('@') => (Some(encode(scope)), encode(n)),
            _ => (None, encode(name)),
        },
        Ecosystem::Golang => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(encode_segments(ns)), encode(n)),
            None => (None, encode(name)),
        },
        Ecosystem::Cargo => (None, encode(name)),
    };
    let mut out = format!("pkg:{}/", ecosystem.purl_type());
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        out.push_str(&ns);
        out.push('/');
    }
    out.push_str(&name);
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    qualifiers.sort();
    for (i, (k, v)) in qualifiers.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        let os = OsRelease {
            id: Some("debian".into()),
            version_id: Some("12".into()),
            ..OsRelease::default()
        };
        assert_eq!(
            purl(
                Ecosystem::Deb,
                "bash",
                "5.2.15-2+b2",
                Some("amd64"),
                Some(&os)
            ),
            "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            purl(Ecosystem::Deb, "x", "1:2", None, None),
            "pkg:deb/x@1%3A2"
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "Zope.Interface", "6.0", None, None),
            "pkg:pypi/zope-interface@6.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", "7.0.0", None, None),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(Ecosystem::Golang, "github.com/a/b", "v1.0.0", None, None),
            "pkg:golang/github.com/a/b@v1.0.0"
        );
        assert_eq!(
            purl(Ecosystem::Cargo, "serde", "1.0.0", None, None),
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(purl(Ecosystem::Npm, "a b", "", None, None), "pkg:npm/a%20b");
    }
}
