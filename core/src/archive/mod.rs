//! The *open* phase: reading the outer container (a tar or a layout
//! directory) and its JSON documents, choosing an image, and verifying the
//! index → manifest → config part of the digest chain.

pub mod config;
pub mod docker;
pub mod json;
pub mod members;
pub mod oci;
pub mod open;
pub mod source;

pub use members::{Member, MemberIndex, MemberKind};
pub use open::{OpenOptions, OpenedImage, open_image};
pub use source::{ImageSource, LayoutDir, LayoutDirSource, TarSource};
