//! Building the [`ShareReport`] from a [`ShareSet`]: layers matched by
//! diff_id, sizes, totals, the common base and each image's own bytes.

use std::collections::{BTreeSet, HashMap};

use crate::digest::Digest;
use crate::display::name;
use crate::model::{Compression, LayerPlan, Warning};
use crate::share::model::{
    BaseAnnotation, CommonBase, ImageVerification, LayerUse, ShareBytes, ShareImage, ShareInput,
    ShareReport, SharedLayer,
};
use crate::share::set::{Blob, LayerKey, ShareSet};

/// Annotation naming the base image (OCI image spec, annotations.md).
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// Annotation with the base image's manifest digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// The blob digest of a stored layer, as far as it is known: computed by
/// a scan, else the manifest's descriptor, else (read as a plain tar,
/// whose blob is its uncompressed stream) the diff_id or the member
/// name's digest, else a member name's digest that is not the diff_id.
fn blob_digest(plan: &LayerPlan, blob: Option<&Blob>) -> Option<Digest> {
    if let Some(scanned) = blob.and_then(|b| b.scanned.as_ref()) {
        return Some(scanned.blob_digest.clone());
    }
    if let Some(digest) = &plan.digest {
        return Some(digest.clone());
    }
    match blob.and_then(|b| b.compression) {
        Some(Compression::None) => plan.diff_id.clone().or_else(|| plan.name_digest.clone()),
        Some(_) => plan
            .name_digest
            .clone()
            .filter(|d| Some(d) != plan.diff_id.as_ref()),
        None => None,
    }
}

/// Builds the report.
pub(super) fn build(set: &ShareSet) -> ShareReport {
    let groups = set.groups();
    let mut warnings = Vec::new();
    if set.images.len() < 2 {
        warnings.push(Warning::new(
            "few-images",
            format!(
                "{} analysed: sharing needs two or more",
                if set.images.len() == 1 {
                    "one image was".to_owned()
                } else {
                    "no image was".to_owned()
                }
            ),
        ));
    }
    // (image, layer) → index of its distinct layer.
    let mut slot: Vec<Vec<usize>> = set
        .images
        .iter()
        .map(|m| vec![0; m.opened.layers.len()])
        .collect();
    for (g, (_, uses)) in groups.iter().enumerate() {
        for &(image, layer) in uses {
            if let Some(cell) = slot.get_mut(image).and_then(|s| s.get_mut(layer)) {
                *cell = g;
            }
        }
    }
    let base_len = common_prefix(&slot);
    let base_slots: BTreeSet<usize> = slot
        .first()
        .map(|s| s.iter().take(base_len).copied().collect())
        .unwrap_or_default();

    let mut layers = Vec::with_capacity(groups.len());
    let mut stored_comparable = true;
    for (g, (key, uses)) in groups.iter().enumerate() {
        let blobs = set.blobs_of(uses);
        let sized: Vec<_> = blobs.iter().filter_map(|(_, b)| b.uncompressed).collect();
        let (uncompressed_size, size_source) = match sized.first() {
            Some(&(size, source)) => (Some(size), Some(source)),
            None => (None, None),
        };
        if sized.iter().any(|(s, _)| Some(*s) != uncompressed_size) {
            warnings.push(Warning::new(
                "size-mismatch",
                format!(
                    "the blobs of layer {} inflate to different sizes ({}); the first is reported",
                    key_text(key),
                    sized
                        .iter()
                        .map(|(s, _)| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let size_error = uncompressed_size.is_none().then(|| {
            blobs
                .iter()
                .find_map(|(_, b)| b.failure.clone())
                .unwrap_or_else(|| {
                    if blobs.is_empty() {
                        "no input holds its blob".to_owned()
                    } else {
                        "its blobs were not read".to_owned()
                    }
                })
        });
        let mut images = BTreeSet::new();
        let mut uses_out = Vec::with_capacity(uses.len());
        let mut digests = BTreeSet::new();
        let mut unknown_digest = false;
        for &(image, layer) in uses {
            images.insert(image);
            let member = set.images.get(image);
            let plan = member.and_then(|m| m.opened.layers.get(layer));
            let blob = member
                .and_then(|m| m.blobs.get(layer).copied().flatten())
                .and_then(|id| set.blobs.get(id));
            let digest = plan.and_then(|p| blob_digest(p, blob));
            if blob.is_some() {
                match &digest {
                    Some(d) => {
                        digests.insert(d.clone());
                    }
                    None => unknown_digest = true,
                }
            }
            uses_out.push(LayerUse {
                image,
                layer,
                stored_size: plan.and_then(|p| p.location.as_ref()).map(|l| l.size()),
                blob_digest: digest,
                compression: blob.and_then(|b| b.compression),
            });
        }
        if uses.len() > 1 && (digests.len() > 1 || (unknown_digest && blobs.len() > 1)) {
            stored_comparable = false;
        }
        let created_by = uses.first().and_then(|&(image, layer)| {
            set.images.get(image).and_then(|m| {
                m.opened
                    .history
                    .iter()
                    .find(|h| h.layer == Some(layer))
                    .and_then(|h| h.created_by.clone())
            })
        });
        layers.push(SharedLayer {
            diff_id: match key {
                LayerKey::Diff(d) => Some(d.clone()),
                LayerKey::Lone(..) => None,
            },
            images: images.into_iter().collect(),
            uses: uses_out,
            uncompressed_size,
            size_source,
            size_error,
            created_by,
            in_base: base_slots.contains(&g),
        });
    }

    let size_of = |g: usize| {
        layers
            .get(g)
            .and_then(|l: &SharedLayer| l.uncompressed_size)
    };
    let users_of = |g: usize| layers.get(g).map_or(0, |l: &SharedLayer| l.images.len());
    let stored_of = |image: usize, layer: usize| {
        set.images
            .get(image)
            .and_then(|m| m.opened.layers.get(layer))
            .and_then(|p| p.location.as_ref())
            .map_or(0, |l| l.size())
    };

    let mut images = Vec::with_capacity(set.images.len());
    let (mut sum_uncompressed, mut sum_stored) = (0u64, 0u64);
    for (index, member) in set.images.iter().enumerate() {
        let slots = slot.get(index).cloned().unwrap_or_default();
        let mut image = ShareImage {
            input: member.input,
            name: set
                .inputs
                .get(member.input)
                .map(|i| i.name.clone())
                .unwrap_or_default(),
            listing_index: member.opened.selected,
            format: member.opened.format,
            tags: member.opened.summary.tags.clone(),
            manifest_digest: member.opened.summary.manifest_digest.clone(),
            config_digest: member.opened.summary.config_digest.clone(),
            platform: member.opened.summary.platform.clone(),
            layers: slots
                .iter()
                .map(|&g| layers.get(g).and_then(|l| l.diff_id.clone()))
                .collect(),
            layer_indexes: slots.clone(),
            uncompressed_size: 0,
            stored_size: 0,
            above_base_uncompressed: 0,
            above_base_stored: 0,
            exclusive_uncompressed: 0,
            exclusive_stored: 0,
            base_name: annotation(&member.opened.annotations, BASE_NAME),
            base_digest: annotation(&member.opened.annotations, BASE_DIGEST),
            verification: member.report.as_ref().map(|r| ImageVerification {
                ok: r.verification.ok,
                problems: r.verification.problems,
                failures: r.failures().cloned().collect(),
            }),
            warnings: match &member.report {
                Some(r) => r.warnings.clone(),
                None => member.opened.warnings.clone(),
            },
        };
        for (layer, &g) in slots.iter().enumerate() {
            let size = size_of(g).unwrap_or(0);
            let stored = stored_of(index, layer);
            image.uncompressed_size = image.uncompressed_size.saturating_add(size);
            image.stored_size = image.stored_size.saturating_add(stored);
            if layer >= base_len {
                image.above_base_uncompressed = image.above_base_uncompressed.saturating_add(size);
                image.above_base_stored = image.above_base_stored.saturating_add(stored);
            }
            if users_of(g) == 1 {
                image.exclusive_uncompressed = image.exclusive_uncompressed.saturating_add(size);
                image.exclusive_stored = image.exclusive_stored.saturating_add(stored);
            }
        }
        sum_uncompressed = sum_uncompressed.saturating_add(image.uncompressed_size);
        sum_stored = sum_stored.saturating_add(image.stored_size);
        images.push(image);
    }

    let unique_uncompressed = layers
        .iter()
        .filter_map(|l| l.uncompressed_size)
        .fold(0u64, u64::saturating_add);
    let unique_stored = stored_comparable.then(|| unique_stored(set));
    let bytes = ShareBytes {
        sum_uncompressed,
        unique_uncompressed,
        saved_uncompressed: sum_uncompressed.saturating_sub(unique_uncompressed),
        unsized_layers: layers
            .iter()
            .filter(|l| l.uncompressed_size.is_none())
            .count(),
        sum_stored,
        unique_stored,
        saved_stored: unique_stored.map(|u| sum_stored.saturating_sub(u)),
        stored_comparable,
    };

    let common_base = CommonBase {
        layers: base_len,
        diff_ids: images
            .first()
            .map(|i| i.layers.iter().take(base_len).flatten().cloned().collect())
            .unwrap_or_default(),
        uncompressed_size: base_slots
            .iter()
            .filter_map(|&g| size_of(g))
            .fold(0u64, u64::saturating_add),
        history: base_history(set, base_len),
        annotations: base_annotations(&images),
    };

    let verified = set.verify.then(|| {
        images
            .iter()
            .all(|i| i.verification.as_ref().is_some_and(|v| v.ok))
    });
    ShareReport {
        inputs: set
            .inputs
            .iter()
            .map(|i| ShareInput {
                name: i.name.clone(),
                status: i.status,
                same_as: i.same_as,
                images: i.images.clone(),
                errors: i.errors.clone(),
            })
            .collect(),
        images,
        layers,
        bytes,
        common_base,
        verified,
        warnings,
    }
}

/// The longest prefix of layers every image has in the same order
/// (0 for fewer than two images).
fn common_prefix(slot: &[Vec<usize>]) -> usize {
    let [first, rest @ ..] = slot else {
        return 0;
    };
    if rest.is_empty() {
        return 0;
    }
    first
        .iter()
        .enumerate()
        .take_while(|(i, g)| rest.iter().all(|s| s.get(*i) == Some(*g)))
        .count()
}

/// Each stored blob once: by its digest when known, else by where it is.
fn unique_stored(set: &ShareSet) -> u64 {
    let mut seen_digests: HashMap<Digest, u64> = HashMap::new();
    let mut anonymous = 0u64;
    for blob in &set.blobs {
        let size = blob.plan.location.as_ref().map_or(0, |l| l.size());
        match blob_digest(&blob.plan, Some(blob)) {
            Some(digest) => {
                seen_digests.entry(digest).or_insert(size);
            }
            None => anonymous = anonymous.saturating_add(size),
        }
    }
    seen_digests
        .values()
        .fold(anonymous, |sum, size| sum.saturating_add(*size))
}

/// Image 0's history up to and including the entry that made the base's
/// last layer.
fn base_history(set: &ShareSet, base_len: usize) -> Vec<crate::model::HistoryEntry> {
    let Some(first) = set.images.first() else {
        return Vec::new();
    };
    let Some(last) = base_len.checked_sub(1) else {
        return Vec::new();
    };
    let end = first
        .opened
        .history
        .iter()
        .position(|h| h.layer == Some(last));
    match end {
        Some(end) => first.opened.history.iter().take(end + 1).cloned().collect(),
        None => Vec::new(),
    }
}

/// The distinct base annotations and the images carrying each.
fn base_annotations(images: &[ShareImage]) -> Vec<BaseAnnotation> {
    let mut out: Vec<BaseAnnotation> = Vec::new();
    for (index, image) in images.iter().enumerate() {
        if image.base_name.is_none() && image.base_digest.is_none() {
            continue;
        }
        match out
            .iter_mut()
            .find(|a| a.name == image.base_name && a.digest == image.base_digest)
        {
            Some(found) => found.images.push(index),
            None => out.push(BaseAnnotation {
                name: image.base_name.clone(),
                digest: image.base_digest.clone(),
                images: vec![index],
            }),
        }
    }
    out
}

/// An annotation's value; an empty one (buildah writes an empty base
/// name for `FROM scratch`) counts as absent.
fn annotation(
    annotations: &std::collections::BTreeMap<String, String>,
    key: &str,
) -> Option<String> {
    annotations.get(key).filter(|v| !v.is_empty()).cloned()
}

fn key_text(key: &LayerKey) -> String {
    match key {
        LayerKey::Diff(d) => name(&d.to_string()).to_string(),
        LayerKey::Lone(image, layer) => format!("{layer} of image {image}"),
    }
}
