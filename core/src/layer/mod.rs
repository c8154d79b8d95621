//! The *scan* phase: stream one layer blob, detect and undo its
//! compression, hash both the stored and the uncompressed bytes, and index
//! every tar entry. Memory stays proportional to the number of entries.
//!
//! The work is split in two stages so a driver can run them on two threads
//! connected by a byte channel: [`BlobStage`] (stored bytes → uncompressed
//! bytes, hashing the stored bytes) and [`index_stream`] (uncompressed bytes
//! → diff_id and entry index). [`scan_layer`] runs both on one thread.

pub mod compression;
pub(crate) mod content;
pub mod entry;
pub mod guard;
pub mod hashing;
pub mod measure;
pub mod observe;
pub mod opener;
pub mod scan;
pub mod sparse;
pub mod stream;
pub mod tar_fault;
pub mod zstd;

pub use compression::{Decoder, detect};
pub use hashing::HashingReader;
pub use measure::{Counted, count_uncompressed, probe};
pub use observe::FileObserver;
pub use opener::{LayerOpener, SourceOpener};
pub use scan::{BlobOutcome, BlobStage, LayerScan, hash_blob, index_layer, scan_layer};
pub use stream::{
    EntryIndex, StreamIndex, index_entries, index_entries_seekable, index_stream,
    index_stream_observed, index_stream_published,
};
