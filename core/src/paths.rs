//! Normalization of untrusted entry and member names.
//!
//! Every path the core hands out is relative, `/`-separated, free of `.`
//! and `..` components, of empty components and of NUL bytes. The root is
//! the empty string. Names are the [`crate::names`] encoding of the raw
//! bytes, so a name that is not UTF-8 keeps its exact bytes.

/// Why a raw name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRejection {
    /// The name contains a NUL byte.
    Nul,
    /// A `..` component would climb out of (or within) the root.
    DotDot,
}

impl PathRejection {
    /// A short word for messages and warning codes.
    pub fn describe(self) -> &'static str {
        match self {
            PathRejection::Nul => "contains a NUL byte",
            PathRejection::DotDot => "contains a '..' component",
        }
    }
}

/// A normalized name plus what had to be changed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The clean relative path ("" = root).
    pub path: String,
    /// The raw name started with `/` (made relative).
    pub was_absolute: bool,
    /// The raw name was not valid UTF-8 (its invalid bytes are escaped
    /// bytes of [`crate::names`], kept exactly).
    pub not_utf8: bool,
}

/// Normalizes a raw tar name (bytes). `..` components and NUL bytes are
/// refused rather than resolved: runtimes disagree on their meaning, and no
/// honest image contains them.
pub fn normalize(raw: &[u8]) -> Result<Normalized, PathRejection> {
    if raw.contains(&0) {
        return Err(PathRejection::Nul);
    }
    let not_utf8 = std::str::from_utf8(raw).is_err();
    let text = crate::names::encode(raw);
    let was_absolute = text.starts_with('/');
    let mut path = String::with_capacity(text.len());
    for component in text.split('/') {
        match component {
            "" | "." => {}
            ".." => return Err(PathRejection::DotDot),
            c => {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(c);
            }
        }
    }
    Ok(Normalized {
        path,
        was_absolute,
        not_utf8,
    })
}

/// Whether a normalized path would mean something else on Windows: it
/// holds a backslash, or its first component is a drive letter (`C:`).
pub fn non_portable(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    let drive = first.len() == 2
        && first.ends_with(':')
        && first
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
    path.contains('\\') || drive
}

/// Joins a normalized directory and a normalized relative path.
pub fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => dir.to_owned(),
        _ => format!("{dir}/{name}"),
    }
}

/// Splits a normalized path into parent directory and final component.
pub fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (path.get(..i).unwrap_or(""), path.get(i + 1..).unwrap_or("")),
        None => ("", path),
    }
}

/// Resolves a link `target` found in member `from_dir` of an archive into a
/// normalized archive path, clamping `..` at the archive root. Used only for
/// the outer archive's own members (e.g. `layer.tar -> ../<id>/layer.tar`),
/// never for layer contents.
pub fn resolve_member_link(from_dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        from_dir.split('/').filter(|c| !c.is_empty()).collect()
    };
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    if target.contains('\0') {
        return None;
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_forms() {
        assert_eq!(normalize(b"./etc/passwd").unwrap().path, "etc/passwd");
        assert_eq!(normalize(b"etc//x/").unwrap().path, "etc/x");
        assert_eq!(normalize(b"./").unwrap().path, "");
        let abs = normalize(b"/usr/bin").unwrap();
        assert_eq!(abs.path, "usr/bin");
        assert!(abs.was_absolute);
    }

    #[test]
    fn refuses_escapes() {
        assert_eq!(normalize(b"../etc"), Err(PathRejection::DotDot));
        assert_eq!(normalize(b"a/../../b"), Err(PathRejection::DotDot));
        assert_eq!(normalize(b"a\0b"), Err(PathRejection::Nul));
    }

    #[test]
    fn keeps_exact_bytes() {
        let a = normalize(b"/d/\xff\xfe").unwrap();
        let b = normalize(b"/d/\xfe\xff").unwrap();
        assert!(a.not_utf8);
        assert_ne!(a.path, b.path);
        assert_eq!(crate::names::decode(&a.path), &b"d/\xff\xfe"[..]);
    }

    #[test]
    fn flags_windows_shapes() {
        assert!(non_portable("..\\x"));
        assert!(non_portable("C:/Windows"));
        assert!(!non_portable("usr/bin/c:"));
        assert!(!non_portable("etc/passwd"));
    }

    #[test]
    fn member_links_resolve_inside_archive() {
        assert_eq!(
            resolve_member_link("b159", "../6e77/layer.tar").as_deref(),
            Some("6e77/layer.tar")
        );
        assert_eq!(resolve_member_link("", "../x"), None);
    }
}
