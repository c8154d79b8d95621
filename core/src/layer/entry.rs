//! Turning one tar header (with its PAX and GNU extensions) into an
//! [`Entry`], and classifying whiteout markers.

use std::io::Read;

use crate::model::{Entry, EntryKind, Whiteout, Xattr};
use crate::names;
use crate::paths::{self, Normalized, PathRejection};

/// Prefix of whiteout file names.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Why an entry was left out of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// The name is unsafe (NUL, `..`).
    UnsafePath(PathRejection),
    /// A whiteout whose name is malformed (`.wh.`, `.wh..`, `.wh...`, or
    /// another `.wh..wh.` reserved name).
    InvalidWhiteout,
    /// A non-directory entry naming the root itself.
    RootNotDir,
    /// A PAX global header or another entry type that names no file.
    NotAFile,
    /// A hard link whose target name is unsafe or empty.
    BadLinkTarget,
}

/// The name-related PAX records of an entry, read the way GNU tar, Go's
/// `archive/tar` (what container runtimes extract with) and Python read
/// them: the last `path`/`linkpath` record wins, and both win over GNU
/// long-name headers. (The `tar` crate prefers a GNU long name and the
/// first record, so it could show a different name than a runtime writes.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaxNames {
    /// Every well-formed `path` value, in order.
    pub paths: Vec<Vec<u8>>,
    /// Every well-formed `linkpath` value, in order.
    pub linkpaths: Vec<Vec<u8>>,
    /// Some record was malformed (bad length, no `=`): GNU tar and Go
    /// refuse such an entry; the record is ignored here.
    pub malformed: bool,
}

impl PaxNames {
    /// Reads the PAX records attached to `entry` (none when it has none).
    pub(crate) fn of<R: Read>(entry: &mut tar::Entry<'_, R>) -> PaxNames {
        let mut names = PaxNames::default();
        if let Ok(Some(extensions)) = entry.pax_extensions() {
            for extension in extensions {
                match extension {
                    Ok(e) if e.key_bytes() == b"path" => names.paths.push(e.value_bytes().to_vec()),
                    Ok(e) if e.key_bytes() == b"linkpath" => {
                        names.linkpaths.push(e.value_bytes().to_vec());
                    }
                    Ok(_) => {}
                    Err(_) => names.malformed = true,
                }
            }
        }
        names
    }
}

/// Maps a tar entry type to an [`EntryKind`]; None for extension headers.
pub(crate) fn kind_of(entry_type: tar::EntryType) -> Option<EntryKind> {
    use tar::EntryType as T;
    Some(match entry_type {
        T::Regular | T::Continuous | T::GNUSparse => EntryKind::File,
        T::Directory => EntryKind::Dir,
        T::Symlink => EntryKind::Symlink,
        T::Link => EntryKind::Hardlink,
        T::Char => EntryKind::CharDevice,
        T::Block => EntryKind::BlockDevice,
        T::Fifo => EntryKind::Fifo,
        _ => return None,
    })
}

/// The whiteout meaning of a normalized path, if its last component is a
/// whiteout marker. Err for malformed markers.
pub fn classify_whiteout(path: &str) -> Result<Option<Whiteout>, Skipped> {
    let (dir, name) = paths::split_parent(path);
    let Some(rest) = name.strip_prefix(WHITEOUT_PREFIX) else {
        return Ok(None);
    };
    if name == OPAQUE_MARKER {
        return Ok(Some(Whiteout::Opaque {
            dir: dir.to_owned(),
        }));
    }
    if rest.is_empty() || rest == "." || rest == ".." || rest.starts_with(WHITEOUT_PREFIX) {
        return Err(Skipped::InvalidWhiteout);
    }
    Ok(Some(Whiteout::Remove {
        target: paths::join(dir, rest),
    }))
}

/// Builds an [`Entry`] from a tar entry (data not consumed).
pub(crate) fn from_tar<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    normalized: &Normalized,
    kind: EntryKind,
) -> Result<Entry, Skipped> {
    let header = entry.header();
    let mut uid = header.uid().unwrap_or(0);
    let mut gid = header.gid().unwrap_or(0);
    let mut mtime = header.mtime().unwrap_or(0);
    let mut uname = header
        .username_bytes()
        .filter(|b| !b.is_empty())
        .map(|b| names::encode(b).into_owned());
    let mut gname = header
        .groupname_bytes()
        .filter(|b| !b.is_empty())
        .map(|b| names::encode(b).into_owned());
    let mode = header.mode().unwrap_or(0) & 0o7777;
    let device = match kind {
        EntryKind::CharDevice | EntryKind::BlockDevice => Some((
            header.device_major().ok().flatten().unwrap_or(0),
            header.device_minor().ok().flatten().unwrap_or(0),
        )),
        _ => None,
    };
    let link_raw = PaxNames::of(entry)
        .linkpaths
        .pop()
        .or_else(|| entry.link_name_bytes().map(|l| l.into_owned()));
    let header_offset = entry.raw_header_position();
    let data_offset = entry.raw_file_position();
    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };

    let mut xattrs = Vec::new();
    if let Ok(Some(extensions)) = entry.pax_extensions() {
        for extension in extensions.flatten() {
            let key = extension.key_bytes();
            let value = extension.value_bytes();
            // Numbers are ASCII: anything else fails to parse and is ignored.
            let number = || std::str::from_utf8(value).unwrap_or("").trim();
            match key {
                b"uid" => uid = number().parse().unwrap_or(uid),
                b"gid" => gid = number().parse().unwrap_or(gid),
                b"uname" => uname = Some(names::encode(value).into_owned()),
                b"gname" => gname = Some(names::encode(value).into_owned()),
                b"mtime" => {
                    let whole = number().split('.').next().unwrap_or("");
                    mtime = whole.parse().unwrap_or(mtime);
                }
                _ => {
                    if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                        xattrs.push(Xattr {
                            name: names::encode(name).into_owned(),
                            value: value.to_vec(),
                        });
                    }
                }
            }
        }
    }

    let link_target = match (kind, link_raw) {
        (EntryKind::Hardlink, Some(raw)) => {
            let target = paths::normalize(&raw).map_err(|_| Skipped::BadLinkTarget)?;
            if target.path.is_empty() {
                return Err(Skipped::BadLinkTarget);
            }
            Some(target.path)
        }
        (EntryKind::Hardlink, None) => return Err(Skipped::BadLinkTarget),
        (EntryKind::Symlink, raw) => Some(names::encode_owned(raw.unwrap_or_default())),
        _ => None,
    };
    let whiteout = classify_whiteout(&normalized.path)?;
    Ok(Entry {
        path: normalized.path.clone(),
        kind,
        size,
        mode,
        uid,
        gid,
        uname,
        gname,
        mtime,
        link_target,
        device,
        xattrs,
        whiteout,
        header_offset,
        data_offset,
        content_hash: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts() {
        assert_eq!(
            classify_whiteout("a/.wh.foo"),
            Ok(Some(Whiteout::Remove {
                target: "a/foo".into()
            }))
        );
        assert_eq!(
            classify_whiteout(".wh..wh..opq"),
            Ok(Some(Whiteout::Opaque { dir: String::new() }))
        );
        assert_eq!(classify_whiteout("a/b"), Ok(None));
        for bad in [".wh.", "a/.wh..", "a/.wh...", ".wh..wh.plnk"] {
            assert_eq!(
                classify_whiteout(bad),
                Err(Skipped::InvalidWhiteout),
                "{bad}"
            );
        }
        assert_eq!(
            classify_whiteout("x/.wh...."),
            Ok(Some(Whiteout::Remove {
                target: "x/...".into()
            }))
        );
    }
}
