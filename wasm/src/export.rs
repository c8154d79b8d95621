//! Exporting a tar (core `overlay` export): the flattened root filesystem
//! or one layer, handed to JavaScript in chunks.

use std::io;

use js_sys::{Function, Uint8Array};
use layerscope::Error;
use layerscope::overlay::Overlay;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;
use crate::error::WasmError;
use crate::session::Session;

/// Export output is handed to JavaScript in chunks of this size.
const EXPORT_CHUNK: usize = 4 << 20;

#[wasm_bindgen]
impl Session {
    /// Streams a tar to `chunk(Uint8Array)` in ~4 MiB pieces: the flattened
    /// root filesystem when `layer` is undefined, else layer `layer`'s own
    /// changes as one layer (with whiteouts). Returns the export summary.
    #[wasm_bindgen(js_name = exportTar)]
    pub fn export_tar(
        &mut self,
        layer: Option<usize>,
        chunk: Function,
    ) -> Result<JsValue, WasmError> {
        let (scans, mut opener) = self.layers_and_opener()?;
        let overlay = match layer {
            None => Overlay::new(&scans),
            Some(i) => Overlay::range(&scans, i, i)?,
        };
        let mut out = ChunkWriter {
            buf: Vec::with_capacity(EXPORT_CHUNK),
            chunk,
        };
        let summary = overlay.export(&mut opener, &mut out)?;
        io::Write::flush(&mut out).map_err(|source| Error::Io {
            what: "export".into(),
            offset: 0,
            source,
        })?;
        to_js(&summary)
    }
}

/// Buffers export output and hands it to JavaScript in chunks.
struct ChunkWriter {
    buf: Vec<u8>,
    chunk: Function,
}

impl ChunkWriter {
    fn emit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let array = Uint8Array::from(self.buf.as_slice());
        self.buf.clear();
        self.chunk
            .call1(&JsValue::NULL, &array)
            .map(|_| ())
            .map_err(|e| io::Error::other(format!("the page refused a chunk: {e:?}")))
    }
}

impl io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Take at most what fills the chunk, so the buffer never grows past
        // EXPORT_CHUNK however large the caller's writes are.
        let room = EXPORT_CHUNK.saturating_sub(self.buf.len()).max(1);
        let taken = data.get(..room).unwrap_or(data);
        self.buf.extend_from_slice(taken);
        if self.buf.len() >= EXPORT_CHUNK {
            self.emit()?;
        }
        Ok(taken.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()
    }
}
