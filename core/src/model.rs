//! Plain serializable result data. Everything the core returns is made of
//! these types: public fields, no behaviour beyond small helpers, so they can
//! cross the wasm boundary and become `--json` output unchanged.
//! Field names serialize in camelCase (documented in docs/json.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// What kind of container the image arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveFormat {
    /// `docker save` / `podman save` / containers-image docker-archive (manifest.json).
    DockerArchive,
    /// Docker 25+ `docker save`: an OCI layout and manifest.json in one tar.
    DockerOciArchive,
    /// A tar of an OCI image layout.
    OciArchive,
    /// An OCI image layout directory.
    OciLayout,
}

/// One image (or non-image artifact) found in the archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageChoice {
    /// Position in the listing; `--image N` selects it.
    pub index: usize,
    /// Tags / reference names (`RepoTags`, `org.opencontainers.image.ref.name`).
    pub tags: Vec<String>,
    /// Manifest digest when known (OCI).
    pub digest: Option<Digest>,
    /// Config digest (image ID) when known without reading the config.
    pub id: Option<Digest>,
    /// Manifest media type (or `docker-archive` for manifest.json entries).
    pub media_type: String,
    /// Platform as `os/arch[/variant]` when known.
    pub platform: Option<String>,
    /// What this entry is.
    pub kind: ChoiceKind,
}

/// Whether a listed manifest is a selectable image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChoiceKind {
    /// A container image.
    Image,
    /// A build attestation (`unknown/unknown` platform, `vnd.docker.reference.type` annotation).
    Attestation,
    /// An artifact whose config is not an image config, or an unknown media type.
    Artifact,
}

/// Image summary: where it came from, what it runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    /// Tags / reference names of the selected image.
    pub tags: Vec<String>,
    /// Manifest digest, when the image has a manifest blob.
    pub manifest_digest: Option<Digest>,
    /// Config digest (the image ID).
    pub config_digest: Option<Digest>,
    /// `os/arch[/variant]` from the config.
    pub platform: Option<String>,
    /// RFC 3339 creation time from the config.
    pub created: Option<String>,
    /// Author from the config.
    pub author: Option<String>,
    /// Sum of the layer blobs' stored sizes.
    pub compressed_size: u64,
    /// Sum of uncompressed layer sizes; known after scanning (0 before).
    pub uncompressed_size: u64,
    /// The runtime configuration.
    pub config: RuntimeConfig,
    /// The distribution (`etc/os-release` of the merged image), once the
    /// layers have been read for it (None before, or when there is none).
    pub os_release: Option<crate::packages::OsRelease>,
}

/// The `config` object of an image config (what a container runs).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeConfig {
    /// `User`.
    pub user: Option<String>,
    /// `Env`.
    pub env: Vec<String>,
    /// `Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`.
    pub cmd: Option<Vec<String>>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// Keys of `ExposedPorts`.
    pub exposed_ports: Vec<String>,
    /// Keys of `Volumes`.
    pub volumes: Vec<String>,
    /// `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `StopSignal`.
    pub stop_signal: Option<String>,
    /// `Healthcheck`, as found.
    pub healthcheck: Option<serde_json::Value>,
}

/// One history entry of the config, aligned with layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Position in `history`.
    pub index: usize,
    /// `created`.
    pub created: Option<String>,
    /// `created_by` (the build command).
    pub created_by: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// `empty_layer`.
    pub empty_layer: bool,
    /// The layer this entry made (None for empty-layer entries or when counts disagree past the end).
    pub layer: Option<usize>,
}

impl HistoryEntry {
    /// The entry that made layer `layer` (empty-layer entries skipped, as
    /// aligned when the image was opened).
    pub fn of_layer(history: &[HistoryEntry], layer: usize) -> Option<&HistoryEntry> {
        history.iter().find(|h| h.layer == Some(layer))
    }
}

/// Where a blob's bytes are, so a driver can open its own reader on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum BlobLocation {
    /// A byte range of the outer archive.
    ArchiveRange {
        /// The member's (normalized) path.
        member: String,
        /// Offset of the first data byte in the archive.
        offset: u64,
        /// Length in bytes.
        size: u64,
    },
    /// A file inside a layout directory (path relative to the layout root).
    LayoutFile {
        /// Relative path, e.g. `blobs/sha256/<hex>`.
        path: String,
        /// Length in bytes.
        size: u64,
    },
}

impl BlobLocation {
    /// The blob's length in bytes.
    pub fn size(&self) -> u64 {
        match self {
            BlobLocation::ArchiveRange { size, .. } | BlobLocation::LayoutFile { size, .. } => {
                *size
            }
        }
    }

    /// The member or file path, for messages.
    pub fn path(&self) -> &str {
        match self {
            BlobLocation::ArchiveRange { member, .. } => member,
            BlobLocation::LayoutFile { path, .. } => path,
        }
    }
}

/// Layer compression as detected from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (one or several members, e.g. eStargz).
    Gzip,
    /// zstd (one or several frames).
    Zstd,
}

impl Compression {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// What the manifest says a layer should be; the input to scanning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerPlan {
    /// Layer index (0 = base).
    pub index: usize,
    /// Where the blob is (None when the blob is missing).
    pub location: Option<BlobLocation>,
    /// Descriptor digest from the manifest (None for docker-archive).
    pub digest: Option<Digest>,
    /// Digest claimed by a content-addressed member name (docker-archive).
    pub name_digest: Option<Digest>,
    /// Descriptor size from the manifest.
    pub descriptor_size: Option<u64>,
    /// Media type from the manifest (None for docker-archive).
    pub media_type: Option<String>,
    /// `rootfs.diff_ids[index]` from the config.
    pub diff_id: Option<Digest>,
}

impl LayerPlan {
    /// Where the layer's stored blob is, or the one "missing blob" error
    /// every driver reports when the image does not hold it (naming the
    /// blob path its descriptor digest, else its member name's digest,
    /// would have).
    pub fn blob_location(&self) -> Result<&BlobLocation, crate::error::Error> {
        self.location
            .as_ref()
            .ok_or_else(|| crate::error::Error::missing_blob(self.index, self.blob_digest()))
    }

    /// The digest the stored blob is named by: the descriptor's, else the
    /// content-addressed member name's.
    pub fn blob_digest(&self) -> Option<&Digest> {
        self.digest.as_ref().or(self.name_digest.as_ref())
    }
}

/// A layer as reported: the plan plus what scanning found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerInfo {
    /// Layer index (0 = base).
    pub index: usize,
    /// The blob digest: descriptor digest, else computed, else the name's.
    pub digest: Option<Digest>,
    /// `rootfs.diff_ids[index]`.
    pub diff_id: Option<Digest>,
    /// Media type from the manifest.
    pub media_type: Option<String>,
    /// Stored (compressed) size in bytes.
    pub size: u64,
    /// Uncompressed size (after scanning).
    pub uncompressed_size: Option<u64>,
    /// Detected compression (after scanning).
    pub compression: Option<Compression>,
    /// Number of tar entries (after scanning).
    pub entries: Option<u64>,
    /// History entry that made this layer.
    pub history: Option<usize>,
    /// `created_by` of that history entry.
    pub created_by: Option<String>,
    /// True when every checkable digest of this layer verified, false when
    /// one failed, None when nothing was checkable or not yet scanned.
    pub verified: Option<bool>,
    /// Worst status of this layer's checks, as a word.
    pub status: CheckStatusKind,
    /// What the layer's verification came to, as one stable word
    /// (`digest-mismatch`, `truncated`, …): [`crate::verdict::Verdict`].
    pub verdict: crate::verdict::Verdict,
    /// Where the blob is (None when the blob is missing).
    pub location: Option<BlobLocation>,
}

/// Which object a verification check is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum CheckedObject {
    /// The image index (`index.json` or a nested index).
    Index {
        /// Digest or `index.json`.
        name: String,
    },
    /// The image manifest.
    Manifest {
        /// Manifest blob path or `manifest.json`.
        name: String,
    },
    /// The image config.
    Config {
        /// Member path.
        name: String,
    },
    /// A layer blob against its descriptor (or content-addressed name).
    LayerBlob {
        /// Layer index.
        layer: usize,
    },
    /// A layer's uncompressed stream against its `diff_id`.
    LayerDiffId {
        /// Layer index.
        layer: usize,
    },
}

/// The outcome category of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatusKind {
    /// Digest (and size, when declared) match.
    Verified,
    /// Not yet checked (layers before scanning).
    Pending,
    /// Nothing to check against, or an algorithm we cannot compute.
    NotCheckable,
    /// The object is absent.
    Missing,
    /// The object could not be read to the end (truncated, corrupt
    /// compression, malformed tar); `detail` says which.
    Failed,
    /// Digest or size differ.
    Mismatch,
}

/// One verification check: expected versus actual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked.
    pub object: CheckedObject,
    /// Outcome.
    pub status: CheckStatusKind,
    /// Expected digest.
    pub expected: Option<Digest>,
    /// Computed digest.
    pub actual: Option<Digest>,
    /// Expected size in bytes.
    pub expected_size: Option<u64>,
    /// Actual size in bytes.
    pub actual_size: Option<u64>,
    /// Why, in words (for not-checkable, missing and mismatch).
    pub detail: Option<String>,
    /// For a scan that stopped (status `failed`), why as a stable word
    /// ([`crate::verdict::Verdict::of_error`]); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<crate::verdict::Verdict>,
}

/// Kind of a tar entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Hard link to an earlier entry.
    Hardlink,
    /// Character device.
    CharDevice,
    /// Block device.
    BlockDevice,
    /// Named pipe.
    Fifo,
}

impl EntryKind {
    /// The name as in JSON: `file`, `dir`, `symlink`, `hardlink`,
    /// `char-device`, `block-device`, `fifo`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::CharDevice => "char-device",
            EntryKind::BlockDevice => "block-device",
            EntryKind::Fifo => "fifo",
        }
    }
}

/// Whiteout meaning of an entry (OCI layer spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Whiteout {
    /// `.wh.NAME`: deletes `target` from lower layers.
    Remove {
        /// The deleted path.
        target: String,
    },
    /// `.wh..wh..opq`: `dir` hides all lower children.
    Opaque {
        /// The opaque directory ("" for the root).
        dir: String,
    },
}

/// An extended attribute (PAX `SCHILY.xattr.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Xattr {
    /// Attribute name, e.g. `security.capability`.
    pub name: String,
    /// Raw value.
    pub value: Vec<u8>,
}

/// One entry of a layer's tar stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Normalized path: relative, `/`-separated, no `.`/`..` components,
    /// no trailing slash; "" is the root directory.
    pub path: String,
    /// Entry type.
    pub kind: EntryKind,
    /// Data size in bytes (0 for non-files).
    pub size: u64,
    /// Permission and special bits (`0o7777` mask).
    pub mode: u32,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// Owner name, when recorded.
    pub uname: Option<String>,
    /// Group name, when recorded.
    pub gname: Option<String>,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// Symlink target verbatim, or the normalized hardlink target path.
    pub link_target: Option<String>,
    /// Device numbers for char/block devices.
    pub device: Option<(u32, u32)>,
    /// Extended attributes.
    pub xattrs: Vec<Xattr>,
    /// Whiteout meaning, when this entry is a whiteout marker.
    pub whiteout: Option<Whiteout>,
    /// Offset of the entry's header in the uncompressed stream.
    pub header_offset: u64,
    /// Offset of the entry's data in the uncompressed stream.
    pub data_offset: u64,
    /// Fast content hash (XXH3-64) of a regular file's data.
    pub content_hash: Option<u64>,
}

#[cfg(test)]
impl Entry {
    /// A plain entry for unit tests: mode 0644, owner 0:0, no link, no
    /// xattrs, no whiteout, offsets 0, no content hash.
    pub(crate) fn sample(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: None,
            gname: None,
            mtime: 0,
            link_target: None,
            device: None,
            xattrs: vec![],
            whiteout: None,
            header_offset: 0,
            data_offset: 0,
            content_hash: None,
        }
    }
}

/// A recoverable oddity: reported, not fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// Stable machine-readable code, e.g. `history-count-mismatch`.
    pub code: String,
    /// Human-readable message naming the object and offset.
    pub message: String,
    /// Layer index, when it concerns a layer.
    pub layer: Option<usize>,
    /// Offset (in the layer's uncompressed stream or the archive), when known.
    pub offset: Option<u64>,
}

impl Warning {
    /// Builds a warning.
    pub fn new(code: &str, message: impl Into<String>) -> Warning {
        Warning {
            code: code.to_owned(),
            message: message.into(),
            layer: None,
            offset: None,
        }
    }

    /// Attaches a layer index.
    pub fn in_layer(mut self, layer: usize) -> Warning {
        self.layer = Some(layer);
        self
    }

    /// Attaches an offset.
    pub fn at(mut self, offset: u64) -> Warning {
        self.offset = Some(offset);
        self
    }
}
