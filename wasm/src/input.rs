//! Byte sources from JavaScript: a `Read + Seek` reader over a `Blob` (read
//! synchronously with `FileReaderSync`, dedicated workers only) or a
//! `Uint8Array`, and a [`LayoutDir`] over a `Map` of relative path → `File`.

use std::io::{self, Read, Seek, SeekFrom};

use js_sys::{Map, Uint8Array};
use layerscope::LayoutDir;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, FileReaderSync};

/// Largest read-ahead: a sequential reader (a layer scan) fetches this many
/// bytes per JS round trip. Each `FileReaderSync` call has a fixed cost of
/// several milliseconds in Chromium: reading a 606 MB layer in a bare
/// worker took 5.6 s in 1 MiB reads, 4.0–4.9 s in 2 MiB, 2.4–3.2 s in 8 MiB
/// and 1.9 s in 16 MiB reads (loaded 2-core machine). In the page, 8 MiB
/// verified the 2.3 GB docker-archive as fast as 16 MiB (7.03 s, median
/// of 3 runs, against 7.01 s, median of 2) with a lower renderer high-water mark on a 10.7 GB
/// one (503 against 576 MiB); 4 MiB cost 26% (8.86 s) for 490 MiB.
const CHUNK: u64 = 8 << 20;

/// First read-ahead after a jump: opening an archive reads one 512-byte tar
/// header per member and seeks past its data, so fetching 2 MiB at every
/// header would read tens of MB to list a few members. The read-ahead
/// doubles on each sequential refill, up to [`CHUNK`].
const FIRST_CHUNK: u64 = 16 << 10;

/// Bytes read from a `Blob` per short-lived JS array the reader allocates
/// (see [`InputReader::nudge_collector`]).
const NUDGE_EVERY: u64 = 8 << 10;

/// Elements of each such array (about 0.5 KiB of JS heap).
const NUDGE_ARRAY_LEN: u32 = 64;

enum Backing {
    Blob {
        blob: Blob,
        reader: Option<FileReaderSync>,
    },
    Bytes(Uint8Array),
}

/// A seekable reader over a JS `Blob` or `Uint8Array`, with a read-ahead
/// buffer so the core's small reads do not each cross into JavaScript.
pub struct InputReader {
    backing: Backing,
    len: u64,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    /// Bytes the next refill fetches if it continues the current buffer.
    ahead: u64,
    /// Bytes the caller will read from the next jump on (0: unknown), so
    /// the first refill there fetches them at once (see [`InputReader::will_read`]).
    hint: u64,
    /// Blob bytes read since the last nudge (see [`InputReader::nudge_collector`]).
    unnudged: u64,
}

impl std::fmt::Debug for InputReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputReader")
            .field("len", &self.len)
            .field("pos", &self.pos)
            .finish()
    }
}

fn js_io_error(context: &str, error: JsValue) -> io::Error {
    let message = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"));
    io::Error::other(format!("{context}: {message}"))
}

impl InputReader {
    /// Reads a `Blob` (or `File`).
    pub fn blob(blob: Blob) -> InputReader {
        let len = blob.size().max(0.0) as u64;
        InputReader {
            backing: Backing::Blob { blob, reader: None },
            len,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            ahead: FIRST_CHUNK,
            hint: 0,
            unnudged: 0,
        }
    }

    /// Reads bytes already in memory.
    pub fn bytes(bytes: Uint8Array) -> InputReader {
        let len = u64::from(bytes.length());
        InputReader {
            backing: Backing::Bytes(bytes),
            len,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            ahead: FIRST_CHUNK,
            hint: 0,
            unnudged: 0,
        }
    }

    /// Accepts a `Blob`/`File` or a `Uint8Array`.
    pub fn from_js(value: &JsValue) -> Option<InputReader> {
        if let Some(blob) = value.dyn_ref::<Blob>() {
            Some(InputReader::blob(blob.clone()))
        } else {
            value
                .dyn_ref::<Uint8Array>()
                .map(|b| InputReader::bytes(b.clone()))
        }
    }

    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty input.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Says that `bytes` will be read sequentially from the current
    /// position (a layer blob of known size): the next refill fetches them
    /// in one round trip (up to [`CHUNK`]) instead of starting at
    /// [`FIRST_CHUNK`] — each `FileReaderSync` call costs milliseconds, so
    /// a small layer read in growing pieces paid several.
    pub fn will_read(&mut self, bytes: u64) {
        self.hint = bytes;
    }

    fn fill(&mut self) -> io::Result<()> {
        let start = self.pos;
        let sequential = !self.buf.is_empty() && start == self.buf_start + self.buf.len() as u64;
        let hint = std::mem::take(&mut self.hint);
        self.ahead = if sequential {
            self.ahead.saturating_mul(2).min(CHUNK)
        } else {
            hint.clamp(FIRST_CHUNK, CHUNK)
        };
        let end = start.saturating_add(self.ahead).min(self.len);
        // Grow the buffer straight to its final size once reads are no
        // longer small: doubling it step by step would leave a trail of
        // freed blocks in the wasm heap that cannot hold the next size.
        let want = usize::try_from(end - start).unwrap_or(usize::MAX);
        if want > self.buf.capacity() {
            let capacity = if want <= 64 << 10 {
                want
            } else {
                CHUNK as usize
            };
            self.buf = Vec::with_capacity(capacity);
        }
        match &mut self.backing {
            Backing::Bytes(bytes) => {
                let view = bytes.subarray(start as u32, end as u32);
                self.buf.resize(view.length() as usize, 0);
                view.copy_to(&mut self.buf);
            }
            Backing::Blob { blob, reader } => {
                let reader = match reader {
                    Some(r) => r,
                    None => reader.insert(FileReaderSync::new().map_err(|e| {
                        js_io_error(
                            "FileReaderSync is unavailable (blobs can only be read in a worker)",
                            e,
                        )
                    })?),
                };
                let slice = blob
                    .slice_with_f64_and_f64(start as f64, end as f64)
                    .map_err(|e| js_io_error("Blob.slice failed", e))?;
                let buffer = reader
                    .read_as_array_buffer(&slice)
                    .map_err(|e| js_io_error("reading the file failed", e))?;
                let view = Uint8Array::new(&buffer);
                self.buf.resize(view.length() as usize, 0);
                view.copy_to(&mut self.buf);
                self.unnudged += u64::from(view.length());
                self.nudge_collector();
            }
        }
        self.buf_start = start;
        if self.buf.is_empty() && start < end {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file became shorter while reading",
            ));
        }
        Ok(())
    }

    /// Lets V8 free the `ArrayBuffer`s that `FileReaderSync` returned.
    ///
    /// Each read returns a new `ArrayBuffer` whose bytes live outside the
    /// JS heap and are freed only when a collection finds it dead. A worker
    /// inside one long synchronous call (a layer scan) allocates almost
    /// nothing on its JS heap, so no young-generation collection ran and
    /// the dead buffers piled up: verifying a 10.7 GB docker-archive took
    /// the renderer to a 3.4–4.9 GiB high-water mark, almost all of it in
    /// buffers already read. Allocating a little short-lived garbage in
    /// proportion to the bytes read (about 1/16 of them) makes the
    /// collector run every read or two; see docs/benchmarks.md ("bigmem").
    fn nudge_collector(&mut self) {
        while self.unnudged >= NUDGE_EVERY {
            drop(js_sys::Array::new_with_length(NUDGE_ARRAY_LEN));
            self.unnudged -= NUDGE_EVERY;
        }
    }
}

impl Read for InputReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos >= buf_end {
            self.fill()?;
        }
        let from = usize::try_from(self.pos - self.buf_start).unwrap_or(usize::MAX);
        let available = self.buf.get(from..).unwrap_or_default();
        let n = available.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for InputReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

/// A dropped OCI layout folder: a JS `Map` from path relative to the layout
/// root (`index.json`, `blobs/sha256/<hex>`) to its `File`.
#[derive(Debug, Clone)]
pub struct JsLayoutDir {
    files: Map,
}

impl JsLayoutDir {
    /// Wraps the map.
    pub fn new(files: Map) -> JsLayoutDir {
        JsLayoutDir { files }
    }

    /// The `Blob` stored under `path`, if any.
    pub fn blob(&self, path: &str) -> Option<Blob> {
        self.files
            .get(&JsValue::from_str(path))
            .dyn_into::<Blob>()
            .ok()
    }
}

impl LayoutDir for JsLayoutDir {
    fn file_size(&mut self, path: &str) -> io::Result<Option<u64>> {
        Ok(self.blob(path).map(|b| b.size().max(0.0) as u64))
    }

    fn open_file(&mut self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        let blob = self.blob(path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{path} is not in the dropped folder"),
            )
        })?;
        Ok(Box::new(InputReader::blob(blob)))
    }
}
