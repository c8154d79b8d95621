//! SBOM documents of the final image: CycloneDX 1.6 JSON ([`cyclonedx`])
//! and SPDX 2.3 JSON ([`spdx`]), from the inspect report (the image's
//! digests, tags, creation date, layers) and the package report.
//!
//! Deterministic: the same image gives the same bytes. Object keys are
//! sorted, components follow the package report's order, identifiers are
//! derived from the config digest, and the document timestamp is the
//! image config's `created` (the Unix epoch when it has none).

pub mod cyclonedx;
pub mod spdx;

use serde::{Deserialize, Serialize};

use crate::digest::{Algorithm, Digest};
use crate::packages::PackageReport;
use crate::report::InspectReport;

/// Which SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// The document for `format`, as JSON text (pretty, keys sorted, ending
/// in a newline). Characters a terminal would obey (DEL, C1 controls,
/// bidi overrides, the escaped bytes of [`crate::names`]) are written as
/// `\uXXXX` escapes, so the bytes are safe to print and the same in every
/// driver.
pub fn sbom(format: SbomFormat, image: &InspectReport, packages: &PackageReport) -> String {
    let value = match format {
        SbomFormat::Cyclonedx => cyclonedx::document(image, packages),
        SbomFormat::Spdx => spdx::document(image, packages),
    };
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        // serde_json already escaped U+0000–U+001F inside strings; outside
        // strings there is only JSON's own whitespace.
        if crate::display::is_unsafe(c) && u32::from(c) > 0x1f {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// The tool name and version written into documents.
pub(crate) const TOOL: &str = "layerscope";
/// This crate's version.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The image's name: its first tag, else its config digest.
pub(crate) fn image_name(image: &InspectReport) -> String {
    image
        .image
        .tags
        .first()
        .cloned()
        .or_else(|| image.image.config_digest.as_ref().map(ToString::to_string))
        .unwrap_or_else(|| "image".to_owned())
}

/// The document timestamp: the config's `created` in the
/// `YYYY-MM-DDThh:mm:ssZ` form both formats accept (fractions dropped),
/// or the epoch when it is absent or not in UTC.
pub(crate) fn timestamp(image: &InspectReport) -> String {
    const EPOCH: &str = "1970-01-01T00:00:00Z";
    let Some(created) = image.image.created.as_deref() else {
        return EPOCH.to_owned();
    };
    let Some(head) = created.get(..19) else {
        return EPOCH.to_owned();
    };
    let shape_ok = head.bytes().enumerate().all(|(i, c)| match i {
        4 | 7 => c == b'-',
        10 => c == b'T' || c == b't',
        13 | 16 => c == b':',
        _ => c.is_ascii_digit(),
    });
    let utc = created.ends_with('Z') || created.ends_with('z');
    if shape_ok && utc {
        format!(
            "{}T{}Z",
            head.get(..10).unwrap_or(""),
            head.get(11..).unwrap_or("")
        )
    } else {
        EPOCH.to_owned()
    }
}

/// A stable identifier derived from `seed` (the config digest): a
/// version-5-shaped UUID of its SHA-256.
pub(crate) fn stable_uuid(seed: &str) -> String {
    let hex = crate::digest::digest_bytes(Algorithm::Sha256, seed.as_bytes())
        .encoded()
        .to_owned();
    let mut b: Vec<u8> = (0..16)
        .filter_map(|i| hex.get(i * 2..i * 2 + 2))
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    b.resize(16, 0);
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x50;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let hexs: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hexs.get(0..8).unwrap_or(""),
        hexs.get(8..12).unwrap_or(""),
        hexs.get(12..16).unwrap_or(""),
        hexs.get(16..20).unwrap_or(""),
        hexs.get(20..32).unwrap_or("")
    )
}

/// The seed of the document's identifiers.
pub(crate) fn seed(image: &InspectReport) -> String {
    image
        .image
        .config_digest
        .as_ref()
        .or(image.image.manifest_digest.as_ref())
        .map(ToString::to_string)
        .unwrap_or_else(|| image_name(image))
}

/// The layer digest (blob digest, else diff_id) of `layer`, as text.
pub(crate) fn layer_digest(image: &InspectReport, layer: usize) -> Option<String> {
    let info = image.layers.get(layer)?;
    info.digest
        .as_ref()
        .or(info.diff_id.as_ref())
        .map(ToString::to_string)
}

/// (algorithm name in the SBOM format's spelling, hex) of a digest whose
/// algorithm the format knows.
pub(crate) fn hash_of(
    digest: &Digest,
    sha256: &'static str,
    sha512: &'static str,
) -> Option<(&'static str, String)> {
    match digest.algorithm()? {
        Algorithm::Sha256 => Some((sha256, digest.encoded().to_owned())),
        Algorithm::Sha512 => Some((sha512, digest.encoded().to_owned())),
    }
}
