//! Where the image's files come from. The core never opens files itself:
//! a driver hands it a seekable reader over a tar ([`TarSource`]) or a
//! [`LayoutDir`] implementation for a layout directory.

use std::io::{self, Read, Seek, SeekFrom};

use crate::archive::members::MemberIndex;
use crate::error::{Error, Result};
use crate::limits::{Limits, flags};
use crate::model::BlobLocation;

/// Random access to the named files of an image container.
pub trait ImageSource {
    /// True for a tar archive, false for a layout directory.
    fn is_archive(&self) -> bool;
    /// Finds the regular file at a normalized relative path.
    fn locate(&mut self, path: &str) -> Result<Option<BlobLocation>>;
    /// Opens a located blob. The reader yields exactly `location.size()`
    /// bytes or fails with `UnexpectedEof` when the input is cut short.
    fn open(&mut self, location: &BlobLocation) -> Result<Box<dyn Read + '_>>;
    /// Members of the outer archive in order, when the source is a tar.
    fn member_index(&self) -> Option<&MemberIndex>;
}

/// Reads a located blob into memory, refusing anything over `max` bytes.
pub fn read_small(
    source: &mut dyn ImageSource,
    location: &BlobLocation,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let size = location.size();
    if size > limits.max_json_bytes {
        return Err(Error::Limit {
            what: location.path().to_owned(),
            limit: "max_json_bytes",
            value: limits.max_json_bytes,
            flag: flags::MAX_JSON_BYTES,
        });
    }
    let capacity = usize::try_from(size).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    let mut reader = source.open(location)?;
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| read_error(location, bytes.len() as u64, source))?;
    Ok(bytes)
}

/// Maps an I/O error while reading a blob to [`Error::Truncated`] or [`Error::Io`].
pub fn read_error(location: &BlobLocation, offset: u64, source: io::Error) -> Error {
    if source.kind() == io::ErrorKind::UnexpectedEof {
        Error::Truncated {
            what: location.path().to_owned(),
            expected: location.size(),
            available: offset,
        }
    } else {
        Error::Io {
            what: location.path().to_owned(),
            offset,
            source,
        }
    }
}

/// A reader that must yield exactly `remaining` bytes: an early end of the
/// inner reader is reported as `UnexpectedEof` rather than a short blob.
#[derive(Debug)]
pub struct ExactReader<R> {
    inner: R,
    remaining: u64,
}

impl<R: Read> ExactReader<R> {
    /// Wraps `inner`, expecting exactly `len` bytes.
    pub fn new(inner: R, len: u64) -> Self {
        ExactReader {
            inner,
            remaining: len,
        }
    }
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("input ended {} bytes early", self.remaining),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// An image inside a tar archive, read through a seekable reader.
pub struct TarSource<R> {
    reader: R,
    index: MemberIndex,
}

impl<R: Read + Seek> TarSource<R> {
    /// Indexes the archive's members (headers only).
    pub fn new(mut reader: R, limits: &Limits) -> Result<Self> {
        let index = MemberIndex::read(&mut reader, limits)?;
        Ok(TarSource { reader, index })
    }

    /// Gives the reader back.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: Read + Seek> ImageSource for TarSource<R> {
    fn is_archive(&self) -> bool {
        true
    }

    fn locate(&mut self, path: &str) -> Result<Option<BlobLocation>> {
        Ok(self
            .index
            .resolve(path)
            .map(|m| BlobLocation::ArchiveRange {
                member: m.path.clone(),
                offset: m.offset,
                size: m.size,
            }))
    }

    fn open(&mut self, location: &BlobLocation) -> Result<Box<dyn Read + '_>> {
        match location {
            BlobLocation::ArchiveRange {
                offset,
                size,
                member,
            } => {
                self.reader
                    .seek(SeekFrom::Start(*offset))
                    .map_err(|source| Error::Io {
                        what: member.clone(),
                        offset: 0,
                        source,
                    })?;
                Ok(Box::new(ExactReader::new(
                    (&mut self.reader).take(*size),
                    *size,
                )))
            }
            BlobLocation::LayoutFile { path, .. } => Err(Error::Missing {
                what: "layout file in a tar source".into(),
                path: path.clone(),
            }),
        }
    }

    fn member_index(&self) -> Option<&MemberIndex> {
        Some(&self.index)
    }
}

/// File access to an OCI layout directory, implemented by drivers (the CLI
/// over `std::fs`, the browser over a dropped folder). Paths are normalized
/// and relative: no `..`, no leading `/`.
pub trait LayoutDir {
    /// Size of the regular file at `path`, or None when absent.
    fn file_size(&mut self, path: &str) -> io::Result<Option<u64>>;
    /// Opens the file at `path` from its start.
    fn open_file(&mut self, path: &str) -> io::Result<Box<dyn Read + '_>>;
}

/// An image in a layout directory.
pub struct LayoutDirSource<D> {
    dir: D,
}

impl<D: LayoutDir> LayoutDirSource<D> {
    /// Wraps a driver's directory access.
    pub fn new(dir: D) -> Self {
        LayoutDirSource { dir }
    }
}

impl<D: LayoutDir> ImageSource for LayoutDirSource<D> {
    fn is_archive(&self) -> bool {
        false
    }

    fn locate(&mut self, path: &str) -> Result<Option<BlobLocation>> {
        let size = self.dir.file_size(path).map_err(|source| Error::Io {
            what: path.to_owned(),
            offset: 0,
            source,
        })?;
        Ok(size.map(|size| BlobLocation::LayoutFile {
            path: path.to_owned(),
            size,
        }))
    }

    fn open(&mut self, location: &BlobLocation) -> Result<Box<dyn Read + '_>> {
        match location {
            BlobLocation::LayoutFile { path, size } => {
                let reader = self.dir.open_file(path).map_err(|source| Error::Io {
                    what: path.clone(),
                    offset: 0,
                    source,
                })?;
                Ok(Box::new(ExactReader::new(reader.take(*size), *size)))
            }
            BlobLocation::ArchiveRange { member, .. } => Err(Error::Missing {
                what: "archive member in a layout directory".into(),
                path: member.clone(),
            }),
        }
    }

    fn member_index(&self) -> Option<&MemberIndex> {
        None
    }
}
