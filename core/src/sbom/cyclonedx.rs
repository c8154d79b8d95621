//! CycloneDX 1.6 JSON: the image as `metadata.component` (type
//! `container`, its digests as hashes and properties), one component per
//! package (type `library`, purl, licenses) with its layer as
//! `layerscope:*` properties, and the distribution as an
//! `operating-system` component.

use serde_json::{Value, json};

use crate::packages::{Package, PackageReport};
use crate::report::InspectReport;

use super::{TOOL, VERSION, hash_of, image_name, layer_digest, seed, stable_uuid, timestamp};

fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn component(n: usize, p: &Package, image: &InspectReport) -> Value {
    let mut properties = vec![
        property("layerscope:ecosystem", p.ecosystem.purl_type()),
        property("layerscope:addedLayer", p.added_layer.to_string()),
        property("layerscope:versionLayer", p.version_layer.to_string()),
        property("layerscope:location", p.location.clone()),
    ];
    if let Some(d) = layer_digest(image, p.version_layer) {
        properties.push(property("layerscope:layerDigest", d));
    }
    for c in &p.changed_layers {
        let word = serde_json::to_value(c.change)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        properties.push(property(
            "layerscope:changedLayer",
            format!("{} {word}", c.layer),
        ));
    }
    let mut out = json!({
        "type": "library",
        "bom-ref": format!("package-{n}"),
        "name": p.name,
        "version": p.version,
        "purl": p.purl,
        "properties": properties,
    });
    if let (Some(license), Some(map)) = (&p.license, out.as_object_mut()) {
        map.insert(
            "licenses".into(),
            json!([{ "license": { "name": license } }]),
        );
    }
    out
}

/// The CycloneDX document.
pub fn document(image: &InspectReport, packages: &PackageReport) -> Value {
    let summary = &image.image;
    let mut hashes = Vec::new();
    let mut props = Vec::new();
    if let Some(d) = &summary.config_digest {
        if let Some((alg, hex)) = hash_of(d, "SHA-256", "SHA-512") {
            hashes.push(json!({ "alg": alg, "content": hex }));
        }
        props.push(property("layerscope:image:configDigest", d.to_string()));
    }
    if let Some(d) = &summary.manifest_digest {
        props.push(property("layerscope:image:manifestDigest", d.to_string()));
    }
    for t in &summary.tags {
        props.push(property("layerscope:image:tag", t.clone()));
    }
    if let Some(p) = &summary.platform {
        props.push(property("layerscope:image:platform", p.clone()));
    }
    for layer in &image.layers {
        if let Some(d) = &layer.digest {
            props.push(property(
                "layerscope:image:layer",
                format!("{} {d}", layer.index),
            ));
        }
        if let Some(d) = &layer.diff_id {
            props.push(property(
                "layerscope:image:diffId",
                format!("{} {d}", layer.index),
            ));
        }
    }
    let mut root = json!({
        "type": "container",
        "bom-ref": "image",
        "name": image_name(image),
        "properties": props,
    });
    if let (false, Some(map)) = (hashes.is_empty(), root.as_object_mut()) {
        map.insert("hashes".into(), Value::Array(hashes));
    }
    let mut components: Vec<Value> = packages
        .packages
        .iter()
        .enumerate()
        .map(|(n, p)| component(n, p, image))
        .collect();
    if let Some(os) = &packages.os_release {
        let mut c = json!({
            "type": "operating-system",
            "bom-ref": "operating-system",
            "name": os.id.clone().or_else(|| os.name.clone()).unwrap_or_else(|| "linux".into()),
        });
        if let Some(map) = c.as_object_mut() {
            if let Some(v) = &os.version_id {
                map.insert("version".into(), json!(v));
            }
            if let Some(d) = &os.pretty_name {
                map.insert("description".into(), json!(d));
            }
        }
        components.push(c);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", stable_uuid(&seed(image))),
        "version": 1,
        "metadata": {
            "timestamp": timestamp(image),
            "tools": { "components": [ { "type": "application", "name": TOOL, "version": VERSION } ] },
            "component": root,
        },
        "components": components,
    })
}
