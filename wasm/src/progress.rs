//! Progress of a long read, reported to a JavaScript callback.

use std::io::{self, Read};

use js_sys::Function;
use wasm_bindgen::JsValue;

/// Progress callbacks fire after this many bytes.
const PROGRESS_STEP: u64 = 4 << 20;

/// Counts bytes read and reports them to a JS callback every
/// [`PROGRESS_STEP`] bytes and at the end.
pub struct Progress<R> {
    inner: R,
    done: u64,
    next: u64,
    callback: Option<Function>,
    ended: bool,
}

impl<R: Read> Progress<R> {
    /// Wraps `inner`; without a callback nothing is reported.
    pub fn new(inner: R, callback: Option<Function>) -> Self {
        Progress {
            inner,
            done: 0,
            next: PROGRESS_STEP,
            callback,
            ended: false,
        }
    }

    fn report(&self) {
        if let Some(callback) = &self.callback {
            // A throwing callback must not abort the read.
            let _ = callback.call1(&JsValue::NULL, &crate::number::u64_to_js(self.done));
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done >= self.next {
            self.next = self.done + PROGRESS_STEP;
            self.report();
        } else if n == 0 && !buf.is_empty() && !self.ended {
            self.ended = true;
            self.report();
        }
        Ok(n)
    }
}
