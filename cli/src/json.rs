//! The one printer of every `--json` document (see docs/json.md, "Text
//! and bytes"): valid UTF-8, safe to page in a terminal, and exact about
//! names that are not UTF-8.
//!
//! - Besides what serde_json escapes (`"`, `\`, U+0000–U+001F), DEL, the
//!   C1 controls (U+0080–U+009F) and the bidirectional overrides and
//!   isolates (U+202A–U+202E, U+2066–U+2069) are written as `\uXXXX`, so
//!   `--json | less` shows them instead of obeying them.
//! - A string that holds escaped bytes of [`layerscope::names`] (a name
//!   that is not UTF-8) is written with U+FFFD for each such byte, and the
//!   object holding it gains `<key>Base64`: the exact bytes in standard
//!   base64. For an array of strings, `<key>Base64` is a parallel array
//!   (null for the plain entries). An object key holding such bytes (a
//!   label name) is written the same way, with U+FFFD appended as needed to
//!   keep keys distinct, and the object beside it gains
//!   `<key>KeysBase64`, from the written key to the exact bytes.

use std::cell::Cell;
use std::io;

use base64::Engine as _;
use layerscope::names;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use serde_json::{Map, Value};

/// Whether serde_json leaves `c` as is but a terminal would obey it.
fn needs_unicode_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A formatter that escapes what [`needs_unicode_escape`] names and notes
/// whether any string held escaped bytes.
struct SafeFormatter<'a, F> {
    inner: F,
    escaped_bytes: &'a Cell<bool>,
}

impl<F: Formatter> Formatter for SafeFormatter<'_, F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if names::escaped_byte(c).is_some() {
                self.escaped_bytes.set(true);
            }
            if needs_unicode_escape(c) {
                writer.write_all(fragment.get(start..i).unwrap_or("").as_bytes())?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(fragment.get(start..).unwrap_or("").as_bytes())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
    }
}

/// Serializes with `formatter`; returns the text and whether a string held
/// escaped bytes.
fn write<T: Serialize + ?Sized, F: Formatter>(
    value: &T,
    formatter: F,
) -> serde_json::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let escaped_bytes = Cell::new(false);
    let formatter = SafeFormatter {
        inner: formatter,
        escaped_bytes: &escaped_bytes,
    };
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    Ok((out, escaped_bytes.get()))
}

/// The exact bytes of an encoded string, in base64.
fn base64_of(text: &str) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(names::decode(text)))
}

/// Replaces a string's escaped bytes by U+FFFD; returns its exact bytes
/// when it had some.
fn take_bytes(value: &mut Value) -> Option<Value> {
    match value {
        Value::String(text) if !names::is_plain(text) => {
            let bytes = base64_of(text);
            *text = names::lossy(text).into_owned();
            Some(bytes)
        }
        _ => None,
    }
}

/// Rewrites a value so that no string holds escaped bytes, adding the
/// `…Base64` keys. Returns, for an object, its renamed keys (written key →
/// exact bytes), for the caller to record.
fn fix(value: &mut Value) -> Option<Map<String, Value>> {
    match value {
        Value::Array(items) => {
            for item in items.iter_mut() {
                fix(item);
            }
            None
        }
        Value::Object(map) => {
            let mut renamed = Map::new();
            if map.keys().any(|k| !names::is_plain(k)) {
                for (key, item) in std::mem::take(map) {
                    if names::is_plain(&key) {
                        map.insert(key, item);
                        continue;
                    }
                    let mut shown = names::lossy(&key).into_owned();
                    while map.contains_key(&shown) || renamed.contains_key(&shown) {
                        shown.push(char::REPLACEMENT_CHARACTER);
                    }
                    renamed.insert(shown.clone(), base64_of(&key));
                    map.insert(shown, item);
                }
            }
            let keys: Vec<String> = map.keys().cloned().collect();
            let mut added = Map::new();
            for key in keys {
                let Some(item) = map.get_mut(&key) else {
                    continue;
                };
                if let Some(bytes) = take_bytes(item) {
                    added.insert(format!("{key}Base64"), bytes);
                } else if let Value::Array(items) = item {
                    let parallel: Vec<Value> = items
                        .iter_mut()
                        .map(|i| take_bytes(i).unwrap_or(Value::Null))
                        .collect();
                    if parallel.iter().any(|v| !v.is_null()) {
                        added.insert(format!("{key}Base64"), Value::Array(parallel));
                    }
                    // (Maps in our documents are object fields, never
                    // array items: an item's renamed keys have no home.)
                    for i in items.iter_mut() {
                        fix(i);
                    }
                } else if let Some(keys) = fix(item) {
                    added.insert(format!("{key}KeysBase64"), Value::Object(keys));
                }
            }
            map.extend(added);
            (!renamed.is_empty()).then_some(renamed)
        }
        _ => None,
    }
}

/// Serializes pretty or compact.
fn render<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<(Vec<u8>, bool)> {
    if pretty {
        write(value, PrettyFormatter::new())
    } else {
        write(value, CompactFormatter)
    }
}

/// A JSON document as text, pretty or compact (see the module doc).
pub fn to_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    let (mut bytes, escaped) = render(value, pretty)?;
    if escaped {
        let mut tree = serde_json::to_value(value)?;
        if let Some(keys) = fix(&mut tree) {
            if let Value::Object(map) = &mut tree {
                map.insert("keysBase64".to_owned(), Value::Object(keys));
            }
        }
        bytes = render(&tree, pretty)?.0;
    }
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(raw: &[u8]) -> String {
        names::encode(raw).into_owned()
    }

    #[test]
    fn terminal_controls_are_escaped() {
        let text = to_string(
            &serde_json::json!({"a": "x\u{1b}\u{7f}\u{9b}\u{202e}\u{2066}y\u{e9}"}),
            false,
        )
        .unwrap();
        assert_eq!(text, r#"{"a":"x\u001b\u007f\u009b\u202e\u2066yé"}"#);
    }

    #[test]
    fn escaped_bytes_get_base64_siblings() {
        let value = serde_json::json!({
            "path": encoded(b"a\xff"),
            "plain": "b",
            "env": ["A=1", encoded(b"B=\xfe")],
            "labels": { encoded(b"k\xff"): "v", "k\u{fffd}": "w" },
            "entries": [{ "linkTarget": encoded(b"\xc3") }],
        });
        let text = to_string(&value, true).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["path"], "a\u{fffd}");
        assert_eq!(back["pathBase64"], "Yf8=");
        assert!(back.get("plainBase64").is_none());
        assert_eq!(back["env"][1], "B=\u{fffd}");
        assert_eq!(back["envBase64"], serde_json::json!([null, "Qj3+"]));
        assert_eq!(back["labels"]["k\u{fffd}"], "w");
        assert_eq!(back["labels"]["k\u{fffd}\u{fffd}"], "v");
        assert_eq!(back["labelsKeysBase64"]["k\u{fffd}\u{fffd}"], "a/8=");
        assert_eq!(back["entries"][0]["linkTargetBase64"], "ww==");
        assert!(!text.chars().any(|c| names::escaped_byte(c).is_some()));
    }
}
