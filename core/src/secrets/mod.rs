//! Secrets by content, in every layer: every regular file of every layer
//! blob — including files a later layer deleted or replaced, whose bytes
//! still ship — is scanned as one stream for private keys, cloud and
//! forge tokens, credential files and `password=` assignments.
//!
//! One job a module: [`kinds`] (what a secret is, which file rules a name
//! switches on), [`detect`] (the patterns, linear-time automata),
//! [`stream`] (one file's bytes as a stream: windows with a carried-over
//! line or overlap, binary sniffing, file-level rules), [`redact`] (the
//! only form of a value that is kept), [`read`] (one layer's forward
//! pass, size limit), [`advice`] (findings for `advise`, with
//! reachability). [`scan`] runs every layer on one thread; drivers may
//! run [`scan_layer`] per layer in parallel.
//!
//! No raw value is stored in any result: only [`Redacted`] forms (kind,
//! length, at most four leading characters).

pub mod advice;
pub mod detect;
pub mod kinds;
pub mod model;
pub mod read;
pub mod redact;
pub mod stream;

use crate::layer::opener::LayerOpener;
use crate::model::Entry;

pub use advice::{MAX_FILE_FLAG, advice};
pub use kinds::SecretKind;
pub use model::{LayerSecrets, SecretHit, SecretReport, Skipped};
pub use read::scan_layer;
pub use redact::Redacted;

/// Files larger than this are not scanned unless the limit is raised
/// ([`MAX_FILE_FLAG`]): 8 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 << 20;

/// Scans every layer in turn through `opener`.
pub fn scan(
    layers: &[&[Entry]],
    opener: &mut dyn LayerOpener,
    max_file_bytes: u64,
) -> SecretReport {
    SecretReport {
        layers: layers
            .iter()
            .enumerate()
            .map(|(i, entries)| scan_layer(opener, i, entries, max_file_bytes))
            .collect(),
        max_file_bytes,
    }
}
