//! One module per subcommand; shared argument and loading code in [`common`].

pub mod advise;
pub mod cat;
pub mod checks;
pub mod common;
pub mod diff;
pub mod efficiency;
pub mod flatten;
pub mod inspect;
pub mod log;
pub mod ls;
pub mod package_scan;
pub mod packages;
pub mod sbom;
pub mod share;
pub mod verify;
