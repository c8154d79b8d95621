//! Assembling the inspection report: the opened image plus each layer's
//! scan (or the error that stopped it), with the whole verification chain.

use serde::{Deserialize, Serialize};

use crate::archive::OpenedImage;
use crate::error::Error;
use crate::layer::LayerScan;
use crate::model::{
    ArchiveFormat, Check, CheckStatusKind, CheckedObject, HistoryEntry, ImageChoice, ImageSummary,
    LayerInfo, RuntimeConfig, Warning,
};
use crate::verdict::Verdict;
use crate::verify;

/// The whole-image report behind `inspect` and `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectReport {
    /// Container format.
    pub format: ArchiveFormat,
    /// Every image or artifact in the input.
    pub images: Vec<ImageChoice>,
    /// Index of the selected image in `images`.
    pub selected: usize,
    /// Summary of the selected image.
    pub image: ImageSummary,
    /// Layers, base first.
    pub layers: Vec<LayerInfo>,
    /// Config history aligned with layers.
    pub history: Vec<HistoryEntry>,
    /// Runtime config (same as `image.config`).
    pub config: RuntimeConfig,
    /// The digest chain.
    pub verification: Verification,
    /// Oddities.
    pub warnings: Vec<Warning>,
}

/// Result of checking the whole digest chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// True when every checkable object verified and nothing is missing,
    /// failed or pending.
    pub ok: bool,
    /// Layers not yet checked.
    #[serde(default)]
    pub pending_layers: u64,
    /// Checks that did not pass (mismatch, missing or failed).
    #[serde(default)]
    pub problems: u64,
    /// Every check, metadata first, then per layer.
    pub checks: Vec<Check>,
}

impl InspectReport {
    /// A report with every layer pending.
    pub fn new(opened: &OpenedImage) -> InspectReport {
        let mut checks = opened.checks.clone();
        let layers = opened
            .layers
            .iter()
            .map(|plan| {
                let history = HistoryEntry::of_layer(&opened.history, plan.index);
                if plan.location.is_none() {
                    checks.push(verify::missing(
                        CheckedObject::LayerBlob { layer: plan.index },
                        plan.digest.as_ref(),
                        plan.descriptor_size,
                        format!("layer {} blob is not in the image", plan.index),
                    ));
                }
                LayerInfo {
                    index: plan.index,
                    digest: plan.digest.clone().or_else(|| plan.name_digest.clone()),
                    diff_id: plan.diff_id.clone(),
                    media_type: plan.media_type.clone(),
                    size: plan.location.as_ref().map_or(0, |l| l.size()),
                    uncompressed_size: None,
                    compression: None,
                    entries: None,
                    history: history.map(|h| h.index),
                    created_by: history.and_then(|h| h.created_by.clone()),
                    verified: None,
                    status: if plan.location.is_some() {
                        CheckStatusKind::Pending
                    } else {
                        CheckStatusKind::Missing
                    },
                    verdict: if plan.location.is_some() {
                        Verdict::Pending
                    } else {
                        Verdict::MissingBlob
                    },
                    location: plan.location.clone(),
                }
            })
            .collect();
        let mut report = InspectReport {
            format: opened.format,
            images: opened.images.clone(),
            selected: opened.selected,
            image: opened.summary.clone(),
            layers,
            history: opened.history.clone(),
            config: opened.summary.config.clone(),
            verification: Verification {
                ok: false,
                pending_layers: 0,
                problems: 0,
                checks,
            },
            warnings: opened.warnings.clone(),
        };
        report.refresh();
        report
    }

    /// Records one layer's scan. Costs the scan's own checks, not the
    /// report's: applying N layers one by one stays linear in N.
    pub fn apply_scan(&mut self, scan: &LayerScan) {
        let index = scan.index;
        self.warnings.extend(scan.warnings.iter().cloned());
        if let Some(layer) = self.layers.get_mut(index) {
            layer.digest = layer
                .digest
                .clone()
                .or_else(|| Some(scan.blob_digest.clone()));
            let before = layer.uncompressed_size.replace(scan.uncompressed_size);
            layer.compression = Some(scan.compression);
            layer.entries = Some(scan.entries.len() as u64);
            self.image.uncompressed_size = self
                .image
                .uncompressed_size
                .saturating_sub(before.unwrap_or(0))
                .saturating_add(scan.uncompressed_size);
        }
        self.add_layer_checks(index, scan.checks.iter().cloned());
    }

    /// Records a layer whose scan failed.
    pub fn apply_failure(&mut self, index: usize, error: &Error) {
        let status = match error {
            Error::Missing { .. } => CheckStatusKind::Missing,
            _ => CheckStatusKind::Failed,
        };
        let expected = self.layers.get(index).and_then(|l| l.digest.clone());
        let check = Check {
            object: CheckedObject::LayerBlob { layer: index },
            status,
            expected,
            actual: None,
            expected_size: None,
            actual_size: None,
            detail: Some(error.to_string()),
            failure: (status == CheckStatusKind::Failed).then(|| Verdict::of_error(error)),
        };
        self.add_layer_checks(index, std::iter::once(check));
    }

    /// Appends checks about layer `index` and folds them into that layer's
    /// status and the verdict without revisiting earlier checks.
    fn add_layer_checks(&mut self, index: usize, checks: impl IntoIterator<Item = Check>) {
        let start = self.verification.checks.len();
        self.verification.checks.extend(checks);
        let added = self.verification.checks.get(start..).unwrap_or(&[]);
        let problems = added.iter().filter(|c| is_problem(c.status)).count() as u64;
        self.verification.problems = self.verification.problems.saturating_add(problems);
        let by_layer = added.iter().filter(|c| check_layer(c) == Some(index));
        if let Some(layer) = self.layers.get_mut(index) {
            let was_pending = layer.status == CheckStatusKind::Pending;
            layer.status = fold_status(layer.status, by_layer.clone().map(|c| c.status));
            layer.verdict = Verdict::fold(layer.status, layer.verdict, by_layer);
            layer.verified = verified_flag(layer.status);
            if was_pending && layer.status != CheckStatusKind::Pending {
                self.verification.pending_layers =
                    self.verification.pending_layers.saturating_sub(1);
            }
        }
        self.verification.ok =
            self.verification.pending_layers == 0 && self.verification.problems == 0;
    }

    /// Recomputes per-layer status, totals and the overall verdict from
    /// all checks (after editing `verification.checks` directly).
    pub fn refresh(&mut self) {
        // Group the checks by layer once: filtering all checks for every
        // layer made a scan of N layers cost O(N^3) (an image listing one
        // layer 1,000 times took 20 s to verify).
        let mut by_layer: Vec<Vec<&Check>> = vec![Vec::new(); self.layers.len()];
        for check in &self.verification.checks {
            if let Some(group) = check_layer(check).and_then(|l| by_layer.get_mut(l)) {
                group.push(check);
            }
        }
        for layer in &mut self.layers {
            let checks: &[&Check] = by_layer.get(layer.index).map_or(&[], Vec::as_slice);
            if checks.is_empty() {
                continue;
            }
            let worst = verify::worst(checks.iter().copied());
            let any_verified = checks.iter().any(|c| c.status == CheckStatusKind::Verified);
            layer.status = match worst {
                CheckStatusKind::NotCheckable if any_verified => CheckStatusKind::Verified,
                w => w,
            };
            layer.verdict = Verdict::fold(layer.status, Verdict::Pending, checks.iter().copied());
            layer.verified = verified_flag(layer.status);
        }
        self.image.uncompressed_size = self.layers.iter().filter_map(|l| l.uncompressed_size).sum();
        self.verification.pending_layers = self
            .layers
            .iter()
            .filter(|l| l.status == CheckStatusKind::Pending)
            .count() as u64;
        self.verification.problems = self
            .verification
            .checks
            .iter()
            .filter(|c| is_problem(c.status))
            .count() as u64;
        self.verification.ok =
            self.verification.pending_layers == 0 && self.verification.problems == 0;
    }

    /// Checks that failed (mismatch, missing, failed), for messages.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.verification.checks.iter().filter(|c| {
            matches!(
                c.status,
                CheckStatusKind::Mismatch | CheckStatusKind::Missing | CheckStatusKind::Failed
            )
        })
    }
}

/// The layer a check is about, if any.
fn check_layer(check: &Check) -> Option<usize> {
    match check.object {
        CheckedObject::LayerBlob { layer } | CheckedObject::LayerDiffId { layer } => Some(layer),
        _ => None,
    }
}

/// Whether a check keeps the image from verifying.
fn is_problem(status: CheckStatusKind) -> bool {
    !matches!(
        status,
        CheckStatusKind::Verified | CheckStatusKind::NotCheckable
    )
}

/// `LayerInfo::verified` for a layer status.
fn verified_flag(status: CheckStatusKind) -> Option<bool> {
    match status {
        CheckStatusKind::Verified => Some(true),
        CheckStatusKind::Mismatch | CheckStatusKind::Missing | CheckStatusKind::Failed => {
            Some(false)
        }
        CheckStatusKind::Pending | CheckStatusKind::NotCheckable => None,
    }
}

/// A layer's status after more checks, from its status so far: the worst
/// check wins, except that "not checkable" beside a verified digest counts
/// as verified. `Pending` means "no checks yet" (checks are never pending),
/// so folding checks in any grouping gives what [`InspectReport::refresh`]
/// computes from all of them at once.
fn fold_status(
    current: CheckStatusKind,
    added: impl IntoIterator<Item = CheckStatusKind>,
) -> CheckStatusKind {
    let mut worst = (current != CheckStatusKind::Pending).then_some(current);
    let mut any_verified = current == CheckStatusKind::Verified;
    for status in added {
        any_verified |= status == CheckStatusKind::Verified;
        worst = Some(worst.map_or(status, |w| w.max(status)));
    }
    match worst {
        None => CheckStatusKind::Pending,
        Some(CheckStatusKind::NotCheckable) if any_verified => CheckStatusKind::Verified,
        Some(w) => w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = CheckStatusKind> {
        prop_oneof![
            Just(CheckStatusKind::Verified),
            Just(CheckStatusKind::NotCheckable),
            Just(CheckStatusKind::Missing),
            Just(CheckStatusKind::Failed),
            Just(CheckStatusKind::Mismatch),
        ]
    }

    /// Status from all checks at once, as `refresh` computes it.
    fn all_at_once(statuses: &[CheckStatusKind]) -> CheckStatusKind {
        let worst = statuses.iter().copied().max();
        let any_verified = statuses.contains(&CheckStatusKind::Verified);
        match worst {
            None => CheckStatusKind::Pending,
            Some(CheckStatusKind::NotCheckable) if any_verified => CheckStatusKind::Verified,
            Some(w) => w,
        }
    }

    proptest! {
        #[test]
        fn folding_in_groups_equals_all_at_once(
            groups in proptest::collection::vec(proptest::collection::vec(status(), 0..4), 0..6)
        ) {
            let mut folded = CheckStatusKind::Pending;
            for group in &groups {
                folded = fold_status(folded, group.iter().copied());
            }
            let flat: Vec<_> = groups.concat();
            prop_assert_eq!(folded, all_at_once(&flat));
        }
    }
}
