//! Lenient access to untrusted JSON documents: case-insensitive keys (jib
//! writes `config`/`layers`), `null` treated as absent, typed getters that
//! never panic.

use serde_json::{Map, Value};

use crate::digest::Digest;
use crate::error::{Error, Result, SchemaProblem};
use crate::names;

/// Parses a document, naming the member on failure. Its strings (keys
/// included) are [`crate::names`] encodings like every name, so a code
/// point of the escape range in the document is kept exactly.
pub fn parse(member: &str, bytes: &[u8]) -> Result<Value> {
    let mut value = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        member: member.to_owned(),
        source,
    })?;
    encode_strings(&mut value);
    Ok(value)
}

/// Re-encodes every string of a parsed document that holds a code point of
/// the escape range (serde_json bounds the nesting depth at 128).
fn encode_strings(value: &mut Value) {
    match value {
        Value::String(text) => {
            if !names::is_plain(text) {
                *text = names::encode_str(text).into_owned();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(encode_strings),
        Value::Object(map) => {
            if map.keys().any(|k| !names::is_plain(k)) {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    encode_strings(&mut item);
                    map.insert(names::encode_str(&key).into_owned(), item);
                }
            } else {
                map.values_mut().for_each(encode_strings);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Looks a key up exactly, then ignoring ASCII case. `null` counts as absent.
pub fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let found = object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    });
    found.filter(|v| !v.is_null())
}

/// A string field.
pub fn get_str<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    get(object, key).and_then(Value::as_str)
}

/// An object field.
pub fn get_object<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    get(object, key).and_then(Value::as_object)
}

/// An array field.
pub fn get_array<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Vec<Value>> {
    get(object, key).and_then(Value::as_array)
}

/// A non-negative integer field.
pub fn get_u64(object: &Map<String, Value>, key: &str) -> Option<u64> {
    get(object, key).and_then(Value::as_u64)
}

/// An array of strings (non-strings are skipped).
pub fn get_strings(object: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    get_array(object, key).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

/// The document as an object, or a schema error naming `member`.
pub fn as_object<'a>(member: &str, value: &'a Value) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| Error::Schema {
        member: member.to_owned(),
        problem: SchemaProblem::Field { field: "$".into() },
    })
}

/// A required, valid digest field.
pub fn get_digest(member: &str, object: &Map<String, Value>, key: &str) -> Result<Digest> {
    let text = get_str(object, key).ok_or_else(|| Error::Schema {
        member: member.to_owned(),
        problem: SchemaProblem::Field { field: key.into() },
    })?;
    Digest::parse(text).map_err(|source| Error::Digest {
        member: member.to_owned(),
        source,
    })
}
