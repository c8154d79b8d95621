//! Stage one of a scan ([`BlobStage`]: stored bytes → uncompressed bytes),
//! the single-threaded composition of both stages ([`scan_layer`]), and the
//! index-only pass that checks nothing ([`index_layer`]).

use std::io::{self, Cursor, Read, Seek, SeekFrom};

use crate::digest::{Algorithm, Digest};
use crate::error::{Error, Result};
use crate::layer::compression::{self, Decoder, Detected, SNIFF_LEN};
use crate::layer::hashing::HashingReader;
use crate::layer::stream::{
    EntryIndex, StreamIndex, index_entries, index_entries_seekable, index_stream,
};
use crate::limits::Limits;
use crate::model::{Check, CheckedObject, Compression, Entry, LayerPlan, Warning};
use crate::verify;

type Source<R> = HashingReader<io::Chain<Cursor<Vec<u8>>, R>>;

/// Stage one: reads the stored blob, hashes it (unless the uncompressed
/// hash will equal it), and yields the uncompressed bytes through `Read`.
///
/// A read error is reported through `Read` as an `io::Error`; the precise
/// typed error is kept and returned by [`BlobStage::take_error`].
pub struct BlobStage<R: Read> {
    decoder: Decoder<Source<R>>,
    compression: Compression,
    layer: usize,
    expected_size: u64,
    /// Uncompressed bytes handed out so far.
    produced: u64,
    error: Option<Error>,
}

impl<R: Read> std::fmt::Debug for BlobStage<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStage")
            .field("compression", &self.compression)
            .field("layer", &self.layer)
            .finish()
    }
}

/// What stage one learned about the stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobOutcome {
    /// Detected compression.
    pub compression: Compression,
    /// Digest of the stored bytes (None when not computed because the blob
    /// is uncompressed and its digest equals the stream digest).
    pub digest: Option<Digest>,
    /// Stored size in bytes.
    pub size: u64,
}

/// The algorithm the stored blob is hashed with.
pub fn blob_algorithm(plan: &LayerPlan) -> Algorithm {
    plan.digest
        .as_ref()
        .or(plan.name_digest.as_ref())
        .and_then(Digest::algorithm)
        .unwrap_or(Algorithm::Sha256)
}

/// Whether a stored blob's digest has to be computed apart from the
/// uncompressed stream's: the blob is compressed, or its digest uses
/// another algorithm than the diff_id (otherwise a plain tar blob's digest
/// is the stream's own). Drivers use it to decide whether hashing the
/// stored bytes is a job of its own.
pub fn stored_hash_needed(plan: &LayerPlan, compression: Compression) -> bool {
    compression != Compression::None || blob_algorithm(plan) != diff_algorithm(plan)
}

/// The algorithm the uncompressed stream is hashed with.
pub fn diff_algorithm(plan: &LayerPlan) -> Algorithm {
    plan.diff_id
        .as_ref()
        .and_then(Digest::algorithm)
        .unwrap_or(Algorithm::Sha256)
}

impl<R: Read> BlobStage<R> {
    /// Detects the compression from the first bytes and sets up decoding.
    /// `expected_size` is the blob's length, to tell truncation from corruption.
    pub fn new(reader: R, plan: &LayerPlan, expected_size: u64) -> Result<Self> {
        Self::with_stored_hash(reader, plan, expected_size, true)
    }

    /// Like [`BlobStage::new`], but with `hash_stored` false the stored
    /// bytes of a compressed blob are not hashed here: a driver hashes them
    /// elsewhere in parallel (e.g. another browser worker, with
    /// [`hash_blob`]) and sets [`BlobOutcome::digest`] before calling
    /// [`LayerScan::combine`].
    pub fn with_stored_hash(
        reader: R,
        plan: &LayerPlan,
        expected_size: u64,
        hash_stored: bool,
    ) -> Result<Self> {
        let (head, cursor, rest) = compression::peek(reader, SNIFF_LEN).map_err(|source| {
            if source.kind() == io::ErrorKind::UnexpectedEof {
                Error::Truncated {
                    what: format!("layer {} blob", plan.index),
                    expected: expected_size,
                    available: 0,
                }
            } else {
                Error::Io {
                    what: format!("layer {} blob", plan.index),
                    offset: 0,
                    source,
                }
            }
        })?;
        let compression = match compression::detect(&head) {
            Detected::Supported(c) => c,
            Detected::Unsupported(name) => {
                return Err(Error::UnsupportedCompression {
                    layer: plan.index,
                    compression: name,
                });
            }
        };
        let algorithm = if !stored_hash_needed(plan, compression) || !hash_stored {
            None
        } else {
            Some(blob_algorithm(plan))
        };
        let source = HashingReader::new(cursor.chain(rest), algorithm);
        Ok(BlobStage {
            decoder: Decoder::new(compression, source),
            compression,
            layer: plan.index,
            expected_size,
            produced: 0,
            error: None,
        })
    }

    /// The detected compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Stored bytes consumed so far (for progress).
    pub fn stored_bytes_read(&self) -> u64 {
        self.decoder.get_ref().count()
    }

    /// The typed error behind the last failed read, if any.
    pub fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// The one error a layer reports when reading its uncompressed stream
    /// failed with `stream_error` (a malformed tar, a limit, a failed read):
    /// a corrupt or truncated compressed stream is the cause, so it wins.
    ///
    /// Decoders read ahead by amounts that depend on how the stored bytes
    /// arrive (a browser slice, a pipe, a short read), so whether corruption
    /// past the tar's failure point has been seen yet is an accident of
    /// reading. To make the answer the same for every driver, a compressed
    /// blob is decoded on to its end (at most [`Limits::max_layer_bytes`]
    /// uncompressed bytes in all) before choosing: any decoder error found
    /// is reported, otherwise `stream_error` is.
    pub fn settle(&mut self, stream_error: Error, limits: &Limits) -> Error {
        if let Some(error) = self.error.take() {
            return error;
        }
        if self.compression == Compression::None {
            return stream_error;
        }
        let mut buffer = vec![0u8; 64 * 1024];
        while self.produced <= limits.max_layer_bytes {
            match self.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.error.take().unwrap_or(stream_error),
            }
        }
        stream_error
    }

    /// Reads any stored bytes the decoder left (so the blob digest covers
    /// the whole blob) and returns what was learned.
    pub fn finish(self) -> Result<BlobOutcome> {
        let compression = self.compression;
        let layer = self.layer;
        let expected_size = self.expected_size;
        let mut source = self.decoder.into_inner();
        let leftover = source
            .drain()
            .map_err(|e| classify(e, compression, layer, source.count(), expected_size))?;
        let (digest, size) = source.finish();
        let _ = leftover;
        Ok(BlobOutcome {
            compression,
            digest,
            size,
        })
    }
}

fn classify(
    source: io::Error,
    compression: Compression,
    layer: usize,
    consumed: u64,
    expected_size: u64,
) -> Error {
    if source.kind() == io::ErrorKind::UnexpectedEof && consumed < expected_size {
        return Error::Truncated {
            what: format!("layer {layer} blob"),
            expected: expected_size,
            available: consumed,
        };
    }
    match compression {
        Compression::None => Error::Io {
            what: format!("layer {layer} blob"),
            offset: consumed,
            source,
        },
        c => Error::Decompress {
            layer,
            compression: c.name(),
            compressed_offset: consumed,
            source,
        },
    }
}

impl<R: Read> Read for BlobStage<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.decoder.read(buf) {
            Ok(n) => {
                self.produced = self.produced.saturating_add(n as u64);
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                let message = e.to_string();
                let consumed = self.decoder.get_ref().count();
                self.error = Some(classify(
                    e,
                    self.compression,
                    self.layer,
                    consumed,
                    self.expected_size,
                ));
                Err(io::Error::new(kind, message))
            }
        }
    }
}

/// Hashes a whole stored blob (for drivers that hash stored bytes apart
/// from decompression): its digest with the plan's blob algorithm and size.
pub fn hash_blob<R: Read>(reader: R, plan: &LayerPlan) -> Result<(Digest, u64)> {
    let mut hashing = HashingReader::new(reader, Some(blob_algorithm(plan)));
    hashing.drain().map_err(|source| {
        let what = format!("layer {} blob", plan.index);
        if source.kind() == io::ErrorKind::UnexpectedEof {
            Error::Truncated {
                what,
                expected: plan.location.as_ref().map_or(0, |l| l.size()),
                available: hashing.count(),
            }
        } else {
            Error::Io {
                what,
                offset: hashing.count(),
                source,
            }
        }
    })?;
    let (digest, size) = hashing.finish();
    let digest = digest.ok_or_else(|| Error::Io {
        what: format!("layer {} blob", plan.index),
        offset: size,
        source: io::Error::other("hasher missing"),
    })?;
    Ok((digest, size))
}

/// Everything scanning one layer found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerScan {
    /// Layer index.
    pub index: usize,
    /// Detected compression.
    pub compression: Compression,
    /// Digest of the stored blob.
    pub blob_digest: Digest,
    /// Stored size.
    pub blob_size: u64,
    /// Digest of the uncompressed stream.
    pub diff_id: Digest,
    /// Uncompressed size.
    pub uncompressed_size: u64,
    /// Entries in stream order.
    pub entries: Vec<Entry>,
    /// Blob and diff_id checks.
    pub checks: Vec<Check>,
    /// Oddities.
    pub warnings: Vec<Warning>,
}

impl LayerScan {
    /// Combines the two stages' results and checks them against the plan.
    pub fn combine(plan: &LayerPlan, blob: BlobOutcome, stream: StreamIndex) -> LayerScan {
        let blob_digest = blob.digest.unwrap_or_else(|| stream.digest.clone());
        let blob_check = blob_check(plan, &blob_digest, blob.size, &stream.digest);
        let diff_check = verify::compare(
            CheckedObject::LayerDiffId { layer: plan.index },
            plan.diff_id.as_ref(),
            None,
            Some(stream.digest.clone()),
            stream.size,
            "the config declares no diff_id for this layer",
        );
        LayerScan {
            index: plan.index,
            compression: blob.compression,
            blob_digest,
            blob_size: blob.size,
            diff_id: stream.digest,
            uncompressed_size: stream.size,
            entries: stream.entries,
            checks: vec![blob_check, diff_check],
            warnings: stream.warnings,
        }
    }

    /// The same stored blob's scan checked against another plan: another
    /// image of one archive that lists this blob (perhaps at another layer
    /// index) is verified without reading the blob again.
    pub fn rebind(&self, plan: &LayerPlan) -> LayerScan {
        let warnings = self
            .warnings
            .iter()
            .cloned()
            .map(|w| match w.layer {
                Some(_) => w.in_layer(plan.index),
                None => w,
            })
            .collect();
        LayerScan::combine(
            plan,
            BlobOutcome {
                compression: self.compression,
                digest: Some(self.blob_digest.clone()),
                size: self.blob_size,
            },
            StreamIndex {
                digest: self.diff_id.clone(),
                size: self.uncompressed_size,
                entries: self.entries.clone(),
                trailing_bytes: 0,
                trailing_data: false,
                warnings,
            },
        )
    }
}

fn blob_check(
    plan: &LayerPlan,
    blob_digest: &Digest,
    blob_size: u64,
    stream_digest: &Digest,
) -> Check {
    let object = CheckedObject::LayerBlob { layer: plan.index };
    if let Some(expected) = &plan.digest {
        return verify::compare(
            object,
            Some(expected),
            plan.descriptor_size,
            Some(blob_digest.clone()),
            blob_size,
            "",
        );
    }
    if let Some(claimed) = &plan.name_digest {
        // A content-addressed member name may name the stored blob or,
        // for some tools, the uncompressed stream: either proves integrity.
        let actual = if claimed == stream_digest {
            stream_digest
        } else {
            blob_digest
        };
        let mut check = verify::compare(
            object,
            Some(claimed),
            None,
            Some(actual.clone()),
            blob_size,
            "",
        );
        check
            .detail
            .get_or_insert_with(|| "checked against the content-addressed member name".into());
        return check;
    }
    verify::compare(
        object,
        None,
        None,
        Some(blob_digest.clone()),
        blob_size,
        "docker-archive manifests declare no layer blob digest (the diff_id is checked instead)",
    )
}

/// Scans one layer on the calling thread: `reader` yields the stored blob
/// (exactly `plan.location`'s size bytes).
pub fn scan_layer<R: Read>(reader: R, plan: &LayerPlan, limits: &Limits) -> Result<LayerScan> {
    let expected_size = plan.location.as_ref().map_or(0, |l| l.size());
    let mut blob = BlobStage::new(reader, plan, expected_size)?;
    let stream = match index_stream(&mut blob, plan.index, diff_algorithm(plan), limits) {
        Ok(s) => s,
        Err(e) => return Err(blob.settle(e, limits)),
    };
    let outcome = blob.finish()?;
    Ok(LayerScan::combine(plan, outcome, stream))
}

/// Indexes one layer without checking anything: no digest of the stored
/// or uncompressed bytes and no content hashes (see
/// [`index_entries`](crate::layer::stream::index_entries)). `reader` yields
/// the stored blob from its first byte; a plain tar blob is indexed by
/// seeking over file data, a compressed one is decompressed and parsed.
/// This is what `flatten` needs to plan its output; it proves nothing.
pub fn index_layer<R: Read + Seek>(
    mut reader: R,
    plan: &LayerPlan,
    limits: &Limits,
) -> Result<EntryIndex> {
    let expected_size = plan.location.as_ref().map_or(0, |l| l.size());
    let io_error = |source: io::Error| Error::Io {
        what: format!("layer {} blob", plan.index),
        offset: 0,
        source,
    };
    let mut head = [0u8; SNIFF_LEN];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(head.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    reader.seek(SeekFrom::Start(0)).map_err(io_error)?;
    if compression::detect(head.get(..filled).unwrap_or_default())
        == Detected::Supported(Compression::None)
    {
        return index_entries_seekable(reader, plan.index, limits);
    }
    let buffered = io::BufReader::with_capacity(256 * 1024, reader);
    let mut blob = BlobStage::with_stored_hash(buffered, plan, expected_size, false)?;
    let index = match index_entries(&mut blob, plan.index, limits) {
        Ok(index) => index,
        Err(e) => return Err(blob.settle(e, limits)),
    };
    blob.finish()?;
    Ok(index)
}
