//! *Writing* a planned export: in order to any `Write`
//! ([`ExportLayout::write_to`], each needed layer blob read once), or at
//! positions to a [`PositionedSink`] ([`ExportLayout::write_metadata`] plus
//! one [`ExportLayout::write_layer`] per [`super::LayerPart`], in any order
//! or concurrently) — the same bytes either way. File data is read by
//! [`crate::layer::content`] and re-checked against its scanned hash when
//! there is one.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};
use crate::layer::content::{copy_file, write_err};
use crate::layer::opener::{LayerOpener, decode, open_decoded};
use crate::overlay::tarwrite;

use super::layout::{ExportLayout, ExportSummary, Paths, Segment};
use super::plan::What;

/// A positioned output: the parallel export writes each member at its
/// planned offset. Drivers implement it on a file (`pwrite`).
pub trait PositionedSink {
    /// Writes all of `bytes` at byte `offset` of the output.
    fn write_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()>;
}

impl ExportLayout<'_> {
    /// Writes the whole tar to `out` in order, reading each needed layer
    /// blob once through `opener`.
    pub fn write_to<W: Write + ?Sized>(
        &self,
        opener: &mut dyn LayerOpener,
        out: &mut W,
    ) -> Result<ExportSummary> {
        let mut next = 0usize;
        for segment in &self.segments {
            self.write_headers(next..segment.first, out)?;
            let mut stream = open_decoded(opener, segment.layer)?;
            self.write_segment(segment, &mut stream, out)?;
            next = segment.end;
        }
        self.write_headers(next..self.members.len(), out)?;
        tarwrite::finish(out).map_err(write_err)?;
        Ok(self.summary.clone())
    }

    /// Writes every member that carries no layer data (directories,
    /// whiteouts, symlinks, hard links, …) and the end-of-archive blocks,
    /// each at its planned offset. With [`ExportLayout::write_layer`] for
    /// every [`ExportLayout::parts`] entry, in any order or concurrently,
    /// this writes exactly the bytes of [`ExportLayout::write_to`].
    pub fn write_metadata(&self, sink: &dyn PositionedSink) -> Result<()> {
        let mut next = 0usize;
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for segment in &self.segments {
            runs.push(next..segment.first);
            next = segment.end;
        }
        runs.push(next..self.members.len());
        for run in runs {
            let at = self.members.get(run.start).map_or(self.end, |m| m.offset);
            let mut out = SinkWriter::new(sink, at);
            self.write_headers(run, &mut out)?;
            out.flush().map_err(write_err)?;
        }
        let mut out = SinkWriter::new(sink, self.end);
        tarwrite::finish(&mut out).map_err(write_err)?;
        out.flush().map_err(write_err)
    }

    /// Reads layer `layer`'s stored blob (compressed or not) and writes
    /// its members at their planned offsets.
    pub fn write_layer<R: Read>(
        &self,
        layer: usize,
        blob: R,
        sink: &dyn PositionedSink,
    ) -> Result<()> {
        let Some(segment) = self.segments.iter().find(|s| s.layer == layer) else {
            return Ok(());
        };
        let mut stream = decode(blob, layer)?;
        let mut out = SinkWriter::new(sink, segment.start);
        self.write_segment(segment, &mut stream, &mut out)?;
        out.flush().map_err(write_err)?;
        if out.offset != segment.stop {
            return Err(write_err(io::Error::other(format!(
                "layer {layer} wrote up to offset {} instead of {}",
                out.offset, segment.stop
            ))));
        }
        Ok(())
    }

    fn write_headers<W: Write + ?Sized>(
        &self,
        range: std::ops::Range<usize>,
        out: &mut W,
    ) -> Result<()> {
        let mut paths = Paths::new(self.tree);
        for placed in self.members.get(range).unwrap_or_default() {
            tarwrite::write_header(out, &placed.header(&mut paths)).map_err(write_err)?;
        }
        Ok(())
    }

    fn write_segment<R: Read + ?Sized, W: Write + ?Sized>(
        &self,
        segment: &Segment,
        stream: &mut R,
        out: &mut W,
    ) -> Result<()> {
        let mut pos = 0u64;
        let mut paths = Paths::new(self.tree);
        for placed in self
            .members
            .get(segment.first..segment.end)
            .unwrap_or_default()
        {
            let What::Data { layer, source } = &placed.what else {
                continue;
            };
            tarwrite::write_header(out, &placed.header(&mut paths)).map_err(write_err)?;
            let hash = copy_file(stream, &mut pos, source, *layer, out)?;
            tarwrite::pad(out, source.size).map_err(write_err)?;
            if let Some(expected) = source.content_hash {
                if expected != hash {
                    return Err(Error::ContentChanged {
                        layer: *layer,
                        path: paths.full(&placed.name),
                    });
                }
            }
        }
        Ok(())
    }
}

/// A buffered `Write` over a [`PositionedSink`], from `offset` on.
struct SinkWriter<'s> {
    sink: &'s dyn PositionedSink,
    offset: u64,
    buf: Vec<u8>,
}

impl<'s> SinkWriter<'s> {
    const CAPACITY: usize = 1 << 20;

    fn new(sink: &'s dyn PositionedSink, offset: u64) -> Self {
        SinkWriter {
            sink,
            offset,
            buf: Vec::with_capacity(Self::CAPACITY),
        }
    }
}

impl Write for SinkWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= Self::CAPACITY {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.sink.write_all_at(self.offset, &self.buf)?;
            self.offset = self.offset.saturating_add(self.buf.len() as u64);
            self.buf.clear();
        }
        Ok(())
    }
}
