//! A reader that returns fewer bytes than asked: results must not depend
//! on how reads are split.

use std::io::{self, Read, Seek, SeekFrom};

/// Hands out at most the next size of a cycling list on each read (0 in
/// the list counts as 1; an empty list means 1-byte reads). Seeks pass
/// through.
#[derive(Debug)]
pub struct ShortReader<R> {
    inner: R,
    sizes: Vec<usize>,
    next: usize,
}

impl<R> ShortReader<R> {
    /// Wraps `inner`, reading at most `sizes[i % len]` bytes on call `i`.
    pub fn new(inner: R, sizes: impl IntoIterator<Item = usize>) -> Self {
        ShortReader {
            inner,
            sizes: sizes.into_iter().map(|s| s.max(1)).collect(),
            next: 0,
        }
    }

    fn limit(&mut self) -> usize {
        let size = self.sizes.get(self.next).copied().unwrap_or(1);
        self.next = if self.sizes.is_empty() {
            0
        } else {
            (self.next + 1) % self.sizes.len()
        };
        size
    }
}

impl<R: Read> Read for ShortReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.limit().min(buf.len());
        let slice = buf.get_mut(..want).unwrap_or_default();
        self.inner.read(slice)
    }
}

impl<R: Seek> Seek for ShortReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_follow_the_cycle() {
        let data: Vec<u8> = (0..20).collect();
        let mut r = ShortReader::new(&data[..], [3, 0, 5]);
        let mut buf = [0u8; 16];
        let got: Vec<usize> = (0..5).map(|_| r.read(&mut buf).unwrap()).collect();
        assert_eq!(got, [3, 1, 5, 3, 1]);
        let mut all = Vec::new();
        ShortReader::new(&data[..], [])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, data);
    }
}
