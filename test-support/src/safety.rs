//! The paths the core hands out must be relative and free of `..`: the
//! check the hostile corpus and the fuzz targets apply to every result.

use layerscope::model::{Entry, EntryKind, Whiteout};

/// Why `path` is not a normalized relative path (absolute, a NUL, an
/// empty, `.` or `..` component), or None. The empty path (the root) is
/// fine. One pass over the bytes: merged listings can total hundreds of MB.
pub fn path_problem(path: &str) -> Option<&'static str> {
    if path.starts_with('/') {
        return Some("is absolute");
    }
    if path.is_empty() {
        return None;
    }
    let bytes = path.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == 0 {
            return Some("has a NUL");
        }
        if b == b'/' {
            if matches!(&bytes[start..i], b"" | b"." | b"..") {
                return Some("is not normalized");
            }
            start = i + 1;
        }
    }
    matches!(&bytes[start..], b"" | b"." | b"..").then_some("is not normalized")
}

/// The first unsafe path among `entries` — their paths, hard-link
/// targets, whiteout targets and opaque directories — as
/// `<what> <path> <problem>`.
pub fn unsafe_entry_path(entries: &[Entry]) -> Option<String> {
    for entry in entries {
        let mut paths = vec![("entry", entry.path.as_str())];
        if entry.kind == EntryKind::Hardlink {
            paths.push((
                "hard link target",
                entry.link_target.as_deref().unwrap_or(""),
            ));
        }
        match &entry.whiteout {
            Some(Whiteout::Remove { target }) => paths.push(("whiteout", target)),
            Some(Whiteout::Opaque { dir }) => paths.push(("opaque dir", dir)),
            None => {}
        }
        for (what, path) in paths {
            if let Some(problem) = path_problem(path) {
                return Some(format!("{what} {path:?} {problem}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_normalized_relative_paths_pass() {
        for ok in ["", "a", "a/b", "a/.b", "..a/b..", "a b/c"] {
            assert_eq!(path_problem(ok), None, "{ok:?}");
        }
        for (bad, why) in [
            ("/a", "is absolute"),
            ("a/../b", "is not normalized"),
            ("..", "is not normalized"),
            ("a/", "is not normalized"),
            ("a//b", "is not normalized"),
            ("./a", "is not normalized"),
            ("a\0b", "has a NUL"),
        ] {
            assert_eq!(path_problem(bad), Some(why), "{bad:?}");
        }
    }
}
