//! A byte stream passed between two threads as 1 MiB chunks over a bounded
//! channel: [`pump`] on the producing side, [`ChunkReader`] on the consuming
//! side. Used for the layer-scan pipeline and for flatten's decompression.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender};

/// Size of one chunk.
pub const CHUNK: usize = 1 << 20;

/// One message: a chunk of bytes, or the error that ended the stream.
pub type Message = io::Result<Vec<u8>>;

/// The receiving end of a chunk channel as a `Read`; the end of the stream
/// is the sender hanging up.
pub struct ChunkReader {
    receiver: Receiver<Message>,
    recycle: Option<SyncSender<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
}

impl ChunkReader {
    /// Reads from `receiver`; spent buffers go back through `recycle`.
    pub fn new(receiver: Receiver<Message>, recycle: Option<SyncSender<Vec<u8>>>) -> Self {
        ChunkReader {
            receiver,
            recycle,
            current: Vec::new(),
            position: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position >= self.current.len() {
            match self.receiver.recv() {
                Ok(Ok(data)) => {
                    let old = std::mem::replace(&mut self.current, data);
                    if let Some(recycle) = &self.recycle {
                        let _ = recycle.try_send(old);
                    }
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

/// Reads `source` to its end and sends it on in chunks (reusing buffers
/// from `recycled` when given). A read error is sent on and returned; the
/// receiver hanging up (it failed or stopped) ends the pump with `Ok`.
pub fn pump<R: Read + ?Sized>(
    source: &mut R,
    sender: &SyncSender<Message>,
    recycled: Option<&Receiver<Vec<u8>>>,
) -> io::Result<()> {
    loop {
        let mut chunk = recycled.and_then(|r| r.try_recv().ok()).unwrap_or_default();
        chunk.resize(CHUNK, 0);
        let mut filled = 0;
        while filled < CHUNK {
            match source.read(chunk.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = sender.send(Err(io::Error::new(e.kind(), e.to_string())));
                    return Err(e);
                }
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
}
