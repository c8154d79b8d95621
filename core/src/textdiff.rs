//! A line diff of two byte buffers as plain data: the body of `diff -u`
//! (`@@` hunks, lines marked `-`, `+` or a space, three lines of context)
//! for text, or the first differing offset for binary data. Pure: the
//! caller reads the bytes (see `overlay::versions`).
//!
//! Text is what has no NUL byte and is valid UTF-8 (an incomplete
//! character at the end of a cut buffer is allowed). Lines are compared
//! whole, terminator included, by the Myers algorithm of the `similar`
//! crate — but only when it is known to be cheap: Myers costs
//! O((N + M) · D) for N and M lines and D differing lines, which for two
//! unrelated 1 MiB files is billions of steps. A greedy pass bounded to
//! [`WORK_BUDGET`] first checks that D is small enough; when it is not,
//! the part between the common head and tail is shown as all removed and
//! all added, and the result says it is `approximate` (still a correct
//! diff: applying it to the old text gives the new one).

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, DiffTag};

/// Lines of context around each change, as `diff -u`.
pub const CONTEXT_LINES: usize = 3;

/// The most steps (line comparisons) the exact diff may take; beyond it
/// the result is approximate. About a tenth of a second natively.
pub const WORK_BUDGET: u64 = 50_000_000;

/// How one line of a hunk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LineKind {
    /// In both versions (` `).
    Context,
    /// Only in the old version (`-`).
    Removed,
    /// Only in the new version (`+`).
    Added,
}

impl LineKind {
    /// The `diff -u` marker: ` `, `-` or `+`.
    pub fn marker(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        }
    }
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffLine {
    /// Context, removed or added.
    pub kind: LineKind,
    /// Its number in the old version (1-based; None for added lines).
    pub old_line: Option<u64>,
    /// Its number in the new version (1-based; None for removed lines).
    pub new_line: Option<u64>,
    /// The text without its line terminator (`\n`; a `\r` before it stays).
    pub text: String,
    /// The line has no terminator (the last line of its version, or of
    /// the part that was read).
    pub no_newline: bool,
}

/// One `@@ -a,b +c,d @@` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    /// First old line (1-based; the line before when `old_lines` is 0).
    pub old_start: u64,
    /// Old lines covered.
    pub old_lines: u64,
    /// First new line (as `old_start`).
    pub new_start: u64,
    /// New lines covered.
    pub new_lines: u64,
    /// The lines, in order.
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// The header as `diff -u` writes it: `@@ -1,3 +1,4 @@` (a count of 1
    /// is left out: `@@ -5 +5 @@`).
    pub fn header(&self) -> String {
        let range = |start: u64, lines: u64| {
            if lines == 1 {
                start.to_string()
            } else {
                format!("{start},{lines}")
            }
        };
        format!(
            "@@ -{} +{} @@",
            range(self.old_start, self.old_lines),
            range(self.new_start, self.new_lines)
        )
    }
}

/// What two buffers' comparison found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum DiffBody {
    /// Byte for byte the same (and both complete).
    Identical,
    /// Both are text: the hunks (none when the compared parts are equal
    /// but a side was cut).
    #[serde(rename_all = "camelCase")]
    Text {
        /// The hunks, in order.
        hunks: Vec<Hunk>,
        /// The differences were too many for an exact diff within
        /// [`WORK_BUDGET`]: the changed middle is shown as all removed and
        /// all added.
        approximate: bool,
    },
    /// At least one side is binary.
    #[serde(rename_all = "camelCase")]
    Binary {
        /// The first offset where they differ (the shorter length when
        /// one is a prefix of the other); None when the compared parts are
        /// equal and both were cut.
        first_difference: Option<u64>,
    },
}

/// Whether `bytes` (cut from a longer file when `cut`) are binary: a NUL
/// byte, or bytes that are not UTF-8 (an incomplete character at the end
/// of a cut buffer aside).
pub fn is_binary(bytes: &[u8], cut: bool) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => false,
        // `error_len() == None`: the input ends inside a character.
        Err(e) => !(cut && e.error_len().is_none()),
    }
}

/// Compares `old` and `new`; `old_cut` / `new_cut` say that a buffer is
/// only the first part of its file.
pub fn diff(old: &[u8], new: &[u8], old_cut: bool, new_cut: bool) -> DiffBody {
    if old == new && !old_cut && !new_cut {
        return DiffBody::Identical;
    }
    if is_binary(old, old_cut) || is_binary(new, new_cut) {
        let common = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let shorter_complete = match old.len().cmp(&new.len()) {
            std::cmp::Ordering::Less => !old_cut,
            std::cmp::Ordering::Greater => !new_cut,
            std::cmp::Ordering::Equal => !old_cut || !new_cut,
        };
        let differs_inside = common < old.len().min(new.len());
        return DiffBody::Binary {
            first_difference: (differs_inside || shorter_complete).then_some(common as u64),
        };
    }
    let (old_lines, new_lines) = (split_lines(old), split_lines(new));
    let (ops, approximate) = line_ops(&old_lines, &new_lines);
    let hunks = similar::group_diff_ops(ops, CONTEXT_LINES)
        .iter()
        .map(|group| hunk(group, &old_lines, &new_lines))
        .collect();
    DiffBody::Text { hunks, approximate }
}

/// The lines of `bytes`, each with its `\n` (the last may have none).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|b| *b == b'\n').collect()
}

/// The edit script turning `old` into `new`, in whole-sequence indexes,
/// and whether it is approximate.
fn line_ops<'t>(old: &[&'t [u8]], new: &[&'t [u8]]) -> (Vec<DiffOp>, bool) {
    // Lines as small integers, so comparing two is one compare.
    let mut ids: HashMap<&'t [u8], u32> = HashMap::new();
    let a = intern(&mut ids, old);
    let b = intern(&mut ids, new);
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a
        .get(head..)
        .unwrap_or_default()
        .iter()
        .rev()
        .zip(b.get(head..).unwrap_or_default().iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (head..a.len() - tail, head..b.len() - tail);
    let mut ops = Vec::new();
    if head > 0 {
        ops.push(DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: head,
        });
    }
    let (x, y) = (
        a.get(a_mid.clone()).unwrap_or_default(),
        b.get(b_mid.clone()).unwrap_or_default(),
    );
    let total = (x.len() + y.len()) as u64;
    let max_d = (WORK_BUDGET / total.max(1)).max(1);
    let exact = within_distance(x, y, max_d);
    if exact {
        for op in similar::capture_diff_slices(Algorithm::Myers, x, y) {
            let (tag, o, n) = op.as_tag_tuple();
            ops.push(shifted(tag, o, n, head));
        }
    } else {
        ops.push(shifted(DiffTag::Replace, 0..x.len(), 0..y.len(), head));
    }
    if tail > 0 {
        ops.push(DiffOp::Equal {
            old_index: a_mid.end,
            new_index: b_mid.end,
            len: tail,
        });
    }
    (ops, !exact)
}

/// Each line's id in `ids` (new lines get the next id).
fn intern<'t>(ids: &mut HashMap<&'t [u8], u32>, lines: &[&'t [u8]]) -> Vec<u32> {
    lines
        .iter()
        .map(|line| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(line).or_insert(next)
        })
        .collect()
}

/// An op over `old` and `new` ranges moved by `by` lines on both sides.
fn shifted(tag: DiffTag, old: Range<usize>, new: Range<usize>, by: usize) -> DiffOp {
    let (old_index, new_index) = (old.start + by, new.start + by);
    match tag {
        DiffTag::Equal => DiffOp::Equal {
            old_index,
            new_index,
            len: old.len(),
        },
        DiffTag::Delete => DiffOp::Delete {
            old_index,
            old_len: old.len(),
            new_index,
        },
        DiffTag::Insert => DiffOp::Insert {
            old_index,
            new_index,
            new_len: new.len(),
        },
        DiffTag::Replace => DiffOp::Replace {
            old_index,
            old_len: old.len(),
            new_index,
            new_len: new.len(),
        },
    }
}

/// Whether `a` turns into `b` with at most `max_d` removed plus added
/// lines: Myers' greedy forward pass, at most (len a + len b) · `max_d`
/// steps and O(`max_d`) memory.
fn within_distance(a: &[u32], b: &[u32], max_d: u64) -> bool {
    let (n, m) = (a.len() as i64, b.len() as i64);
    let max_d = i64::try_from(max_d).unwrap_or(i64::MAX).min(n + m);
    let offset = max_d + 1;
    let size = usize::try_from(2 * max_d + 3).unwrap_or(usize::MAX);
    // v[k + offset]: the furthest x reached on diagonal k.
    let mut v = vec![0i64; size];
    let at = |k: i64| usize::try_from(k + offset).unwrap_or(usize::MAX);
    for d in 0..=max_d {
        let mut k = -d;
        while k <= d {
            let down = k == -d
                || (k != d
                    && v.get(at(k - 1)).copied().unwrap_or(0)
                        < v.get(at(k + 1)).copied().unwrap_or(0));
            let mut x = if down {
                v.get(at(k + 1)).copied().unwrap_or(0)
            } else {
                v.get(at(k - 1)).copied().unwrap_or(0) + 1
            };
            let mut y = x - k;
            while x < n && y < m && a.get(x as usize) == b.get(y as usize) {
                x += 1;
                y += 1;
            }
            if let Some(cell) = v.get_mut(at(k)) {
                *cell = x;
            }
            if x >= n && y >= m {
                return true;
            }
            k += 2;
        }
    }
    false
}

/// One hunk from a group of ops.
fn hunk(group: &[DiffOp], old: &[&[u8]], new: &[&[u8]]) -> Hunk {
    let mut lines = Vec::new();
    let line = |kind, o: Option<usize>, n: Option<usize>, bytes: &[u8]| {
        let (text, no_newline) = match bytes.strip_suffix(b"\n") {
            Some(body) => (body, false),
            None => (bytes, true),
        };
        DiffLine {
            kind,
            old_line: o.map(|i| i as u64 + 1),
            new_line: n.map(|i| i as u64 + 1),
            text: String::from_utf8_lossy(text).into_owned(),
            no_newline,
        }
    };
    for op in group {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (i, j) in o.zip(n) {
                    lines.push(line(LineKind::Context, Some(i), Some(j), line_at(old, i)));
                }
            }
            _ => {
                for i in o {
                    lines.push(line(LineKind::Removed, Some(i), None, line_at(old, i)));
                }
                for j in n {
                    lines.push(line(LineKind::Added, None, Some(j), line_at(new, j)));
                }
            }
        }
    }
    let old_range = span(group, true);
    let new_range = span(group, false);
    let start = |r: &Range<usize>| {
        if r.is_empty() {
            r.start as u64
        } else {
            r.start as u64 + 1
        }
    };
    Hunk {
        old_start: start(&old_range),
        old_lines: old_range.len() as u64,
        new_start: start(&new_range),
        new_lines: new_range.len() as u64,
        lines,
    }
}

/// Line `i` of `side` (empty past the end).
fn line_at<'t>(side: &[&'t [u8]], i: usize) -> &'t [u8] {
    side.get(i).copied().unwrap_or_default()
}

/// The old (or new) lines a group covers.
fn span(group: &[DiffOp], old: bool) -> Range<usize> {
    let range = |op: &DiffOp| {
        if old { op.old_range() } else { op.new_range() }
    };
    match (group.first(), group.last()) {
        (Some(first), Some(last)) => range(first).start..range(last).end,
        _ => 0..0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(body: &DiffBody) -> (&[Hunk], bool) {
        match body {
            DiffBody::Text { hunks, approximate } => (hunks, *approximate),
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// Applies the hunks to `old` (as `patch` would) and checks each
    /// context and removed line against it.
    fn apply(old: &[u8], hunks: &[Hunk]) -> Vec<u8> {
        let lines = split_lines(old);
        let mut out = Vec::new();
        let mut next = 0usize; // next old line (0-based) not yet copied
        for h in hunks {
            let first = if h.old_lines == 0 {
                h.old_start as usize
            } else {
                h.old_start as usize - 1
            };
            assert!(first >= next, "hunks overlap or go backwards");
            for l in &lines[next..first] {
                out.extend_from_slice(l);
            }
            next = first;
            for line in &h.lines {
                let mut bytes = line.text.as_bytes().to_vec();
                if !line.no_newline {
                    bytes.push(b'\n');
                }
                match line.kind {
                    LineKind::Context | LineKind::Removed => {
                        assert_eq!(line.old_line, Some(next as u64 + 1));
                        assert_eq!(lines[next], bytes.as_slice());
                        next += 1;
                        if line.kind == LineKind::Context {
                            out.extend_from_slice(&bytes);
                        }
                    }
                    LineKind::Added => out.extend_from_slice(&bytes),
                }
            }
        }
        for l in &lines[next..] {
            out.extend_from_slice(l);
        }
        out
    }

    #[test]
    fn unified_body_like_diff_u() {
        let old = b"a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = b"a\nb\nc\nD\ne\nf\ng\nh\ni";
        let body = diff(old, new, false, false);
        let (hunks, approximate) = text(&body);
        assert!(!approximate);
        let rendered: Vec<String> = hunks
            .iter()
            .flat_map(|h| {
                std::iter::once(h.header()).chain(
                    h.lines
                        .iter()
                        .map(|l| format!("{}{}", l.kind.marker(), l.text)),
                )
            })
            .collect();
        assert_eq!(
            rendered,
            [
                "@@ -1,8 +1,9 @@",
                " a",
                " b",
                " c",
                "-d",
                "+D",
                " e",
                " f",
                " g",
                " h",
                "+i"
            ]
        );
        assert!(hunks[0].lines.last().unwrap().no_newline);
        assert_eq!(apply(old, hunks), new);
    }

    #[test]
    fn far_apart_changes_make_two_hunks_and_empty_sides_start_at_zero() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                19 => "nineteen\n".to_owned(),
                _ => format!("{i}\n"),
            })
            .collect();
        let body = diff(old.as_bytes(), new.as_bytes(), false, false);
        let (hunks, _) = text(&body);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].header(), "@@ -1,5 +1,5 @@");
        assert_eq!(hunks[1].header(), "@@ -16,5 +16,5 @@");
        let body = diff(b"", b"x\ny\n", false, false);
        let (hunks, _) = text(&body);
        assert_eq!(hunks[0].header(), "@@ -0,0 +1,2 @@");
        assert_eq!(
            diff(b"same\n", b"same\n", false, false),
            DiffBody::Identical
        );
    }

    #[test]
    fn binary_gives_the_first_difference() {
        let body = diff(b"ab\0cd", b"ab\0xd", false, false);
        assert_eq!(
            body,
            DiffBody::Binary {
                first_difference: Some(3)
            }
        );
        // One is a prefix of the other: the shorter length.
        let body = diff(b"\0\0", b"\0\0\0", false, false);
        assert_eq!(
            body,
            DiffBody::Binary {
                first_difference: Some(2)
            }
        );
        // Equal as far as both were read: unknown.
        let body = diff(b"\0\0", b"\0\0", true, true);
        assert_eq!(
            body,
            DiffBody::Binary {
                first_difference: None
            }
        );
        assert!(is_binary(b"\xff\xfe", false));
        // A character cut in half at the end of a cut buffer is still text.
        assert!(!is_binary("é".as_bytes().get(..1).unwrap(), true));
        assert!(is_binary("é".as_bytes().get(..1).unwrap(), false));
    }

    /// Two unrelated 1 MiB texts and two made of a two-line alphabet (tens
    /// of seconds for a plain Myers diff) come back at once, approximate
    /// but correct.
    #[test]
    fn pathological_inputs_are_bounded() {
        let a: String = (0..25_000).map(|i| format!("line a {i:030}\n")).collect();
        let b: String = (0..25_000).map(|i| format!("line b {i:030}\n")).collect();
        let x: String = (0..250_000)
            .map(|i| if i % 2 == 0 { "a\n" } else { "b\n" })
            .collect();
        let y: String = (0..250_000)
            .map(|i| if i % 3 == 0 { "a\n" } else { "b\n" })
            .collect();
        for (old, new) in [(&a, &b), (&x, &y)] {
            let started = std::time::Instant::now();
            let body = diff(old.as_bytes(), new.as_bytes(), false, false);
            let elapsed = started.elapsed();
            let (hunks, approximate) = text(&body);
            assert!(approximate);
            assert_eq!(apply(old.as_bytes(), hunks), new.as_bytes());
            assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
        }
        // A few changes in a large file stay exact.
        let c = a.replace("line a 000000000000000000000000012345", "changed");
        let body = diff(a.as_bytes(), c.as_bytes(), false, false);
        let (hunks, approximate) = text(&body);
        assert!(!approximate);
        assert_eq!(hunks.len(), 1);
    }

    proptest! {
        /// Whatever the inputs, applying the hunks to the old text gives
        /// the new one, and the exact mode holds for small inputs.
        #[test]
        fn hunks_turn_old_into_new(
            old in proptest::collection::vec(0u8..4, 0..60),
            new in proptest::collection::vec(0u8..4, 0..60),
            trailing in any::<bool>(),
        ) {
            let render = |v: &[u8]| {
                let mut s: String = v.iter().map(|c| format!("{}\n", (b'a' + c) as char)).collect();
                if trailing && !s.is_empty() {
                    s.pop();
                }
                s
            };
            let (old, new) = (render(&old), render(&new));
            match diff(old.as_bytes(), new.as_bytes(), false, false) {
                DiffBody::Identical => prop_assert_eq!(&old, &new),
                DiffBody::Text { hunks, approximate } => {
                    prop_assert!(!approximate);
                    prop_assert_eq!(apply(old.as_bytes(), &hunks), new.as_bytes());
                }
                DiffBody::Binary { .. } => prop_assert!(false, "text came back binary"),
            }
        }
    }
}
