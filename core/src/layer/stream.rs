//! Stage two of a scan: the uncompressed layer stream → its digest
//! (`diff_id`, over every byte including anything after the tar end marker)
//! and the index of its entries.

use std::io::{self, Read, Seek, SeekFrom};

use xxhash_rust::xxh3::Xxh3;

use crate::digest::{Algorithm, Digest};
use crate::display::quoted;
use crate::error::{Error, Result};
use crate::layer::entry::{self, Skipped};
use crate::layer::guard::{self, TarGuard};
use crate::layer::hashing::HashingReader;
use crate::layer::observe::FileObserver;
use crate::layer::sparse::{self, PaxSparse, SparseError};
use crate::layer::tar_fault;
use crate::limits::{Limits, flags};
use crate::model::{Entry, EntryKind, Warning};
use crate::{names, paths};

/// What the uncompressed stream holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamIndex {
    /// Digest of the whole uncompressed stream.
    pub digest: Digest,
    /// Length of the uncompressed stream.
    pub size: u64,
    /// Entries in stream order (whiteouts included, unsafe names excluded).
    pub entries: Vec<Entry>,
    /// Bytes after the tar end-of-archive header.
    pub trailing_bytes: u64,
    /// Whether any of those trailing bytes is non-zero.
    pub trailing_data: bool,
    /// Oddities.
    pub warnings: Vec<Warning>,
}

/// What an index-only pass over a layer stream found: the entries without
/// digests or content hashes (see [`index_entries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryIndex {
    /// Length of the uncompressed stream.
    pub size: u64,
    /// Entries in stream order, `content_hash` None.
    pub entries: Vec<Entry>,
    /// Bytes after the tar end-of-archive header.
    pub trailing_bytes: u64,
    /// Whether any of those trailing bytes is non-zero.
    pub trailing_data: bool,
    /// Oddities.
    pub warnings: Vec<Warning>,
}

/// Reads a whole uncompressed layer stream, hashing it with `algorithm` and
/// indexing its entries. Regular files' data is read once to compute their
/// XXH3 content hash.
pub fn index_stream<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Algorithm,
    limits: &Limits,
) -> Result<StreamIndex> {
    index_stream_published(reader, layer, algorithm, limits, &mut |_| {})
}

/// First batch size of [`index_stream_published`] (entries).
pub const FIRST_BATCH: usize = 256;
/// Largest batch of [`index_stream_published`] (entries).
pub const LARGEST_BATCH: usize = 1 << 16;
/// Entry data after which pending entries are published whatever their
/// number (a layer of a few big files still shows them as they come).
pub const BATCH_DATA_BYTES: u64 = 16 << 20;

/// [`index_stream`] that hands the entries indexed so far to `publish` in
/// batches while it reads, so a driver can show a layer's files before its
/// scan ends: a batch when [`FIRST_BATCH`] entries are pending (the size
/// doubling after each batch, up to [`LARGEST_BATCH`]) or when pending
/// entries are followed by [`BATCH_DATA_BYTES`] of their data. An entry is
/// published at most once, in stream order; the entries after the last
/// batch come only in the result (a small layer publishes nothing: its
/// scan ends as soon), which holds every entry, as [`index_stream`]'s. A
/// stream that fails later may have published entries.
pub fn index_stream_published<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Algorithm,
    limits: &Limits,
    publish: &mut dyn FnMut(&[Entry]),
) -> Result<StreamIndex> {
    hash_and_index(reader, layer, algorithm, limits, publish, None)
}

/// [`index_stream`] that also hands every regular file's bytes — the
/// buffers read for its content hash — to `observer` (see
/// [`FileObserver`]), so a content scan costs no second decode of the
/// layer. The result is [`index_stream`]'s.
pub fn index_stream_observed<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Algorithm,
    limits: &Limits,
    observer: &mut dyn FileObserver,
) -> Result<StreamIndex> {
    hash_and_index(
        reader,
        layer,
        algorithm,
        limits,
        &mut |_| {},
        Some(observer),
    )
}

/// [`index_stream_published`], with an optional observer of file data.
fn hash_and_index<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Algorithm,
    limits: &Limits,
    publish: &mut dyn FnMut(&[Entry]),
    observer: Option<&mut dyn FileObserver>,
) -> Result<StreamIndex> {
    let (index, digest) =
        read_and_index(reader, layer, Some(algorithm), limits, publish, observer)?;
    let digest = digest.ok_or(Error::Io {
        what: format!("layer {layer}"),
        offset: index.size,
        source: io::Error::other("hasher missing"),
    })?;
    Ok(StreamIndex {
        digest,
        size: index.size,
        entries: index.entries,
        trailing_bytes: index.trailing_bytes,
        trailing_data: index.trailing_data,
        warnings: index.warnings,
    })
}

/// Indexes an uncompressed layer stream without hashing anything: the
/// stream is not digested and file data is passed over, not hashed (the
/// entries' `content_hash` stays None). This is what `flatten` needs to
/// plan its output; it proves nothing about integrity.
pub fn index_entries<R: Read>(reader: R, layer: usize, limits: &Limits) -> Result<EntryIndex> {
    read_and_index(reader, layer, None, limits, &mut |_| {}, None).map(|(index, _)| index)
}

/// Reads a layer stream to its end and indexes it; with an `algorithm` the
/// stream is digested and every regular file's data hashed (XXH3),
/// otherwise nothing is hashed (and `observer` sees nothing).
fn read_and_index<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Option<Algorithm>,
    limits: &Limits,
    publish: &mut dyn FnMut(&[Entry]),
    observer: Option<&mut dyn FileObserver>,
) -> Result<(EntryIndex, Option<Digest>)> {
    let mut counting =
        HashingReader::new(LimitReader::new(reader, limits.max_layer_bytes), algorithm);
    let walked = {
        let mut archive = tar::Archive::new(TarGuard::new(&mut counting, limits.max_pax_bytes));
        let iter = archive
            .entries()
            .map_err(|e| tar_error(layer, limits, 0, e))?;
        walk(iter, layer, limits, algorithm.is_some(), publish, observer)?
    };
    let end_of_tar = counting.count();
    let (trailing_bytes, trailing_data) = trailing(&mut counting, end_of_tar, layer, limits)?;
    let (digest, size) = counting.finish();
    let index = EntryIndex {
        size,
        warnings: finish_warnings(
            walked.warnings,
            trailing_data,
            trailing_bytes,
            end_of_tar,
            layer,
        ),
        entries: walked.entries,
        trailing_bytes,
        trailing_data,
    };
    Ok((index, digest))
}

/// Like [`index_entries`] for a seekable *plain tar* stream: file data is
/// skipped by seeking, so indexing costs one header read per entry.
pub fn index_entries_seekable<R: Read + Seek>(
    reader: R,
    layer: usize,
    limits: &Limits,
) -> Result<EntryIndex> {
    let mut limited = LimitReader::new(reader, limits.max_layer_bytes);
    let walked = {
        let mut archive = tar::Archive::new(TarGuard::new(&mut limited, limits.max_pax_bytes));
        let iter = archive
            .entries_with_seek()
            .map_err(|e| tar_error(layer, limits, 0, e))?;
        walk(iter, layer, limits, false, &mut |_| {}, None)?
    };
    // Seeking past the end of a truncated stream is not an error, and the
    // tar reader takes the end of input for the end of the archive: compare
    // with the real length.
    let end_of_tar = limited.position;
    let seek_error = |source: io::Error| Error::LayerTar {
        layer,
        offset: end_of_tar,
        source,
    };
    let length = limited.seek(SeekFrom::End(0)).map_err(seek_error)?;
    if end_of_tar > length {
        return Err(Error::LayerTar {
            layer,
            offset: length,
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "entry data ends early: the layer ends at {length}, its last entry at {end_of_tar}"
                ),
            ),
        });
    }
    limited
        .seek(SeekFrom::Start(end_of_tar))
        .map_err(seek_error)?;
    let (trailing_bytes, trailing_data) = trailing(&mut limited, end_of_tar, layer, limits)?;
    Ok(EntryIndex {
        size: limited.position,
        warnings: finish_warnings(
            walked.warnings,
            trailing_data,
            trailing_bytes,
            end_of_tar,
            layer,
        ),
        entries: walked.entries,
        trailing_bytes,
        trailing_data,
    })
}

/// The error for a failed tar read: a limit the guard or the size cap
/// enforced, or a format error at `offset`.
fn tar_error(layer: usize, limits: &Limits, offset: u64, source: io::Error) -> Error {
    let limit_error =
        |what: &str, limit: &'static str, value: u64, flag: &'static str| Error::Limit {
            what: format!("layer {layer}: {what}"),
            limit,
            value,
            flag,
        };
    if let Some(violation) = guard::violation(&source) {
        limit_error(
            &violation.to_string(),
            "max_pax_bytes",
            limits.max_pax_bytes,
            flags::MAX_PAX_BYTES,
        )
    } else if source.kind() == io::ErrorKind::Other
        && source
            .to_string()
            .contains(LimitReader::<io::Empty>::MESSAGE)
    {
        limit_error(
            "uncompressed size",
            "max_layer_bytes",
            limits.max_layer_bytes,
            flags::MAX_LAYER_BYTES,
        )
    } else {
        Error::LayerTar {
            layer,
            offset,
            source: tar_fault::describe(source, tar_fault::block_at(offset)),
        }
    }
}

/// Reads what follows the end-of-archive header: its length and whether
/// any of it is non-zero.
fn trailing<R: Read>(
    reader: &mut R,
    end_of_tar: u64,
    layer: usize,
    limits: &Limits,
) -> Result<(u64, bool)> {
    let mut trailing_data = false;
    let mut trailing_bytes = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| tar_error(layer, limits, end_of_tar.saturating_add(trailing_bytes), e))?;
        if n == 0 {
            break;
        }
        trailing_data |= buf.get(..n).unwrap_or_default().iter().any(|&b| b != 0);
        trailing_bytes += n as u64;
    }
    Ok((trailing_bytes, trailing_data))
}

/// The walk's warnings plus the trailing-data one, capped per code.
fn finish_warnings(
    mut warnings: Vec<Warning>,
    trailing_data: bool,
    trailing_bytes: u64,
    end_of_tar: u64,
    layer: usize,
) -> Vec<Warning> {
    if trailing_data {
        warnings.push(
            Warning::new(
                "data-after-end",
                format!(
                    "{trailing_bytes} bytes follow the tar end marker (included in the diff_id)"
                ),
            )
            .in_layer(layer)
            .at(end_of_tar),
        );
    }
    cap_repeats(warnings, layer)
}

/// Entries and warnings of one pass over the tar headers.
/// When [`walk`] publishes entries (see [`index_stream_published`]).
struct Batches {
    /// Entries published so far.
    published: usize,
    /// Pending entries that make the next batch.
    size: usize,
    /// Entry data since the last batch.
    data: u64,
}

impl Default for Batches {
    fn default() -> Self {
        Batches {
            published: 0,
            size: FIRST_BATCH,
            data: 0,
        }
    }
}

impl Batches {
    /// After an entry (with `data` bytes) was added to `entries`.
    fn after(&mut self, entries: &[Entry], data: u64, publish: &mut dyn FnMut(&[Entry])) {
        self.data = self.data.saturating_add(data);
        let pending = entries.len().saturating_sub(self.published);
        if pending >= self.size || self.data >= BATCH_DATA_BYTES {
            self.flush(entries, publish);
            if pending >= self.size {
                self.size = (self.size * 2).min(LARGEST_BATCH);
            }
        }
    }

    /// Publishes what is pending.
    fn flush(&mut self, entries: &[Entry], publish: &mut dyn FnMut(&[Entry])) {
        if let Some(batch) = entries.get(self.published..).filter(|b| !b.is_empty()) {
            publish(batch);
        }
        self.published = entries.len();
        self.data = 0;
    }
}

struct Walked {
    entries: Vec<Entry>,
    warnings: Vec<Warning>,
}

/// Indexes every entry of `iter`; with `content_hashes` each regular file's
/// data is read and hashed (XXH3) and shown to `observer`, otherwise the
/// tar reader passes over it.
fn walk<R: Read>(
    iter: tar::Entries<'_, R>,
    layer: usize,
    limits: &Limits,
    content_hashes: bool,
    publish: &mut dyn FnMut(&[Entry]),
    mut observer: Option<&mut dyn FileObserver>,
) -> Result<Walked> {
    let mut warnings = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut batches = Batches::default();
    let limit_error =
        |what: &str, limit: &'static str, value: u64, flag: &'static str| Error::Limit {
            what: format!("layer {layer}: {what}"),
            limit,
            value,
            flag,
        };
    let tar_error = |offset: u64, source: io::Error| tar_error(layer, limits, offset, source);
    {
        let mut next_offset = 0u64;
        let mut content = Xxh3::new();
        let mut buf = vec![0u8; 64 * 1024];
        for item in iter {
            let mut tar_entry = item.map_err(|e| tar_error(next_offset, e))?;
            let header_offset = tar_entry.raw_header_position();
            // Where this entry's headers (extension headers included) start.
            let entry_start = next_offset.min(header_offset);
            // An old-GNU sparse entry stores its packed size in the header
            // (the `tar` crate reports the expanded one).
            let stored = if tar_entry.header().entry_type().is_gnu_sparse() {
                tar_entry.header().entry_size().unwrap_or(0)
            } else {
                tar_entry.size()
            };
            next_offset = tar_entry
                .raw_file_position()
                .saturating_add(stored.saturating_add(511) & !511);
            if entries.len() as u64 >= limits.max_entries_per_layer {
                return Err(limit_error(
                    "entry count",
                    "max_entries_per_layer",
                    limits.max_entries_per_layer,
                    flags::MAX_ENTRIES,
                ));
            }
            let mut raw_path = tar_entry.path_bytes().into_owned();
            let pax_names = entry::PaxNames::of(&mut tar_entry);
            if let Some(pax_path) = pax_names.paths.last() {
                let distinct = pax_names.paths.iter().any(|p| p != pax_path);
                if *pax_path != raw_path || distinct {
                    warnings.push(
                        Warning::new(
                            "conflicting-names",
                            format!(
                                "entry at offset {header_offset} has several names ({} from a GNU long name or an earlier record, {} from the last PAX path record): the PAX path is used, as GNU tar and Go's archive/tar do",
                                quoted(&names::encode(&raw_path)),
                                quoted(&names::encode(pax_path))
                            ),
                        )
                        .in_layer(layer)
                        .at(header_offset),
                    );
                    raw_path = pax_path.clone();
                }
            }
            if pax_names.malformed {
                warnings.push(
                    Warning::new(
                        "malformed-pax",
                        format!(
                            "entry at offset {header_offset} has a malformed PAX record (ignored; GNU tar and Go's archive/tar refuse the entry)"
                        ),
                    )
                    .in_layer(layer)
                    .at(header_offset),
                );
            }
            let pax_sparse = pax_sparse_of(&mut tar_entry)
                .map_err(|why| sparse_error(layer, limits, header_offset, &raw_path, why))?;
            if let Some(name) = pax_sparse.as_ref().and_then(|s| s.name.clone()) {
                raw_path = name;
            }
            if raw_path.len() as u64 > limits.max_path_bytes {
                return Err(limit_error(
                    &format!(
                        "entry at offset {header_offset} has a {}-byte name",
                        raw_path.len()
                    ),
                    "max_path_bytes",
                    limits.max_path_bytes,
                    flags::MAX_PATH_BYTES,
                ));
            }
            let shown = || quoted(&names::encode(&raw_path)).to_string();
            let Some(kind) = entry::kind_of(tar_entry.header().entry_type()) else {
                if !tar_entry.header().entry_type().is_pax_global_extensions() {
                    warnings.push(
                        Warning::new(
                            "unknown-entry-type",
                            format!(
                                "entry {} has unknown type byte 0x{:02x}; skipped",
                                shown(),
                                tar_entry.header().entry_type().as_byte()
                            ),
                        )
                        .in_layer(layer)
                        .at(header_offset),
                    );
                }
                continue;
            };
            let normalized = match paths::normalize(&raw_path) {
                Ok(n) => n,
                Err(why) => {
                    warnings.push(skip_warning(
                        &Skipped::UnsafePath(why),
                        &shown(),
                        layer,
                        header_offset,
                    ));
                    continue;
                }
            };
            if normalized.was_absolute && !normalized.path.is_empty() {
                warnings.push(
                    Warning::new(
                        "absolute-path",
                        format!("entry {} is absolute; treated as relative", shown()),
                    )
                    .in_layer(layer)
                    .at(header_offset),
                );
            }
            if normalized.not_utf8 {
                warnings.push(
                    Warning::new(
                        "non-utf8-path",
                        format!(
                            "entry {} is not valid UTF-8 (its exact bytes are kept)",
                            shown()
                        ),
                    )
                    .in_layer(layer)
                    .at(header_offset),
                );
            }
            if paths::non_portable(&normalized.path) {
                warnings.push(
                    Warning::new(
                        "non-portable-path",
                        format!(
                            "entry {} has a backslash or drive letter: kept verbatim (one Linux name), but tools on Windows may read it as a path",
                            shown()
                        ),
                    )
                    .in_layer(layer)
                    .at(header_offset),
                );
            }
            if normalized.path.is_empty() && kind != EntryKind::Dir {
                warnings.push(skip_warning(
                    &Skipped::RootNotDir,
                    &shown(),
                    layer,
                    header_offset,
                ));
                continue;
            }
            let mut record = match entry::from_tar(&mut tar_entry, &normalized, kind) {
                Ok(e) => e,
                Err(skip) => {
                    warnings.push(skip_warning(&skip, &shown(), layer, header_offset));
                    continue;
                }
            };
            if let Some(info) = pax_sparse {
                record.size = info.real_size;
                // Export reads the PAX records again from here.
                record.header_offset = entry_start;
                let stored = tar_entry.size();
                let fail = |why| sparse_error(layer, limits, header_offset, &raw_path, why);
                let (map, packed) = match info.map {
                    Some(map) => (map, stored),
                    None => {
                        let (map, used) =
                            sparse::read_map(&mut tar_entry, limits.max_pax_bytes).map_err(fail)?;
                        (map, stored.saturating_sub(used))
                    }
                };
                sparse::validate(&map, info.real_size, packed).map_err(fail)?;
                if content_hashes {
                    content.reset();
                    let mut watch = watching(&mut observer, &record);
                    sparse::expand(&mut tar_entry, &map, info.real_size, &mut |chunk| {
                        content.update(chunk);
                        if let Some(o) = watch.as_deref_mut() {
                            o.data(chunk);
                        }
                        Ok(())
                    })
                    .map_err(|e| tar_error(record.data_offset, e))?;
                    record.content_hash = Some(content.digest());
                    if let Some(o) = watch {
                        o.end(&record);
                    }
                }
            } else if kind == EntryKind::File && content_hashes {
                content.reset();
                let mut watch = watching(&mut observer, &record);
                let mut remaining = record.size;
                while remaining > 0 {
                    let want = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(buf.len());
                    let n = tar_entry
                        .read(buf.get_mut(..want).unwrap_or_default())
                        .map_err(|e| tar_error(record.data_offset, e))?;
                    if n == 0 {
                        return Err(tar_error(
                            record.data_offset,
                            io::Error::new(io::ErrorKind::UnexpectedEof, "entry data ends early"),
                        ));
                    }
                    let chunk = buf.get(..n).unwrap_or_default();
                    content.update(chunk);
                    if let Some(o) = watch.as_deref_mut() {
                        o.data(chunk);
                    }
                    remaining -= n as u64;
                }
                record.content_hash = Some(content.digest());
                if let Some(o) = watch {
                    o.end(&record);
                }
            }
            let data = record.size;
            entries.push(record);
            batches.after(&entries, data, publish);
        }
    }
    Ok(Walked { entries, warnings })
}

/// The observer, when there is one and it wants to see `entry`'s data.
fn watching<'a>(
    observer: &'a mut Option<&mut dyn FileObserver>,
    entry: &Entry,
) -> Option<&'a mut dyn FileObserver> {
    let o = observer.as_deref_mut()?;
    if o.begin(entry) { Some(o) } else { None }
}

/// The PAX sparse records of a regular-file entry (None for any other
/// entry, including old-GNU sparse ones, which the `tar` crate expands).
fn pax_sparse_of<R: Read>(
    entry: &mut tar::Entry<'_, R>,
) -> std::result::Result<Option<PaxSparse>, SparseError> {
    let regular = matches!(
        entry.header().entry_type(),
        tar::EntryType::Regular | tar::EntryType::Continuous
    );
    if !regular {
        return Ok(None);
    }
    match entry.pax_extensions() {
        Ok(Some(extensions)) => sparse::from_records(
            extensions
                .flatten()
                .map(|e| (e.key_bytes(), e.value_bytes())),
        ),
        _ => Ok(None),
    }
}

/// The error for a PAX sparse entry that cannot be expanded: a limit error
/// for an oversized map, else a format error naming the entry.
fn sparse_error(
    layer: usize,
    limits: &Limits,
    offset: u64,
    path: &[u8],
    why: SparseError,
) -> Error {
    let shown = quoted(&names::encode(path)).to_string();
    match why {
        SparseError::TooLarge { .. } => Error::Limit {
            what: format!("layer {layer}: sparse map of entry {shown} at offset {offset}"),
            limit: "max_pax_bytes",
            value: limits.max_pax_bytes,
            flag: flags::MAX_PAX_BYTES,
        },
        SparseError::Io(source) => tar_error(layer, limits, offset, source),
        SparseError::Invalid(why) => Error::LayerTar {
            layer,
            offset,
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                format!("sparse entry {shown} at offset {offset}: {why}"),
            ),
        },
    }
}

/// Most warnings of one code kept per layer; the rest are summarized.
const MAX_WARNINGS_PER_CODE: usize = 5;

/// Keeps the first few warnings of each code and summarizes the rest, so a
/// layer with 100,000 odd entries yields a readable list.
fn cap_repeats(warnings: Vec<Warning>, layer: usize) -> Vec<Warning> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut kept = Vec::new();
    for warning in warnings {
        let count = counts.entry(warning.code.clone()).or_insert(0);
        *count += 1;
        if *count <= MAX_WARNINGS_PER_CODE {
            kept.push(warning);
        }
    }
    for (code, count) in counts {
        if count > MAX_WARNINGS_PER_CODE {
            kept.push(
                Warning::new(
                    &code,
                    format!(
                        "… and {} more {code} warnings in this layer",
                        count - MAX_WARNINGS_PER_CODE
                    ),
                )
                .in_layer(layer),
            );
        }
    }
    kept
}

fn skip_warning(skip: &Skipped, shown: &str, layer: usize, offset: u64) -> Warning {
    let (code, why) = match skip {
        Skipped::UnsafePath(why) => ("unsafe-path", why.describe()),
        Skipped::InvalidWhiteout => ("invalid-whiteout", "is a malformed whiteout"),
        Skipped::RootNotDir => ("root-not-dir", "names the root but is not a directory"),
        Skipped::NotAFile => ("not-a-file", "names no file"),
        Skipped::BadLinkTarget => (
            "bad-link-target",
            "is a hard link with an unsafe or empty target",
        ),
    };
    Warning::new(code, format!("entry {shown} {why}; skipped"))
        .in_layer(layer)
        .at(offset)
}

/// Fails reads once more than `limit` bytes have passed; tracks the
/// position (seeking moves it, so a seekable stream is capped by offset).
struct LimitReader<R> {
    inner: R,
    limit: u64,
    position: u64,
}

impl<R> LimitReader<R> {
    const MESSAGE: &'static str = "decompressed size limit exceeded";

    fn new(inner: R, limit: u64) -> Self {
        LimitReader {
            inner,
            limit,
            position: 0,
        }
    }
}

impl<R: Read> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let position = self.position.saturating_add(n as u64);
        if position > self.limit {
            return Err(io::Error::other(Self::MESSAGE));
        }
        self.position = position;
        Ok(n)
    }
}

impl<R: Seek> Seek for LimitReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.position = self.inner.seek(to)?;
        Ok(self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(files: &[(&str, usize)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, size) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(*size as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, name, vec![7u8; *size].as_slice())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    /// Batches come in stream order, grow, and together are the result's
    /// entries; a big file's data publishes what is pending before it.
    #[test]
    fn published_batches_cover_every_entry_in_order() {
        let mut files: Vec<(String, usize)> = (0..3000).map(|i| (format!("f{i}"), 1)).collect();
        files.push(("big".into(), (BATCH_DATA_BYTES + 1) as usize));
        files.push(("after".into(), 1));
        let refs: Vec<(&str, usize)> = files.iter().map(|(n, s)| (n.as_str(), *s)).collect();
        let bytes = layer(&refs);
        let mut batches: Vec<Vec<Entry>> = Vec::new();
        let index = index_stream_published(
            bytes.as_slice(),
            0,
            Algorithm::Sha256,
            &Limits::default(),
            &mut |b| batches.push(b.to_vec()),
        )
        .unwrap();
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(&sizes[..3], &[256, 512, 1024]);
        // 3000 − 1792 = 1208 pending, then the big file (16 MiB of data)
        // publishes them with it; the last entry comes only in the result.
        assert_eq!(&sizes[3..], &[1209]);
        let joined: Vec<Entry> = batches.concat();
        assert_eq!(joined.as_slice(), &index.entries[..3001]);
        assert_eq!(index.entries.len(), 3002);
        let plain =
            index_stream(bytes.as_slice(), 0, Algorithm::Sha256, &Limits::default()).unwrap();
        assert_eq!(plain, index);
    }
}
