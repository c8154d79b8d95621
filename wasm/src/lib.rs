//! wasm wrapper
