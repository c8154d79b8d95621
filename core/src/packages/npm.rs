//! Node packages: `node_modules/NAME/package.json` (and `@SCOPE/NAME`).
//! Only `name`, `version` and `license` are read; the JSON parser's depth
//! limit keeps deeply nested hostile documents bounded.

use serde_json::Value;

use super::model::{DbContent, PackageRecord};

/// Why a package.json gave no package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpmProblem {
    /// Not JSON (the parser's message, which quotes no input).
    Json(String),
    /// JSON without a string `name` or `version`.
    Fields,
}

/// Parses a package.json; `dir_name` (`NAME` or `@SCOPE/NAME`) stands in
/// for a missing `name`.
pub fn parse(bytes: &[u8], dir_name: &str) -> Result<DbContent, NpmProblem> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        NpmProblem::Json(format!(
            "{} at line {} column {}",
            category(&e),
            e.line(),
            e.column()
        ))
    })?;
    let name = value
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(dir_name);
    let version = value
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or(NpmProblem::Fields)?;
    let license = match value.get("license") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    Ok(DbContent::Npm {
        package: PackageRecord {
            name: name.to_owned(),
            version: version.to_owned(),
            license,
            ..PackageRecord::default()
        },
    })
}

fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end",
    }
}

/// The package directory's name below `node_modules` for a package.json path.
pub fn dir_name(path: &str) -> &str {
    let dir = path.strip_suffix("/package.json").unwrap_or(path);
    match dir.rfind("/node_modules/") {
        Some(i) => dir.get(i + "/node_modules/".len()..).unwrap_or(dir),
        None => dir.strip_prefix("node_modules/").unwrap_or(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_fallbacks_and_garbage() {
        let ok = parse(
            br#"{"name":"left-pad","version":"1.3.0","license":{"type":"WTFPL"}}"#,
            "x",
        );
        let Ok(DbContent::Npm { package }) = ok else {
            panic!()
        };
        assert_eq!(package.license.as_deref(), Some("WTFPL"));
        let Ok(DbContent::Npm { package }) = parse(br#"{"version":"2.0.0"}"#, "@a/b") else {
            panic!()
        };
        assert_eq!(package.name, "@a/b");
        assert_eq!(parse(br#"{"name":"x"}"#, "x"), Err(NpmProblem::Fields));
        assert!(matches!(parse(b"not json", "x"), Err(NpmProblem::Json(_))));
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(deep.as_bytes(), "x"),
            Err(NpmProblem::Json(_))
        ));
        assert_eq!(dir_name("a/node_modules/@s/n/package.json"), "@s/n");
        assert_eq!(dir_name("node_modules/n/package.json"), "n");
    }
}
