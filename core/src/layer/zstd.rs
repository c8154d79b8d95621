//! A zstd reader over any number of frames (zstd:chunked and concatenated
//! streams), skipping skippable frames and checking frame checksums.
//! Window sizes are bounded by the decoder (100 MiB), so a hostile header
//! cannot make it allocate more — but ruzstd 0.8 applies that bound only
//! when it *resets* an existing frame state, not when it creates the first
//! one, so [`ZstdReader::new`] primes the decoder with an empty frame (see
//! [`EMPTY_FRAME`]): without it, a first frame declaring a 2 TiB window
//! made the decoder hold the whole decoded frame in memory.

use std::io::{self, BufRead, BufReader, Read};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// Decodes a sequence of zstd frames.
pub struct ZstdReader<R: Read> {
    source: BufReader<R>,
    decoder: FrameDecoder,
    in_frame: bool,
}

impl<R: Read> std::fmt::Debug for ZstdReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZstdReader")
            .field("in_frame", &self.in_frame)
            .finish()
    }
}

/// The smallest zstd frame: single segment, content size 0, one empty last
/// raw block.
pub const EMPTY_FRAME: [u8; 9] = [0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x01, 0x00, 0x00];

impl<R: Read> ZstdReader<R> {
    /// Wraps a compressed stream.
    pub fn new(source: R) -> Self {
        let mut decoder = FrameDecoder::new();
        // Creates the frame state, so that every real frame header goes
        // through `reset`, which refuses windows over 100 MiB.
        let _ = decoder.reset(&EMPTY_FRAME[..]);
        ZstdReader {
            source: BufReader::with_capacity(128 * 1024, source),
            decoder,
            in_frame: false,
        }
    }

    /// The compressed source.
    pub fn get_ref(&self) -> &R {
        self.source.get_ref()
    }

    /// Gives the compressed source back (buffered bytes are dropped; they
    /// have been read from it already).
    pub fn into_inner(self) -> R {
        self.source.into_inner()
    }

    fn start_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped != u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "zstd skippable frame is truncated",
                        ));
                    }
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }
}

impl<R: Read> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.start_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.decoder.can_collect() < buf.len() && !self.decoder.is_finished() {
                let wanted = buf.len() - self.decoder.can_collect();
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(wanted))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.decoder.is_finished() && self.decoder.can_collect() == 0 {
                if let (Some(stored), Some(computed)) = (
                    self.decoder.get_checksum_from_data(),
                    self.decoder.get_calculated_checksum(),
                ) {
                    if stored != computed {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "zstd frame checksum mismatch",
                        ));
                    }
                }
                self.in_frame = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_with_window(descriptor: u8) -> Vec<u8> {
        // Not single-segment, no content size: the window descriptor rules.
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, descriptor];
        f.extend_from_slice(&[0x19, 0x00, 0x00]); // last raw block of 3 bytes
        f.extend_from_slice(b"abc");
        f
    }

    #[test]
    fn first_frame_window_is_bounded() {
        let mut out = Vec::new();
        let huge = frame_with_window(31 << 3); // 2 TiB
        let err = ZstdReader::new(&huge[..])
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
        out.clear();
        let small = frame_with_window(0); // 1 KiB
        ZstdReader::new(&small[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
    }

    #[test]
    fn single_segment_content_size_is_bounded() {
        // Single segment with an 8-byte content size of 1 TiB.
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        f.extend_from_slice(&(1u64 << 40).to_le_bytes());
        f.extend_from_slice(&[0x19, 0x00, 0x00]);
        f.extend_from_slice(b"abc");
        let mut out = Vec::new();
        assert!(ZstdReader::new(&f[..]).read_to_end(&mut out).is_err());
    }
}
