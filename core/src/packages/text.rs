//! Text helpers shared by the database parsers: lenient decoding, RFC 822
//! style field blocks (dpkg control paragraphs, Python metadata headers)
//! and lexical path joining for file lists.

use std::borrow::Cow;

/// The bytes as text; invalid UTF-8 becomes U+FFFD and the flag says so.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), false),
        Err(_) => (String::from_utf8_lossy(bytes), true),
    }
}

/// One `Name: value` field of a block; continuation lines (starting with
/// a space or tab) are joined to the value with newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// Field name as written.
    pub name: &'a str,
    /// Value, first line trimmed, continuation lines appended.
    pub value: String,
}

/// Splits `text` into blocks of fields separated by blank lines. Lines
/// that are neither a field nor a continuation are skipped (`skipped`
/// counts them). `stop_at_first` ends after the first block (Python
/// metadata: what follows the headers is the description).
pub fn field_blocks<'t>(
    text: &'t str,
    stop_at_first: bool,
    skipped: &mut u64,
) -> Vec<Vec<Field<'t>>> {
    let mut blocks = Vec::new();
    let mut block: Vec<Field<'_>> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
                if stop_at_first {
                    return blocks;
                }
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match block.last_mut() {
                Some(field) => {
                    field.value.push('\n');
                    field.value.push_str(line.trim());
                }
                None => *skipped += 1,
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if !name.is_empty() && !name.contains(' ') => block.push(Field {
                name,
                value: value.trim().to_owned(),
            }),
            _ => *skipped += 1,
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// The value of the first field called `name` (ASCII case-insensitive).
pub fn field<'b>(block: &'b [Field<'_>], name: &str) -> Option<&'b str> {
    block
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_str())
}

/// Joins `rel` to the normalized directory `dir` lexically (`.` dropped,
/// `..` climbing), as a normalized path; an absolute `rel` starts at the
/// root. None when it climbs above the root or holds a NUL.
pub fn join_lexical(dir: &str, rel: &str) -> Option<String> {
    if rel.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|c| !c.is_empty()).collect()
    };
    for component in rel.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    let path = parts.join("/");
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_fields_and_continuations() {
        let text = "A: 1\nB: two\n words\nnot a field\n\n\nA: 3\n";
        let mut skipped = 0;
        let blocks = field_blocks(text, false, &mut skipped);
        assert_eq!(blocks.len(), 2);
        assert_eq!(field(&blocks[0], "b"), Some("two\nwords"));
        assert_eq!(field(&blocks[1], "A"), Some("3"));
        assert_eq!(skipped, 1);
        assert_eq!(field_blocks(text, true, &mut skipped).len(), 1);
    }

    #[test]
    fn lexical_joins_stay_inside_the_root() {
        assert_eq!(
            join_lexical("usr/lib/py", "../../bin/x").as_deref(),
            Some("usr/bin/x")
        );
        assert_eq!(join_lexical("usr/lib", "/etc/x").as_deref(), Some("etc/x"));
        assert_eq!(join_lexical("usr", "../../x"), None);
        assert_eq!(join_lexical("usr", "a\0b"), None);
        assert_eq!(join_lexical("", "./"), None);
    }
}
