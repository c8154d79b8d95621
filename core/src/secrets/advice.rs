//! The content scan as `advise` findings: one finding of kind `secret`
//! per value, with its `secretKind`, the layer, path and line, and whether
//! the final filesystem still shows it or only a lower layer's blob ships
//! it ("written by layer 3, deleted by layer 4, still shipped in layer 3's
//! blob"); plus one note saying how many files were skipped and why.

use std::collections::HashMap;

use crate::display::quoted;
use crate::model::LayerInfo;
use crate::overlay::advise::{Advice, AdviceKind, Evidence, Severity};
use crate::overlay::changes::RemovalCause;
use crate::overlay::{Visible, WasteReport};

use super::model::{SecretHit, SecretReport, Skipped};
use super::stream::PER_FILE;

/// Flag that sets [`super::DEFAULT_MAX_FILE_BYTES`].
pub const MAX_FILE_FLAG: &str = "--secret-max-file-size";

/// Per (layer, path) of a hidden file: the layer that hid it, and how.
type Hidden<'a> = HashMap<(usize, &'a str), (Option<usize>, Option<&'a RemovalCause>)>;

fn command(layers: &[LayerInfo], layer: usize) -> Option<String> {
    layers.get(layer).and_then(|l| l.created_by.clone())
}

/// How a hit's bytes are reachable, in words, and whether the final
/// filesystem shows them.
fn reach(hit: &SecretHit, visible: &Visible, hidden: &Hidden<'_>) -> (bool, String) {
    if visible.contains(hit.layer, &hit.path) {
        return (
            true,
            format!("written by layer {}, in the final filesystem", hit.layer),
        );
    }
    let what = match hidden.get(&(hit.layer, hit.path.as_str())) {
        Some((Some(by), cause)) => {
            let how = match cause {
                Some(RemovalCause::Whiteout | RemovalCause::OpaqueDir { .. }) => "deleted",
                _ => "replaced",
            };
            format!("{how} by layer {by}")
        }
        _ => "hidden by a later layer".to_owned(),
    };
    (
        false,
        format!(
            "written by layer {}, {what}, still shipped in layer {}'s blob",
            hit.layer, hit.layer
        ),
    )
}

/// The findings of `report` for an image whose merged tree shows
/// `visible` (asked about every hit's path) and wastes `waste`
/// (from [`Overlay::waste`](crate::overlay::Overlay::waste)).
pub fn advice(
    report: &SecretReport,
    visible: &Visible,
    waste: &WasteReport,
    layers: &[LayerInfo],
) -> Vec<Advice> {
    let hidden: Hidden<'_> = waste
        .files
        .iter()
        .map(|f| ((f.layer, f.path.as_str()), (f.hidden_by, f.cause.as_ref())))
        .collect();
    let mut out = Vec::new();
    let mut skipped = Skipped::default();
    let mut more = 0u64;
    for layer in &report.layers {
        skipped.add(&layer.skipped);
        more += layer.more;
        for hit in &layer.hits {
            let kind = hit.redacted.kind;
            let (reachable, how) = reach(hit, visible, &hidden);
            let mut note = format!("{how}; value {}", hit.redacted.text());
            if let Some(n) = &hit.note {
                note = format!("{note}; {n}");
            }
            let message = if reachable {
                format!(
                    "{} in {} line {} is in the image; remove it and rotate it",
                    kind.words(),
                    quoted(&hit.path),
                    hit.line
                )
            } else {
                format!(
                    "{} in {} line {}: {how}; rotate it and rebuild without it (use build secrets)",
                    kind.words(),
                    quoted(&hit.path),
                    hit.line
                )
            };
            let severity = match (kind, hit.note.as_deref()) {
                (super::SecretKind::AwsAccessKey, Some(n)) if n.starts_with("no ") => {
                    Severity::Warning
                }
                _ => kind.severity(),
            };
            out.push(Advice {
                kind: AdviceKind::Secret,
                severity,
                message,
                bytes: 0,
                evidence: vec![Evidence {
                    layer: Some(hit.layer),
                    command: command(layers, hit.layer),
                    path: Some(hit.path.clone()),
                    bytes: hit.size,
                    note: Some(note),
                    line: Some(hit.line),
                    reachable: Some(reachable),
                    redacted: Some(hit.redacted.clone()),
                }],
                secret_kind: Some(kind),
            });
        }
    }
    if skipped.total() > 0 || more > 0 {
        let mut parts = Vec::new();
        if skipped.too_large > 0 {
            parts.push(format!(
                "{} over {} bytes (largest {} bytes; raise the limit with {MAX_FILE_FLAG})",
                skipped.too_large, report.max_file_bytes, skipped.largest
            ));
        }
        if skipped.binary > 0 {
            parts.push(format!("{} binary", skipped.binary));
        }
        if skipped.unreadable > 0 {
            parts.push(format!("{} unreadable", skipped.unreadable));
        }
        let mut message = format!(
            "content secret scan skipped {} file(s): {}",
            skipped.total(),
            parts.join(", ")
        );
        if skipped.total() == 0 {
            message = "content secret scan".to_owned();
        }
        if more > 0 {
            message.push_str(&format!(
                "; {more} more finding(s) past {PER_FILE} per file not listed"
            ));
        }
        out.push(Advice {
            kind: AdviceKind::SecretScan,
            severity: Severity::Info,
            message,
            bytes: 0,
            evidence: Vec::new(),
            secret_kind: None,
        });
    }
    out
}
