//! The *offset layout* of an export: every planned member placed at its
//! exact byte offset in the output tar (headers, PAX records and padding
//! included — every size is known from the index), and each source
//! layer's files grouped into one contiguous range ([`LayerPart`]). Header
//! fields are built here too ([`Placed::header`]), for sizing and for
//! [`super::write`].

use crate::model::{Entry, EntryKind};
use crate::overlay::tarwrite::{self, Member};
use crate::overlay::tree::{Layers, PathCursor, PathId, Tree};

use super::plan::{What, plan};

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Tar members written (PAX headers not counted).
    pub members: u64,
    /// Directories.
    pub dirs: u64,
    /// Regular files written with data.
    pub files: u64,
    /// Hard links.
    pub hardlinks: u64,
    /// Whiteout markers (squash only).
    pub whiteouts: u64,
    /// File data bytes copied.
    pub data_bytes: u64,
    /// Layers whose blobs were read.
    pub layers_read: Vec<usize>,
}

/// One layer's share of an export: the layer's files fill output bytes
/// `offset..offset + bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerPart {
    /// Layer index.
    pub layer: usize,
    /// Where its members start in the output.
    pub offset: u64,
    /// Output bytes of its members (headers, data, padding).
    pub bytes: u64,
}

/// A member's path: a name of the tree (its full path is built only when
/// a header is written, so a deep tree's members never hold all their
/// full paths at once), or a marker path made here.
#[derive(Debug, Clone)]
pub(super) enum Name {
    /// The tree's path with this id.
    Id(PathId),
    /// A whiteout or opaque marker's full path.
    Text(String),
}

/// One member at its place in the output.
#[derive(Debug, Clone)]
pub(super) struct Placed<'a> {
    /// Offset of its first header block.
    pub(super) offset: u64,
    /// Its path.
    pub(super) name: Name,
    pub(super) what: What<'a>,
}

/// Builds members' full paths from the tree's ids, reusing the shared
/// prefix of consecutive paths.
pub(super) struct Paths<'t> {
    tree: &'t Tree,
    cursor: PathCursor,
    /// A second cursor for hard-link targets.
    link: PathCursor,
}

impl<'t> Paths<'t> {
    pub(super) fn new(tree: &'t Tree) -> Self {
        Paths {
            tree,
            cursor: PathCursor::default(),
            link: PathCursor::default(),
        }
    }

    /// The full path of `name`.
    pub(super) fn full(&mut self, name: &Name) -> String {
        match name {
            Name::Id(id) => self.cursor.path(self.tree, *id).to_owned(),
            Name::Text(text) => text.clone(),
        }
    }
}

/// The members of one source layer's range of the output.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) layer: usize,
    /// Member indices `first..end`.
    pub(super) first: usize,
    pub(super) end: usize,
    /// Output range.
    pub(super) start: u64,
    pub(super) stop: u64,
}

/// A planned export: every member and its offset in the output tar.
/// Produced by [`Overlay::export_layout`](crate::overlay::Overlay::export_layout).
#[derive(Debug, Clone)]
pub struct ExportLayout<'a> {
    /// The tree whose ids name the members.
    pub(super) tree: &'a Tree,
    pub(super) members: Vec<Placed<'a>>,
    pub(super) segments: Vec<Segment>,
    /// Offset of the end-of-archive blocks.
    pub(super) end: u64,
    pub(super) summary: ExportSummary,
}

fn tar_name(path: &str, dir: bool) -> String {
    match (path.is_empty(), dir) {
        (true, _) => "./".to_owned(),
        (false, true) => format!("{path}/"),
        (false, false) => path.to_owned(),
    }
}

fn member<'e>(path: &str, kind: EntryKind, source: Option<&'e Entry>) -> Member<'e> {
    let meta = crate::overlay::changes::Meta::of(kind, source);
    Member {
        name: tar_name(path, kind == EntryKind::Dir),
        kind: Some(kind),
        size: meta.size,
        mode: meta.mode,
        uid: meta.uid,
        gid: meta.gid,
        uname: source.and_then(|e| e.uname.as_deref()),
        gname: source.and_then(|e| e.gname.as_deref()),
        mtime: meta.mtime,
        link: meta.link_target,
        device: meta.device,
        xattrs: meta.xattrs,
    }
}

impl<'a> Placed<'a> {
    /// The member's header fields (its paths built by `paths`).
    pub(super) fn header<'s>(&'s self, paths: &'s mut Paths<'_>) -> Member<'s> {
        let path = paths.full(&self.name);
        match &self.what {
            What::Object { kind, source } => member(&path, *kind, *source),
            What::Data { source, .. } => member(&path, EntryKind::File, Some(source)),
            What::Whiteout => Member {
                name: path,
                kind: Some(EntryKind::File),
                mode: 0o644,
                ..Member::default()
            },
            What::Link {
                target,
                kind,
                source,
            } => Member {
                kind: Some(EntryKind::Hardlink),
                link: Some(paths.link.path(paths.tree, *target)),
                size: 0,
                ..member(&path, *kind, *source)
            },
        }
    }

    /// Data bytes that follow the header.
    fn data_size(&self) -> u64 {
        match &self.what {
            What::Data { source, .. } => source.size,
            _ => 0,
        }
    }
}

/// Bytes of a tar member's data once padded to whole blocks.
fn padded(size: u64) -> u64 {
    size.saturating_add(511) & !511
}

impl<'a> ExportLayout<'a> {
    /// Plans the tar that turns `base` into `top`.
    pub(crate) fn new(
        top: &'a Tree,
        order: &[PathId],
        base: &Tree,
        layers: &Layers<'a>,
    ) -> ExportLayout<'a> {
        let plan = plan(top, order, base, layers);
        // Members are placed in output order, so consecutive directories
        // share their path prefix.
        let mut paths = Paths::new(top);
        let mut summary = ExportSummary::default();
        let mut members: Vec<Placed<'a>> = Vec::new();
        let mut segments: Vec<Segment> = Vec::new();
        let mut offset = 0u64;
        let mut scratch = Vec::new();
        let mut place = |members: &mut Vec<Placed<'a>>, name: Name, what: What<'a>| {
            let placed = Placed { offset, name, what };
            scratch.clear();
            // Writing to a Vec cannot fail.
            let _ = tarwrite::write_header(&mut scratch, &placed.header(&mut paths));
            offset = offset
                .saturating_add(scratch.len() as u64)
                .saturating_add(padded(placed.data_size()));
            members.push(placed);
        };
        for (id, what) in plan.dirs {
            summary.dirs += 1;
            place(&mut members, Name::Id(id), what);
        }
        for (path, _) in plan.whiteouts {
            summary.whiteouts += 1;
            place(&mut members, Name::Text(path), What::Whiteout);
        }
        for (id, what) in plan.plain {
            place(&mut members, Name::Id(id), what);
        }
        for (id, layer, source) in plan.data {
            if segments.last().is_none_or(|s| s.layer != layer) {
                segments.push(Segment {
                    layer,
                    first: members.len(),
                    end: members.len(),
                    start: 0,
                    stop: 0,
                });
                summary.layers_read.push(layer);
            }
            summary.files += 1;
            summary.data_bytes = summary.data_bytes.saturating_add(source.size);
            place(&mut members, Name::Id(id), What::Data { layer, source });
            if let Some(segment) = segments.last_mut() {
                segment.end = members.len();
            }
        }
        for (id, what) in plan.links {
            summary.hardlinks += 1;
            place(&mut members, Name::Id(id), what);
        }
        let end = offset;
        // Each segment runs from its first member to the next one.
        for s in &mut segments {
            s.start = members.get(s.first).map_or(end, |m| m.offset);
            s.stop = members.get(s.end).map_or(end, |m| m.offset);
        }
        summary.members = members.len() as u64;
        ExportLayout {
            tree: top,
            members,
            segments,
            end,
            summary,
        }
    }

    /// Total size of the output tar in bytes.
    pub fn size(&self) -> u64 {
        self.end.saturating_add(tarwrite::END_LEN)
    }

    /// What the export writes (known before anything is written).
    pub fn summary(&self) -> &ExportSummary {
        &self.summary
    }

    /// The layers whose blobs must be read, each with its output range.
    pub fn parts(&self) -> Vec<LayerPart> {
        self.segments
            .iter()
            .map(|s| LayerPart {
                layer: s.layer,
                offset: s.start,
                bytes: s.stop.saturating_sub(s.start),
            })
            .collect()
    }
}
