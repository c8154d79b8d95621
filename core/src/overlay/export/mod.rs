//! Flatten and squash: turn a tree (or the difference between two trees)
//! into a tar, reading each layer blob at most once, in order, and only as
//! far as needed.
//!
//! Export is planned first ([`ExportLayout`]): every member and its exact
//! byte offset in the output (headers, PAX records and padding included),
//! since every size is known from the index. Member order: directories
//! (path order, so parents come first), then whiteouts and opaque markers
//! (squash only), then members without data (symlinks, devices, fifos,
//! empty files), then per source layer the files with data in stream order,
//! then hard links (after all their targets). Each layer's files therefore
//! fill one contiguous range of the output, so a driver with a positioned
//! output ([`PositionedSink`]) can write the layers in parallel, while a
//! plain `Write` gets the same bytes in order ([`ExportLayout::write_to`]).
//! Memory is proportional to the number of members, never to file sizes.
//!
//! GNU sparse files (old GNU format, type `S`, and the PAX formats 0.0, 0.1
//! and 1.0) are written expanded, as regular files whose holes read as
//! zeros.
//!
//! The steps, one file each: `plan.rs` (which members), `layout.rs` (at
//! which offsets), `write.rs` (the bytes). Reading file data out of layer
//! blobs is the layer reader's job (`layer/content.rs`, [`crate::layer::opener`]).

mod layout;
mod plan;
mod write;

use std::io::Write;

pub use layout::{ExportLayout, ExportSummary, LayerPart};
pub use write::PositionedSink;

use crate::error::Result;
use crate::layer::opener::LayerOpener;
use crate::overlay::tree::{Layers, PathId, Tree};

/// Writes the tar that turns `base` into `top`.
pub(crate) fn export<W: Write + ?Sized>(
    top: &Tree,
    order: &[PathId],
    base: &Tree,
    layers: &Layers<'_>,
    opener: &mut dyn LayerOpener,
    out: &mut W,
) -> Result<ExportSummary> {
    ExportLayout::new(top, order, base, layers).write_to(opener, out)
}
