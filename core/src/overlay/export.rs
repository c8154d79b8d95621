//! Flatten and squash: stream a tree (or the difference between two trees)
//! as a tar through a driver's `Write`, reading each layer blob at most
//! once, in order, and only as far as needed.
//!
//! Member order: directories (path order, so parents come first), then
//! whiteouts (squash only), then members without data (symlinks, devices,
//! fifos, empty files), then per source layer the files with data in stream
//! order, then hard links (after all their targets). Memory is proportional
//! to the number of members, never to file sizes.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use xxhash_rust::xxh3::Xxh3;

use crate::archive::ImageSource;
use crate::error::{Error, Result};
use crate::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use crate::model::{BlobLocation, Entry, EntryKind};

use super::tarwrite::{self, Member};
use super::tree::{Layers, Node, PathId, Tree};

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

#[derive(Debug, Clone)]
enum Item {
    Object { path: String, inode: usize },
    Whiteout { path: String },
    Link { path: String, target: String },
}

/// The members to write, grouped by phase.
#[derive(Debug, Default)]
struct Plan {
    dirs: Vec<Item>,
    whiteouts: Vec<Item>,
    plain: Vec<Item>,
    data: Vec<(usize, u64, Item)>,
    links: Vec<Item>,
}

fn tar_name(path: &str, dir: bool) -> String {
    match (path.is_empty(), dir) {
        (true, _) => "./".to_owned(),
        (false, true) => format!("{path}/"),
        (false, false) => path.to_owned(),
    }
}

/// Plans the members that turn `base` into `top` (base = an empty tree for
/// a full flatten).
fn plan(top: &Tree, order: &[PathId], base: &Tree, layers: &Layers<'_>) -> Plan {
    let mut plan = Plan::default();
    let changed = |path: &str, node: &Node| base.get(path) != Some(*node);
    let names = top.live_in(order);
    // Names of each inode that stay valid (unchanged in base and top).
    let mut anchor: HashMap<usize, String> = HashMap::new();
    for (id, node) in &names {
        let path = top.path(*id);
        if !changed(path, node) {
            anchor.entry(node.inode).or_insert_with(|| path.to_owned());
        }
    }
    let mut emitted_dirs: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (id, node) in &names {
        let path = top.path(*id);
        if !changed(path, node) {
            continue;
        }
        let Some(inode) = top.inode(*node) else {
            continue;
        };
        if inode.kind == EntryKind::Dir {
            plan.dirs.push(Item::Object {
                path: path.to_owned(),
                inode: node.inode,
            });
            emitted_dirs.insert(path);
            continue;
        }
        if let Some(target) = anchor.get(&node.inode) {
            plan.links.push(Item::Link {
                path: path.to_owned(),
                target: target.clone(),
            });
            continue;
        }
        anchor.insert(node.inode, path.to_owned());
        let item = Item::Object {
            path: path.to_owned(),
            inode: node.inode,
        };
        let source = layers.get(inode.layer).and_then(|l| l.get(inode.entry));
        match source {
            Some(e) if inode.kind == EntryKind::File && e.size > 0 => {
                plan.data.push((inode.layer, e.data_offset, item));
            }
            _ => plan.plain.push(item),
        }
    }
    // Whiteouts for base paths gone from top, top-most only.
    // Base ids are top ids (the base is an earlier state of the same tree).
    for (id, _) in base.live_in(order) {
        let path = base.path(id);
        if path.is_empty() || top.get(path).is_some() {
            continue;
        }
        let parent = super::tree::parent_of(path);
        if top.kind_at(parent) == Some(EntryKind::Dir)
            && base.kind_at(parent) == Some(EntryKind::Dir)
        {
            let (dir, name) = crate::paths::split_parent(path);
            plan.whiteouts.push(Item::Whiteout {
                path: crate::paths::join(dir, &format!(".wh.{name}")),
            });
        }
    }
    // Unchanged parents of written members, so the layer is self-describing.
    let mut extra: Vec<String> = Vec::new();
    let all = plan
        .whiteouts
        .iter()
        .chain(&plan.plain)
        .chain(plan.data.iter().map(|(_, _, i)| i))
        .chain(&plan.links)
        .chain(&plan.dirs);
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for item in all {
        let path = match item {
            Item::Object { path, .. } | Item::Whiteout { path } | Item::Link { path, .. } => path,
        };
        let mut parent = super::tree::parent_of(path);
        while !parent.is_empty() && !emitted_dirs.contains(parent) && seen.insert(parent.to_owned())
        {
            extra.push(parent.to_owned());
            parent = super::tree::parent_of(parent);
        }
    }
    for path in extra {
        if let Some(node) = top.get(&path) {
            plan.dirs.push(Item::Object {
                path,
                inode: node.inode,
            });
        }
    }
    plan.dirs.sort_by(|a, b| item_path(a).cmp(item_path(b)));
    plan.data.sort_by_key(|a| (a.0, a.1));
    plan
}

fn item_path(item: &Item) -> &str {
    match item {
        Item::Object { path, .. } | Item::Whiteout { path } | Item::Link { path, .. } => path,
    }
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

fn write_err(source: io::Error) -> Error {
    Error::Io {
        what: "output".into(),
        offset: 0,
        source,
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
    let plan = plan(top, order, base, layers);
    let mut summary = ExportSummary::default();
    let object = |path: &str, inode: usize| {
        let i = top.inodes.get(inode);
        let kind = i.map_or(EntryKind::Dir, |i| i.kind);
        let source = i.and_then(|i| layers.get(i.layer).and_then(|l| l.get(i.entry)));
        member(path, kind, source)
    };
    for item in plan.dirs.iter().chain(&plan.whiteouts).chain(&plan.plain) {
        let m = match item {
            Item::Object { path, inode } => object(path, *inode),
            Item::Whiteout { path } => {
                summary.whiteouts += 1;
                Member {
                    name: path.clone(),
                    kind: Some(EntryKind::File),
                    mode: 0o644,
                    ..Member::default()
                }
            }
            Item::Link { .. } => continue,
        };
        if m.kind == Some(EntryKind::Dir) {
            summary.dirs += 1;
        }
        tarwrite::write_header(out, &m).map_err(write_err)?;
        summary.members += 1;
    }
    let mut i = 0;
    while let Some((layer, _, _)) = plan.data.get(i) {
        let layer = *layer;
        let end = plan
            .data
            .iter()
            .skip(i)
            .take_while(|(l, _, _)| *l == layer)
            .count()
            + i;
        let group = plan.data.get(i..end).unwrap_or_default();
        copy_layer(top, layers, opener, layer, group, out, &mut summary)?;
        summary.layers_read.push(layer);
        i = end;
    }
    for item in &plan.links {
        if let Item::Link { path, target } = item {
            let m = Member {
                name: path.clone(),
                kind: Some(EntryKind::Hardlink),
                link: Some(target),
                ..object(path, top.get(path).map_or(usize::MAX, |n| n.inode))
            };
            let m = Member { size: 0, ..m };
            tarwrite::write_header(out, &m).map_err(write_err)?;
            summary.members += 1;
            summary.hardlinks += 1;
        }
    }
    tarwrite::finish(out).map_err(write_err)?;
    Ok(summary)
}

/// Opens layer `layer`'s blob and undoes its compression.
pub(crate) fn open_decoded<'o>(
    opener: &'o mut dyn LayerOpener,
    layer: usize,
) -> Result<Decoder<Box<dyn Read + 'o>>> {
    let what = format!("layer {layer} blob");
    let reader = opener.open_layer(layer).map_err(|source| Error::Io {
        what: what.clone(),
        offset: 0,
        source,
    })?;
    let (head, cursor, rest) =
        compression::peek(reader, SNIFF_LEN).map_err(|source| Error::Io {
            what: what.clone(),
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
    let chained: Box<dyn Read + 'o> = Box::new(cursor.chain(rest));
    Ok(Decoder::new(kind, chained))
}

/// Copies `size` bytes at `offset` of a decoded stream positioned at `pos`.
pub(crate) fn copy_range<R: Read + ?Sized, W: Write + ?Sized>(
    stream: &mut R,
    pos: &mut u64,
    offset: u64,
    size: u64,
    layer: usize,
    out: &mut W,
) -> Result<u64> {
    let read_err = |at: u64, source: io::Error| Error::LayerTar {
        layer,
        offset: at,
        source,
    };
    if offset < *pos {
        return Err(read_err(
            *pos,
            io::Error::new(io::ErrorKind::InvalidInput, "data ranges out of order"),
        ));
    }
    let skip = offset - *pos;
    let skipped =
        io::copy(&mut (&mut *stream).take(skip), &mut io::sink()).map_err(|e| read_err(*pos, e))?;
    *pos += skipped;
    if skipped < skip {
        return Err(read_err(
            *pos,
            io::Error::new(io::ErrorKind::UnexpectedEof, "layer ends early"),
        ));
    }
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let slot = buf.get_mut(..want).unwrap_or_default();
        let n = stream.read(slot).map_err(|e| read_err(*pos, e))?;
        if n == 0 {
            return Err(read_err(
                *pos,
                io::Error::new(io::ErrorKind::UnexpectedEof, "file data ends early"),
            ));
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        out.write_all(chunk).map_err(write_err)?;
        left -= n as u64;
        *pos += n as u64;
    }
    Ok(hasher.digest())
}

fn copy_layer<W: Write + ?Sized>(
    top: &Tree,
    layers: &Layers<'_>,
    opener: &mut dyn LayerOpener,
    layer: usize,
    group: &[(usize, u64, Item)],
    out: &mut W,
    summary: &mut ExportSummary,
) -> Result<()> {
    let mut stream = open_decoded(opener, layer)?;
    let mut pos = 0u64;
    for (_, offset, item) in group {
        let Item::Object { path, inode } = item else {
            continue;
        };
        let i = top.inodes.get(*inode);
        let source = i.and_then(|i| layers.get(i.layer).and_then(|l| l.get(i.entry)));
        let m = member(path, EntryKind::File, source);
        tarwrite::write_header(out, &m).map_err(write_err)?;
        let hash = copy_range(&mut stream, &mut pos, *offset, m.size, layer, out)?;
        tarwrite::pad(out, m.size).map_err(write_err)?;
        if let Some(expected) = source.and_then(|e| e.content_hash) {
            if expected != hash {
                return Err(Error::ContentChanged {
                    layer,
                    path: path.clone(),
                });
            }
        }
        summary.members += 1;
        summary.files += 1;
        summary.data_bytes = summary.data_bytes.saturating_add(m.size);
    }
    Ok(())
}
