//! Verification checks in words, as `inspect`, `verify` and `flatten
//! --verify` print them: a short status word and a one-line description.

use layerscope::display;
use layerscope::model::{Check, CheckStatusKind, CheckedObject};

/// A status as a short word.
pub fn status_word(status: CheckStatusKind) -> &'static str {
    match status {
        CheckStatusKind::Verified => "verified",
        CheckStatusKind::Pending => "pending",
        CheckStatusKind::NotCheckable => "unchecked",
        CheckStatusKind::Missing => "MISSING",
        CheckStatusKind::Failed => "FAILED",
        CheckStatusKind::Mismatch => "MISMATCH",
    }
}

/// One check in words: object, expected vs actual, detail (names
/// presented; print it through `display::message`).
pub fn describe(check: &Check) -> String {
    let object = match &check.object {
        CheckedObject::Index { name } => format!("index {}", display::name(name)),
        CheckedObject::Manifest { name } => format!("manifest {}", display::name(name)),
        CheckedObject::Config { name } => format!("config {}", display::name(name)),
        CheckedObject::LayerBlob { layer } => format!("layer {layer} blob"),
        CheckedObject::LayerDiffId { layer } => format!("layer {layer} diff_id"),
    };
    let mut text = object;
    match (&check.expected, &check.actual) {
        (Some(e), Some(a)) if e != a => text.push_str(&format!(": expected {e}, got {a}")),
        (Some(e), _) => text.push_str(&format!(": {e}")),
        (None, Some(a)) => text.push_str(&format!(": {a}")),
        (None, None) => {}
    }
    if let (Some(e), Some(a)) = (check.expected_size, check.actual_size) {
        if e != a {
            text.push_str(&format!(" (size expected {e}, got {a})"));
        }
    }
    if let Some(detail) = &check.detail {
        text.push_str(&format!(" — {detail}"));
    }
    text
}
