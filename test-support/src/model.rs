//! Core result types with neutral fields, for tests and benchmarks that
//! build entries or plans by hand: change what matters with struct update
//! syntax (`Entry { size: 5, ..entry("a", EntryKind::File) }`).

use layerscope::model::{BlobLocation, Entry, EntryKind, LayerPlan};

/// An entry at `path`: mode 0755 for directories, 0644 otherwise, owner
/// 0, size 0, mtime 0, no link, xattrs, whiteout or content hash, offsets
/// 0.
pub fn entry(path: impl Into<String>, kind: EntryKind) -> Entry {
    Entry {
        path: path.into(),
        kind,
        size: 0,
        mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 },
        uid: 0,
        gid: 0,
        uname: None,
        gname: None,
        mtime: 0,
        link_target: None,
        device: None,
        xattrs: Vec::new(),
        whiteout: None,
        header_offset: 0,
        data_offset: 0,
        content_hash: None,
    }
}

/// The entries without content hashes (what the index-only pass finds).
pub fn without_hashes(entries: &[Entry]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| Entry {
            content_hash: None,
            ..e.clone()
        })
        .collect()
}

/// A plan for layer `index` with nothing to verify and no location.
pub fn bare_plan(index: usize) -> LayerPlan {
    LayerPlan {
        index,
        location: None,
        digest: None,
        name_digest: None,
        descriptor_size: None,
        media_type: None,
        diff_id: None,
    }
}

/// A plan for layer `index` whose blob of `len` bytes is held in memory
/// (its location says the size), with nothing to verify against.
pub fn blob_plan(index: usize, len: u64) -> LayerPlan {
    LayerPlan {
        location: Some(BlobLocation::ArchiveRange {
            member: format!("layer-{index}"),
            offset: 0,
            size: len,
        }),
        ..bare_plan(index)
    }
}
