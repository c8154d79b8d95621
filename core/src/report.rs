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
                let history = opened.history.iter().find(|h| h.layer == Some(plan.index));
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
            verification: Verification { ok: false, checks },
            warnings: opened.warnings.clone(),
        };
        report.refresh();
        report
    }

    /// Records one layer's scan.
    pub fn apply_scan(&mut self, scan: &LayerScan) {
        let index = scan.index;
        self.verification.checks.extend(scan.checks.iter().cloned());
        self.warnings.extend(scan.warnings.iter().cloned());
        if let Some(layer) = self.layers.get_mut(index) {
            layer.digest = layer
                .digest
                .clone()
                .or_else(|| Some(scan.blob_digest.clone()));
            layer.uncompressed_size = Some(scan.uncompressed_size);
            layer.compression = Some(scan.compression);
            layer.entries = Some(scan.entries.len() as u64);
        }
        self.refresh();
    }

    /// Records a layer whose scan failed.
    pub fn apply_failure(&mut self, index: usize, error: &Error) {
        let status = match error {
            Error::Missing { .. } => CheckStatusKind::Missing,
            _ => CheckStatusKind::Failed,
        };
        let expected = self.layers.get(index).and_then(|l| l.digest.clone());
        self.verification.checks.push(Check {
            object: CheckedObject::LayerBlob { layer: index },
            status,
            expected,
            actual: None,
            expected_size: None,
            actual_size: None,
            detail: Some(error.to_string()),
        });
        self.refresh();
    }

    /// Recomputes per-layer status, totals and the overall verdict.
    pub fn refresh(&mut self) {
        // Group the checks by layer once: filtering all checks for every
        // layer made a scan of N layers cost O(N^3) (an image listing one
        // layer 1,000 times took 20 s to verify).
        let mut by_layer: Vec<Vec<&Check>> = vec![Vec::new(); self.layers.len()];
        for check in &self.verification.checks {
            if let CheckedObject::LayerBlob { layer } | CheckedObject::LayerDiffId { layer } =
                check.object
            {
                if let Some(group) = by_layer.get_mut(layer) {
                    group.push(check);
                }
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
            layer.verified = match layer.status {
                CheckStatusKind::Verified => Some(true),
                CheckStatusKind::Mismatch | CheckStatusKind::Missing | CheckStatusKind::Failed => {
                    Some(false)
                }
                CheckStatusKind::Pending | CheckStatusKind::NotCheckable => None,
            };
        }
        self.image.uncompressed_size = self.layers.iter().filter_map(|l| l.uncompressed_size).sum();
        let pending = self
            .layers
            .iter()
            .any(|l| l.status == CheckStatusKind::Pending);
        self.verification.ok = !pending
            && self.verification.checks.iter().all(|c| {
                matches!(
                    c.status,
                    CheckStatusKind::Verified | CheckStatusKind::NotCheckable
                )
            });
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
