//! The one presentation rule for untrusted text on a terminal (names,
//! commands, env, labels, messages). Pure: it only formats, so every driver
//! shows the same thing.
//!
//! *Unsafe* characters — C0 controls (newline and tab included: a
//! driver's own separators are written by the driver, never through this
//! module), DEL, C1 controls, the bidirectional overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069) — and escaped bytes of
//! [`crate::names`] are written as escapes:
//!
//! | what | shown as |
//! |---|---|
//! | C0 control or DEL (a byte below 0x80) | `\x1b` |
//! | byte that is not valid UTF-8 (escaped byte) | `\xff` |
//! | C1 control, bidi override or isolate | `\u{9b}`, `\u{202e}` |
//!
//! `\xNN` always means the byte NN (below 0x80 the control, from 0x80 a raw
//! byte), `\u{…}` a code point. Four wrappers apply the rule:
//!
//! - [`Name`]: a name in a listing. A name that holds an unsafe character,
//!   an escaped byte, `"` or `\` is printed in double quotes with `\\` and
//!   `\"` escaped inside (git's `core.quotePath` style); any other name is
//!   printed as is. An unquoted name never holds `"` or `\`, so two
//!   different names never print the same.
//! - [`Quoted`]: the same escapes, always in quotes (a name inside a
//!   sentence).
//! - [`Text`]: free text (a command, an env entry, a label) printed
//!   without quotes; a `\` that would read as the start of an escape
//!   (followed by `x`, `u`, `\` or an escape) is doubled, so two different
//!   texts never print the same either.
//! - [`Message`]: text composed by layerscope whose names are already
//!   presented (warnings, errors): unsafe characters are escaped, nothing
//!   else changes, so presenting it twice changes nothing.

use std::fmt::{self, Write};

use crate::names;

/// Whether `c` must never reach a terminal as is.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || names::escaped_byte(c).is_some()
}

/// Writes the escape of an unsafe character.
fn escape(out: &mut impl Write, c: char) -> fmt::Result {
    match names::escaped_byte(c) {
        // An escaped byte below 0x80 never comes out of `names::encode`
        // (ASCII is valid UTF-8): shown as the code point it is.
        Some(byte) if byte >= 0x80 => write!(out, "\\x{byte:02x}"),
        None if u32::from(c) < 0x80 => write!(out, "\\x{:02x}", u32::from(c)),
        _ => write!(out, "\\u{{{:x}}}", u32::from(c)),
    }
}

/// Whether a name must be quoted to be shown unambiguously.
pub fn needs_quotes(name: &str) -> bool {
    name.chars().any(|c| c == '"' || c == '\\' || is_unsafe(c))
}

/// Writes `text` unchanged when `plain`, else rendered by `render`, padded
/// as the format spec asks (`{:<40}`).
fn emit(
    f: &mut fmt::Formatter<'_>,
    text: &str,
    plain: bool,
    render: impl Fn(&mut String) -> fmt::Result,
) -> fmt::Result {
    if plain {
        return f.pad(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    render(&mut out)?;
    f.pad(&out)
}

/// Writes a name in double quotes with every escape.
fn quote(out: &mut impl Write, name: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in name.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            c if is_unsafe(c) => escape(out, c)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// A name for a listing: as is, or quoted with escapes when it needs them.
#[derive(Debug, Clone, Copy)]
pub struct Name<'a>(pub &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        emit(f, self.0, !needs_quotes(self.0), |out| quote(out, self.0))
    }
}

/// A name inside a sentence: always in double quotes, with escapes.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        emit(f, self.0, false, |out| quote(out, self.0))
    }
}

/// Free text (command, env entry, label): escapes without quotes; a
/// backslash that would read as an escape is doubled.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a>(pub &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let plain = !text.chars().any(is_unsafe) && !text.contains('\\');
        emit(f, text, plain, |out| {
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        let doubled = chars
                            .peek()
                            .is_some_and(|&n| matches!(n, 'x' | 'u' | '\\') || is_unsafe(n));
                        out.write_str(if doubled { "\\\\" } else { "\\" })?;
                    }
                    c if is_unsafe(c) => escape(out, c)?,
                    c => out.write_char(c)?,
                }
            }
            Ok(())
        })
    }
}

/// A message layerscope composed (names already presented): unsafe
/// characters escaped, nothing else changed.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a>(pub &'a str);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        emit(f, self.0, !self.0.chars().any(is_unsafe), |out| {
            for c in self.0.chars() {
                if is_unsafe(c) {
                    escape(out, c)?;
                } else {
                    out.write_char(c)?;
                }
            }
            Ok(())
        })
    }
}

/// A name for a listing (see [`Name`]).
pub fn name(text: &str) -> Name<'_> {
    Name(text)
}

/// A name inside a sentence (see [`Quoted`]).
pub fn quoted(text: &str) -> Quoted<'_> {
    Quoted(text)
}

/// Free text (see [`Text`]).
pub fn text(text: &str) -> Text<'_> {
    Text(text)
}

/// A composed message (see [`Message`]).
pub fn message(text: &str) -> Message<'_> {
    Message(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads one escape after a backslash (`xNN`, `u{…}`), if there is one.
    fn read_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
        let rest: String = chars.clone().collect();
        if let Some(hex) = rest.strip_prefix('x').and_then(|r| r.get(..2)) {
            let byte = u8::from_str_radix(hex, 16).ok()?;
            chars.nth(2);
            return if byte < 0x80 {
                Some(char::from(byte))
            } else {
                char::from_u32(names::ESCAPE_BASE + u32::from(byte))
            };
        }
        let body = rest.strip_prefix("u{")?;
        let end = body.find('}')?;
        let c = char::from_u32(u32::from_str_radix(body.get(..end)?, 16).ok()?)?;
        chars.nth(end + 2);
        Some(c)
    }

    /// Reads back what [`Name`] printed.
    fn parse_name(shown: &str) -> String {
        let Some(inner) = shown
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .filter(|_| shown.len() >= 2)
        else {
            return shown.to_owned();
        };
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
            } else if let Some(&n @ ('"' | '\\')) = chars.peek() {
                chars.next();
                out.push(n);
            } else {
                out.push(read_escape(&mut chars).expect("a valid escape"));
            }
        }
        out
    }

    /// Reads back what [`Text`] printed.
    fn parse_text(shown: &str) -> String {
        let mut out = String::new();
        let mut chars = shown.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
            } else if chars.peek() == Some(&'\\') {
                chars.next();
                out.push('\\');
            } else {
                match read_escape(&mut chars) {
                    Some(e) => out.push(e),
                    None => out.push('\\'),
                }
            }
        }
        out
    }

    fn tricky() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('x'),
                Just('u'),
                Just('{'),
                Just('1'),
                Just('b'),
                Just('\\'),
                Just('"'),
                Just('\n'),
                Just('\u{1b}'),
                Just('\u{9b}'),
                Just('\u{202e}'),
                Just('\u{10ff9b}'),
                Just('\u{10ff1b}'),
                any::<char>(),
            ],
            0..12,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn examples() {
        assert_eq!(name("etc/passwd").to_string(), "etc/passwd");
        assert_eq!(name("a\u{1b}[31m").to_string(), r#""a\x1b[31m""#);
        assert_eq!(name("a\nb").to_string(), r#""a\x0ab""#);
        assert_eq!(name("say \"hi\"").to_string(), r#""say \"hi\"""#);
        assert_eq!(name("x\u{10ffff}").to_string(), r#""x\xff""#);
        assert_eq!(name("\u{9b}\u{202e}").to_string(), r#""\u{9b}\u{202e}""#);
        assert_eq!(quoted("etc").to_string(), r#""etc""#);
        assert_eq!(
            text(r"RUN echo a\nb \ \x1b").to_string(),
            r"RUN echo a\nb \ \\x1b"
        );
        assert_eq!(text("A=\u{1b}[2J").to_string(), r"A=\x1b[2J");
        assert_eq!(text("\\\u{1b}").to_string(), r"\\\x1b");
        assert_eq!(
            message(r#"entry "\x1b" at 3"#).to_string(),
            r#"entry "\x1b" at 3"#
        );
        assert_eq!(message("bad\u{7f}").to_string(), r"bad\x7f");
        assert_eq!(format!("[{:<6}]", name("ab")), "[ab    ]");
        assert_eq!(format!("[{:<6}]", name("a\n")), "[\"a\\x0a\"]");
    }

    proptest! {
        #[test]
        fn output_is_safe_and_names_are_distinct(a in tricky(), b in tricky()) {
            for shown in [name(&a).to_string(), text(&a).to_string(), quoted(&a).to_string(), message(&a).to_string()] {
                prop_assert!(!shown.chars().any(is_unsafe), "{:?}", shown);
            }
            prop_assert_eq!(parse_name(&name(&a).to_string()), a.clone());
            prop_assert_eq!(parse_name(&quoted(&a).to_string()), a.clone());
            prop_assert_eq!(parse_text(&text(&a).to_string()), a.clone());
            if a != b {
                prop_assert_ne!(name(&a).to_string(), name(&b).to_string());
                prop_assert_ne!(text(&a).to_string(), text(&b).to_string());
            }
        }

        #[test]
        fn message_is_idempotent(a in tricky()) {
            let once = message(&a).to_string();
            prop_assert_eq!(message(&once).to_string(), once.clone());
            let presented = format!("entry {} and {}", quoted(&a), text(&a));
            prop_assert_eq!(message(&presented).to_string(), presented.clone());
        }
    }
}
