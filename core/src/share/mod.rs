//! Sharing across many images: which layers several images have in
//! common (matched by diff_id, since one layer stored gzip in one file and
//! uncompressed in another has two blob digests), what the set costs
//! together and what sharing saves, the common base, and each image's own
//! bytes.
//!
//! The flow, driven by a CLI or the page:
//!
//! 1. [`ShareSet::add_input`] for each input (a repeated file counts once),
//!    [`open_input`] on each new one (every image of a multi-image
//!    archive, see [`choose_images`]) and [`ShareSet::add_images`], in input
//!    order.
//! 2. Sizes: manifests and configs carry no uncompressed sizes, so every
//!    blob's first bytes are probed ([`ShareSet::probe_jobs`],
//!    [`crate::layer::probe`]): a blob stored uncompressed gives its
//!    layer's size. Each layer still unsized is then inflated once, from
//!    one of its blobs, without hashing ([`ShareSet::count_jobs`],
//!    [`crate::layer::count_uncompressed`]). With `--verify` every blob is
//!    scanned instead ([`ShareSet::verify_jobs`]).
//! 3. [`ShareSet::report`].

mod analyse;
pub mod choose;
pub mod model;
pub mod set;

pub use analyse::{BASE_DIGEST, BASE_NAME};
pub use choose::{choose_images, open_input};
pub use model::{
    BaseAnnotation, CommonBase, ImageVerification, InputError, InputStatus, LayerUse, ShareBytes,
    ShareImage, ShareInput, ShareReport, SharedLayer, SizeSource,
};
pub use set::{Admission, BlobJob, CountJob, ShareSet};
