//! Exact bytes in Rust strings: the one injective encoding of untrusted
//! names (entry paths, link targets, owner names, xattr names, member
//! paths, strings of JSON documents).
//!
//! Tar names are bytes, not text. Decoding them with `from_utf8_lossy`
//! would turn every invalid byte into U+FFFD, so two different names could
//! become one and `flatten` would write altered names. Instead:
//!
//! - valid UTF-8 is kept as is;
//! - every byte that is not part of valid UTF-8 becomes the private-use
//!   code point U+10FF00 + byte (an *escaped byte*);
//! - a code point that is itself in U+10FF00..=U+10FFFF (valid UTF-8 that
//!   would otherwise read as an escaped byte) is written as its four UTF-8
//!   bytes, each escaped the same way.
//!
//! [`decode`] maps each escaped byte back to its byte and everything else to
//! its UTF-8 bytes, so `decode(encode(bytes)) == bytes` for every byte string
//! and two different byte strings never encode to the same string. Path
//! operations on encoded strings work unchanged: `/` is ASCII and never part
//! of an escape. Presentation ([`crate::display`], the CLI's JSON printer,
//! the page's `text.js`) shows escaped bytes as bytes, never as characters.

use std::borrow::Cow;

/// The first code point of the escape range: byte `b` is `ESCAPE_BASE + b`.
pub const ESCAPE_BASE: u32 = 0x10_FF00;

/// The escape of one byte.
fn escape(byte: u8) -> char {
    // U+10FF00..=U+10FFFF are all valid scalar values.
    char::from_u32(ESCAPE_BASE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte an escaped byte stands for; None for any other character.
pub fn escaped_byte(c: char) -> Option<u8> {
    u32::from(c)
        .checked_sub(ESCAPE_BASE)
        .and_then(|b| u8::try_from(b).ok())
}

/// Whether `text` holds no escaped byte (its text is its exact bytes).
pub fn is_plain(text: &str) -> bool {
    // Every escape is encoded as F4 8F BC..BF xx: most names hold no F4
    // byte at all, which `contains` (memchr) tells quickly.
    !text.as_bytes().contains(&0xF4) || !text.chars().any(|c| escaped_byte(c).is_some())
}

/// Appends the encoding of valid text (escaping only code points of the
/// escape range).
fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        if escaped_byte(c).is_some() {
            let mut utf8 = [0u8; 4];
            for b in c.encode_utf8(&mut utf8).bytes() {
                out.push(escape(b));
            }
        } else {
            out.push(c);
        }
    }
}

/// Encodes raw bytes as a string (borrowed when they are valid UTF-8 with
/// no code point in the escape range, the usual case).
pub fn encode(raw: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(raw) {
        return encode_str(text);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for chunk in raw.utf8_chunks() {
        push_text(&mut out, chunk.valid());
        for &b in chunk.invalid() {
            out.push(escape(b));
        }
    }
    Cow::Owned(out)
}

/// Encodes text that is already valid Unicode (e.g. a JSON string): only a
/// code point of the escape range changes.
pub fn encode_str(text: &str) -> Cow<'_, str> {
    if is_plain(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    push_text(&mut out, text);
    Cow::Owned(out)
}

/// Encodes owned raw bytes without copying valid, plain text.
pub fn encode_owned(raw: Vec<u8>) -> String {
    match String::from_utf8(raw) {
        Ok(text) if is_plain(&text) => text,
        Ok(text) => encode_str(&text).into_owned(),
        Err(e) => encode(e.as_bytes()).into_owned(),
    }
}

/// The exact bytes an encoded string stands for (borrowed when it holds no
/// escaped byte).
pub fn decode(text: &str) -> Cow<'_, [u8]> {
    if is_plain(text) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    Cow::Owned(out)
}

/// The string with every escaped byte shown as U+FFFD (for output that must
/// be plain text, next to the exact bytes).
pub fn lossy(text: &str) -> Cow<'_, str> {
    if is_plain(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if escaped_byte(c).is_some() {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_utf8_is_kept() {
        assert!(matches!(
            encode("etc/pässwd".as_bytes()),
            Cow::Borrowed("etc/pässwd")
        ));
        assert_eq!(decode("etc/pässwd"), "etc/pässwd".as_bytes());
    }

    #[test]
    fn invalid_bytes_are_escaped_one_by_one() {
        let name = encode(b"a\xff/b\xc3");
        assert_eq!(name, "a\u{10ffff}/b\u{10ffc3}");
        assert_eq!(decode(&name), &b"a\xff/b\xc3"[..]);
        assert!(!is_plain(&name));
        assert_eq!(lossy(&name), "a\u{fffd}/b\u{fffd}");
    }

    #[test]
    fn code_points_of_the_escape_range_are_escaped_too() {
        // U+10FF41 is valid UTF-8 (f4 8f bd 81); as is, it would read as
        // the escaped byte 0x41.
        let raw = "x\u{10ff41}".as_bytes();
        let name = encode(raw);
        assert_eq!(name, "x\u{10fff4}\u{10ff8f}\u{10ffbd}\u{10ff81}");
        assert_eq!(decode(&name), raw);
        assert_ne!(encode(b"xA"), name);
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let name = encode(&raw);
            prop_assert_eq!(decode(&name).into_owned(), raw.clone());
            prop_assert_eq!(encode_owned(raw.clone()), name.as_ref());
        }

        #[test]
        fn encoding_is_injective(
            a in proptest::collection::vec(prop_oneof![Just(0xffu8), Just(0xc3), Just(b'a'), Just(0x8f), Just(0xf4), Just(0xbd)], 0..8),
            b in proptest::collection::vec(prop_oneof![Just(0xffu8), Just(0xc3), Just(b'a'), Just(0x8f), Just(0xf4), Just(0xbd)], 0..8),
        ) {
            prop_assert_eq!(a == b, encode(&a) == encode(&b));
        }

        #[test]
        fn encoded_text_round_trips(chars in proptest::collection::vec(prop_oneof![
            any::<char>(),
            (0x10_FF00u32..=0x10_FFFF).prop_map(|c| char::from_u32(c).unwrap()),
        ], 0..16)) {
            let text: String = chars.into_iter().collect();
            let name = encode_str(&text);
            prop_assert_eq!(decode(&name).into_owned(), text.as_bytes().to_vec());
            prop_assert_eq!(encode(text.as_bytes()), name.clone());
        }
    }
}
