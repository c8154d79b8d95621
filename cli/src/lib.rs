//! Native drivers for the layerscope core: files, directories, standard
//! input, threads. No format logic lives here.

pub mod commands;
pub mod input;
pub mod parallel;
