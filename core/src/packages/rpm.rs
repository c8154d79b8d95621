//! rpm databases (`rpmdb.sqlite`, Berkeley DB `Packages`, NDB
//! `Packages.db`) are recognised but not read: no maintained pure-Rust
//! reader of these formats builds for wasm32, and the package list is
//! reported as present but unread rather than guessed (ARCHITECTURE.md,
//! "Crate choices").

use super::model::DbContent;

/// The finding for an rpm database at `path`.
pub fn unread(path: &str) -> DbContent {
    let format = if path.ends_with(".sqlite") {
        "sqlite"
    } else if path.ends_with(".db") {
        "NDB"
    } else {
        "Berkeley DB"
    };
    DbContent::RpmUnread {
        reason: format!(
            "rpm database ({format}) present, not read: layerscope has no reader for it that runs in the browser"
        ),
    }
}
