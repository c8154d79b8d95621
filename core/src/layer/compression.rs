//! Layer compression: detected from the bytes (never trusted from the media
//! type), and the matching streaming decoder.

use std::io::{self, Cursor, Read};

use flate2::read::MultiGzDecoder;

use crate::layer::zstd::ZstdReader;
use crate::model::Compression;

/// How many leading bytes detection looks at (one tar header block).
pub const SNIFF_LEN: usize = 512;

/// What the leading bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A format we decode.
    Supported(Compression),
    /// A recognised format we do not decode (`bzip2`, `xz`, `lz4`), or `unknown`.
    Unsupported(&'static str),
}

impl Detected {
    /// The format's lowercase name: `none`, `gzip`, `zstd`, or the
    /// unsupported format's (`bzip2`, `xz`, `lz4`, `unknown`).
    pub fn name(self) -> &'static str {
        match self {
            Detected::Supported(c) => c.name(),
            Detected::Unsupported(name) => name,
        }
    }
}

/// Detects compression from up to [`SNIFF_LEN`] leading bytes.
pub fn detect(head: &[u8]) -> Detected {
    match head {
        [0x1f, 0x8b, ..] => Detected::Supported(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Detected::Supported(Compression::Zstd),
        [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Detected::Supported(Compression::Zstd),
        [b'B', b'Z', b'h', ..] => Detected::Unsupported("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Detected::Unsupported("xz"),
        [0x04, 0x22, 0x4d, 0x18, ..] => Detected::Unsupported("lz4"),
        [] => Detected::Supported(Compression::None),
        _ if looks_like_tar(head) => Detected::Supported(Compression::None),
        _ => Detected::Unsupported("unknown"),
    }
}

/// A tar stream starts with a header whose checksum is right, or with the
/// zero blocks of an empty archive.
fn looks_like_tar(head: &[u8]) -> bool {
    if head.iter().all(|&b| b == 0) {
        return true;
    }
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.get(257..262) == Some(b"ustar") {
        return true;
    }
    let Some(field) = block.get(148..156) else {
        return false;
    };
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect();
    let Ok(stored) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let computed: u32 = block
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
    stored == computed
}

/// Reads up to `len` leading bytes (looping over short reads) and returns
/// them together with a reader that yields the whole stream again.
pub fn peek<R: Read>(mut reader: R, len: usize) -> io::Result<(Vec<u8>, Cursor<Vec<u8>>, R)> {
    let mut head = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = reader.read(head.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    Ok((head.clone(), Cursor::new(head), reader))
}

/// A decompressing reader for one of the supported compressions (the
/// decoder state stays inside: the decompression crates are the core's own
/// business).
pub struct Decoder<R: Read>(Inner<R>);

/// The decoder of each compression.
enum Inner<R: Read> {
    /// Plain tar: bytes pass through.
    Plain(R),
    /// gzip, all members (eStargz is many members).
    Gzip(Box<MultiGzDecoder<R>>),
    /// zstd, all frames.
    Zstd(Box<ZstdReader<R>>),
}

impl<R: Read> std::fmt::Debug for Decoder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Inner::Plain(_) => "Decoder::Plain",
            Inner::Gzip(_) => "Decoder::Gzip",
            Inner::Zstd(_) => "Decoder::Zstd",
        })
    }
}

impl<R: Read> Decoder<R> {
    /// A decoder for `compression` over `source`.
    pub fn new(compression: Compression, source: R) -> Self {
        Decoder(match compression {
            Compression::None => Inner::Plain(source),
            Compression::Gzip => Inner::Gzip(Box::new(MultiGzDecoder::new(source))),
            Compression::Zstd => Inner::Zstd(Box::new(ZstdReader::new(source))),
        })
    }

    /// The compressed source.
    pub fn get_ref(&self) -> &R {
        match &self.0 {
            Inner::Plain(r) => r,
            Inner::Gzip(d) => d.get_ref(),
            Inner::Zstd(d) => d.get_ref(),
        }
    }

    /// Gives the compressed source back.
    pub fn into_inner(self) -> R {
        match self.0 {
            Inner::Plain(r) => r,
            Inner::Gzip(d) => d.into_inner(),
            Inner::Zstd(d) => d.into_inner(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.0 {
            Inner::Plain(r) => r.read(buf),
            Inner::Gzip(d) => d.read(buf),
            Inner::Zstd(d) => d.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_magics() {
        assert_eq!(
            detect(&[0x1f, 0x8b, 8]),
            Detected::Supported(Compression::Gzip)
        );
        assert_eq!(
            detect(&[0x28, 0xb5, 0x2f, 0xfd]),
            Detected::Supported(Compression::Zstd)
        );
        assert_eq!(detect(b"BZh91AY"), Detected::Unsupported("bzip2"));
        assert_eq!(
            detect(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Detected::Unsupported("xz")
        );
        assert_eq!(detect(&[0u8; 1024]), Detected::Supported(Compression::None));
        assert_eq!(detect(b"hello world"), Detected::Unsupported("unknown"));
        assert_eq!(detect(b""), Detected::Supported(Compression::None));
    }
}
