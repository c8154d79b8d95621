//! Progress of a long read, reported to a JavaScript callback: the stored
//! bytes read and, for a scan, the uncompressed bytes produced (a gzip
//! bomb reads little stored data while it inflates a lot, so counting only
//! stored bytes would leave its progress still).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::JsValue;

/// Progress callbacks fire after this many bytes (stored plus uncompressed).
const PROGRESS_STEP: u64 = 4 << 20;

/// The counts of one read, shared by the readers that feed them, and the
/// callback `progress(storedBytes, uncompressedBytes)`.
pub struct Tally {
    stored: Cell<u64>,
    unpacked: Cell<u64>,
    next: Cell<u64>,
    callback: Option<Function>,
}

impl Tally {
    /// A tally reporting to `callback` (nothing without one).
    pub fn new(callback: Option<Function>) -> Rc<Tally> {
        Rc::new(Tally {
            stored: Cell::new(0),
            unpacked: Cell::new(0),
            next: Cell::new(PROGRESS_STEP),
            callback,
        })
    }

    fn add(&self, stored: u64, unpacked: u64) {
        self.stored.set(self.stored.get() + stored);
        self.unpacked.set(self.unpacked.get() + unpacked);
        let sum = self.stored.get() + self.unpacked.get();
        if sum >= self.next.get() {
            self.next.set(sum + PROGRESS_STEP);
            self.report();
        }
    }

    /// Calls the callback with the counts now.
    pub fn report(&self) {
        if let Some(callback) = &self.callback {
            // A throwing callback must not abort the read.
            let _ = callback.call2(
                &JsValue::NULL,
                &crate::number::u64_to_js(self.stored.get()),
                &crate::number::u64_to_js(self.unpacked.get()),
            );
        }
    }
}

/// Counts the stored bytes read through it into a [`Tally`], which reports
/// every [`PROGRESS_STEP`] bytes and at the end of the stored data.
pub struct Progress<R> {
    inner: R,
    tally: Rc<Tally>,
    ended: bool,
}

impl<R: Read> Progress<R> {
    /// Wraps `inner` with a tally of its own; without a callback nothing is
    /// reported.
    pub fn new(inner: R, callback: Option<Function>) -> Self {
        Progress::counted(inner, Tally::new(callback))
    }

    /// Wraps `inner`, counting into `tally`.
    pub fn counted(inner: R, tally: Rc<Tally>) -> Self {
        Progress {
            inner,
            tally,
            ended: false,
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tally.add(n as u64, 0);
        if n == 0 && !buf.is_empty() && !self.ended {
            self.ended = true;
            self.tally.report();
        }
        Ok(n)
    }
}

/// Counts the uncompressed bytes read through it into a [`Tally`].
pub struct Unpacked<R> {
    inner: R,
    tally: Rc<Tally>,
}

impl<R: Read> Unpacked<R> {
    /// Wraps `inner` (a decoded stream), counting into `tally`.
    pub fn new(inner: R, tally: Rc<Tally>) -> Self {
        Unpacked { inner, tally }
    }
}

impl<R: Read> Read for Unpacked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tally.add(0, n as u64);
        Ok(n)
    }
}
