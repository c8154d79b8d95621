//! Native drivers for the layerscope core: files, directories, standard
//! input, threads. No format logic lives here.

#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod chunks;
pub mod commands;
pub mod input;
pub mod json;
pub mod parallel;
pub mod prefetch;
pub mod section;
