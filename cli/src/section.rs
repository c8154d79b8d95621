//! A seekable reader over one blob's byte range of a file (positioned
//! reads, so it needs no seek calls of its own), for indexing plain tar
//! layers by seeking over file data.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;

use layerscope::model::BlobLocation;

use crate::input::Input;

/// Bytes `start..start + len` of a file as `Read + Seek`.
#[derive(Debug)]
pub struct Section {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl Section {
    /// Opens the blob at `location` of `input`.
    pub fn open(input: &Input, location: &BlobLocation) -> io::Result<Section> {
        let (file, start, len) = match (input, location) {
            (Input::Tar(path, _), BlobLocation::ArchiveRange { offset, size, .. }) => {
                (File::open(path)?, *offset, *size)
            }
            (Input::Dir(root), BlobLocation::LayoutFile { path, size }) => {
                (File::open(root.join(path))?, 0, *size)
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "location does not belong to this input",
                ));
            }
        };
        Ok(Section {
            file,
            start,
            len,
            pos: 0,
        })
    }
}

impl Read for Section {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(
            buf.get_mut(..want).unwrap_or_default(),
            self.start.saturating_add(self.pos),
        )?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("blob ends at {} of {} bytes", self.pos, self.len),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Section {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before the blob start")
        })?;
        Ok(self.pos)
    }
}
