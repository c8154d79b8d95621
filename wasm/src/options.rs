//! The options JavaScript passes as JSON: `open`'s image selection and
//! platform, and partial resource limits over the defaults.

use layerscope::{Limits, OpenOptions};
use serde::Deserialize;

use crate::convert::from_json;
use crate::error::WasmError;

/// The `open` options as JSON: `{"image": "1", "platform": "linux/arm64",
/// "limits": {"maxJsonBytes": …}}`, every field optional; missing limits
/// keep their defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OptionsJson {
    image: Option<String>,
    platform: Option<String>,
    limits: Option<serde_json::Value>,
}

/// Parses `open`'s options (absent or blank: the defaults).
pub fn open_options(json: Option<&str>) -> Result<OpenOptions, WasmError> {
    let parsed: OptionsJson = match json.map(str::trim) {
        None | Some("") => OptionsJson::default(),
        Some(text) => from_json("options", text)?,
    };
    Ok(OpenOptions {
        image: parsed.image.filter(|s| !s.is_empty()),
        platform: parsed.platform.filter(|s| !s.is_empty()),
        limits: limits_from(parsed.limits)?,
    })
}

/// Parses a limits argument (absent or blank: the defaults).
pub fn parse_limits(json: Option<&str>) -> Result<Limits, WasmError> {
    match json.map(str::trim) {
        None | Some("") => Ok(Limits::default()),
        Some(text) => limits_from(Some(from_json("limits", text)?)),
    }
}

/// Applies a partial limits object over the defaults.
fn limits_from(value: Option<serde_json::Value>) -> Result<Limits, WasmError> {
    let Some(serde_json::Value::Object(given)) = value else {
        return Ok(Limits::default());
    };
    let mut merged = match serde_json::to_value(Limits::default()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    merged.extend(given);
    serde_json::from_value(serde_json::Value::Object(merged)).map_err(|source| WasmError::BadJson {
        what: "limits",
        source,
    })
}
