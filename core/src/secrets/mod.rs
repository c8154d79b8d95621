//! Secrets by content, in every layer: every regular file of every layer
//! blob — including files a later layer deleted or replaced, whose bytes
//! still ship — is scanned as one stream for private keys, cloud and
//! forge tokens, credential files and `password=` assignments.
//!
//! One job a module: [`kinds`] (what a secret is, which file rules a name
//! switches on), [`detect`] (the patterns, linear-time automata),
//! [`stream`] (one file's bytes as a stream: windows with a carried-over
//! line or overlap, binary sniffing, file-level rules), [`redact`] (the
//! only form of a value that is kept), [`collect`] (one layer's files:
//! which are scanned, what is skipped, the findings kept), [`read`] (one
//! layer's own forward pass), [`advice`] (findings for `advise`, with
//! reachability). A driver scans in the pass that indexes each layer
//! ([`index_stream`]: the bytes read for content hashes are scanned, no
//! second decode), or afterwards: [`scan`] runs every layer on one
//! thread, [`scan_layer`] one layer.
//!
//! No raw value is stored in any result: only [`Redacted`] forms (kind,
//! length, at most four leading characters).

pub mod advice;
pub mod collect;
pub mod detect;
pub mod kinds;
pub mod model;
pub mod read;
pub mod redact;
pub mod stream;

use crate::layer::opener::LayerOpener;
use crate::model::Entry;

pub use advice::{MAX_FILE_FLAG, advice};
pub use collect::{Collector, index_stream};
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
