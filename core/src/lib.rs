//! layerscope core: open container images, verify their digest chain, index
//! every layer, apply overlay semantics, flatten and diff.
//!
//! The core does no I/O of its own. Drivers hand it `Read`/`Seek` values
//! ([`archive::TarSource`], [`archive::LayoutDir`], a layer blob reader) and
//! get plain serializable data back ([`model`]). Phases, in order:
//! *open* ([`archive`]) → *scan* ([`layer`]) → *overlay* → *export*.

#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod archive;
pub mod digest;
pub mod display;
pub mod error;
pub mod inspect;
pub mod layer;
pub mod limits;
pub mod model;
pub mod names;
pub mod overlay;
pub mod packages;
pub mod paths;
pub mod report;
pub mod sbom;
pub mod secrets;
pub mod share;
pub mod textdiff;
pub mod verdict;
pub mod verify;

pub use archive::{
    ImageSource, LayoutDir, LayoutDirSource, OpenOptions, OpenedImage, TarSource, open_image,
};
pub use digest::{Algorithm, Digest};
pub use error::{Error, Result};
pub use inspect::{Inspection, inspect};
pub use limits::Limits;
pub use report::InspectReport;
