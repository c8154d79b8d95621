//! OCI image layouts: `oci-layout`, `index.json`, nested indexes, Docker
//! manifest lists, image manifests, attestations and artifacts.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::archive::config::platform_of;
use crate::archive::json::{self, get_array, get_object, get_str, get_u64};
use crate::archive::source::{ImageSource, read_small};
use crate::digest::Digest;
use crate::error::{Error, Result, SchemaProblem};
use crate::limits::Limits;
use crate::model::{Check, CheckedObject, ChoiceKind, ImageChoice, Warning};
use crate::verify;

/// The layout's top-level index member.
pub const INDEX_JSON: &str = "index.json";
/// The layout marker member.
pub const OCI_LAYOUT: &str = "oci-layout";

/// OCI image index media type.
pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list media type.
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest media type.
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker schema 2 manifest media type.
pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// OCI image config media type.
pub const MEDIA_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image config media type.
pub const MEDIA_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// `mediaType`.
    pub media_type: Option<String>,
    /// `digest`.
    pub digest: Digest,
    /// `size`.
    pub size: Option<u64>,
    /// `platform` as `os/arch[/variant]`.
    pub platform: Option<String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `artifactType`.
    pub artifact_type: Option<String>,
    /// `urls` present (foreign/non-distributable layer).
    pub has_urls: bool,
}

impl Descriptor {
    /// Parses a descriptor object found in `member` at `field`.
    pub fn parse(member: &str, field: &str, object: &Map<String, Value>) -> Result<Descriptor> {
        let digest = json::get_digest(&format!("{member} {field}"), object, "digest")?;
        Ok(Descriptor {
            media_type: get_str(object, "mediaType").map(str::to_owned),
            digest,
            size: get_u64(object, "size"),
            platform: get_object(object, "platform").and_then(platform_of),
            annotations: string_map(get_object(object, "annotations")),
            artifact_type: get_str(object, "artifactType").map(str::to_owned),
            has_urls: get_array(object, "urls").is_some_and(|u| !u.is_empty()),
        })
    }

    fn tags(&self) -> Vec<String> {
        [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ]
        .iter()
        .filter_map(|k| self.annotations.get(*k).cloned())
        .collect()
    }
}

/// A parsed image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDoc {
    /// `mediaType` of the document.
    pub media_type: Option<String>,
    /// `config`.
    pub config: Descriptor,
    /// `layers`, base first.
    pub layers: Vec<Descriptor>,
    /// `artifactType`.
    pub artifact_type: Option<String>,
    /// `annotations` (string values only).
    pub annotations: BTreeMap<String, String>,
}

/// A manifest reached from the index: an entry in the image listing.
#[derive(Debug, Clone)]
pub struct OciLeaf {
    /// The listing entry (index filled in by the caller).
    pub choice: ImageChoice,
    /// The descriptor that pointed at the manifest.
    pub descriptor: Descriptor,
    /// The manifest, when present and parseable.
    pub manifest: Option<ManifestDoc>,
}

/// Everything found by walking `index.json`.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Manifests found, in index order (depth first).
    pub leaves: Vec<OciLeaf>,
    /// Index and manifest checks.
    pub checks: Vec<Check>,
    /// Oddities.
    pub warnings: Vec<Warning>,
    /// Descriptors visited so far (bounded by
    /// [`Limits::max_index_descriptors`]).
    pub visited_nodes: u64,
    /// Bytes of index and manifest blobs read so far (bounded by
    /// [`WALK_JSON_FACTOR`] × `max_json_bytes`).
    pub json_bytes: u64,
    /// Indexes already walked, with the tags they were reached with: an
    /// index listed again under the same tags is not walked twice (a DAG of
    /// indexes that list each other many times stays linear).
    walked: HashSet<(Digest, Vec<String>)>,
}

/// How many times `max_json_bytes` the index walk may read in total: many
/// descriptors naming one large manifest cannot multiply the work.
pub const WALK_JSON_FACTOR: u64 = 4;

/// What a JSON document is, by content (media types can lie).
enum DocKind {
    Index,
    Manifest,
    Unknown,
}

fn doc_kind(object: &Map<String, Value>) -> DocKind {
    if object.contains_key("manifests") {
        DocKind::Index
    } else if object.contains_key("layers") || object.contains_key("config") {
        DocKind::Manifest
    } else {
        DocKind::Unknown
    }
}

/// Walks `index.json` (already read) and every index and manifest it reaches.
pub fn walk(source: &mut dyn ImageSource, index_bytes: &[u8], limits: &Limits) -> Result<Walk> {
    let mut walk = Walk::default();
    let value = json::parse(INDEX_JSON, index_bytes)?;
    let root = json::as_object(INDEX_JSON, &value)?;
    walk.checks.push(Check {
        object: CheckedObject::Index {
            name: INDEX_JSON.into(),
        },
        status: crate::model::CheckStatusKind::NotCheckable,
        expected: None,
        actual: Some(verify::digest_like(None, index_bytes)),
        expected_size: None,
        actual_size: Some(index_bytes.len() as u64),
        detail: Some("index.json is the root of trust: nothing declares its digest".into()),
        failure: None,
    });
    let mut visited = HashSet::new();
    walk_index(
        source,
        INDEX_JSON,
        root,
        &[],
        0,
        &mut visited,
        limits,
        &mut walk,
    )?;
    Ok(walk)
}

#[allow(clippy::too_many_arguments)]
fn walk_index(
    source: &mut dyn ImageSource,
    member: &str,
    index: &Map<String, Value>,
    inherited_tags: &[String],
    depth: u64,
    visited: &mut HashSet<Digest>,
    limits: &Limits,
    walk: &mut Walk,
) -> Result<()> {
    if depth > limits.max_index_depth {
        return Err(Error::Schema {
            member: member.to_owned(),
            problem: SchemaProblem::IndexDepth {
                depth: usize::try_from(limits.max_index_depth).unwrap_or(usize::MAX),
            },
        });
    }
    let Some(manifests) = get_array(index, "manifests") else {
        walk.warnings.push(Warning::new(
            "empty-index",
            format!("{member} lists no manifests"),
        ));
        return Ok(());
    };
    for (i, item) in manifests.iter().enumerate() {
        let Some(object) = item.as_object() else {
            walk.warnings.push(Warning::new(
                "bad-descriptor",
                format!("{member} manifests[{i}] is not an object; skipped"),
            ));
            continue;
        };
        let descriptor = Descriptor::parse(member, &format!("manifests[{i}]"), object)?;
        let mut tags = descriptor.tags();
        if tags.is_empty() {
            tags = inherited_tags.to_vec();
        }
        walk.visited_nodes += 1;
        if walk.visited_nodes > limits.max_index_descriptors {
            return Err(Error::Limit {
                what: format!("{member}: descriptors reached through indexes"),
                limit: "max_index_descriptors",
                value: limits.max_index_descriptors,
                flag: crate::limits::flags::MAX_INDEX_DESCRIPTORS,
            });
        }
        let blob_name = descriptor.digest.to_string();
        let (bytes, check) = fetch_verified(
            source,
            &descriptor,
            CheckedObject::Manifest {
                name: blob_name.clone(),
            },
            limits,
        )?;
        if let Some(bytes) = &bytes {
            walk.json_bytes = walk.json_bytes.saturating_add(bytes.len() as u64);
            let budget = limits.max_json_bytes.saturating_mul(WALK_JSON_FACTOR);
            if walk.json_bytes > budget {
                return Err(Error::Limit {
                    what: format!(
                        "{member}: index and manifest JSON read while walking indexes ({} bytes, at most {WALK_JSON_FACTOR} × the limit)",
                        walk.json_bytes
                    ),
                    limit: "max_json_bytes",
                    value: limits.max_json_bytes,
                    flag: crate::limits::flags::MAX_JSON_BYTES,
                });
            }
        }
        let Some(bytes) = bytes else {
            walk.checks.push(check);
            // A missing manifest still counts as the image its descriptor
            // announces, so selecting it reports the missing blob.
            let kind = match descriptor.media_type.as_deref() {
                _ if is_attestation(&descriptor) => ChoiceKind::Attestation,
                Some(MEDIA_OCI_MANIFEST | MEDIA_DOCKER_MANIFEST) => ChoiceKind::Image,
                _ => ChoiceKind::Artifact,
            };
            walk.leaves.push(leaf(descriptor, tags, None, kind));
            continue;
        };
        let value = json::parse(&blob_name, &bytes)?;
        let Some(doc) = value.as_object() else {
            walk.checks.push(check);
            walk.leaves
                .push(leaf(descriptor, tags, None, ChoiceKind::Artifact));
            continue;
        };
        let declared = descriptor.media_type.as_deref();
        match doc_kind(doc) {
            DocKind::Index => {
                let mut check = check;
                check.object = CheckedObject::Index {
                    name: blob_name.clone(),
                };
                walk.checks.push(check);
                if !matches!(declared, Some(MEDIA_OCI_INDEX | MEDIA_DOCKER_LIST)) {
                    walk.warnings.push(Warning::new(
                        "media-type-mismatch",
                        format!(
                            "{blob_name} is an index but its descriptor says {}",
                            declared.map_or("nothing".to_owned(), |d| crate::display::name(d)
                                .to_string())
                        ),
                    ));
                }
                if visited.contains(&descriptor.digest) {
                    return Err(Error::Schema {
                        member: blob_name,
                        problem: SchemaProblem::IndexDepth {
                            depth: usize::try_from(limits.max_index_depth).unwrap_or(usize::MAX),
                        },
                    });
                }
                let memo = (descriptor.digest.clone(), tags.clone());
                if walk.walked.contains(&memo) {
                    walk.warnings.push(Warning::new(
                        "index-repeated",
                        format!(
                            "{blob_name} is listed again in {member}; its manifests are listed once"
                        ),
                    ));
                    continue;
                }
                visited.insert(descriptor.digest.clone());
                walk_index(
                    source,
                    &blob_name,
                    doc,
                    &tags,
                    depth + 1,
                    visited,
                    limits,
                    walk,
                )?;
                visited.remove(&descriptor.digest);
                walk.walked.insert(memo);
            }
            DocKind::Manifest => {
                walk.checks.push(check);
                if !matches!(declared, Some(MEDIA_OCI_MANIFEST | MEDIA_DOCKER_MANIFEST)) {
                    walk.warnings.push(Warning::new(
                        "media-type-mismatch",
                        format!(
                            "{blob_name} is a manifest but its descriptor says {}",
                            declared.map_or("nothing".to_owned(), |d| crate::display::name(d)
                                .to_string())
                        ),
                    ));
                }
                let manifest = parse_manifest(&blob_name, doc)?;
                let kind = classify(&descriptor, &manifest);
                walk.leaves
                    .push(leaf(descriptor, tags, Some(manifest), kind));
            }
            DocKind::Unknown => {
                walk.checks.push(check);
                walk.leaves
                    .push(leaf(descriptor, tags, None, ChoiceKind::Artifact));
            }
        }
    }
    Ok(())
}

fn leaf(
    descriptor: Descriptor,
    tags: Vec<String>,
    manifest: Option<ManifestDoc>,
    kind: ChoiceKind,
) -> OciLeaf {
    OciLeaf {
        choice: ImageChoice {
            index: 0,
            tags,
            digest: Some(descriptor.digest.clone()),
            id: manifest.as_ref().map(|m| m.config.digest.clone()),
            media_type: descriptor
                .media_type
                .clone()
                .or_else(|| manifest.as_ref().and_then(|m| m.media_type.clone()))
                .unwrap_or_default(),
            platform: descriptor.platform.clone(),
            kind,
        },
        descriptor,
        manifest,
    }
}

fn is_attestation(descriptor: &Descriptor) -> bool {
    descriptor
        .annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
        || descriptor.platform.as_deref() == Some("unknown/unknown")
}

fn classify(descriptor: &Descriptor, manifest: &ManifestDoc) -> ChoiceKind {
    if is_attestation(descriptor) {
        return ChoiceKind::Attestation;
    }
    let image_config = matches!(
        manifest.config.media_type.as_deref(),
        Some(MEDIA_OCI_CONFIG | MEDIA_DOCKER_CONFIG) | None
    );
    if image_config && manifest.artifact_type.is_none() {
        ChoiceKind::Image
    } else {
        ChoiceKind::Artifact
    }
}

/// Parses an image manifest document.
pub fn parse_manifest(member: &str, doc: &Map<String, Value>) -> Result<ManifestDoc> {
    let config = get_object(doc, "config").ok_or_else(|| Error::Schema {
        member: member.to_owned(),
        problem: SchemaProblem::Field {
            field: "config".into(),
        },
    })?;
    let config = Descriptor::parse(member, "config", config)?;
    let mut layers = Vec::new();
    for (i, item) in get_array(doc, "layers").into_iter().flatten().enumerate() {
        let object = item.as_object().ok_or_else(|| Error::Schema {
            member: member.to_owned(),
            problem: SchemaProblem::Field {
                field: format!("layers[{i}]"),
            },
        })?;
        layers.push(Descriptor::parse(member, &format!("layers[{i}]"), object)?);
    }
    Ok(ManifestDoc {
        media_type: get_str(doc, "mediaType").map(str::to_owned),
        config,
        layers,
        artifact_type: get_str(doc, "artifactType").map(str::to_owned),
        annotations: string_map(get_object(doc, "annotations")),
    })
}

/// The string values of an `annotations` object (others are skipped).
fn string_map(object: Option<&Map<String, Value>>) -> BTreeMap<String, String> {
    object
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the blob a descriptor names and checks its digest and size.
/// Returns the bytes (None when missing) and the check.
pub fn fetch_verified(
    source: &mut dyn ImageSource,
    descriptor: &Descriptor,
    object: CheckedObject,
    limits: &Limits,
) -> Result<(Option<Vec<u8>>, Check)> {
    let path = descriptor.digest.blob_path();
    let Some(location) = source.locate(&path)? else {
        return Ok((
            None,
            verify::missing(
                object,
                Some(&descriptor.digest),
                descriptor.size,
                format!("blob {path} is not in the image"),
            ),
        ));
    };
    let bytes = read_small(source, &location, limits)?;
    let actual = verify::digest_like(Some(&descriptor.digest), &bytes);
    let check = verify::compare(
        object,
        Some(&descriptor.digest),
        descriptor.size,
        Some(actual),
        bytes.len() as u64,
        "",
    );
    Ok((Some(bytes), check))
}
