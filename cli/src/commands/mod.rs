//! One module per subcommand; shared argument and loading code in [`common`].

pub mod common;
pub mod inspect;
pub mod ls;
pub mod verify;
