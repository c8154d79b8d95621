//! PAX sparse files: the GNU formats 0.0, 0.1 and 1.0, which the `tar`
//! crate reads as plain files (under a `GNUSparseFile.NNN/` name, with the
//! packed size and the packed bytes). Go's `archive/tar`, which container
//! runtimes extract layers with, expands all three, so the index and the
//! exports do too.
//!
//! The formats keep the real name in `GNU.sparse.name` (0.1, 1.0; 0.0
//! keeps it in the header) and the real size in `GNU.sparse.realsize`
//! (1.0) or `GNU.sparse.size` (0.x). The map of data chunks is
//! `GNU.sparse.offset`/`GNU.sparse.numbytes` record pairs (0.0), one
//! `GNU.sparse.map` record (0.1), or decimal lines at the start of the
//! entry data, padded to 512 bytes (1.0). The chunks are stored back to
//! back; everything else reads as zeros.

use std::io::{self, Read};

/// Size of a tar block.
const BLOCK: usize = 512;

/// What an entry's PAX records say about it being a sparse file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaxSparse {
    /// The real name (`GNU.sparse.name`), when recorded.
    pub name: Option<Vec<u8>>,
    /// The expanded size.
    pub real_size: u64,
    /// The data chunks (offset, length) for 0.x; None for 1.0, whose map
    /// starts the entry data (see [`read_map`]).
    pub map: Option<Vec<(u64, u64)>>,
}

/// Why a sparse entry cannot be expanded.
#[derive(Debug, thiserror::Error)]
pub enum SparseError {
    /// The 1.0 map in the entry data is longer than allowed.
    #[error("sparse map longer than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The records or the map are malformed or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// Reading the entry data failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

fn invalid(why: impl Into<String>) -> SparseError {
    SparseError::Invalid(why.into())
}

fn number(value: &[u8], what: &str) -> Result<u64, SparseError> {
    std::str::from_utf8(value)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("{what} is not a decimal number")))
}

/// Reads the sparse records among an entry's PAX `records` (key, value);
/// None when the entry is not a PAX sparse file.
pub fn from_records<'a, I>(records: I) -> Result<Option<PaxSparse>, SparseError>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let mut sparse = false;
    let (mut major, mut minor) = (None, None);
    let (mut name, mut size, mut real_size) = (None, None, None);
    let mut map01: Option<Vec<u64>> = None;
    let mut map00: Vec<u64> = Vec::new();
    for (key, value) in records {
        let Some(key) = key.strip_prefix(b"GNU.sparse.") else {
            continue;
        };
        match key {
            b"major" => major = Some(number(value, "GNU.sparse.major")?),
            b"minor" => minor = Some(number(value, "GNU.sparse.minor")?),
            b"name" => name = Some(value.to_vec()),
            b"size" => size = Some(number(value, "GNU.sparse.size")?),
            b"realsize" => real_size = Some(number(value, "GNU.sparse.realsize")?),
            b"map" => {
                let numbers = if value.is_empty() {
                    Vec::new()
                } else {
                    value
                        .split(|&b| b == b',')
                        .map(|v| number(v, "GNU.sparse.map entry"))
                        .collect::<Result<Vec<_>, _>>()?
                };
                map01 = Some(numbers);
            }
            b"offset" => {
                if map00.len() % 2 != 0 {
                    return Err(invalid("GNU.sparse.offset without its numbytes"));
                }
                map00.push(number(value, "GNU.sparse.offset")?);
            }
            b"numbytes" => {
                if map00.len() % 2 != 1 {
                    return Err(invalid("GNU.sparse.numbytes without its offset"));
                }
                map00.push(number(value, "GNU.sparse.numbytes")?);
            }
            _ => continue,
        }
        sparse = true;
    }
    if !sparse {
        return Ok(None);
    }
    let real_size = real_size
        .or(size)
        .ok_or_else(|| invalid("sparse entry without GNU.sparse.realsize or GNU.sparse.size"))?;
    let map = match (major, minor) {
        (Some(1), Some(0)) => None,
        (None, None) => {
            let numbers = map01.unwrap_or(map00);
            if numbers.len() % 2 != 0 {
                return Err(invalid("sparse map with an odd number of values"));
            }
            Some(pairs(&numbers))
        }
        (major, minor) => {
            return Err(invalid(format!(
                "unsupported sparse format {}.{}",
                major.map_or("?".into(), |m| m.to_string()),
                minor.map_or("?".into(), |m| m.to_string())
            )));
        }
    };
    Ok(Some(PaxSparse {
        name,
        real_size,
        map,
    }))
}

fn pairs(numbers: &[u64]) -> Vec<(u64, u64)> {
    numbers
        .chunks_exact(2)
        .filter_map(|c| match c {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// Reads a format 1.0 map from the start of the entry data: decimal
/// numbers one per line (the count, then offset/length pairs), padded to a
/// whole block. Returns the map and the bytes it took; more than `limit`
/// bytes is [`SparseError::TooLarge`], so memory stays bounded.
pub fn read_map<R: Read + ?Sized>(
    data: &mut R,
    limit: u64,
) -> Result<(Vec<(u64, u64)>, u64), SparseError> {
    let mut block = [0u8; BLOCK];
    let mut consumed = 0u64;
    let mut numbers: Vec<u64> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut count: Option<u64> = None;
    loop {
        if consumed.saturating_add(BLOCK as u64) > limit.max(BLOCK as u64) {
            return Err(SparseError::TooLarge { limit });
        }
        data.read_exact(&mut block)?;
        consumed += BLOCK as u64;
        for &b in &block {
            if b != b'\n' {
                if current.len() >= 20 {
                    return Err(invalid("sparse map number too long"));
                }
                current.push(b);
                continue;
            }
            let value = number(&current, "sparse map entry")?;
            current.clear();
            match count {
                None => {
                    // Each pair takes at least 4 bytes ("0\n0\n").
                    if value.saturating_mul(4) > limit {
                        return Err(SparseError::TooLarge { limit });
                    }
                    count = Some(value);
                }
                Some(_) => numbers.push(value),
            }
            if count.is_some_and(|c| numbers.len() as u64 == c.saturating_mul(2)) {
                return Ok((pairs(&numbers), consumed));
            }
        }
    }
}

/// Checks a map against the real size and the packed data length: chunks
/// in ascending order without overlap, within the real size, their lengths
/// summing to the packed data. The message names the offending offset.
pub fn validate(map: &[(u64, u64)], real_size: u64, packed: u64) -> Result<(), SparseError> {
    let mut end = 0u64;
    let mut total = 0u64;
    for &(offset, length) in map {
        if offset < end {
            return Err(invalid(format!(
                "sparse chunk at offset {offset} is out of order or overlaps the previous one"
            )));
        }
        end = offset
            .checked_add(length)
            .filter(|e| *e <= real_size)
            .ok_or_else(|| {
                invalid(format!(
                    "sparse chunk at offset {offset} ({length} bytes) ends past the file size {real_size}"
                ))
            })?;
        total = total.saturating_add(length);
    }
    if total != packed {
        return Err(invalid(format!(
            "sparse map lists {total} data bytes but {packed} are stored"
        )));
    }
    Ok(())
}

/// Expands packed sparse `data` through `sink`: zeros for the holes, the
/// chunks of `map` (already validated) read in order, `real_size` bytes in
/// all.
pub fn expand<R: Read + ?Sized>(
    data: &mut R,
    map: &[(u64, u64)],
    real_size: u64,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let zeros = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    let emit_zeros = |mut n: u64, sink: &mut dyn FnMut(&[u8]) -> io::Result<()>| {
        while n > 0 {
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(zeros.len());
            sink(zeros.get(..take).unwrap_or_default())?;
            n -= take as u64;
        }
        io::Result::Ok(())
    };
    for &(offset, length) in map {
        emit_zeros(offset.saturating_sub(written), sink)?;
        let mut left = length;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = data.read(chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "sparse data ends early",
                ));
            }
            sink(chunk.get(..n).unwrap_or_default())?;
            left -= n as u64;
        }
        written = offset.saturating_add(length).max(written);
    }
    emit_zeros(real_size.saturating_sub(written), sink)
}

/// Reads the extension headers that precede an entry's own header:
/// `prefix` holds them and ends with that header block. Returns the sparse
/// records (None when there are none) and the entry's stored data length
/// (the PAX `size` record, else the header's size field).
pub fn from_headers(prefix: &[u8]) -> Result<(Option<PaxSparse>, u64), SparseError> {
    let mut at = 0usize;
    let mut records: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    loop {
        let block = prefix
            .get(at..at.saturating_add(BLOCK))
            .ok_or_else(|| invalid(format!("header at offset {at} is cut short")))?;
        let mut header = tar::Header::new_old();
        header.as_mut_bytes().copy_from_slice(block);
        let size = header
            .entry_size()
            .map_err(|e| invalid(format!("header at offset {at}: {e}")))?;
        let data_start = at + BLOCK;
        if data_start == prefix.len() {
            let size_record = records
                .iter()
                .rev()
                .find(|(k, _)| k == b"size")
                .map(|(_, v)| number(v, "PAX size"))
                .transpose()?;
            let sparse = from_records(records.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))?;
            return Ok((sparse, size_record.unwrap_or(size)));
        }
        let padded = usize::try_from(size)
            .ok()
            .and_then(|s| s.checked_add(BLOCK - 1))
            .map(|s| s & !(BLOCK - 1))
            .ok_or_else(|| invalid(format!("header at offset {at} is too large")))?;
        let data = prefix
            .get(data_start..)
            .and_then(|d| d.get(..usize::try_from(size).unwrap_or(usize::MAX)))
            .ok_or_else(|| invalid(format!("header at offset {at} is cut short")))?;
        if header.entry_type().is_pax_local_extensions() {
            for record in tar::PaxExtensions::new(data).flatten() {
                records.push((record.key_bytes().to_vec(), record.value_bytes().to_vec()));
            }
        }
        at = data_start.saturating_add(padded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs<'a>(r: &'a [(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
        r.iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect()
    }

    #[test]
    fn formats() {
        let s = from_records(recs(&[
            ("GNU.sparse.size", "100"),
            ("GNU.sparse.offset", "10"),
            ("GNU.sparse.numbytes", "5"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((s.real_size, s.map), (100, Some(vec![(10, 5)])));
        let s = from_records(recs(&[
            ("GNU.sparse.size", "100"),
            ("GNU.sparse.name", "a/b"),
            ("GNU.sparse.map", "0,1,50,2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(s.name.as_deref(), Some(&b"a/b"[..]));
        assert_eq!(s.map, Some(vec![(0, 1), (50, 2)]));
        let s = from_records(recs(&[
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.realsize", "7"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((s.real_size, s.map), (7, None));
        assert!(from_records(recs(&[("path", "x")])).unwrap().is_none());
        assert!(from_records(recs(&[("GNU.sparse.map", "1,2")])).is_err());
    }

    #[test]
    fn v1_map_and_bomb() {
        let mut data = b"2\n0\n3\n10\n2\n".to_vec();
        data.resize(512, 0);
        data.extend_from_slice(b"abcde");
        let mut r = &data[..];
        let (map, used) = read_map(&mut r, 1 << 20).unwrap();
        assert_eq!((map, used), (vec![(0, 3), (10, 2)], 512));
        let mut out = Vec::new();
        expand(&mut r, &[(0, 3), (10, 2)], 14, &mut |c| {
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(out, b"abc\0\0\0\0\0\0\0de\0\0");
        // A map that never ends stops at the limit.
        let bomb = b"99999999999\n".repeat(10_000);
        assert!(matches!(
            read_map(&mut &bomb[..], 4096),
            Err(SparseError::TooLarge { .. })
        ));
        let mut endless = b"1000\n".to_vec();
        endless.extend(b"55555\n".repeat(100_000));
        assert!(matches!(
            read_map(&mut &endless[..], 4096),
            Err(SparseError::TooLarge { .. })
        ));
    }

    #[test]
    fn validation() {
        assert!(validate(&[(0, 3), (10, 2)], 14, 5).is_ok());
        assert!(validate(&[(10, 2), (0, 3)], 14, 5).is_err());
        assert!(validate(&[(0, 3), (13, 2)], 14, 5).is_err());
        assert!(validate(&[(0, 3)], 14, 5).is_err());
        assert!(validate(&[(u64::MAX, 2)], 14, 2).is_err());
    }
}
