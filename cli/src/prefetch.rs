//! Decompressing layer blobs ahead of their consumer: a [`LayerOpener`]
//! for export whose readers yield the *uncompressed* stream, produced by a
//! background thread per layer (the next needed layer starts while the
//! current one is being written). The core detects plain tar and passes it
//! through, so the core's export works unchanged.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread;

use layerscope::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use layerscope::overlay::LayerOpener;

use crate::commands::common::Loaded;

/// Chunks of decompressed bytes, or the error that ended the stream.
type Chunks = Receiver<io::Result<Vec<u8>>>;

const CHUNK: usize = 1 << 20;

/// Opens layers for export, decompressing on background threads.
pub struct PrefetchOpener<'a> {
    loaded: &'a Loaded,
    /// Layers export will read, ascending.
    needed: BTreeSet<usize>,
    started: HashMap<usize, Chunks>,
}

impl<'a> PrefetchOpener<'a> {
    /// An opener that expects to be asked for `needed` layers in order.
    pub fn new(loaded: &'a Loaded, needed: BTreeSet<usize>) -> Self {
        PrefetchOpener {
            loaded,
            needed,
            started: HashMap::new(),
        }
    }

    fn start(&mut self, layer: usize) -> io::Result<()> {
        if self.started.contains_key(&layer) {
            return Ok(());
        }
        let location = self
            .loaded
            .opened
            .layers
            .get(layer)
            .and_then(|p| p.location.clone())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("layer {layer} blob is missing"),
                )
            })?;
        let reader = self.loaded.input.open_blob(&location)?;
        self.started.insert(layer, spawn_decoder(reader));
        Ok(())
    }
}

fn spawn_decoder(reader: Box<dyn Read + Send>) -> Chunks {
    let (sender, receiver) = sync_channel(8);
    thread::spawn(move || {
        let result = (|| -> io::Result<()> {
            let (head, cursor, rest) =
                compression::peek(io::BufReader::with_capacity(256 * 1024, reader), SNIFF_LEN)?;
            let mut decoder = match compression::detect(&head) {
                Detected::Supported(c) => Decoder::new(c, cursor.chain(rest)),
                // Let the core see the raw bytes and report the compression.
                Detected::Unsupported(_) => {
                    Decoder::new(layerscope::model::Compression::None, cursor.chain(rest))
                }
            };
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let mut filled = 0;
                while filled < CHUNK {
                    match decoder.read(chunk.get_mut(filled..).unwrap_or_default()) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                chunk.truncate(filled);
                let done = filled < CHUNK;
                if filled > 0 && sender.send(Ok(chunk)).is_err() {
                    return Ok(());
                }
                if done {
                    return Ok(());
                }
            }
        })();
        if let Err(e) = result {
            let _ = sender.send(Err(e));
        }
    });
    receiver
}

/// A reader over a chunk channel.
struct ChunkReader {
    chunks: Chunks,
    current: Vec<u8>,
    position: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position >= self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.position = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let available = self.current.get(self.position..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.position += n;
        Ok(n)
    }
}

impl LayerOpener for PrefetchOpener<'_> {
    fn open_layer(&mut self, layer: usize) -> io::Result<Box<dyn Read + '_>> {
        self.start(layer)?;
        // Start the next layer export will need while this one is consumed.
        if let Some(&next) = self.needed.range(layer + 1..).next() {
            self.start(next)?;
        }
        let chunks = self
            .started
            .remove(&layer)
            .ok_or_else(|| io::Error::other("layer decoder vanished"))?;
        Ok(Box::new(ChunkReader {
            chunks,
            current: Vec::new(),
            position: 0,
        }))
    }
}
