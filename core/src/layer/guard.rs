//! A reader placed *under* the `tar` crate that enforces
//! [`Limits::max_pax_bytes`](crate::limits::Limits::max_pax_bytes) before the
//! tar reader buffers anything.
//!
//! The `tar` crate reads the data of PAX extended headers (`x`) and GNU
//! long-name/long-link headers (`L`/`K`) fully into memory, and collects the
//! GNU sparse map (the extension blocks after an `S` header) into a list, all
//! without any bound: a 100 MB PAX record allocates 100 MB, and a
//! decompression bomb could make it allocate without end. [`TarGuard`]
//! watches the bytes the tar reader pulls through it, follows the 512-byte
//! header boundaries exactly as `tar` 0.4 does (including the PAX `size`
//! override of the next entry, the sparse extension blocks, and the
//! end-of-archive zero block), and fails the read that completes an
//! extension header whose declared size is over the limit — before the tar
//! reader has allocated anything for it.
//!
//! It is an observer, not a second parser: when the stream stops looking
//! like what `tar` accepts (bad checksum, unparsable size, a seek that skips
//! a header), the `tar` reader fails or stops on its own and the guard
//! simply stops watching. It never fails a read of a stream that `tar`
//! would accept, except for the limit.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// Size of a tar block.
const BLOCK: u64 = 512;

/// An extension header (or sparse map) larger than `max_pax_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionTooLarge {
    /// Offset of the offending header block in the tar stream.
    pub offset: u64,
    /// What it is: `PAX extended header`, `PAX global header`,
    /// `GNU long name`, `GNU long link name` or `GNU sparse map`.
    pub kind: &'static str,
    /// Its declared size in bytes (for a sparse map: the extension blocks
    /// seen so far).
    pub size: u64,
}

impl fmt::Display for ExtensionTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {} declares {} bytes",
            self.kind, self.offset, self.size
        )
    }
}

impl std::error::Error for ExtensionTooLarge {}

/// The guard's verdict carried inside an `io::Error`, if that is what the
/// error is.
pub fn violation(error: &io::Error) -> Option<&ExtensionTooLarge> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ExtensionTooLarge>())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The next header block starts at `at`.
    Header { at: u64 },
    /// The data of a PAX extended header occupies `start..end`; the header
    /// after it starts at `next`.
    Pax { start: u64, end: u64, next: u64 },
    /// A GNU sparse extension block starts at `at`; `data` rounded bytes of
    /// entry data follow the last extension block.
    SparseExt { at: u64, data: u64 },
    /// End of archive reached, or the stream left what `tar` accepts.
    Done,
}

/// Watches a tar stream and refuses oversized extension headers.
pub struct TarGuard<R> {
    inner: R,
    pos: u64,
    limit: u64,
    phase: Phase,
    block: [u8; BLOCK as usize],
    fill: usize,
    pax: Vec<u8>,
    /// PAX data read for the entry being assembled (applies its `size`).
    pending_pax: Option<Vec<u8>>,
    sparse_blocks: u64,
}

impl<R> fmt::Debug for TarGuard<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TarGuard")
            .field("pos", &self.pos)
            .field("limit", &self.limit)
            .field("phase", &self.phase)
            .finish()
    }
}

impl<R> TarGuard<R> {
    /// Wraps a tar stream positioned at its first header; `limit` is the
    /// largest extension header accepted, in bytes.
    pub fn new(inner: R, limit: u64) -> Self {
        TarGuard {
            inner,
            pos: 0,
            limit,
            phase: Phase::Header { at: 0 },
            block: [0; BLOCK as usize],
            fill: 0,
            pax: Vec::new(),
            pending_pax: None,
            sparse_blocks: 0,
        }
    }

    /// Gives the wrapped reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Follows `bytes`, which were read at stream offset `start`.
    fn observe(&mut self, start: u64, bytes: &[u8]) -> Result<(), ExtensionTooLarge> {
        let mut p = start;
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.phase {
                Phase::Done => return Ok(()),
                Phase::Header { at } | Phase::SparseExt { at, .. } => {
                    let want = at.saturating_add(self.fill as u64);
                    let Some(skip) = self.align(p, rest.len(), want) else {
                        return Ok(());
                    };
                    rest = rest.get(skip..).unwrap_or_default();
                    let take = (BLOCK as usize - self.fill).min(rest.len());
                    let (head, tail) = rest.split_at(take);
                    if let Some(dst) = self.block.get_mut(self.fill..self.fill + take) {
                        dst.copy_from_slice(head);
                    }
                    self.fill += take;
                    p = want.saturating_add(take as u64);
                    rest = tail;
                    if self.fill == BLOCK as usize {
                        self.fill = 0;
                        self.block_complete()?;
                    }
                }
                Phase::Pax { start, end, next } => {
                    let want = start.saturating_add(self.pax.len() as u64);
                    let Some(skip) = self.align(p, rest.len(), want) else {
                        return Ok(());
                    };
                    rest = rest.get(skip..).unwrap_or_default();
                    let left = usize::try_from(end - want).unwrap_or(usize::MAX);
                    let take = left.min(rest.len());
                    let (head, tail) = rest.split_at(take);
                    self.pax.extend_from_slice(head);
                    p = want.saturating_add(take as u64);
                    rest = tail;
                    if self.pax.len() as u64 == end - start {
                        self.pending_pax = Some(std::mem::take(&mut self.pax));
                        self.phase = Phase::Header { at: next };
                    }
                }
            }
        }
        Ok(())
    }

    /// Where in a chunk of `len` bytes at `p` the byte at `want` is: None
    /// when the chunk ends before it; `Done` when the chunk skipped past it.
    fn align(&mut self, p: u64, len: usize, want: u64) -> Option<usize> {
        if p > want {
            self.phase = Phase::Done;
            return None;
        }
        let skip = usize::try_from(want - p).ok()?;
        (skip < len).then_some(skip)
    }

    fn block_complete(&mut self) -> Result<(), ExtensionTooLarge> {
        match self.phase {
            Phase::Header { at } => self.header_complete(at),
            Phase::SparseExt { at, data } => {
                self.sparse_blocks += 1;
                let size = self.sparse_blocks.saturating_mul(BLOCK);
                if size > self.limit {
                    self.phase = Phase::Done;
                    return Err(ExtensionTooLarge {
                        offset: at,
                        kind: "GNU sparse map",
                        size,
                    });
                }
                let next = at.saturating_add(BLOCK);
                // `isextended` of a GnuExtSparseHeader is byte 504.
                self.phase = if self.block.get(504) == Some(&1) {
                    Phase::SparseExt { at: next, data }
                } else {
                    Phase::Header {
                        at: next.saturating_add(data),
                    }
                };
                Ok(())
            }
            Phase::Pax { .. } | Phase::Done => Ok(()),
        }
    }

    fn header_complete(&mut self, at: u64) -> Result<(), ExtensionTooLarge> {
        self.phase = Phase::Done;
        if self.block.iter().all(|&b| b == 0) {
            // End of archive: `tar` stops here.
            return Ok(());
        }
        let mut header = tar::Header::new_old();
        header.as_mut_bytes().copy_from_slice(&self.block);
        let computed: u32 = self
            .block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(b)
                }
            })
            .sum();
        if header.cksum().ok() != Some(computed) {
            // `tar` fails on this header.
            return Ok(());
        }
        let kind = header.entry_type();
        let extension_kind = if kind.is_pax_local_extensions() {
            Some("PAX extended header")
        } else if kind.is_pax_global_extensions() {
            Some("PAX global header")
        } else if kind.is_gnu_longname() {
            Some("GNU long name")
        } else if kind.is_gnu_longlink() {
            Some("GNU long link name")
        } else {
            None
        };
        let Ok(mut size) = header.entry_size() else {
            return Ok(());
        };
        if extension_kind.is_none() {
            if let Some(pax_size) = self.pending_pax.as_deref().and_then(pax_size) {
                size = pax_size;
            }
        }
        if let Some(kind) = extension_kind {
            if size > self.limit {
                return Err(ExtensionTooLarge {
                    offset: at,
                    kind,
                    size,
                });
            }
        }
        let Some(rounded) = size.checked_add(BLOCK - 1).map(|s| s & !(BLOCK - 1)) else {
            return Ok(());
        };
        let data_start = at.saturating_add(BLOCK);
        let Some(next) = data_start.checked_add(rounded) else {
            return Ok(());
        };
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        if recognized && kind.is_pax_local_extensions() {
            if self.pending_pax.is_some() {
                // `tar`: two PAX headers for one member is an error.
                return Ok(());
            }
            self.pax.clear();
            if size == 0 {
                self.pending_pax = Some(Vec::new());
                self.phase = Phase::Header { at: next };
            } else {
                self.phase = Phase::Pax {
                    start: data_start,
                    end: data_start.saturating_add(size),
                    next,
                };
            }
        } else if recognized && (kind.is_gnu_longname() || kind.is_gnu_longlink()) {
            self.phase = Phase::Header { at: next };
        } else {
            // `tar` hands this header out as an entry: the pending PAX data
            // belonged to it.
            self.pending_pax = None;
            let extended = kind.is_gnu_sparse() && header.as_gnu().is_some_and(|g| g.is_extended());
            self.phase = if extended {
                self.sparse_blocks = 0;
                Phase::SparseExt {
                    at: data_start,
                    data: rounded,
                }
            } else {
                Phase::Header { at: next }
            };
        }
        Ok(())
    }
}

/// The `size` record of PAX data, read the way `tar` 0.4 reads it (the
/// first malformed record ends the search).
fn pax_size(data: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(data) {
        let record = record.ok()?;
        if record.key() != Ok("size") {
            continue;
        }
        return record.value().ok()?.parse::<u64>().ok();
    }
    None
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let start = self.pos;
        self.pos = self.pos.saturating_add(n as u64);
        if let Err(violation) = self.observe(start, buf.get(..n).unwrap_or_default()) {
            self.phase = Phase::Done;
            return Err(io::Error::new(io::ErrorKind::InvalidData, violation));
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for TarGuard<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = self.inner.seek(to)?;
        self.pos = pos;
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: u8, name: &str, size: u64) -> [u8; 512] {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_path(name).unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        *h.as_bytes()
    }

    fn pad(v: &mut Vec<u8>) {
        while v.len() % 512 != 0 {
            v.push(0);
        }
    }

    fn read_all(bytes: &[u8], limit: u64, chunk: usize) -> Result<Vec<String>, io::Error> {
        struct Chunky<'a>(&'a [u8], usize);
        impl Read for Chunky<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut archive = tar::Archive::new(TarGuard::new(Chunky(bytes, chunk), limit));
        let mut names = Vec::new();
        for e in archive.entries()? {
            let mut e = e?;
            names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
            io::copy(&mut e, &mut io::sink())?;
        }
        Ok(names)
    }

    #[test]
    fn oversized_pax_is_refused_before_buffering() {
        let mut tar = header(b'x', "pax", 10_000_000).to_vec();
        tar.extend(std::iter::repeat_n(b'a', 4096));
        let err = read_all(&tar, 1 << 20, 512).unwrap_err();
        let v = violation(&err).unwrap();
        assert_eq!(v.offset, 0);
        assert_eq!(v.size, 10_000_000);
        assert_eq!(v.kind, "PAX extended header");
    }

    #[test]
    fn follows_pax_size_override_and_long_names() {
        // x (size=1024) → L → file whose ustar size says 0, then a long name
        // header over the limit: found only if the override was followed.
        let record = b"13 size=1024\n";
        let mut tar = header(b'x', "pax", record.len() as u64).to_vec();
        tar.extend_from_slice(record);
        pad(&mut tar);
        tar.extend_from_slice(&header(b'L', "././@LongLink", 6));
        tar.extend_from_slice(b"long1\0");
        pad(&mut tar);
        tar.extend_from_slice(&header(b'0', "short", 0));
        tar.extend(std::iter::repeat_n(b'z', 1024));
        tar.extend_from_slice(&header(b'L', "././@LongLink", 5000));
        tar.extend(std::iter::repeat_n(b'n', 5120));
        tar.extend_from_slice(&header(b'0', "after", 0));
        tar.extend([0u8; 1024]);
        for chunk in [1, 7, 512, 100_000] {
            let names = read_all(&tar, 1 << 20, chunk).unwrap();
            assert_eq!(names.len(), 2);
            assert_eq!((names[0].as_str(), names[1].len()), ("long1", 5000));
            let err = read_all(&tar, 4096, chunk).unwrap_err();
            let v = violation(&err).unwrap();
            assert_eq!((v.offset, v.kind), (3584, "GNU long name"));
        }
    }

    #[test]
    fn sparse_maps_are_bounded() {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_path("sparse").unwrap();
        h.set_size(0);
        h.as_mut_bytes()[482] = 1;
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        for _ in 0..10 {
            let mut ext = [0u8; 512];
            ext[504] = 1;
            tar.extend_from_slice(&ext);
        }
        let err = read_all(&tar, 2048, 512).unwrap_err();
        let v = violation(&err).unwrap();
        assert_eq!(v.kind, "GNU sparse map");
        assert_eq!(v.offset, 512 * 5);
    }
}
