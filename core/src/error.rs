//! Typed errors. Every variant names what failed (member path, layer,
//! offset) so a user can find the broken byte. Messages describe, they
//! never echo input bytes: names in them are presented by
//! [`crate::display`], and the `tar` crate's errors are rewritten by
//! [`crate::layer::tar_fault`]. Recoverable oddities are not
//! errors: they are [`crate::model::Warning`]s in the result.

use std::io;

use thiserror::Error;

use crate::display::{name, quoted};

/// A digest string that does not follow the OCI grammar.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DigestError {
    /// The text is not a valid digest.
    #[error("invalid digest {}: {reason}", quoted(.digest))]
    Invalid {
        /// The offending text (shortened).
        digest: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Everything that can stop the core from producing a result.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input failed (or ended early).
    #[error("read error in {what} at offset {offset}: {source}")]
    Io {
        /// What was being read, e.g. `outer archive` or a member path.
        what: String,
        /// Offset within that object where the read failed.
        offset: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The outer archive's tar structure is broken.
    #[error("{}: {source}", archive_problem(*.offset))]
    ArchiveTar {
        /// Byte offset in the outer archive.
        offset: u64,
        /// What the tar reader reported.
        #[source]
        source: io::Error,
    },
    /// A member ended before its declared size (truncated archive).
    #[error("{what} is truncated: expected {expected} bytes, the input holds {available}")]
    Truncated {
        /// The member or blob that is cut short.
        what: String,
        /// Declared size.
        expected: u64,
        /// Bytes actually present.
        available: u64,
    },
    /// The input is not an image archive or layout we know.
    #[error("not a container image: {reason}")]
    NotAnImage {
        /// Why it was not recognised.
        reason: &'static str,
    },
    /// A JSON document could not be parsed.
    #[error("invalid JSON in {member}: {source}")]
    Json {
        /// The member or blob holding the document.
        member: String,
        /// The parser's error with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON document parsed but does not have the required shape.
    #[error("{member}: {problem}")]
    Schema {
        /// The member or blob holding the document.
        member: String,
        /// What is missing or wrong.
        problem: SchemaProblem,
    },
    /// A member or blob the image needs is absent.
    #[error("missing {what}: {}", name(.path))]
    Missing {
        /// What it was (config, manifest, layer 3, …).
        what: String,
        /// The path that was looked up.
        path: String,
    },
    /// A digest string is malformed.
    #[error("in {member}: {source}")]
    Digest {
        /// Where the digest was found.
        member: String,
        /// Why it is invalid.
        #[source]
        source: DigestError,
    },
    /// The image selector matched nothing.
    #[error("no image matches {}; available: {available}", quoted(.selector))]
    NoSuchImage {
        /// What the user asked for.
        selector: String,
        /// The choices, comma separated.
        available: String,
    },
    /// The input lists manifests but none is a container image.
    #[error("the input holds no container image; it lists: {available}")]
    NoImage {
        /// What it does list.
        available: String,
    },
    /// Several platforms exist and none was chosen.
    #[error("several platforms are available ({available}); choose one with --platform")]
    AmbiguousPlatform {
        /// The platforms, comma separated.
        available: String,
    },
    /// The layer's compression is not one we decode.
    #[error("layer {layer}: unsupported compression {compression}")]
    UnsupportedCompression {
        /// Layer index (0 = base).
        layer: usize,
        /// What the magic bytes say (`bzip2`, `xz`, `unknown`).
        compression: &'static str,
    },
    /// Decompressing a layer failed.
    #[error(
        "layer {layer}: {compression} stream is corrupt after {compressed_offset} compressed bytes: {source}"
    )]
    Decompress {
        /// Layer index.
        layer: usize,
        /// `gzip` or `zstd`.
        compression: &'static str,
        /// How many compressed bytes had been consumed.
        compressed_offset: u64,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },
    /// A layer's tar stream is malformed.
    #[error("layer {layer}: malformed tar at uncompressed offset {offset}: {source}")]
    LayerTar {
        /// Layer index.
        layer: usize,
        /// Offset in the uncompressed layer stream.
        offset: u64,
        /// What the tar reader reported.
        #[source]
        source: io::Error,
    },
    /// A configured resource limit was exceeded.
    #[error("{what}: limit {limit} = {value} exceeded (raise it with {flag})")]
    Limit {
        /// Where the limit was hit.
        what: String,
        /// The limit's name.
        limit: &'static str,
        /// The limit's value.
        value: u64,
        /// The CLI flag that raises it.
        flag: &'static str,
    },
    /// The caller asked for something that does not exist (layer index, path).
    #[error("{0}")]
    Request(#[from] RequestError),
    /// A layer's file data no longer matches what scanning indexed (the
    /// blob changed between scan and export).
    #[error("layer {layer}: data of {} differs from the scanned content", quoted(.path))]
    ContentChanged {
        /// Layer index.
        layer: usize,
        /// The file's path.
        path: String,
    },
}

/// How a broken outer tar is introduced: an input whose very first header
/// is invalid is not a tar archive at all.
fn archive_problem(offset: u64) -> String {
    if offset == 0 {
        "not a tar archive".to_owned()
    } else {
        format!("malformed archive at offset {offset}")
    }
}

/// Shape problems in manifests, indexes and configs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaProblem {
    /// `manifest.json` is `null` or an empty list.
    #[error("manifest lists no images")]
    EmptyManifest,
    /// A required field is absent or of the wrong type.
    #[error("field {field} is missing or has the wrong type")]
    Field {
        /// JSON path of the field.
        field: String,
    },
    /// The number of layers and of `rootfs.diff_ids` differ.
    #[error("manifest lists {layers} layers but the config has {diff_ids} diff_ids")]
    LayerCount {
        /// Layers in the manifest.
        layers: usize,
        /// Entries in `rootfs.diff_ids`.
        diff_ids: usize,
    },
    /// Indexes nest deeper than allowed or refer to themselves.
    #[error("index nesting deeper than {depth} (or a cycle)")]
    IndexDepth {
        /// The limit.
        depth: usize,
    },
    /// A descriptor's media type is one we cannot use for this role.
    #[error("unexpected media type {} for {role}", name(.media_type))]
    MediaType {
        /// The media type found.
        media_type: String,
        /// What the descriptor was expected to be.
        role: &'static str,
    },
    /// A member path escapes the archive or is otherwise unusable.
    #[error("unsafe member path {}", quoted(.path))]
    UnsafePath {
        /// The path.
        path: String,
    },
}

/// A caller's query that cannot be answered.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Layer index out of range.
    #[error("no layer {index}: the image has {count} layers")]
    NoSuchLayer {
        /// Requested index.
        index: usize,
        /// Number of layers.
        count: usize,
    },
    /// Path not present.
    #[error("no such path {}", quoted(.path))]
    NoSuchPath {
        /// The path asked for.
        path: String,
    },
    /// The path exists but is not a regular file.
    #[error("{} is not a regular file", quoted(.path))]
    NotAFile {
        /// The path asked for.
        path: String,
    },
}

impl Error {
    /// Layer `layer`'s stored blob is absent from the image: the one way
    /// this is reported, naming the blob path `digest` gives (empty when
    /// no digest is known).
    pub fn missing_blob(layer: usize, digest: Option<&crate::digest::Digest>) -> Error {
        Error::Missing {
            what: format!("layer {layer} blob"),
            path: digest
                .map(crate::digest::Digest::blob_path)
                .unwrap_or_default(),
        }
    }

    /// A short stable name for the error's category (used as the JS
    /// `Error.name` and in JSON output).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io { .. } => "IoError",
            Error::ArchiveTar { .. } => "ArchiveError",
            Error::Truncated { .. } => "TruncatedError",
            Error::NotAnImage { .. } => "NotAnImageError",
            Error::Json { .. } | Error::Schema { .. } => "FormatError",
            Error::Missing { .. } => "MissingError",
            Error::Digest { .. } => "DigestError",
            Error::NoSuchImage { .. } | Error::NoImage { .. } | Error::AmbiguousPlatform { .. } => {
                "SelectionError"
            }
            Error::UnsupportedCompression { .. } => "UnsupportedError",
            Error::Decompress { .. } => "DecompressionError",
            Error::LayerTar { .. } => "LayerFormatError",
            Error::Limit { .. } => "LimitError",
            Error::Request(_) => "RequestError",
            Error::ContentChanged { .. } => "IntegrityError",
        }
    }
}

/// Where an error happened, as plain data (for JSON output and JS errors).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    /// Layer index, when the error concerns a layer.
    pub layer: Option<usize>,
    /// Offset (in the archive, a member, or a layer's stream), when known.
    pub offset: Option<u64>,
    /// Member, blob or entry path, when known.
    pub path: Option<String>,
    /// The limit's name, for limit errors.
    pub limit: Option<&'static str>,
    /// The CLI flag that raises the limit, for limit errors.
    pub flag: Option<&'static str>,
}

impl Error {
    /// The structured location of the error.
    pub fn details(&self) -> ErrorDetails {
        let mut d = ErrorDetails::default();
        match self {
            Error::Io { what, offset, .. } => {
                d.path = Some(what.clone());
                d.offset = Some(*offset);
            }
            Error::ArchiveTar { offset, .. } => d.offset = Some(*offset),
            Error::Truncated {
                what, available, ..
            } => {
                d.path = Some(what.clone());
                d.offset = Some(*available);
            }
            Error::Json { member, .. }
            | Error::Schema { member, .. }
            | Error::Digest { member, .. } => {
                d.path = Some(member.clone());
            }
            Error::Missing { path, .. } => d.path = Some(path.clone()),
            Error::UnsupportedCompression { layer, .. } => d.layer = Some(*layer),
            Error::Decompress {
                layer,
                compressed_offset,
                ..
            } => {
                d.layer = Some(*layer);
                d.offset = Some(*compressed_offset);
            }
            Error::LayerTar { layer, offset, .. } => {
                d.layer = Some(*layer);
                d.offset = Some(*offset);
            }
            Error::Limit {
                what, limit, flag, ..
            } => {
                d.path = Some(what.clone());
                d.limit = Some(limit);
                d.flag = Some(flag);
            }
            Error::ContentChanged { layer, path } => {
                d.layer = Some(*layer);
                d.path = Some(path.clone());
            }
            Error::Request(RequestError::NoSuchLayer { index, .. }) => d.layer = Some(*index),
            Error::Request(RequestError::NoSuchPath { path } | RequestError::NotAFile { path }) => {
                d.path = Some(path.clone());
            }
            Error::NotAnImage { .. }
            | Error::NoSuchImage { .. }
            | Error::NoImage { .. }
            | Error::AmbiguousPlatform { .. } => {}
        }
        d
    }
}

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
