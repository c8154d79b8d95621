//! The sharing report as plain data (`share --json`, the page's
//! multi-image view). Field names serialize in camelCase (docs/json.md).

use serde::Serialize;

use crate::digest::Digest;
use crate::error::ErrorDetails;
use crate::model::{ArchiveFormat, Compression, HistoryEntry, Warning};

/// Everything `share` found about a set of images.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareReport {
    /// The inputs as given, in order (duplicates and failures included).
    pub inputs: Vec<ShareInput>,
    /// Every analysed image, in input order (a multi-image archive
    /// expanded in its listing order).
    pub images: Vec<ShareImage>,
    /// Every distinct layer, in order of first appearance (image 0's
    /// layers base first, then each later image's new ones).
    pub layers: Vec<SharedLayer>,
    /// Totals.
    pub bytes: ShareBytes,
    /// The longest layer prefix every image shares.
    pub common_base: CommonBase,
    /// With `--verify`: true when every image verified; None otherwise.
    pub verified: Option<bool>,
    /// Oddities about the set (an image's own warnings are in the image).
    pub warnings: Vec<Warning>,
}

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputStatus {
    /// Opened: its images are analysed (some may have failed, see `errors`).
    Analysed,
    /// The same file as an earlier input: counted once, there.
    Duplicate,
    /// It could not be opened or listed; its `errors` say why.
    Unreadable,
}

/// One input (a file, a layout directory, a dropped file).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareInput {
    /// The name it was given by (path or file name).
    pub name: String,
    /// What became of it.
    pub status: InputStatus,
    /// For a duplicate: the earlier input it repeats.
    pub same_as: Option<usize>,
    /// Indexes into `images` of its images.
    pub images: Vec<usize>,
    /// Why it (or one of its images) could not be analysed.
    pub errors: Vec<InputError>,
}

/// An error, as the other commands print it in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputError {
    /// The listing index of the image that failed; None for the input.
    pub listing_index: Option<usize>,
    /// Error category (`Error::kind`).
    pub kind: &'static str,
    /// The message (names presented by `display`).
    pub message: String,
    /// Where it happened.
    pub details: ErrorDetails,
}

/// One analysed image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareImage {
    /// Index into `inputs`.
    pub input: usize,
    /// The input's name (repeated for display).
    pub name: String,
    /// Its index in the input's listing (`--image N`).
    pub listing_index: usize,
    /// Container format of the input.
    pub format: ArchiveFormat,
    /// Tags / reference names.
    pub tags: Vec<String>,
    /// Manifest digest, when it has a manifest blob.
    pub manifest_digest: Option<Digest>,
    /// Config digest (the image ID).
    pub config_digest: Option<Digest>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// The layers' diff_ids, base first (null where the config has none).
    pub layers: Vec<Option<Digest>>,
    /// For each layer, its index in the report's `layers`.
    pub layer_indexes: Vec<usize>,
    /// Σ uncompressed size of its layers (those whose size is known).
    pub uncompressed_size: u64,
    /// Σ stored size of its layer blobs (those present).
    pub stored_size: u64,
    /// Uncompressed bytes of its layers above the common base.
    pub above_base_uncompressed: u64,
    /// Stored bytes of its layers above the common base.
    pub above_base_stored: u64,
    /// Uncompressed bytes of layers no other image uses.
    pub exclusive_uncompressed: u64,
    /// Stored bytes of layers no other image uses.
    pub exclusive_stored: u64,
    /// Annotation `org.opencontainers.image.base.name`.
    pub base_name: Option<String>,
    /// Annotation `org.opencontainers.image.base.digest`.
    pub base_digest: Option<String>,
    /// With `--verify`: the verdict for this image.
    pub verification: Option<ImageVerification>,
    /// The image's own oddities (from opening and, with `--verify`, scanning).
    pub warnings: Vec<Warning>,
}

/// The verdict of verifying one image (see `verify`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageVerification {
    /// Every checkable object verified and nothing is missing or failed.
    pub ok: bool,
    /// Checks that did not pass.
    pub problems: u64,
    /// Those checks, in words (`detail`, else the object).
    pub failures: Vec<crate::model::Check>,
}

/// How a layer's uncompressed size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeSource {
    /// An input stores the layer uncompressed: its stored length.
    StoredUncompressed,
    /// Inflated once and counted.
    Inflated,
    /// Scanned and verified (`--verify`).
    Scanned,
}

/// One place a layer is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerUse {
    /// Index into `images`.
    pub image: usize,
    /// Layer index in that image.
    pub layer: usize,
    /// Stored size of the blob (null when the blob is missing).
    pub stored_size: Option<u64>,
    /// The blob digest: the manifest's, else the content-addressed member
    /// name's, else (a plain tar) the diff_id, else computed by `--verify`.
    pub blob_digest: Option<Digest>,
    /// Compression, detected from the bytes (null when not read).
    pub compression: Option<Compression>,
}

/// One distinct layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedLayer {
    /// The diff_id (null for a layer whose config declares none: such a
    /// layer matches nothing).
    pub diff_id: Option<Digest>,
    /// Indexes into `images` of the images using it.
    pub images: Vec<usize>,
    /// Every place it is stored.
    pub uses: Vec<LayerUse>,
    /// Bytes of its uncompressed tar stream (null when unknown).
    pub uncompressed_size: Option<u64>,
    /// How that size is known.
    pub size_source: Option<SizeSource>,
    /// Why it is unknown, when it is.
    pub size_error: Option<String>,
    /// The history command that made it (in the first image using it).
    pub created_by: Option<String>,
    /// Part of the common base.
    pub in_base: bool,
}

/// Totals over the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareBytes {
    /// Σ over every image's layers of their uncompressed size.
    pub sum_uncompressed: u64,
    /// Σ over distinct layers (each diff_id once).
    pub unique_uncompressed: u64,
    /// What sharing saves: `sumUncompressed − uniqueUncompressed`.
    pub saved_uncompressed: u64,
    /// Distinct layers whose size is unknown (left out of the sums).
    pub unsized_layers: usize,
    /// Σ over every image's layers of their stored size.
    pub sum_stored: u64,
    /// Σ over distinct stored blobs (each blob digest once); null when not
    /// comparable.
    pub unique_stored: Option<u64>,
    /// `sumStored − uniqueStored`; null when not comparable.
    pub saved_stored: Option<u64>,
    /// Stored sizes are comparable when every shared layer is stored as
    /// one blob (the same digest) wherever it appears; a layer stored gzip
    /// in one input and uncompressed in another is not.
    pub stored_comparable: bool,
}

/// The common base: the longest layer prefix all images share.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommonBase {
    /// Number of layers in it (0 when the images share no base, or fewer
    /// than two images were analysed).
    pub layers: usize,
    /// Their diff_ids, base first.
    pub diff_ids: Vec<Digest>,
    /// Σ their uncompressed sizes (those known).
    pub uncompressed_size: u64,
    /// The history that made them (image 0's entries up to and including
    /// the one that made the base's last layer).
    pub history: Vec<HistoryEntry>,
    /// Distinct `org.opencontainers.image.base.name` / `.base.digest`
    /// annotations of the images, with the images carrying each.
    pub annotations: Vec<BaseAnnotation>,
}

/// One base-image annotation pair and who carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseAnnotation {
    /// `org.opencontainers.image.base.name`.
    pub name: Option<String>,
    /// `org.opencontainers.image.base.digest`.
    pub digest: Option<String>,
    /// Indexes into `images`.
    pub images: Vec<usize>,
}
