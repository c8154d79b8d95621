//! The `tar` crate's errors, described without the input they quote.
//!
//! Some of the crate's messages embed what it read: a numeric field's text
//! and the entry's name ("numeric field was not a number: <bytes> when
//! getting cksum for <name>"), so `layerscope verify /etc/passwd` would
//! print the file's first line. Every error the crate raises about its
//! input passes through [`describe`] before it reaches an [`crate::Error`]:
//! a known fixed message is kept, a header fault is described by what was
//! expected and where, anything else becomes a generic description. Errors
//! of the readers below the tar reader (truncation, decompression, I/O)
//! carry our own or the system's words and pass unchanged.

use std::io;

/// Header fields whose numeric value the `tar` crate parses.
const NUMERIC_FIELDS: [&str; 8] = [
    "cksum",
    "size",
    "mode",
    "uid",
    "gid",
    "mtime",
    "device_major",
    "device_minor",
];

/// The `tar` crate's messages that quote nothing from the input.
const FIXED_MESSAGES: [&str; 16] = [
    "size overflow",
    "sparse entry type listed but not GNU header",
    "more bytes listed in sparse file than u64 can hold",
    "failed to read extension",
    "seek position out of bounds",
    "unexpected EOF during skip",
    "failed to read entire block",
    "sparse header was not a gnu header",
    "malformed pax extension",
    "members found describing a future member but no future member found",
    "two long name entries describing the same member",
    "two pax extensions entries describing the same member",
    "previous block in sparse file was not aligned to 512-byte boundary",
    "out of order or overlapping sparse blocks",
    "sparse file consumed more data than the header listed",
    "mismatch in sparse file chunks and size in header",
];

/// What is wrong with a 512-byte header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderFault {
    /// The stored checksum is not the sum of the block's bytes.
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// A numeric field does not hold an octal (or base-256) number.
    #[error("its {0} field is not a number")]
    BadNumber(&'static str),
}

/// A description of a `tar` crate error that quotes no input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarFault {
    /// A header block is invalid.
    #[error("bytes {start}–{end} are not a valid tar header ({fault})", end = start.saturating_add(511))]
    Header {
        /// Offset of the header block.
        start: u64,
        /// What is wrong with it.
        fault: HeaderFault,
    },
    /// One of the crate's own fixed messages.
    #[error("{0}")]
    Known(&'static str),
    /// Anything else the tar reader rejected.
    #[error("the tar reader rejected the headers starting at offset {0}")]
    Rejected(u64),
}

/// Rewrites an error of the tar reader so that it quotes no input;
/// `header_offset` is where the header being read starts (a multiple of
/// 512). Errors that did not come from the tar reader's parsing pass
/// unchanged.
pub fn describe(source: io::Error, header_offset: u64) -> io::Error {
    // The crate raises its own errors as `ErrorKind::Other`; the readers
    // below it use other kinds (ours are caught before this by kind or
    // payload: limits, guard violations).
    if source.kind() != io::ErrorKind::Other {
        return source;
    }
    let text = source.to_string();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let fault = if text.contains("checksum mismatch") {
        TarFault::Header {
            start: header_offset,
            fault: HeaderFault::ChecksumMismatch,
        }
    } else if text.starts_with("numeric field") {
        let field = NUMERIC_FIELDS
            .iter()
            .find(|f| text.contains(&format!(" when getting {f} for ")))
            .copied()
            .unwrap_or("numeric");
        TarFault::Header {
            start: header_offset,
            fault: HeaderFault::BadNumber(field),
        }
    } else if let Some(known) = FIXED_MESSAGES.iter().find(|m| **m == flat) {
        TarFault::Known(known)
    } else {
        TarFault::Rejected(header_offset)
    };
    io::Error::new(io::ErrorKind::InvalidData, fault)
}

/// The start of the 512-byte block at or after `offset`.
pub fn block_at(offset: u64) -> u64 {
    offset.div_ceil(512).saturating_mul(512)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_nothing_from_the_input() {
        let mut header = [0u8; 512];
        header[..14].copy_from_slice(b"root:x:0:0:\x1b]0");
        header[148..156].copy_from_slice(b"login\x1b[0");
        let mut archive = tar::Archive::new(&header[..]);
        let error = archive.entries().unwrap().next().unwrap().err().unwrap();
        assert!(error.to_string().contains("root"), "{error}");
        let described = describe(error, 0).to_string();
        assert_eq!(
            described,
            "bytes 0–511 are not a valid tar header (its cksum field is not a number)"
        );
    }

    #[test]
    fn checksum_and_fixed_messages() {
        let mut header = tar::Header::new_ustar();
        header.set_path("a\u{1b}").unwrap();
        header.set_cksum();
        let mut bytes = header.as_bytes().to_vec();
        bytes[0] = b'b';
        bytes.extend_from_slice(&[0; 1024]);
        let mut archive = tar::Archive::new(&bytes[..]);
        let error = archive.entries().unwrap().next().unwrap().err().unwrap();
        assert_eq!(
            describe(error, 1024).to_string(),
            "bytes 1024–1535 are not a valid tar header (checksum mismatch)"
        );
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "entry data ends early");
        assert_eq!(describe(eof, 0).to_string(), "entry data ends early");
        let known = io::Error::other("failed to read entire block");
        assert_eq!(
            describe(known, 0).to_string(),
            "failed to read entire block"
        );
        let unknown = io::Error::other("something quoting \u{1b}[2J");
        assert!(!describe(unknown, 512).to_string().contains('\u{1b}'));
    }
}
