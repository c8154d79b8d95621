//! Detecting the container format, listing images, selecting one, and
//! producing the layer plan with the index → manifest → config checks.

use std::collections::BTreeMap;

use crate::archive::config::{align_history, parse_config};
use crate::archive::docker::{self, DockerEntry, MANIFEST_JSON};
use crate::archive::oci::{self, INDEX_JSON, OCI_LAYOUT, OciLeaf};
use crate::archive::source::{ImageSource, read_small};
use crate::digest::Digest;
use crate::display::{self, name, quoted};
use crate::error::{Error, Result, SchemaProblem};
use crate::limits::Limits;
use crate::model::{
    ArchiveFormat, BlobLocation, Check, CheckedObject, ChoiceKind, HistoryEntry, ImageChoice,
    ImageSummary, LayerPlan, Warning,
};
use crate::verify;

/// How to open an image.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Which image: listing index, tag, or digest (prefix) of manifest or config.
    pub image: Option<String>,
    /// Platform `os/arch[/variant]` for multi-platform indexes.
    pub platform: Option<String>,
    /// Resource limits.
    pub limits: Limits,
}

/// An opened image: everything known before any layer is scanned.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenedImage {
    /// Container format.
    pub format: ArchiveFormat,
    /// Every image or artifact found.
    pub images: Vec<ImageChoice>,
    /// Index into `images` of the selected one.
    pub selected: usize,
    /// Summary of the selected image.
    pub summary: ImageSummary,
    /// Config history, aligned with layers.
    pub history: Vec<HistoryEntry>,
    /// Layers to scan, base first.
    pub layers: Vec<LayerPlan>,
    /// Index, manifest and config checks.
    pub checks: Vec<Check>,
    /// Oddities.
    pub warnings: Vec<Warning>,
    /// The selected image manifest's `annotations` (OCI), over those of the
    /// index descriptor that points at it; empty for docker-archive entries.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Opens an image from a source: detects the format, lists images, selects
/// one, reads its config, and verifies the metadata chain.
pub fn open_image(source: &mut dyn ImageSource, options: &OpenOptions) -> Result<OpenedImage> {
    let result = Listing::read(source, options).and_then(|mut listing| {
        let selected = select(&listing.images, options, &mut listing.warnings)?;
        listing.open(source, selected, options)
    });
    as_cut(source, result)
}

/// Opens several images of one source: `choose` picks listing indexes from
/// the listing (it may add warnings, which every opened image carries).
/// The outer `Err` is a source that cannot be listed at all; each chosen
/// image then opens, or fails, on its own (paired with its listing index).
pub fn open_chosen(
    source: &mut dyn ImageSource,
    options: &OpenOptions,
    choose: impl FnOnce(&[ImageChoice], &mut Vec<Warning>) -> Result<Vec<usize>>,
) -> Result<Vec<(usize, Result<OpenedImage>)>> {
    let listed = Listing::read(source, options).and_then(|mut listing| {
        let chosen = choose(&listing.images, &mut listing.warnings)?;
        Ok((listing, chosen))
    });
    let (listing, chosen) = as_cut(source, listed)?;
    Ok(chosen
        .into_iter()
        .map(|index| {
            let opened = listing.open(source, index, options);
            (index, as_cut(source, opened))
        })
        .collect())
}

/// Something missing from a cut archive is reported as the cut.
fn as_cut<T>(source: &dyn ImageSource, result: Result<T>) -> Result<T> {
    match (
        result,
        source.member_index().and_then(|m| m.truncated.clone()),
    ) {
        (
            Err(Error::Missing { .. } | Error::NotAnImage { .. } | Error::NoImage { .. }),
            Some(cut),
        ) => Err(Error::Truncated {
            what: format!("archive (it ends inside member {})", name(&cut.path)),
            expected: cut.expected,
            available: cut.available,
        }),
        (result, _) => result,
    }
}

/// What a source lists before any image is chosen: its format, every
/// image, and the documents needed to open one of them.
struct Listing {
    format: ArchiveFormat,
    images: Vec<ImageChoice>,
    kind: ListingKind,
    warnings: Vec<Warning>,
}

enum ListingKind {
    Oci {
        leaves: Vec<OciLeaf>,
        checks: Vec<Check>,
    },
    Docker {
        entries: Vec<DockerEntry>,
    },
}

impl Listing {
    fn read(source: &mut dyn ImageSource, options: &OpenOptions) -> Result<Listing> {
        list_detected(source, options)
    }

    fn open(
        &self,
        source: &mut dyn ImageSource,
        selected: usize,
        options: &OpenOptions,
    ) -> Result<OpenedImage> {
        match &self.kind {
            ListingKind::Oci { leaves, checks } => open_oci(
                source,
                self.format,
                leaves,
                self.images.clone(),
                selected,
                checks.clone(),
                self.warnings.clone(),
                options,
            ),
            ListingKind::Docker { entries } => open_docker(
                source,
                self.format,
                entries,
                self.images.clone(),
                selected,
                self.warnings.clone(),
                options,
            ),
        }
    }
}

fn list_detected(source: &mut dyn ImageSource, options: &OpenOptions) -> Result<Listing> {
    let limits = &options.limits;
    let mut warnings = source
        .member_index()
        .map(|m| m.warnings.clone())
        .unwrap_or_default();
    if let Some(cut) = source.member_index().and_then(|m| m.truncated.clone()) {
        warnings.push(Warning::new(
            "archive-truncated",
            format!(
                "the archive ends inside member {} ({} of {} bytes present)",
                name(&cut.path),
                cut.available,
                cut.expected
            ),
        ));
    }
    let index_location = source.locate(INDEX_JSON)?;
    let manifest_location = source.locate(MANIFEST_JSON)?;

    if let Some(index_location) = index_location {
        let index_bytes = read_small(source, &index_location, limits)?;
        check_layout_marker(source, limits, &mut warnings)?;
        let walk = oci::walk(source, &index_bytes, limits)?;
        let usable = walk
            .leaves
            .iter()
            .any(|l| l.choice.kind == ChoiceKind::Image);
        if usable || manifest_location.is_none() {
            let format = match (source.is_archive(), manifest_location.is_some()) {
                (false, _) => ArchiveFormat::OciLayout,
                (true, true) => ArchiveFormat::DockerOciArchive,
                (true, false) => ArchiveFormat::OciArchive,
            };
            warnings.extend(walk.warnings);
            let mut leaves = walk.leaves;
            for (i, leaf) in leaves.iter_mut().enumerate() {
                leaf.choice.index = i;
            }
            return Ok(Listing {
                format,
                images: leaves.iter().map(|l| l.choice.clone()).collect(),
                kind: ListingKind::Oci {
                    leaves,
                    checks: walk.checks,
                },
                warnings,
            });
        }
        warnings.push(Warning::new(
            "index-unusable",
            "index.json lists no usable image manifest; using manifest.json",
        ));
    }
    let Some(manifest_location) = manifest_location else {
        return Err(Error::NotAnImage {
            reason: "neither manifest.json nor index.json is present",
        });
    };
    let bytes = read_small(source, &manifest_location, limits)?;
    let entries = docker::parse_manifest(&bytes, &mut warnings)?;
    let format = if source.locate(INDEX_JSON)?.is_some() {
        ArchiveFormat::DockerOciArchive
    } else {
        ArchiveFormat::DockerArchive
    };
    let legacy_tags = match source.locate("repositories")? {
        Some(location) => docker::legacy_repositories(&read_small(source, &location, limits)?),
        None => Vec::new(),
    };
    let images = docker_choices(&entries, &legacy_tags);
    Ok(Listing {
        format,
        images,
        kind: ListingKind::Docker { entries },
        warnings,
    })
}

/// The listing of a docker-archive: one image per manifest.json entry,
/// tagged from `RepoTags` or else from the legacy `repositories` file.
fn docker_choices(entries: &[DockerEntry], legacy_tags: &[(String, String)]) -> Vec<ImageChoice> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let id = docker::name_digest(&entry.config);
            let mut tags = entry.repo_tags.clone();
            if tags.is_empty() {
                if let Some(id) = &id {
                    tags = legacy_tags
                        .iter()
                        .filter(|(_, image_id)| image_id.contains(id.encoded()))
                        .map(|(t, _)| t.clone())
                        .collect();
                }
            }
            ImageChoice {
                index,
                tags,
                digest: None,
                id,
                media_type: "docker-archive".into(),
                platform: None,
                kind: ChoiceKind::Image,
            }
        })
        .collect()
}

fn check_layout_marker(
    source: &mut dyn ImageSource,
    limits: &Limits,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    match source.locate(OCI_LAYOUT)? {
        None => warnings.push(Warning::new(
            "no-oci-layout",
            "oci-layout marker file is missing",
        )),
        Some(location) => {
            let bytes = read_small(source, &location, limits)?;
            let version = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("imageLayoutVersion")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                });
            if version.as_deref() != Some("1.0.0") {
                warnings.push(Warning::new(
                    "oci-layout-version",
                    format!(
                        "oci-layout declares version {}, expected \"1.0.0\"",
                        version
                            .as_deref()
                            .map_or("none".to_owned(), |v| quoted(v).to_string())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Picks one of `choices` by selector, platform, or the default rule
/// (the only image; else linux/amd64; else ask).
pub fn select(
    choices: &[ImageChoice],
    options: &OpenOptions,
    warnings: &mut Vec<Warning>,
) -> Result<usize> {
    let available = || {
        choices
            .iter()
            .map(|c| {
                let name = c
                    .tags
                    .first()
                    .cloned()
                    .or_else(|| c.digest.as_ref().map(Digest::to_string))
                    .unwrap_or_default();
                let kind = match c.kind {
                    ChoiceKind::Image => "image",
                    ChoiceKind::Attestation => "attestation",
                    ChoiceKind::Artifact => "artifact",
                };
                let (shown, media_type) = (display::name(&name), display::name(&c.media_type));
                match &c.platform {
                    Some(p) => format!(
                        "{} {shown} ({kind}, {}, {media_type})",
                        c.index,
                        display::name(p)
                    ),
                    None => format!("{} {shown} ({kind}, {media_type})", c.index),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut candidates: Vec<&ImageChoice> = match &options.image {
        Some(selector) => {
            let matched: Vec<&ImageChoice> = choices
                .iter()
                .filter(|c| matches_selector(c, selector))
                .collect();
            if matched.is_empty() {
                return Err(Error::NoSuchImage {
                    selector: selector.clone(),
                    available: available(),
                });
            }
            matched
        }
        None => choices
            .iter()
            .filter(|c| c.kind == ChoiceKind::Image)
            .collect(),
    };
    if let Some(platform) = &options.platform {
        candidates.retain(|c| {
            c.platform
                .as_deref()
                .is_some_and(|p| platform_matches(p, platform))
        });
        if candidates.is_empty() {
            return Err(Error::NoSuchImage {
                selector: format!("platform {platform}"),
                available: available(),
            });
        }
    }
    match candidates.as_slice() {
        [] => Err(Error::NoImage {
            available: available(),
        }),
        [only] => Ok(only.index),
        [first, ..] => {
            let platforms: Vec<&str> = candidates
                .iter()
                .filter_map(|c| c.platform.as_deref())
                .collect();
            let multi_platform = platforms.len() == candidates.len()
                && platforms
                    .iter()
                    .any(|p| Some(*p) != first.platform.as_deref());
            if multi_platform {
                if let Some(amd64) = candidates
                    .iter()
                    .find(|c| c.platform.as_deref() == Some("linux/amd64"))
                {
                    return Ok(amd64.index);
                }
                return Err(Error::AmbiguousPlatform {
                    available: platforms.join(", "),
                });
            }
            warnings.push(Warning::new(
                "several-images",
                format!(
                    "the archive holds {} images; showing image {} (choose with --image): {}",
                    candidates.len(),
                    first.index,
                    available()
                ),
            ));
            Ok(first.index)
        }
    }
}

fn matches_selector(choice: &ImageChoice, selector: &str) -> bool {
    if let Ok(n) = selector.parse::<usize>() {
        if n == choice.index {
            return true;
        }
    }
    let digest_match = |d: &Option<Digest>| {
        d.as_ref().is_some_and(|d| {
            let full = d.to_string();
            let bare = selector.strip_prefix("sha256:").unwrap_or(selector);
            full == selector || (bare.len() >= 6 && d.encoded().starts_with(bare))
        })
    };
    if digest_match(&choice.digest) || digest_match(&choice.id) {
        return true;
    }
    choice.tags.iter().any(|t| {
        t == selector
            || t.strip_prefix("docker.io/library/") == Some(selector)
            || t.strip_prefix("docker.io/") == Some(selector)
            || (!selector.contains(':') && t.strip_suffix(":latest") == Some(selector))
    })
}

fn platform_matches(found: &str, wanted: &str) -> bool {
    found == wanted
        || (wanted.matches('/').count() == 1 && found.starts_with(&format!("{wanted}/")))
}

#[allow(clippy::too_many_arguments)]
fn open_oci(
    source: &mut dyn ImageSource,
    format: ArchiveFormat,
    leaves: &[OciLeaf],
    images: Vec<ImageChoice>,
    selected: usize,
    mut checks: Vec<Check>,
    mut warnings: Vec<Warning>,
    options: &OpenOptions,
) -> Result<OpenedImage> {
    let limits = &options.limits;
    let leaf = leaves.get(selected).ok_or_else(|| Error::NoSuchImage {
        selector: selected.to_string(),
        available: String::new(),
    })?;
    let manifest = leaf.manifest.clone().ok_or_else(|| Error::Missing {
        what: "image manifest".into(),
        path: leaf.descriptor.digest.blob_path(),
    })?;
    let config_name = manifest.config.digest.blob_path();
    let (config_bytes, config_check) = oci::fetch_verified(
        source,
        &manifest.config,
        CheckedObject::Config {
            name: config_name.clone(),
        },
        limits,
    )?;
    checks.push(config_check);
    let config_bytes = config_bytes.ok_or_else(|| Error::Missing {
        what: "image config".into(),
        path: config_name.clone(),
    })?;
    let config = parse_config(&config_name, &config_bytes)?;
    if !config.diff_ids.is_empty() && config.diff_ids.len() != manifest.layers.len() {
        return Err(Error::Schema {
            member: config_name,
            problem: SchemaProblem::LayerCount {
                layers: manifest.layers.len(),
                diff_ids: config.diff_ids.len(),
            },
        });
    }
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (index, descriptor) in manifest.layers.iter().enumerate() {
        let location = source.locate(&descriptor.digest.blob_path())?;
        if location.is_none() && descriptor.has_urls {
            warnings.push(
                Warning::new(
                    "foreign-layer",
                    format!(
                        "layer {index} is a foreign layer ({}) not included in the image",
                        descriptor.digest
                    ),
                )
                .in_layer(index),
            );
        }
        layers.push(LayerPlan {
            index,
            location,
            digest: Some(descriptor.digest.clone()),
            name_digest: None,
            descriptor_size: descriptor.size,
            media_type: descriptor.media_type.clone(),
            diff_id: config.diff_ids.get(index).cloned(),
        });
    }
    let summary = ImageSummary {
        tags: leaf.choice.tags.clone(),
        manifest_digest: Some(leaf.descriptor.digest.clone()),
        config_digest: Some(manifest.config.digest.clone()),
        platform: config
            .platform
            .clone()
            .or_else(|| leaf.descriptor.platform.clone()),
        created: config.created.clone(),
        author: config.author.clone(),
        compressed_size: 0,
        uncompressed_size: 0,
        config: config.runtime.clone(),
        os_release: None,
    };
    let mut annotations = leaf.descriptor.annotations.clone();
    annotations.extend(manifest.annotations.clone());
    let mut opened = finish(
        format, images, selected, summary, config, layers, checks, warnings,
    )?;
    opened.annotations = annotations;
    Ok(opened)
}

fn open_docker(
    source: &mut dyn ImageSource,
    format: ArchiveFormat,
    entries: &[DockerEntry],
    images: Vec<ImageChoice>,
    selected: usize,
    mut warnings: Vec<Warning>,
    options: &OpenOptions,
) -> Result<OpenedImage> {
    let limits = &options.limits;
    let entry = entries.get(selected).ok_or_else(|| Error::NoSuchImage {
        selector: selected.to_string(),
        available: String::new(),
    })?;
    let mut checks = vec![Check {
        object: CheckedObject::Manifest {
            name: MANIFEST_JSON.into(),
        },
        status: crate::model::CheckStatusKind::NotCheckable,
        expected: None,
        actual: None,
        expected_size: None,
        actual_size: None,
        detail: Some("manifest.json is the root of trust: nothing declares its digest".into()),
        failure: None,
    }];
    let mut config_location = source.locate(&entry.config)?;
    if config_location.is_none() {
        for alternative in docker::config_alternatives(&entry.config) {
            if let Some(found) = source.locate(&alternative)? {
                warnings.push(Warning::new(
                    "config-renamed",
                    format!(
                        "config {} found as {}",
                        name(&entry.config),
                        name(found.path())
                    ),
                ));
                config_location = Some(found);
                break;
            }
        }
    }
    let config_location = config_location.ok_or_else(|| Error::Missing {
        what: "image config".into(),
        path: entry.config.clone(),
    })?;
    let config_bytes = read_small(source, &config_location, limits)?;
    let config_claim =
        docker::name_digest(&entry.config).or_else(|| docker::name_digest(config_location.path()));
    let mut config_check = verify::compare(
        CheckedObject::Config {
            name: config_location.path().to_owned(),
        },
        config_claim.as_ref(),
        None,
        Some(verify::digest_like(config_claim.as_ref(), &config_bytes)),
        config_bytes.len() as u64,
        "the config's member name carries no digest",
    );
    if config_check.status == crate::model::CheckStatusKind::Mismatch {
        config_check.detail = Some(
            "the config's content does not hash to the digest in its member name (the image ID): it was changed after the archive was written".into(),
        );
    }
    checks.push(config_check);
    let config = parse_config(config_location.path(), &config_bytes)?;
    if config.diff_ids.len() != entry.layers.len() {
        return Err(Error::Schema {
            member: config_location.path().to_owned(),
            problem: SchemaProblem::LayerCount {
                layers: entry.layers.len(),
                diff_ids: config.diff_ids.len(),
            },
        });
    }
    let mut layers = Vec::with_capacity(entry.layers.len());
    for (index, path) in entry.layers.iter().enumerate() {
        let location = source.locate(path)?;
        let name_digest = docker::name_digest(path).or_else(|| {
            location
                .as_ref()
                .and_then(|l| docker::name_digest(l.path()))
        });
        if location.is_none() && source.member_index().is_some_and(|m| m.contains(path)) {
            warnings.push(
                Warning::new(
                    "layer-link-broken",
                    format!(
                        "layer {index} member {} is a link that leads to no file",
                        name(path)
                    ),
                )
                .in_layer(index),
            );
        }
        layers.push(LayerPlan {
            index,
            location,
            digest: None,
            name_digest,
            descriptor_size: None,
            media_type: None,
            diff_id: config.diff_ids.get(index).cloned(),
        });
    }
    let summary = ImageSummary {
        tags: images
            .get(selected)
            .map(|c| c.tags.clone())
            .unwrap_or_default(),
        manifest_digest: None,
        config_digest: config_claim
            .filter(|d| checks.last().is_some_and(|c| c.actual.as_ref() == Some(d))),
        platform: config.platform.clone(),
        created: config.created.clone(),
        author: config.author.clone(),
        compressed_size: 0,
        uncompressed_size: 0,
        config: config.runtime.clone(),
        os_release: None,
    };
    finish(
        format, images, selected, summary, config, layers, checks, warnings,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    format: ArchiveFormat,
    images: Vec<ImageChoice>,
    selected: usize,
    mut summary: ImageSummary,
    config: crate::archive::config::ParsedConfig,
    layers: Vec<LayerPlan>,
    checks: Vec<Check>,
    mut warnings: Vec<Warning>,
) -> Result<OpenedImage> {
    let mut history = config.history;
    warnings.extend(config.warnings);
    if let Some(w) = align_history(&mut history, layers.len()) {
        warnings.push(w);
    }
    summary.compressed_size = layers
        .iter()
        .map(|l| l.location.as_ref().map_or(0, BlobLocation::size))
        .sum();
    Ok(OpenedImage {
        format,
        images,
        selected,
        summary,
        history,
        layers,
        checks,
        warnings,
        annotations: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(index: usize, tag: &str, platform: Option<&str>, kind: ChoiceKind) -> ImageChoice {
        ImageChoice {
            index,
            tags: if tag.is_empty() {
                vec![]
            } else {
                vec![tag.to_owned()]
            },
            digest: Digest::parse(&format!("sha256:{:064x}", index + 1)).ok(),
            id: None,
            media_type: oci::MEDIA_OCI_MANIFEST.into(),
            platform: platform.map(str::to_owned),
            kind,
        }
    }

    fn pick(choices: &[ImageChoice], image: Option<&str>, platform: Option<&str>) -> Result<usize> {
        let options = OpenOptions {
            image: image.map(str::to_owned),
            platform: platform.map(str::to_owned),
            limits: Limits::default(),
        };
        select(choices, &options, &mut Vec::new())
    }

    #[test]
    fn platform_rules() {
        let multi = vec![
            choice(0, "", Some("linux/arm64/v8"), ChoiceKind::Image),
            choice(1, "", Some("linux/amd64"), ChoiceKind::Image),
            choice(2, "", Some("unknown/unknown"), ChoiceKind::Attestation),
        ];
        assert_eq!(
            pick(&multi, None, None).unwrap(),
            1,
            "linux/amd64 is the default"
        );
        assert_eq!(
            pick(&multi, None, Some("linux/arm64")).unwrap(),
            0,
            "variant optional"
        );
        assert_eq!(pick(&multi, None, Some("linux/arm64/v8")).unwrap(), 0);
        assert!(pick(&multi, None, Some("windows/amd64")).is_err());
        let no_amd64 = vec![
            choice(0, "", Some("linux/arm64"), ChoiceKind::Image),
            choice(1, "", Some("linux/s390x"), ChoiceKind::Image),
        ];
        assert!(matches!(
            pick(&no_amd64, None, None),
            Err(Error::AmbiguousPlatform { .. })
        ));
        let only_attestation = vec![choice(
            0,
            "",
            Some("unknown/unknown"),
            ChoiceKind::Attestation,
        )];
        assert!(matches!(
            pick(&only_attestation, None, None),
            Err(Error::NoImage { .. })
        ));
    }

    #[test]
    fn selectors() {
        let images = vec![
            choice(0, "docker.io/library/alpine:3.19", None, ChoiceKind::Image),
            choice(1, "example.com/app:latest", None, ChoiceKind::Image),
        ];
        assert_eq!(pick(&images, Some("alpine:3.19"), None).unwrap(), 0);
        assert_eq!(pick(&images, Some("example.com/app"), None).unwrap(), 1);
        assert_eq!(pick(&images, Some("1"), None).unwrap(), 1);
        assert_eq!(
            pick(&images, Some(&format!("sha256:{:064x}", 2)), None).unwrap(),
            1
        );
        assert_eq!(
            pick(&images, Some(&format!("{:064x}", 1)[..12]), None).unwrap(),
            0
        );
        assert!(matches!(
            pick(&images, Some("nope"), None),
            Err(Error::NoSuchImage { .. })
        ));
        let mut warnings = Vec::new();
        let options = OpenOptions::default();
        assert_eq!(select(&images, &options, &mut warnings).unwrap(), 0);
        assert_eq!(warnings.len(), 1, "several images without a selector warn");
    }
}
