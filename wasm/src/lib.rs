//! Browser bindings for the layerscope core.
//!
//! This crate is deliberately thin: it converts between JavaScript values
//! (`Blob`, `File`, `Map`, `Uint8Array`, plain objects) and the core's Rust
//! types, and nothing else. Every piece of format logic (tar, JSON
//! manifests, digests, compression) lives in the `layerscope` crate.
//!
//! The main entry point is [`Session`]: open an image from a `Blob` (an
//! image tarball) or a `Map` of relative path → `File` (a dropped OCI
//! layout folder), scan its layers, list their directories, read a file.
//! [`Session::scan_layer_range`] lets extra workers scan a layer knowing
//! only its plan, for parallel verification. [`share_images`] analyses what
//! several dropped images share (the core's `share`).
//!
//! Reading a `Blob` synchronously needs `FileReaderSync`, which exists only
//! in dedicated workers; a `Uint8Array` input works anywhere.
//!
//! Numbers: every 64-bit value up to 2^53 − 1 arrives in JavaScript as a
//! plain number; larger values (content hashes, hostile uid fields) arrive
//! as `BigInt`, so nothing is ever rounded. Column sizes in
//! [`Session::layer_table`] are a `BigUint64Array`.

mod analysis;
mod analyze;
mod blob;
mod browse;
mod compare;
mod convert;
mod error;
mod export;
mod input;
mod listing;
mod number;
mod options;
mod packages;
mod partial;
mod progress;
mod range;
mod scanning;
mod session;
mod share;
mod source;
mod table;
mod timeline;

pub use blob::{blob_algorithm_of, blob_head};
pub use error::{WasmError, into_js_error};
pub use input::{InputReader, JsLayoutDir};
pub use session::Session;
pub use share::share_images;
