//! Flatten and squash: turn a tree (or the difference between two trees)
//! into a tar, reading each layer blob at most once, in order, and only as
//! far as needed.
//!
//! Export is planned first ([`ExportLayout`]): every member and its exact
//! byte offset in the output (headers, PAX records and padding included),
//! since every size is known from the index. Member order: directories
//! (path order, so parents come first), then whiteouts and opaque markers
//! (squash only), then members without data (symlinks, devices, fifos,
//! empty files), then per source layer the files with data in stream order,
//! then hard links (after all their targets). Each layer's files therefore
//! fill one contiguous range of the output, so a driver with a positioned
//! output ([`PositionedSink`]) can write the layers in parallel, while a
//! plain `Write` gets the same bytes in order ([`ExportLayout::write_to`]).
//! Memory is proportional to the number of members, never to file sizes.
//!
//! GNU sparse files (old GNU format, type `S`, and the PAX formats 0.0, 0.1
//! and 1.0) are written expanded, as regular files whose holes read as
//! zeros.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use xxhash_rust::xxh3::Xxh3;

use crate::archive::ImageSource;
use crate::error::{Error, Result};
use crate::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use crate::layer::sparse;
use crate::model::{BlobLocation, Entry, EntryKind};

use super::tarwrite::{self, Member};
use super::tree::{Layers, Node, PathCursor, PathId, ROOT, Tree};

/// Opens a layer's *stored* blob (compressed or not) by layer index.
pub trait LayerOpener {
    /// A reader over layer `layer`'s blob, from its first byte.
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>>;
}

impl<F> LayerOpener for F
where
    F: FnMut(usize) -> io::Result<Box<dyn Read>>,
{
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        self(layer)
    }
}

/// A [`LayerOpener`] over an [`ImageSource`] and the layers' locations
/// (e.g. `OpenedImage::layers[i].location`).
pub struct SourceOpener<'s> {
    /// The image source.
    pub source: &'s mut dyn ImageSource,
    /// Blob location per layer.
    pub locations: Vec<Option<BlobLocation>>,
}

impl std::fmt::Debug for SourceOpener<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceOpener")
            .field("locations", &self.locations)
            .finish()
    }
}

impl LayerOpener for SourceOpener<'_> {
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        let location = self
            .locations
            .get(layer)
            .cloned()
            .flatten()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("layer {layer} blob is missing"),
                )
            })?;
        self.source.open(&location).map_err(io::Error::other)
    }
}

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

/// A positioned output: the parallel export writes each member at its
/// planned offset. Drivers implement it on a file (`pwrite`).
pub trait PositionedSink {
    /// Writes all of `bytes` at byte `offset` of the output.
    fn write_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()>;
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

/// What one planned member is.
#[derive(Debug, Clone)]
enum What<'a> {
    /// A directory, symlink, device, fifo or empty file (no data copied).
    Object {
        kind: EntryKind,
        source: Option<&'a Entry>,
    },
    /// A regular file whose data is copied from `layer`.
    Data { layer: usize, source: &'a Entry },
    /// A whiteout or opaque-directory marker (squash only).
    Whiteout,
    /// A hard link to an earlier member (or a path kept from the base).
    Link {
        target: PathId,
        kind: EntryKind,
        source: Option<&'a Entry>,
    },
}

/// A member's path: a name of the tree (its full path is built only when
/// a header is written, so a deep tree's members never hold all their
/// full paths at once), or a marker path made here.
#[derive(Debug, Clone)]
enum Name {
    /// The tree's path with this id.
    Id(PathId),
    /// A whiteout or opaque marker's full path.
    Text(String),
}

/// One member at its place in the output.
#[derive(Debug, Clone)]
struct Placed<'a> {
    /// Offset of its first header block.
    offset: u64,
    /// Its path.
    name: Name,
    what: What<'a>,
}

/// Builds members' full paths from the tree's ids, reusing the shared
/// prefix of consecutive paths.
struct Paths<'t> {
    tree: &'t Tree,
    cursor: PathCursor,
    /// A second cursor for hard-link targets.
    link: PathCursor,
}

impl<'t> Paths<'t> {
    fn new(tree: &'t Tree) -> Self {
        Paths {
            tree,
            cursor: PathCursor::default(),
            link: PathCursor::default(),
        }
    }

    /// The full path of `name`.
    fn full(&mut self, name: &Name) -> String {
        match name {
            Name::Id(id) => self.cursor.path(self.tree, *id).to_owned(),
            Name::Text(text) => text.clone(),
        }
    }
}

/// The members of one source layer's range of the output.
#[derive(Debug, Clone, Copy)]
struct Segment {
    layer: usize,
    /// Member indices `first..end`.
    first: usize,
    end: usize,
    /// Output range.
    start: u64,
    stop: u64,
}

/// A planned export: every member and its offset in the output tar.
/// Produced by [`Overlay::export_layout`](super::Overlay::export_layout).
#[derive(Debug, Clone)]
pub struct ExportLayout<'a> {
    /// The tree whose ids name the members.
    tree: &'a Tree,
    members: Vec<Placed<'a>>,
    segments: Vec<Segment>,
    /// Offset of the end-of-archive blocks.
    end: u64,
    summary: ExportSummary,
}

/// The members to write, grouped by phase (tree ids, except markers).
#[derive(Debug, Default)]
struct Plan<'a> {
    dirs: Vec<(PathId, What<'a>)>,
    /// Marker paths, each with the id of its directory.
    whiteouts: Vec<(String, PathId)>,
    plain: Vec<(PathId, What<'a>)>,
    data: Vec<(PathId, usize, &'a Entry)>,
    links: Vec<(PathId, What<'a>)>,
}

fn tar_name(path: &str, dir: bool) -> String {
    match (path.is_empty(), dir) {
        (true, _) => "./".to_owned(),
        (false, true) => format!("{path}/"),
        (false, false) => path.to_owned(),
    }
}

/// The ancestors of `id`, nearest first, ending with the root.
fn ancestors(tree: &Tree, id: PathId) -> impl Iterator<Item = PathId> + '_ {
    let mut next = (id != ROOT).then(|| tree.parent(id));
    std::iter::from_fn(move || {
        let current = next?;
        next = (current != ROOT).then(|| tree.parent(current));
        Some(current)
    })
}

/// Sets `flags[id]`; returns whether it was already set (an id out of
/// range counts as set, which ends the callers' walks).
fn mark(flags: &mut [bool], id: PathId) -> bool {
    flags.get_mut(id).is_none_or(|f| std::mem::replace(f, true))
}

/// A value defined along the ancestor chain: `value(d)` is
/// `step(d, value(parent of d))`, and `beyond` above the root. Memoized
/// per id, so asking for many deep ids costs each id once, not its depth.
fn climb<T: Copy>(
    tree: &Tree,
    memo: &mut [Option<T>],
    id: PathId,
    beyond: T,
    step: impl Fn(PathId, T) -> T,
) -> T {
    let mut chain = Vec::new();
    let mut cur = id;
    let mut value = loop {
        if let Some(known) = memo.get(cur).copied().flatten() {
            break known;
        }
        chain.push(cur);
        if cur == ROOT {
            break beyond;
        }
        // Parents are interned before their children: this ends.
        cur = tree.parent(cur);
    };
    for &x in chain.iter().rev() {
        value = step(x, value);
        if let Some(m) = memo.get_mut(x) {
            *m = Some(value);
        }
    }
    value
}

/// Plans the members that turn `base` into `top` (base = an empty tree for
/// a full flatten). Base ids are top ids (the base is an earlier state of
/// the same tree), so both are compared id by id, never path by path.
fn plan<'a>(top: &Tree, order: &[PathId], base: &Tree, layers: &Layers<'a>) -> Plan<'a> {
    let mut plan = Plan::default();
    let slots = top.slot_count();
    let changed = |id: PathId, node: &Node| base.node(id) != Some(*node);
    let source = |node: &Node| {
        top.inode(*node)
            .and_then(|i| layers.get(i.layer).and_then(|l| l.get(i.entry)))
    };
    let names = top.live_in(order);
    // The name of each inode that stays valid (unchanged in base and top),
    // and the directories with an unchanged entry somewhere below them.
    let mut anchor: HashMap<usize, PathId> = HashMap::new();
    let mut keeps_lower = vec![false; slots];
    for (id, node) in &names {
        if !changed(*id, node) {
            anchor.entry(node.inode).or_insert(*id);
            for dir in ancestors(top, *id) {
                if mark(&mut keeps_lower, dir) {
                    break;
                }
            }
        }
    }
    let mut emitted_dirs = vec![false; slots];
    for &(id, node) in &names {
        if !changed(id, &node) {
            continue;
        }
        let Some(inode) = top.inode(node) else {
            continue;
        };
        let entry = source(&node);
        if inode.kind == EntryKind::Dir {
            plan.dirs.push((
                id,
                What::Object {
                    kind: EntryKind::Dir,
                    source: entry,
                },
            ));
            mark(&mut emitted_dirs, id);
            continue;
        }
        if let Some(&target) = anchor.get(&node.inode) {
            plan.links.push((
                id,
                What::Link {
                    target,
                    kind: inode.kind,
                    source: entry,
                },
            ));
            continue;
        }
        anchor.insert(node.inode, id);
        match entry {
            Some(e) if inode.kind == EntryKind::File && e.size > 0 => {
                plan.data.push((id, inode.layer, e));
            }
            _ => plan.plain.push((
                id,
                What::Object {
                    kind: inode.kind,
                    source: entry,
                },
            )),
        }
    }
    // Base paths gone from top. A directory (in both trees) that lost lower
    // entries and keeps none of them (every entry below it is written
    // here: it was made opaque or replaced in the range) gets one opaque
    // marker (on its top-most such ancestor); other removals get a
    // whiteout, top-most only.
    let dir_in_both = |dir: PathId| {
        top.kind_of(dir) == Some(EntryKind::Dir) && base.kind_of(dir) == Some(EntryKind::Dir)
    };
    let fresh = |dir: PathId| dir_in_both(dir) && !keeps_lower.get(dir).copied().unwrap_or(true);
    let mut fresh_memo: Vec<Option<Option<PathId>>> = vec![None; slots];
    let mut opaque: Vec<PathId> = Vec::new();
    let mut opaque_set = vec![false; slots];
    let mut whiteouts: Vec<(PathId, String)> = Vec::new();
    for (id, _) in base.live_in(order) {
        if id == ROOT || top.node(id).is_some() {
            continue;
        }
        let dir = top.parent(id);
        let topmost = climb(top, &mut fresh_memo, dir, None, |x, above| {
            above.or_else(|| fresh(x).then_some(x))
        });
        if let Some(dir) = topmost {
            if !mark(&mut opaque_set, dir) {
                opaque.push(dir);
            }
            continue;
        }
        if dir_in_both(dir) {
            whiteouts.push((dir, format!(".wh.{}", top.name(id))));
        }
    }
    // A whiteout under an opaque directory is redundant (kept out).
    let mut under_memo: Vec<Option<bool>> = vec![None; slots];
    whiteouts.retain(|(dir, _)| {
        !climb(top, &mut under_memo, *dir, false, |x, above| {
            above || opaque_set.get(x).copied().unwrap_or(false)
        })
    });
    let marker = crate::layer::entry::OPAQUE_MARKER;
    let mut cursor = PathCursor::default();
    plan.whiteouts = whiteouts
        .iter()
        .map(|(dir, name)| (dir, name.as_str()))
        .chain(opaque.iter().map(|dir| (dir, marker)))
        .map(|(&dir, name)| (crate::paths::join(cursor.path(top, dir), name), dir))
        .collect();
    plan.whiteouts.sort();
    // Unchanged parents of written members, so the layer is self-describing.
    let mut extra: Vec<PathId> = Vec::new();
    let starts = plan.whiteouts.iter().map(|(_, dir)| Some(*dir)).chain(
        plan.plain
            .iter()
            .map(|(id, _)| id)
            .chain(plan.data.iter().map(|(id, _, _)| id))
            .chain(plan.links.iter().map(|(id, _)| id))
            .chain(plan.dirs.iter().map(|(id, _)| id))
            .map(|&id| (id != ROOT).then(|| top.parent(id))),
    );
    let mut seen = vec![false; slots];
    for start in starts.flatten() {
        let mut parent = start;
        while parent != ROOT
            && !emitted_dirs.get(parent).copied().unwrap_or(true)
            && !mark(&mut seen, parent)
        {
            extra.push(parent);
            parent = top.parent(parent);
        }
    }
    for id in extra {
        if let Some(node) = top.node(id) {
            let entry = source(&node);
            plan.dirs.push((
                id,
                What::Object {
                    kind: EntryKind::Dir,
                    source: entry,
                },
            ));
        }
    }
    // Path order, by each id's position in `order`.
    let mut rank = vec![usize::MAX; slots];
    for (i, id) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(*id) {
            *r = i;
        }
    }
    plan.dirs
        .sort_by_key(|(id, _)| rank.get(*id).copied().unwrap_or(usize::MAX));
    plan.data
        .sort_by_key(|(_, layer, e)| (*layer, e.data_offset));
    plan
}

fn member<'e>(path: &str, kind: EntryKind, source: Option<&'e Entry>) -> Member<'e> {
    let meta = super::changes::Meta::of(kind, source);
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
    fn header<'s>(&'s self, paths: &'s mut Paths<'_>) -> Member<'s> {
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

fn write_err(source: io::Error) -> Error {
    Error::Io {
        what: "output".into(),
        offset: 0,
        source,
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

    /// Writes the whole tar to `out` in order, reading each needed layer
    /// blob once through `opener`.
    pub fn write_to<W: Write + ?Sized>(
        &self,
        opener: &mut dyn LayerOpener,
        out: &mut W,
    ) -> Result<ExportSummary> {
        let mut next = 0usize;
        for segment in &self.segments {
            self.write_headers(next..segment.first, out)?;
            let mut stream = open_decoded(opener, segment.layer)?;
            self.write_segment(segment, &mut stream, out)?;
            next = segment.end;
        }
        self.write_headers(next..self.members.len(), out)?;
        tarwrite::finish(out).map_err(write_err)?;
        Ok(self.summary.clone())
    }

    /// Writes every member that carries no layer data (directories,
    /// whiteouts, symlinks, hard links, …) and the end-of-archive blocks,
    /// each at its planned offset. With [`ExportLayout::write_layer`] for
    /// every [`ExportLayout::parts`] entry, in any order or concurrently,
    /// this writes exactly the bytes of [`ExportLayout::write_to`].
    pub fn write_metadata(&self, sink: &dyn PositionedSink) -> Result<()> {
        let mut next = 0usize;
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for segment in &self.segments {
            runs.push(next..segment.first);
            next = segment.end;
        }
        runs.push(next..self.members.len());
        for run in runs {
            let at = self.members.get(run.start).map_or(self.end, |m| m.offset);
            let mut out = SinkWriter::new(sink, at);
            self.write_headers(run, &mut out)?;
            out.flush().map_err(write_err)?;
        }
        let mut out = SinkWriter::new(sink, self.end);
        tarwrite::finish(&mut out).map_err(write_err)?;
        out.flush().map_err(write_err)
    }

    /// Reads layer `layer`'s stored blob (compressed or not) and writes
    /// its members at their planned offsets.
    pub fn write_layer<R: Read>(
        &self,
        layer: usize,
        blob: R,
        sink: &dyn PositionedSink,
    ) -> Result<()> {
        let Some(segment) = self.segments.iter().find(|s| s.layer == layer) else {
            return Ok(());
        };
        let mut stream = decode(blob, layer)?;
        let mut out = SinkWriter::new(sink, segment.start);
        self.write_segment(segment, &mut stream, &mut out)?;
        out.flush().map_err(write_err)?;
        if out.offset != segment.stop {
            return Err(write_err(io::Error::other(format!(
                "layer {layer} wrote up to offset {} instead of {}",
                out.offset, segment.stop
            ))));
        }
        Ok(())
    }

    fn write_headers<W: Write + ?Sized>(
        &self,
        range: std::ops::Range<usize>,
        out: &mut W,
    ) -> Result<()> {
        let mut paths = Paths::new(self.tree);
        for placed in self.members.get(range).unwrap_or_default() {
            tarwrite::write_header(out, &placed.header(&mut paths)).map_err(write_err)?;
        }
        Ok(())
    }

    fn write_segment<R: Read + ?Sized, W: Write + ?Sized>(
        &self,
        segment: &Segment,
        stream: &mut R,
        out: &mut W,
    ) -> Result<()> {
        let mut pos = 0u64;
        let mut paths = Paths::new(self.tree);
        for placed in self
            .members
            .get(segment.first..segment.end)
            .unwrap_or_default()
        {
            let What::Data { layer, source } = &placed.what else {
                continue;
            };
            tarwrite::write_header(out, &placed.header(&mut paths)).map_err(write_err)?;
            let hash = copy_file(stream, &mut pos, source, *layer, out)?;
            tarwrite::pad(out, source.size).map_err(write_err)?;
            if let Some(expected) = source.content_hash {
                if expected != hash {
                    return Err(Error::ContentChanged {
                        layer: *layer,
                        path: paths.full(&placed.name),
                    });
                }
            }
        }
        Ok(())
    }
}

/// A buffered `Write` over a [`PositionedSink`], from `offset` on.
struct SinkWriter<'s> {
    sink: &'s dyn PositionedSink,
    offset: u64,
    buf: Vec<u8>,
}

impl<'s> SinkWriter<'s> {
    const CAPACITY: usize = 1 << 20;

    fn new(sink: &'s dyn PositionedSink, offset: u64) -> Self {
        SinkWriter {
            sink,
            offset,
            buf: Vec::with_capacity(Self::CAPACITY),
        }
    }
}

impl Write for SinkWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= Self::CAPACITY {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.sink.write_all_at(self.offset, &self.buf)?;
            self.offset = self.offset.saturating_add(self.buf.len() as u64);
            self.buf.clear();
        }
        Ok(())
    }
}

/// Writes the tar that turns `base` into `top`.
pub(crate) fn export<W: Write + ?Sized>(
    top: &Tree,
    order: &[PathId],
    base: &Tree,
    layers: &Layers<'_>,
    opener: &mut dyn LayerOpener,
    out: &mut W,
) -> Result<ExportSummary> {
    ExportLayout::new(top, order, base, layers).write_to(opener, out)
}

/// A decoded stored blob: the sniffed head, then the rest.
pub(crate) type Decoded<R> = Decoder<io::Chain<io::Cursor<Vec<u8>>, R>>;

/// Opens layer `layer`'s blob and undoes its compression.
pub(crate) fn open_decoded<'o>(
    opener: &'o mut dyn LayerOpener,
    layer: usize,
) -> Result<Decoded<Box<dyn Read + 'o>>> {
    let reader = opener.open_layer(layer).map_err(|source| Error::Io {
        what: format!("layer {layer} blob"),
        offset: 0,
        source,
    })?;
    decode(reader, layer)
}

/// Detects a stored blob's compression from its first bytes and undoes it.
fn decode<R: Read>(reader: R, layer: usize) -> Result<Decoded<R>> {
    let (head, cursor, rest) =
        compression::peek(reader, SNIFF_LEN).map_err(|source| Error::Io {
            what: format!("layer {layer} blob"),
            offset: 0,
            source,
        })?;
    let kind = match compression::detect(&head) {
        Detected::Supported(c) => c,
        Detected::Unsupported(name) => {
            return Err(Error::UnsupportedCompression {
                layer,
                compression: name,
            });
        }
    };
    Ok(Decoder::new(kind, cursor.chain(rest)))
}

fn read_error(layer: usize, at: u64, source: io::Error) -> Error {
    Error::LayerTar {
        layer,
        offset: at,
        source,
    }
}

/// Reads and drops bytes of a decoded stream up to `offset`.
fn skip_to<R: Read + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    offset: u64,
    layer: usize,
) -> Result<()> {
    if offset < *pos {
        return Err(read_error(
            layer,
            *pos,
            io::Error::new(io::ErrorKind::InvalidInput, "data ranges out of order"),
        ));
    }
    let skip = offset - *pos;
    let skipped = io::copy(&mut (&mut *stream).take(skip), &mut io::sink())
        .map_err(|e| read_error(layer, *pos, e))?;
    *pos += skipped;
    if skipped < skip {
        return Err(read_error(
            layer,
            *pos,
            io::Error::new(io::ErrorKind::UnexpectedEof, "layer ends early"),
        ));
    }
    Ok(())
}

/// Copies `size` bytes from the stream's position to `out`, hashing them.
fn copy_bytes<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    size: u64,
    layer: usize,
    out: &mut W,
    hasher: &mut Option<Xxh3>,
    buf: &mut [u8],
) -> Result<()> {
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let slot = buf.get_mut(..want).unwrap_or_default();
        let n = stream.read(slot).map_err(|e| read_error(layer, *pos, e))?;
        if n == 0 {
            return Err(read_error(
                layer,
                *pos,
                io::Error::new(io::ErrorKind::UnexpectedEof, "file data ends early"),
            ));
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        out.write_all(chunk).map_err(write_err)?;
        left -= n as u64;
        *pos += n as u64;
    }
    Ok(())
}

/// Writes `size` zero bytes (a hole of a sparse file), hashing them.
fn write_zeros<W: Write + ?Sized>(
    size: u64,
    out: &mut W,
    hasher: &mut Option<Xxh3>,
    zeros: &[u8],
) -> Result<()> {
    let mut left = size;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(zeros.len());
        let chunk = zeros.get(..n).unwrap_or_default();
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        out.write_all(chunk).map_err(write_err)?;
        left -= n as u64;
    }
    Ok(())
}

/// Copies `size` bytes at `offset` of a decoded stream positioned at `pos`;
/// returns their XXH3 when `hash` (else 0).
fn copy_range<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    (offset, size): (u64, u64),
    layer: usize,
    out: &mut W,
    hash: bool,
) -> Result<u64> {
    skip_to(stream, pos, offset, layer)?;
    let mut hasher = hash.then(Xxh3::new);
    let mut buf = vec![0u8; 64 * 1024];
    copy_bytes(stream, pos, size, layer, out, &mut hasher, &mut buf)?;
    Ok(hasher.map_or(0, |h| h.digest()))
}

/// Most GNU sparse extension blocks followed (21 map entries each); the
/// scan refuses larger maps earlier (`--max-pax-bytes`).
const MAX_SPARSE_BLOCKS: u64 = 1 << 14;

/// Copies a regular file entry's data (its expanded content for a GNU
/// sparse file) from a decoded stream positioned at `pos`; returns the XXH3
/// of what was written when the entry has a content hash to compare it
/// with (0 otherwise: hashing is skipped).
pub(crate) fn copy_file<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    entry: &Entry,
    layer: usize,
    out: &mut W,
) -> Result<u64> {
    // The entry's own header block precedes its data: read it to learn
    // whether the data is a packed sparse file.
    let hash = entry.content_hash.is_some();
    let range = (entry.data_offset, entry.size);
    let own_header = entry.header_offset >= *pos
        && entry.header_offset.checked_add(512) == Some(entry.data_offset);
    // The index points a PAX sparse entry at its first extension header.
    let pax_sparse = entry.header_offset >= *pos
        && entry
            .header_offset
            .checked_add(512)
            .is_some_and(|h| h < entry.data_offset);
    if pax_sparse {
        return copy_pax_sparse(stream, pos, entry, layer, out, hash);
    }
    if !own_header {
        return copy_range(stream, pos, range, layer, out, hash);
    }
    skip_to(stream, pos, entry.header_offset, layer)?;
    let mut header = tar::Header::new_old();
    read_block(stream, pos, header.as_mut_bytes(), layer)?;
    if !header.entry_type().is_gnu_sparse() {
        return copy_range(stream, pos, range, layer, out, hash);
    }
    copy_sparse(stream, pos, &header, entry, layer, out, hash)
}

fn read_block<R: Read + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    block: &mut [u8],
    layer: usize,
) -> Result<()> {
    stream
        .read_exact(block)
        .map_err(|e| read_error(layer, *pos, e))?;
    *pos += block.len() as u64;
    Ok(())
}

/// Most bytes of extension headers read before a PAX sparse entry; the
/// scan refuses larger ones earlier (`--max-pax-bytes`).
const MAX_SPARSE_HEADERS: u64 = 64 << 20;

/// Expands a PAX sparse file (GNU formats 0.0, 0.1, 1.0; see
/// [`crate::layer::sparse`]): reads its extension headers and own header
/// (from `entry.header_offset` to its data), then the map and the data.
fn copy_pax_sparse<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    entry: &Entry,
    layer: usize,
    out: &mut W,
    hash: bool,
) -> Result<u64> {
    let bad = |at: u64, why: String| {
        read_error(
            layer,
            at,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("sparse entry {:?}: {why}", entry.path),
            ),
        )
    };
    let length = entry.data_offset - entry.header_offset;
    if length > MAX_SPARSE_HEADERS {
        return Err(bad(
            entry.header_offset,
            format!("{length} bytes of headers"),
        ));
    }
    skip_to(stream, pos, entry.header_offset, layer)?;
    let mut prefix = vec![0u8; usize::try_from(length).unwrap_or(0)];
    read_block(stream, pos, &mut prefix, layer)?;
    let (info, stored) =
        sparse::from_headers(&prefix).map_err(|e| bad(entry.header_offset, e.to_string()))?;
    let info = info.ok_or_else(|| bad(entry.header_offset, "no sparse records".into()))?;
    let data_at = *pos;
    let (map, packed) = match info.map {
        Some(map) => (map, stored),
        None => {
            let (map, used) = sparse::read_map(stream, MAX_SPARSE_HEADERS)
                .map_err(|e| bad(data_at, e.to_string()))?;
            *pos += used;
            (map, stored.saturating_sub(used))
        }
    };
    sparse::validate(&map, info.real_size, packed).map_err(|e| bad(data_at, e.to_string()))?;
    if info.real_size != entry.size {
        return Err(bad(data_at, "size differs from the index".into()));
    }
    let mut hasher = hash.then(Xxh3::new);
    let start = *pos;
    sparse::expand(stream, &map, info.real_size, &mut |chunk| {
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        out.write_all(chunk)
    })
    .map_err(|e| read_error(layer, start, e))?;
    *pos += packed;
    Ok(hasher.map_or(0, |h| h.digest()))
}

/// Expands an old-GNU sparse file: its map (in the header and the
/// extension blocks after it) lists the data chunks, stored back to back;
/// everything else is a hole of zeros.
fn copy_sparse<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    header: &tar::Header,
    entry: &Entry,
    layer: usize,
    out: &mut W,
    hash: bool,
) -> Result<u64> {
    let bad = |at: u64, why: &str| {
        read_error(
            layer,
            at,
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{:?}: {why}", entry.path),
            ),
        )
    };
    let gnu = header
        .as_gnu()
        .ok_or_else(|| bad(entry.header_offset, "sparse entry without a GNU header"))?;
    let mut map: Vec<(u64, u64)> = Vec::new();
    let mut add = |block: &tar::GnuSparseHeader, at: u64| -> Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let offset = block.offset().map_err(|e| read_error(layer, at, e))?;
        let length = block.length().map_err(|e| read_error(layer, at, e))?;
        map.push((offset, length));
        Ok(())
    };
    for block in &gnu.sparse {
        add(block, entry.header_offset)?;
    }
    let mut extended = gnu.is_extended();
    let mut blocks = 0u64;
    while extended {
        blocks += 1;
        if blocks > MAX_SPARSE_BLOCKS {
            return Err(bad(*pos, "sparse map too long"));
        }
        let at = *pos;
        let mut ext = tar::GnuExtSparseHeader::new();
        read_block(stream, pos, ext.as_mut_bytes(), layer)?;
        for block in &ext.sparse {
            add(block, at)?;
        }
        extended = ext.is_extended();
    }
    let mut hasher = hash.then(Xxh3::new);
    let mut buf = vec![0u8; 64 * 1024];
    let zeros = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    for (offset, length) in map {
        let end = offset
            .checked_add(length)
            .filter(|end| offset >= written && *end <= entry.size)
            .ok_or_else(|| bad(*pos, "sparse map out of order or past the file size"))?;
        write_zeros(offset - written, out, &mut hasher, &zeros)?;
        copy_bytes(stream, pos, length, layer, out, &mut hasher, &mut buf)?;
        written = end;
    }
    write_zeros(entry.size - written, out, &mut hasher, &zeros)?;
    Ok(hasher.map_or(0, |h| h.digest()))
}
