//! In-memory stand-ins for a driver's I/O during export: a positioned
//! output over a `Vec` ([`VecSink`]) and a layer opener over blobs held in
//! memory ([`MemoryLayers`]).

use std::io::{self, Cursor, Read};
use std::sync::Mutex;

use layerscope::overlay::{LayerOpener, PositionedSink};

/// A positioned output that grows a `Vec` (holes read as zeros).
#[derive(Debug, Default)]
pub struct VecSink(Mutex<Vec<u8>>);

impl VecSink {
    /// The bytes written.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
            .into_inner()
            .unwrap_or_else(|e| panic!("a writer panicked: {e}"))
    }
}

impl PositionedSink for VecSink {
    fn write_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut v = self.0.lock().map_err(|_| io::Error::other("poisoned"))?;
        let start = usize::try_from(offset).map_err(io::Error::other)?;
        let end = start + bytes.len();
        if v.len() < end {
            v.resize(end, 0);
        }
        v[start..end].copy_from_slice(bytes);
        Ok(())
    }
}

/// Opens layer `i` as the stored blob `blobs[i]` (an empty blob when
/// there is none).
#[derive(Debug, Clone, Copy)]
pub struct MemoryLayers<'a>(pub &'a [Vec<u8>]);

impl LayerOpener for MemoryLayers<'_> {
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        let blob = self.0.get(layer).map_or(&[][..], Vec::as_slice);
        Ok(Box::new(Cursor::new(blob)))
    }
}
