//! Resource limits applied to untrusted input. Every limit has a CLI flag
//! that raises it; hitting one is an [`crate::Error::Limit`] naming both.

use serde::{Deserialize, Serialize};

/// Bounds on what one image may make the core hold or do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    /// Largest JSON document (manifest.json, index, manifest, config) read into memory.
    pub max_json_bytes: u64,
    /// Most members indexed in the outer archive.
    pub max_archive_members: u64,
    /// Most entries indexed in one layer.
    pub max_entries_per_layer: u64,
    /// Longest entry path (bytes) accepted.
    pub max_path_bytes: u64,
    /// Largest PAX extended header (bytes).
    pub max_pax_bytes: u64,
    /// Most decompressed bytes read from one layer.
    pub max_layer_bytes: u64,
    /// Deepest index → index nesting followed.
    pub max_index_depth: u64,
    /// Most descriptors followed through indexes in total (a DAG of
    /// indexes listing each other many times stays bounded).
    pub max_index_descriptors: u64,
    /// Most bytes of full paths in a listing of the merged tree (the
    /// merged view, changesets, waste): deep names imply directories whose
    /// paths add up quadratically in depth.
    pub max_listing_path_bytes: u64,
    /// Largest package database file (dpkg status, apk installed, METADATA,
    /// package.json, os-release, …) read into memory; a larger one is
    /// skipped with a warning naming it.
    pub max_package_db_bytes: u64,
    /// Largest executable read to look for Go build information or a
    /// cargo-auditable dependency list; larger ones are skipped and counted.
    pub max_binary_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_bytes: 64 << 20,
            max_archive_members: 1_000_000,
            max_entries_per_layer: 5_000_000,
            max_path_bytes: 16 << 10,
            max_pax_bytes: 1 << 20,
            max_layer_bytes: 1 << 40,
            max_index_depth: 8,
            max_index_descriptors: 100_000,
            max_listing_path_bytes: 256 << 20,
            max_package_db_bytes: 64 << 20,
            max_binary_bytes: 128 << 20,
        }
    }
}

/// The CLI flag that raises each limit (kept beside the limits so errors and
/// the CLI cannot drift apart).
pub mod flags {
    /// Flag for [`super::Limits::max_json_bytes`].
    pub const MAX_JSON_BYTES: &str = "--max-json-bytes";
    /// Flag for [`super::Limits::max_archive_members`].
    pub const MAX_ARCHIVE_MEMBERS: &str = "--max-archive-members";
    /// Flag for [`super::Limits::max_entries_per_layer`].
    pub const MAX_ENTRIES: &str = "--max-entries";
    /// Flag for [`super::Limits::max_path_bytes`].
    pub const MAX_PATH_BYTES: &str = "--max-path-bytes";
    /// Flag for [`super::Limits::max_pax_bytes`].
    pub const MAX_PAX_BYTES: &str = "--max-pax-bytes";
    /// Flag for [`super::Limits::max_layer_bytes`].
    pub const MAX_LAYER_BYTES: &str = "--max-layer-bytes";
    /// Flag for [`super::Limits::max_index_depth`].
    pub const MAX_INDEX_DEPTH: &str = "--max-index-depth";
    /// Flag for [`super::Limits::max_index_descriptors`].
    pub const MAX_INDEX_DESCRIPTORS: &str = "--max-index-descriptors";
    /// Flag for [`super::Limits::max_listing_path_bytes`].
    pub const MAX_LISTING_PATH_BYTES: &str = "--max-listing-path-bytes";
    /// Flag for [`super::Limits::max_package_db_bytes`].
    pub const MAX_PACKAGE_DB_BYTES: &str = "--max-package-db-bytes";
    /// Flag for [`super::Limits::max_binary_bytes`].
    pub const MAX_BINARY_BYTES: &str = "--max-binary-bytes";
}
