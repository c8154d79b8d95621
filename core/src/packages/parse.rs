//! One database file's bytes to [`DbContent`], by its [`DbKind`], with
//! the warnings parsing raised (each naming the file).

use crate::display::quoted;
use crate::model::Warning;

use super::kinds::DbKind;
use super::model::DbContent;
use super::{apk, binary, dpkg, npm, osrelease, python, rpm, text};

/// Parses `bytes` read from `path` (a file of `kind`) in `layer`.
pub fn parse(
    kind: DbKind,
    path: &str,
    bytes: &[u8],
    layer: usize,
    warnings: &mut Vec<Warning>,
) -> Option<DbContent> {
    let mut warn = |code: &str, what: String| {
        warnings.push(Warning::new(code, format!("{}: {what}", quoted(path))).in_layer(layer));
    };
    let textual = !matches!(kind, DbKind::Binary | DbKind::Rpm | DbKind::Npm);
    let (decoded, lossy) = if textual {
        text::decode(bytes)
    } else {
        (std::borrow::Cow::Borrowed(""), false)
    };
    if lossy {
        warn(
            "package-db-encoding",
            "is not valid UTF-8; invalid bytes were replaced".to_owned(),
        );
    }
    let text: &str = &decoded;
    match kind {
        DbKind::DpkgStatus => {
            let (content, odd) = dpkg::parse_status(text);
            if odd.incomplete > 0 || odd.skipped_lines > 0 {
                warn(
                    "package-db-malformed",
                    format!(
                        "{} paragraph(s) without Package or Version and {} unreadable line(s) skipped",
                        odd.incomplete, odd.skipped_lines
                    ),
                );
            }
            Some(content)
        }
        DbKind::DpkgFiles => Some(dpkg::parse_files(path, text)),
        DbKind::Apk => {
            let (content, incomplete, skipped) = apk::parse(text);
            if incomplete > 0 || skipped > 0 {
                warn(
                    "package-db-malformed",
                    format!(
                        "{incomplete} record(s) without P: or V: and {skipped} unreadable line(s) skipped"
                    ),
                );
            }
            Some(content)
        }
        DbKind::PythonMetadata => {
            let content = python::parse_metadata(text);
            if content.is_none() {
                warn(
                    "package-db-malformed",
                    "has no Name or Version header".to_owned(),
                );
            }
            content
        }
        DbKind::PythonRecord => Some(python::parse_record(path, text)),
        DbKind::Npm => match npm::parse(bytes, npm::dir_name(path)) {
            Ok(content) => Some(content),
            Err(npm::NpmProblem::Json(why)) => {
                warn("package-db-malformed", format!("is not JSON ({why})"));
                None
            }
            Err(npm::NpmProblem::Fields) => {
                warn(
                    "package-db-malformed",
                    "has no string \"version\"".to_owned(),
                );
                None
            }
        },
        DbKind::OsRelease => Some(DbContent::OsRelease {
            release: Box::new(osrelease::parse(path, text)),
        }),
        DbKind::Rpm => Some(rpm::unread(path)),
        DbKind::Binary => {
            let (content, problem) = binary::parse(bytes);
            if let Some(why) = problem {
                warn("binary-unreadable", why.to_owned());
            }
            Some(content)
        }
    }
}
