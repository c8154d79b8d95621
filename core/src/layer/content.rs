//! One file's content from a decoded layer stream (tar *reading* for
//! export, `cat` and the preview): skip to the entry's data and copy it,
//! hashing what is written with XXH3 so it can be compared with the scan's
//! content hash. GNU sparse files — old GNU (type `S`, map in the header
//! and its extension blocks) and PAX 0.0/0.1/1.0 (map parsed by
//! [`crate::layer::sparse`]) — come out expanded, holes as zeros.
//!
//! The stream is read forward only: `pos` is where it stands, and entries
//! must be asked for in stream order.

use std::io::{self, Read, Write};

use xxhash_rust::xxh3::Xxh3;

use crate::error::{Error, Result};
use crate::layer::sparse;
use crate::model::Entry;

/// An error writing the output (`what` is "output").
pub(crate) fn write_err(source: io::Error) -> Error {
    Error::Io {
        what: "output".into(),
        offset: 0,
        source,
    }
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
