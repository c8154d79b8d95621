//! The image config: runtime settings, history and `rootfs.diff_ids`.

use serde_json::{Map, Value};

use crate::archive::json::{self, get, get_array, get_object, get_str, get_strings};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::model::{HistoryEntry, RuntimeConfig, Warning};

/// What the core takes from an image config.
#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// `created`.
    pub created: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// `config`.
    pub runtime: RuntimeConfig,
    /// `history`, not yet aligned with layers.
    pub history: Vec<HistoryEntry>,
    /// `rootfs.diff_ids`.
    pub diff_ids: Vec<Digest>,
    /// Oddities.
    pub warnings: Vec<Warning>,
}

/// Parses an image config document.
pub fn parse_config(member: &str, bytes: &[u8]) -> Result<ParsedConfig> {
    let value = json::parse(member, bytes)?;
    let root = json::as_object(member, &value)?;
    let mut parsed = ParsedConfig {
        platform: platform_of(root),
        created: get_str(root, "created").map(str::to_owned),
        author: get_str(root, "author").map(str::to_owned),
        ..ParsedConfig::default()
    };
    if let Some(config) = get_object(root, "config") {
        parsed.runtime = runtime_config(config);
    }
    if let Some(history) = get_array(root, "history") {
        for (index, item) in history.iter().enumerate() {
            let Some(h) = item.as_object() else { continue };
            parsed.history.push(HistoryEntry {
                index,
                created: get_str(h, "created").map(str::to_owned),
                created_by: get_str(h, "created_by").map(str::to_owned),
                author: get_str(h, "author").map(str::to_owned),
                comment: get_str(h, "comment").map(str::to_owned),
                empty_layer: get(h, "empty_layer")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                layer: None,
            });
        }
    }
    if let Some(rootfs) = get_object(root, "rootfs") {
        for (i, item) in get_array(rootfs, "diff_ids")
            .into_iter()
            .flatten()
            .enumerate()
        {
            let text = item.as_str().unwrap_or_default();
            let digest = Digest::parse(text).map_err(|source| Error::Digest {
                member: format!("{member} rootfs.diff_ids[{i}]"),
                source,
            })?;
            parsed.diff_ids.push(digest);
        }
    }
    Ok(parsed)
}

/// `os/arch[/variant]` from an object with those fields (config or platform).
pub fn platform_of(object: &Map<String, Value>) -> Option<String> {
    let os = get_str(object, "os")?;
    let arch = get_str(object, "architecture")?;
    Some(match get_str(object, "variant") {
        Some(v) if !v.is_empty() => format!("{os}/{arch}/{v}"),
        _ => format!("{os}/{arch}"),
    })
}

fn runtime_config(config: &Map<String, Value>) -> RuntimeConfig {
    let keys = |key: &str| -> Vec<String> {
        get_object(config, key)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    RuntimeConfig {
        user: get_str(config, "User").map(str::to_owned),
        env: get_strings(config, "Env").unwrap_or_default(),
        entrypoint: get_strings(config, "Entrypoint"),
        cmd: get_strings(config, "Cmd"),
        working_dir: get_str(config, "WorkingDir").map(str::to_owned),
        exposed_ports: keys("ExposedPorts"),
        volumes: keys("Volumes"),
        labels: get_object(config, "Labels")
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        stop_signal: get_str(config, "StopSignal").map(str::to_owned),
        healthcheck: get(config, "Healthcheck").cloned(),
    }
}

/// Assigns each non-empty history entry to the next layer; warns when the
/// number of non-empty entries and layers differ.
pub fn align_history(history: &mut [HistoryEntry], layer_count: usize) -> Option<Warning> {
    let mut next_layer = 0usize;
    for entry in history.iter_mut() {
        if entry.empty_layer {
            continue;
        }
        if next_layer < layer_count {
            entry.layer = Some(next_layer);
        }
        next_layer += 1;
    }
    if history.is_empty() || next_layer == layer_count {
        return None;
    }
    Some(Warning::new(
        "history-count-mismatch",
        format!(
            "config history has {next_layer} non-empty entries but the image has {layer_count} layers; alignment may be wrong"
        ),
    ))
}
