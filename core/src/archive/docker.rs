//! `manifest.json` of a docker-archive (`docker save`, `podman save`,
//! containers-image, kaniko, jib, Docker 25+).

use serde_json::Value;

use crate::archive::json::{self, get, get_str, get_strings};
use crate::digest::Digest;
use crate::error::{Error, Result, SchemaProblem};
use crate::model::Warning;
use crate::paths::normalize;

/// Name of the docker-archive manifest member.
pub const MANIFEST_JSON: &str = "manifest.json";

/// One image listed in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerEntry {
    /// Normalized config member path.
    pub config: String,
    /// `RepoTags`.
    pub repo_tags: Vec<String>,
    /// Normalized layer member paths, base first.
    pub layers: Vec<String>,
    /// `Parent`, when present.
    pub parent: Option<String>,
    /// Whether `LayerSources` was present (it describes distribution blobs,
    /// not the members; it is never used for verification).
    pub has_layer_sources: bool,
}

/// Parses `manifest.json`. `null` or an empty list is an error: there is
/// no image to show.
pub fn parse_manifest(bytes: &[u8], warnings: &mut Vec<Warning>) -> Result<Vec<DockerEntry>> {
    let value = json::parse(MANIFEST_JSON, bytes)?;
    let schema = |problem| Error::Schema {
        member: MANIFEST_JSON.into(),
        problem,
    };
    let items = match &value {
        Value::Null => return Err(schema(SchemaProblem::EmptyManifest)),
        Value::Array(items) => items,
        _ => return Err(schema(SchemaProblem::Field { field: "$".into() })),
    };
    if items.is_empty() {
        return Err(schema(SchemaProblem::EmptyManifest));
    }
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| SchemaProblem::Field {
            field: format!("[{i}].{name}"),
        };
        let object = item.as_object().ok_or_else(|| schema(field("")))?;
        let config_raw = get_str(object, "Config").ok_or_else(|| schema(field("Config")))?;
        let config = member_path(config_raw)?;
        let layers_raw = get_strings(object, "Layers").ok_or_else(|| schema(field("Layers")))?;
        let mut layers = Vec::with_capacity(layers_raw.len());
        for layer in &layers_raw {
            layers.push(member_path(layer)?);
        }
        let has_layer_sources = get(object, "LayerSources").is_some();
        if has_layer_sources {
            warnings.push(Warning::new(
                "layer-sources",
                format!(
                    "manifest.json[{i}] has LayerSources: they describe the original distribution blobs, not the archive members, and are not used for verification"
                ),
            ));
        }
        entries.push(DockerEntry {
            config,
            repo_tags: get_strings(object, "RepoTags").unwrap_or_default(),
            layers,
            parent: get_str(object, "Parent").map(str::to_owned),
            has_layer_sources,
        });
    }
    Ok(entries)
}

fn member_path(raw: &str) -> Result<String> {
    normalize(raw.as_bytes())
        .map(|n| n.path)
        .map_err(|_| Error::Schema {
            member: MANIFEST_JSON.into(),
            problem: SchemaProblem::UnsafePath { path: raw.into() },
        })
}

/// The digest a content-addressed member name claims, if any:
/// `blobs/<alg>/<hex>`, `<alg>:<hex>`, or `<hex>` with a `.json`, `.tar`,
/// `.tar.gz`, `.tgz`, `.gz`, `.tar.zst` or `.zst` ending.
pub fn name_digest(path: &str) -> Option<Digest> {
    let mut parts = path.rsplit('/');
    let base = parts.next()?;
    if let (Some(alg), Some("blobs")) = (parts.next(), parts.next()) {
        return Digest::parse(&format!("{alg}:{base}")).ok();
    }
    if base.contains(':') {
        return Digest::parse(base).ok();
    }
    let stem = [
        ".tar.gz", ".tar.zst", ".json", ".tar", ".tgz", ".gz", ".zst",
    ]
    .iter()
    .find_map(|ext| base.strip_suffix(ext))
    .unwrap_or(base);
    if stem.len() == 64 {
        Digest::parse(&format!("sha256:{stem}")).ok()
    } else {
        None
    }
}

/// Alternative member names under which tools store the same config.
pub fn config_alternatives(path: &str) -> Vec<String> {
    match name_digest(path) {
        Some(d) => vec![
            format!("{}.json", d.encoded()),
            d.to_string(),
            d.blob_path(),
            d.encoded().to_owned(),
        ],
        None => Vec::new(),
    }
}

/// Tags from the legacy `repositories` file: `{"repo": {"tag": "id"}}`.
pub fn legacy_repositories(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok(Value::Object(repos)) = json::parse("repositories", bytes) else {
        return Vec::new();
    };
    let mut tags = Vec::new();
    for (repo, tag_map) in &repos {
        if let Some(tag_map) = tag_map.as_object() {
            for (tag, id) in tag_map {
                tags.push((
                    format!("{repo}:{tag}"),
                    id.as_str().unwrap_or("").to_owned(),
                ));
            }
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_any_case() {
        let mut w = Vec::new();
        let e = parse_manifest(
            br#"[{"config":"./c.json","repoTags":["a:b"],"layers":["./x/layer.tar"]}]"#,
            &mut w,
        )
        .unwrap();
        assert_eq!(e[0].config, "c.json");
        assert_eq!(e[0].layers, vec!["x/layer.tar"]);
        assert_eq!(e[0].repo_tags, vec!["a:b"]);
    }

    #[test]
    fn null_manifest_is_an_error() {
        let mut w = Vec::new();
        assert!(parse_manifest(b"null", &mut w).is_err());
        assert!(parse_manifest(b"[]", &mut w).is_err());
    }

    #[test]
    fn content_addressed_names() {
        let hex = "ae16a51058a758c7963b2f9b23d1acfa201ce9cbefc8cb93845f8cd934fb144d";
        for name in [
            format!("sha256:{hex}"),
            format!("{hex}.json"),
            format!("{hex}.tar.gz"),
            format!("blobs/sha256/{hex}"),
        ] {
            assert_eq!(name_digest(&name).unwrap().encoded(), hex, "{name}");
        }
        assert_eq!(name_digest(&format!("{hex}/layer.tar")), None);
        assert_eq!(name_digest("config.json"), None);
    }
}
