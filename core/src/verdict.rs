//! What a layer's verification came to, as one stable word
//! ([`Verdict`]): the one rule both drivers show (the CLI's `--json`
//! `verdict`, the page's status badge), read off the layer's status, its
//! checks and, for a scan that stopped, the typed [`Error`].

use std::io;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Check, CheckStatusKind};

/// A layer's verification outcome as a stable kebab-case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Not scanned yet.
    Pending,
    /// Every checkable digest (and size) matched.
    Verified,
    /// Nothing to check against, or an algorithm we cannot compute.
    NotCheckable,
    /// The layer's stored blob is not in the image.
    MissingBlob,
    /// A digest (blob or diff_id) differs from the declared one.
    DigestMismatch,
    /// The digests match (or were not declared) but a declared size differs.
    SizeMismatch,
    /// The blob, its compressed stream or its tar stream ends early.
    Truncated,
    /// The gzip or zstd stream is corrupt.
    CorruptCompression,
    /// The tar stream inside the layer is malformed.
    MalformedTar,
    /// The blob is compressed with something we do not decode (bzip2, xz, …).
    UnsupportedCompression,
    /// A resource limit stopped the scan (a CLI flag raises it).
    LimitExceeded,
    /// Reading the blob failed for another reason (an I/O error).
    ReadError,
    /// The scan stopped for a reason none of the words above names.
    Failed,
}

impl Verdict {
    /// The word of a scan stopped by `error`.
    pub fn of_error(error: &Error) -> Verdict {
        let ends_early = |source: &io::Error| source.kind() == io::ErrorKind::UnexpectedEof;
        match error {
            Error::Missing { .. } => Verdict::MissingBlob,
            Error::Truncated { .. } => Verdict::Truncated,
            Error::Io { source, .. } if ends_early(source) => Verdict::Truncated,
            Error::Io { .. } => Verdict::ReadError,
            Error::Decompress { source, .. } if ends_early(source) => Verdict::Truncated,
            Error::Decompress { .. } => Verdict::CorruptCompression,
            Error::LayerTar { source, .. } if ends_early(source) => Verdict::Truncated,
            Error::LayerTar { .. } => Verdict::MalformedTar,
            Error::UnsupportedCompression { .. } => Verdict::UnsupportedCompression,
            Error::Limit { .. } => Verdict::LimitExceeded,
            _ => Verdict::Failed,
        }
    }

    /// The word of one check on its own.
    pub fn of_check(check: &Check) -> Verdict {
        match check.status {
            CheckStatusKind::Pending => Verdict::Pending,
            CheckStatusKind::Verified => Verdict::Verified,
            CheckStatusKind::NotCheckable => Verdict::NotCheckable,
            CheckStatusKind::Missing => Verdict::MissingBlob,
            CheckStatusKind::Mismatch => {
                if check.expected.is_some() && check.actual != check.expected {
                    Verdict::DigestMismatch
                } else {
                    Verdict::SizeMismatch
                }
            }
            CheckStatusKind::Failed => check.failure.unwrap_or(Verdict::Failed),
        }
    }

    /// A layer's word once its status is `status`, from its word so far
    /// (`previous`) and the checks just added: the status decides, a digest
    /// mismatch outranks a size mismatch, and the first failure's word is
    /// kept. Folding checks in any grouping gives the same word as folding
    /// all of them at once from [`Verdict::Pending`].
    pub fn fold<'a>(
        status: CheckStatusKind,
        previous: Verdict,
        added: impl IntoIterator<Item = &'a Check>,
    ) -> Verdict {
        match status {
            CheckStatusKind::Pending => Verdict::Pending,
            CheckStatusKind::Verified => Verdict::Verified,
            CheckStatusKind::NotCheckable => Verdict::NotCheckable,
            CheckStatusKind::Missing => Verdict::MissingBlob,
            CheckStatusKind::Mismatch => {
                let digest = previous == Verdict::DigestMismatch
                    || added.into_iter().any(|c| {
                        c.status == CheckStatusKind::Mismatch
                            && Verdict::of_check(c) == Verdict::DigestMismatch
                    });
                if digest {
                    Verdict::DigestMismatch
                } else {
                    Verdict::SizeMismatch
                }
            }
            CheckStatusKind::Failed => {
                if previous.is_failure() {
                    previous
                } else {
                    added
                        .into_iter()
                        .find(|c| c.status == CheckStatusKind::Failed)
                        .map_or(Verdict::Failed, Verdict::of_check)
                }
            }
        }
    }

    /// Whether the word names a scan that stopped (status `failed`).
    fn is_failure(self) -> bool {
        matches!(
            self,
            Verdict::Truncated
                | Verdict::CorruptCompression
                | Verdict::MalformedTar
                | Verdict::UnsupportedCompression
                | Verdict::LimitExceeded
                | Verdict::ReadError
                | Verdict::Failed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::model::CheckedObject;

    fn digest(byte: char) -> Digest {
        Digest::parse(&format!("sha256:{}", byte.to_string().repeat(64))).unwrap()
    }

    fn check(status: CheckStatusKind, expected: char, actual: char) -> Check {
        Check {
            object: CheckedObject::LayerBlob { layer: 0 },
            status,
            expected: Some(digest(expected)),
            actual: Some(digest(actual)),
            expected_size: Some(1),
            actual_size: Some(2),
            detail: None,
            failure: None,
        }
    }

    #[test]
    fn errors_map_to_words() {
        let eof = || io::Error::new(io::ErrorKind::UnexpectedEof, "ends early");
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "bad");
        let cases = [
            (Error::missing_blob(1, None), Verdict::MissingBlob),
            (
                Error::Decompress {
                    layer: 0,
                    compression: "gzip",
                    compressed_offset: 9,
                    source: eof(),
                },
                Verdict::Truncated,
            ),
            (
                Error::Decompress {
                    layer: 0,
                    compression: "gzip",
                    compressed_offset: 9,
                    source: bad(),
                },
                Verdict::CorruptCompression,
            ),
            (
                Error::LayerTar {
                    layer: 0,
                    offset: 512,
                    source: bad(),
                },
                Verdict::MalformedTar,
            ),
            (
                Error::UnsupportedCompression {
                    layer: 0,
                    compression: "xz",
                },
                Verdict::UnsupportedCompression,
            ),
            (
                Error::Io {
                    what: "x".into(),
                    offset: 0,
                    source: bad(),
                },
                Verdict::ReadError,
            ),
        ];
        for (error, word) in cases {
            assert_eq!(Verdict::of_error(&error), word, "{error}");
        }
    }

    #[test]
    fn digest_mismatch_outranks_size_mismatch_in_any_order() {
        let size_only = check(CheckStatusKind::Mismatch, 'a', 'a');
        let digest_too = check(CheckStatusKind::Mismatch, 'a', 'b');
        let at_once = Verdict::fold(
            CheckStatusKind::Mismatch,
            Verdict::Pending,
            [&size_only, &digest_too],
        );
        let first = Verdict::fold(CheckStatusKind::Mismatch, Verdict::Pending, [&digest_too]);
        let then = Verdict::fold(CheckStatusKind::Mismatch, first, [&size_only]);
        assert_eq!(at_once, Verdict::DigestMismatch);
        assert_eq!(then, Verdict::DigestMismatch);
        assert_eq!(
            Verdict::fold(CheckStatusKind::Mismatch, Verdict::Pending, [&size_only]),
            Verdict::SizeMismatch
        );
    }

    #[test]
    fn a_failure_keeps_its_word() {
        let mut failed = check(CheckStatusKind::Failed, 'a', 'a');
        failed.failure = Some(Verdict::MalformedTar);
        let word = Verdict::fold(CheckStatusKind::Failed, Verdict::Verified, [&failed]);
        assert_eq!(word, Verdict::MalformedTar);
        assert_eq!(serde_json::to_string(&word).unwrap(), "\"malformed-tar\"");
    }
}
