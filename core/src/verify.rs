//! Building verification [`Check`]s: expected versus actual digest and size.

use crate::digest::{Digest, Hasher};
use crate::model::{Check, CheckStatusKind, CheckedObject};

/// Compares a computed digest/size with what a descriptor declares.
///
/// `actual` must have been computed with `expected`'s algorithm when that is
/// checkable; when `expected` is None (nothing declared) the check is
/// not-checkable with `no_expectation` as the reason.
pub fn compare(
    object: CheckedObject,
    expected: Option<&Digest>,
    expected_size: Option<u64>,
    actual: Option<Digest>,
    actual_size: u64,
    no_expectation: &str,
) -> Check {
    let mut check = Check {
        object,
        status: CheckStatusKind::Verified,
        expected: expected.cloned(),
        actual,
        expected_size,
        actual_size: Some(actual_size),
        detail: None,
        failure: None,
    };
    let size_ok = expected_size.is_none_or(|s| s == actual_size);
    match expected {
        None => {
            check.status = CheckStatusKind::NotCheckable;
            check.detail = Some(no_expectation.to_owned());
        }
        Some(e) if !e.checkable() => {
            check.status = CheckStatusKind::NotCheckable;
            check.detail = Some(format!(
                "digest algorithm {} is not supported",
                e.algorithm_name()
            ));
        }
        Some(e) => {
            let digest_ok = check.actual.as_ref() == Some(e);
            if !digest_ok || !size_ok {
                check.status = CheckStatusKind::Mismatch;
                check.detail = Some(match (digest_ok, size_ok) {
                    (false, false) => "digest and size mismatch".to_owned(),
                    (false, true) => "digest mismatch".to_owned(),
                    _ => format!(
                        "size mismatch: declared {} bytes, found {actual_size}",
                        expected_size.unwrap_or(0)
                    ),
                });
            }
        }
    }
    if check.status != CheckStatusKind::Mismatch && !size_ok {
        check.status = CheckStatusKind::Mismatch;
        check.detail = Some(format!(
            "size mismatch: declared {} bytes, found {actual_size}",
            expected_size.unwrap_or(0)
        ));
    }
    check
}

/// A check for an object that is absent.
pub fn missing(
    object: CheckedObject,
    expected: Option<&Digest>,
    expected_size: Option<u64>,
    detail: String,
) -> Check {
    Check {
        object,
        status: CheckStatusKind::Missing,
        expected: expected.cloned(),
        actual: None,
        expected_size,
        actual_size: None,
        detail: Some(detail),
        failure: None,
    }
}

/// Hashes `bytes` with the algorithm of `expected` (sha256 when absent or
/// unsupported) — the digest to show beside an expectation.
pub fn digest_like(expected: Option<&Digest>, bytes: &[u8]) -> Digest {
    let algorithm = expected
        .and_then(Digest::algorithm)
        .unwrap_or(crate::digest::Algorithm::Sha256);
    let mut hasher = Hasher::new(algorithm);
    hasher.update(bytes);
    hasher.finish()
}

/// The worst status among checks (mismatch > missing > not-checkable > pending > verified).
pub fn worst<'a>(checks: impl IntoIterator<Item = &'a Check>) -> CheckStatusKind {
    checks
        .into_iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(CheckStatusKind::NotCheckable)
}
