//! The plain results of the content scan (no raw secret value anywhere:
//! only [`Redacted`] forms).

use serde::{Deserialize, Serialize};

use crate::model::Warning;

use super::redact::Redacted;

/// One secret in one layer's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretHit {
    /// The layer whose blob holds it.
    pub layer: usize,
    /// The file's path in that layer.
    pub path: String,
    /// The file's size.
    pub size: u64,
    /// 1-based line of the value.
    pub line: u64,
    /// The value, redacted (its kind included).
    pub redacted: Redacted,
    /// What else the file says (an AWS key ID's secret line).
    pub note: Option<String>,
}

/// Files not scanned, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// Over the size limit.
    pub too_large: u64,
    /// The largest of those.
    pub largest: u64,
    /// Binary (a NUL byte among the first bytes).
    pub binary: u64,
    /// Not read: the layer could not be read to them.
    pub unreadable: u64,
}

impl Skipped {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Skipped) {
        self.too_large += other.too_large;
        self.largest = self.largest.max(other.largest);
        self.binary += other.binary;
        self.unreadable += other.unreadable;
    }

    /// Files skipped for any reason.
    pub fn total(&self) -> u64 {
        self.too_large + self.binary + self.unreadable
    }
}

/// One layer's content scan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSecrets {
    /// The layer.
    pub layer: usize,
    /// Findings, in stream order.
    pub hits: Vec<SecretHit>,
    /// Findings past the per-file bound, counted only.
    pub more: u64,
    /// Text files scanned.
    pub scanned_files: u64,
    /// Their bytes.
    pub scanned_bytes: u64,
    /// Files skipped.
    pub skipped: Skipped,
    /// Problems reading the layer.
    pub warnings: Vec<Warning>,
}

/// The content scan of every layer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretReport {
    /// Per layer, in layer order.
    pub layers: Vec<LayerSecrets>,
    /// The size limit used.
    pub max_file_bytes: u64,
}
