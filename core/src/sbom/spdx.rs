//! SPDX 2.3 JSON: the image as the described package (purpose
//! `CONTAINER`, its config digest as checksum), one package per package
//! with its purl as an external reference, `CONTAINS` relationships, and
//! each package's layer as an annotation (`layerscope:addedLayer=…`).

use serde_json::{Value, json};

use crate::packages::{Package, PackageReport};
use crate::report::InspectReport;

use super::{TOOL, VERSION, hash_of, image_name, layer_digest, seed, stable_uuid, timestamp};

fn package(n: usize, p: &Package, image: &InspectReport, created: &str) -> Value {
    let mut note = format!(
        "layerscope:ecosystem={} addedLayer={} versionLayer={} location={}",
        p.ecosystem.purl_type(),
        p.added_layer,
        p.version_layer,
        p.location
    );
    if let Some(d) = layer_digest(image, p.version_layer) {
        note.push_str(&format!(" layerDigest={d}"));
    }
    let mut out = json!({
        "SPDXID": format!("SPDXRef-Package-{n}"),
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "externalRefs": [
            { "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl }
        ],
        "annotations": [
            { "annotationDate": created, "annotationType": "OTHER",
              "annotator": format!("Tool: {TOOL}-{VERSION}"), "comment": note }
        ],
    });
    if let (Some(license), Some(map)) = (&p.license, out.as_object_mut()) {
        map.insert(
            "licenseComments".into(),
            json!(format!("declared: {license}")),
        );
    }
    out
}

/// The SPDX document.
pub fn document(image: &InspectReport, packages: &PackageReport) -> Value {
    let created = timestamp(image);
    let summary = &image.image;
    let name = image_name(image);
    let mut checksums = Vec::new();
    if let Some((alg, hex)) = summary
        .config_digest
        .as_ref()
        .and_then(|d| hash_of(d, "SHA256", "SHA512"))
    {
        checksums.push(json!({ "algorithm": alg, "checksumValue": hex }));
    }
    let mut digests = Vec::new();
    if let Some(d) = &summary.manifest_digest {
        digests.push(format!("manifest {d}"));
    }
    if let Some(d) = &summary.config_digest {
        digests.push(format!("config {d}"));
    }
    for layer in &image.layers {
        if let Some(d) = &layer.digest {
            digests.push(format!("layer {} {d}", layer.index));
        }
        if let Some(d) = &layer.diff_id {
            digests.push(format!("diffId {} {d}", layer.index));
        }
    }
    let mut root = json!({
        "SPDXID": "SPDXRef-Image",
        "name": name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "comment": format!("layerscope:digests {}", digests.join(", ")),
    });
    if let Some(map) = root.as_object_mut() {
        if !checksums.is_empty() {
            map.insert("checksums".into(), Value::Array(checksums));
        }
        if let Some(d) = &summary.config_digest {
            map.insert("versionInfo".into(), json!(d.to_string()));
        }
    }
    let mut all = vec![root];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    for (n, p) in packages.packages.iter().enumerate() {
        all.push(package(n, p, image, &created));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": format!("SPDXRef-Package-{n}"),
        }));
    }
    let mut comment = String::new();
    if let Some(os) = &packages.os_release {
        let shown = os
            .pretty_name
            .clone()
            .or_else(|| os.name.clone())
            .unwrap_or_default();
        comment = format!("distribution: {shown}");
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!("https://layerscope.invalid/spdx/{}", stable_uuid(&seed(image))),
        "creationInfo": { "created": created, "creators": [ format!("Tool: {TOOL}-{VERSION}") ] },
        "documentDescribes": ["SPDXRef-Image"],
        "packages": all,
        "relationships": relationships,
    });
    if let (false, Some(map)) = (comment.is_empty(), doc.as_object_mut()) {
        map.insert("comment".into(), json!(comment));
    }
    doc
}
