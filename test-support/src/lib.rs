//! What tests, fuzz targets and benchmarks need to build inputs and
//! observe results, in one place (no test keeps its own copy):
//!
//! - [`fixtures`]: paths of the generated and the shared image fixtures;
//!   a test that needs the shared ones skips with one line when they are
//!   absent (a plain clone has none).
//! - [`layer`]: layer tars — [`layer::LayerBuilder`] over the `tar` crate,
//!   [`layer::raw_member`] for names the `tar` crate refuses, gzip.
//! - [`image`]: image archives around layers (docker-archive, OCI
//!   descriptors, outer tars) and `sha256:` digests.
//! - [`build`]: whole images from an [`build::ImageSpec`] (layers, history,
//!   tag, annotations) as docker-archives, OCI archives or layouts, several
//!   images per archive.
//! - [`model`]: an [`layerscope::model::Entry`] with neutral fields, a
//!   [`layerscope::model::LayerPlan`] with nothing to verify.
//! - [`packages`]: package database files (dpkg, apk, Python, npm,
//!   os-release) and Go / cargo-auditable binaries.
//! - [`reader`]: [`reader::ShortReader`], for "short reads change nothing".
//! - [`memory`]: an in-memory positioned sink and layer opener for export.
//! - [`safety`]: the "every path is relative and free of `..`" check.
//! - [`squash`]: the "a squashed range stacks to the same tree" check.
//!
//! Helpers panic on their own failures (they are test code); they never
//! hide a failure of the code under test.

pub mod build;
pub mod fixtures;
pub mod image;
pub mod layer;
pub mod memory;
pub mod model;
pub mod packages;
pub mod reader;
pub mod safety;
pub mod squash;
