//! Watching regular files' bytes as a scan reads them: the scan already
//! reads every regular file's data for its XXH3 content hash, so anything
//! else that needs file contents (the content secret scan of `advise`)
//! can be handed the same buffers instead of decoding the layer again.

use crate::model::Entry;

/// Sees each regular file's data during
/// [`index_stream_observed`](crate::layer::stream::index_stream_observed):
/// `begin` for every regular file in stream order; when it returns true,
/// `data` with the file's (expanded, for a sparse file) bytes in order,
/// then `end`. A stream that fails part-way may leave a file begun and
/// not ended.
pub trait FileObserver {
    /// A regular file's data follows; returns whether to see it.
    fn begin(&mut self, entry: &Entry) -> bool;
    /// The next bytes of the file begun.
    fn data(&mut self, chunk: &[u8]);
    /// The file begun ended (every byte was passed to `data`).
    fn end(&mut self, entry: &Entry);
}
