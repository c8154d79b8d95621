//! Scanning one file's content as a single stream, whatever the chunks it
//! arrives in (tar blocks, read buffers): text is buffered up to a window,
//! scanned up to its last complete line, and the partial line carried
//! over; a line longer than the window is scanned with an overlap of
//! [`MAX_MATCH`] bytes, each match accepted in exactly one window. So a
//! secret split across 512-byte blocks or read buffers is found, memory
//! stays bounded by the window, and every byte is scanned about once
//! (line numbers are counted incrementally: linear time).
//!
//! A file with a NUL byte in its first [`SNIFF`] bytes is binary and is
//! drained unscanned. The file-level rules — AWS key IDs paired with a
//! secret nearby, service-account JSON, docker `auths` — are applied by
//! [`FileScan::finish`].

use std::io::Write;

use super::detect::{self, MAX_MATCH, Raw};
use super::kinds::{FileClass, SecretKind};
use super::redact::Redacted;

/// Bytes looked at to decide whether a file is binary.
pub const SNIFF: usize = 1024;
/// Text scanned at once.
const WINDOW: usize = 64 * 1024;
/// Overlap kept when a line is longer than the window.
const OVERLAP: usize = MAX_MATCH + 64;
/// Findings kept per file (the rest are counted).
pub const PER_FILE: usize = 20;
/// Lines between an AWS key ID and its secret for them to pair.
const AWS_PAIR_LINES: u64 = 5;

/// One secret found in a file, redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHit {
    /// 1-based line of the value.
    pub line: u64,
    /// Redacted value (its kind included).
    pub redacted: Redacted,
    /// What else the file says about it (an AWS key's secret line).
    pub note: Option<String>,
}

/// A located, redacted candidate.
#[derive(Debug, Clone)]
struct Seen {
    raw: Raw,
    line: u64,
    redacted: Option<Redacted>,
}

/// The scanner of one file; feed it with `write`, then call `finish`.
#[derive(Debug)]
pub struct FileScan {
    class: FileClass,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Line number at `buf[0]` (1-based).
    base_line: u64,
    /// Matches starting before this absolute offset were accepted already.
    accepted_to: u64,
    binary: Option<bool>,
    seen: Vec<Seen>,
    /// Candidates not kept (over the per-file bound of stored markers).
    dropped: u64,
}

impl FileScan {
    /// A scanner for a file at `path`.
    pub fn new(path: &str) -> FileScan {
        FileScan {
            class: FileClass::of(path),
            buf: Vec::new(),
            base: 0,
            base_line: 1,
            accepted_to: 0,
            binary: None,
            seen: Vec::new(),
            dropped: 0,
        }
    }

    /// Whether the file is binary: a NUL byte among its first [`SNIFF`]
    /// bytes (decided on what was written when the file is shorter).
    pub fn is_binary(&mut self) -> bool {
        if self.binary.is_none() {
            self.binary = Some(self.buf.iter().take(SNIFF).any(|b| *b == 0));
        }
        self.binary == Some(true)
    }

    fn scan(&mut self, eof: bool) {
        let cut = if eof {
            self.buf.len()
        } else {
            match self.buf.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => self.buf.len().saturating_sub(OVERLAP),
            }
        };
        let whole_lines = eof || self.buf.get(cut.wrapping_sub(1)) == Some(&b'\n');
        let text = if whole_lines {
            self.buf.get(..cut).unwrap_or_default()
        } else {
            &self.buf[..]
        };
        let mut at = 0usize;
        let mut line = self.base_line;
        for m in detect::matches(text, self.class) {
            let abs = self.base + m.start as u64;
            if m.start >= cut || abs < self.accepted_to {
                continue;
            }
            line += count_lines(text.get(at..m.value.0).unwrap_or_default());
            at = at.max(m.value.0);
            let value = text.get(m.value.0..m.value.1).unwrap_or_default();
            let redacted = match m.raw {
                Raw::Secret(kind) => Some(Redacted::new(kind, value)),
                Raw::JsonPrivateKey => Some(Redacted::new(SecretKind::PemPrivateKey, value)),
                Raw::AwsSecret => Some(Redacted::new(SecretKind::AwsSecretKey, value)),
                Raw::DockerAuth => Some(Redacted::new(SecretKind::DockerAuth, value)),
                Raw::ServiceAccountType | Raw::Auths => None,
            };
            if self.seen.len() < 4 * PER_FILE {
                self.seen.push(Seen {
                    raw: m.raw,
                    line,
                    redacted,
                });
            } else {
                self.dropped += 1;
            }
        }
        self.accepted_to = self.base + cut as u64;
        let rest_line = self.base_line + count_lines(self.buf.get(..cut).unwrap_or_default());
        self.buf.drain(..cut);
        self.base += cut as u64;
        self.base_line = rest_line;
    }

    /// The findings, file-level rules applied, and how many more there
    /// were past [`PER_FILE`].
    pub fn finish(mut self) -> (Vec<FileHit>, u64) {
        if self.is_binary() {
            return (Vec::new(), 0);
        }
        self.scan(true);
        let service_account = self.seen.iter().any(|s| s.raw == Raw::ServiceAccountType);
        let auths = self.seen.iter().any(|s| s.raw == Raw::Auths);
        let secrets: Vec<u64> = self
            .seen
            .iter()
            .filter(|s| s.raw == Raw::AwsSecret)
            .map(|s| s.line)
            .collect();
        let ids: Vec<u64> = self
            .seen
            .iter()
            .filter(|s| s.raw == Raw::Secret(SecretKind::AwsAccessKey))
            .map(|s| s.line)
            .collect();
        let near = |line: u64, others: &[u64]| {
            others
                .iter()
                .copied()
                .find(|o| o.abs_diff(line) <= AWS_PAIR_LINES)
        };
        let mut hits = Vec::new();
        for s in self.seen {
            let Some(mut redacted) = s.redacted else {
                continue;
            };
            let mut note = None;
            match s.raw {
                Raw::Secret(SecretKind::AwsAccessKey) => {
                    note = Some(match near(s.line, &secrets) {
                        Some(l) => format!("with its secret access key on line {l}"),
                        None => "no secret access key near it".to_owned(),
                    });
                }
                Raw::AwsSecret if near(s.line, &ids).is_some() => continue,
                Raw::JsonPrivateKey if service_account => {
                    redacted.kind = SecretKind::GcpServiceAccount;
                }
                Raw::DockerAuth if !(auths && self.class.docker_config) => continue,
                _ => {}
            }
            hits.push(FileHit {
                line: s.line,
                redacted,
                note,
            });
        }
        let more = (hits.len().saturating_sub(PER_FILE) as u64) + self.dropped;
        hits.truncate(PER_FILE);
        (hits, more)
    }
}

impl Write for FileScan {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.binary == Some(true) {
            return Ok(data.len());
        }
        self.buf.extend_from_slice(data);
        if self.binary.is_none() {
            if self.buf.len() < SNIFF {
                return Ok(data.len());
            }
            let binary = self.buf.iter().take(SNIFF).any(|b| *b == 0);
            self.binary = Some(binary);
            if binary {
                self.buf = Vec::new();
                return Ok(data.len());
            }
        }
        while self.buf.len() >= WINDOW {
            self.scan(false);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Newlines in `bytes`. Every scanned byte passes through here once, so
/// it counts in byte-wide lanes (255 bytes at most per lane sum, which
/// the compiler turns into wide vector compares) rather than one `u64`
/// add per byte: a third of the content scan's time went to the plain
/// count on the `cargo xtask gen` image.
fn count_lines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|chunk| {
            let lane: u8 = chunk
                .iter()
                .fold(0u8, |n, b| n.wrapping_add(u8::from(*b == b'\n')));
            u64::from(lane)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{FileHit, FileScan, PER_FILE, SecretKind};

    fn scan(path: &str, text: &[u8], chunk: usize) -> (Vec<FileHit>, u64) {
        let mut s = FileScan::new(path);
        for piece in text.chunks(chunk.max(1)) {
            let _ = s.write(piece);
        }
        s.finish()
    }

    fn token() -> String {
        format!("ghp_{}", "Zq7x".repeat(9))
    }

    #[test]
    fn a_token_split_across_chunks_is_found_once_with_its_line() {
        let mut text = "x\n".repeat(300).into_bytes();
        text.extend_from_slice(format!("export T={}\n", token()).as_bytes());
        for chunk in [1, 7, 512, 4096, 1 << 20] {
            let (hits, more) = scan("a.sh", &text, chunk);
            assert_eq!(hits.len(), 1, "chunk {chunk}");
            assert_eq!(more, 0);
            assert_eq!(hits[0].line, 301);
            assert_eq!(hits[0].redacted.kind, SecretKind::GithubToken);
            assert_eq!(hits[0].redacted.length, 40);
        }
    }

    #[test]
    fn long_lines_are_scanned_through_the_overlap() {
        // One line far longer than the window, the token at many offsets.
        for pad in [0usize, 1, 65_000, 65_536 - 20, 65_536, 200_000] {
            let mut text = vec![b' '; pad];
            text.extend_from_slice(token().as_bytes());
            text.extend_from_slice(&[b' '; 70_000]);
            let (hits, _) = scan("a.json", &text, 8192);
            assert_eq!(hits.len(), 1, "pad {pad}");
            assert_eq!(hits[0].line, 1);
        }
    }

    #[test]
    fn binary_files_are_not_scanned() {
        let mut text = vec![0u8; 10];
        text.extend_from_slice(token().as_bytes());
        let mut s = FileScan::new("bin/x");
        let _ = s.write(&text);
        let _ = s.write(&[b'a'; 2000]);
        assert!(s.is_binary());
        assert!(s.finish().0.is_empty());
    }

    #[test]
    fn aws_ids_pair_with_a_nearby_secret() {
        let text = format!(
            "[default]\naws_access_key_id = AKIA{}\naws_secret_access_key = {}\n",
            "R".repeat(16),
            "a/B+".repeat(10)
        );
        let (hits, _) = scan(".aws/credentials", text.as_bytes(), 3);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].redacted.kind, SecretKind::AwsAccessKey);
        assert_eq!(hits[0].line, 2);
        assert_eq!(
            hits[0].note.as_deref(),
            Some("with its secret access key on line 3")
        );
    }

    #[test]
    fn service_account_and_docker_rules_need_their_file() {
        let sa = "{\n \"type\": \"service_account\",\n \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIE\\n\"\n}\n";
        let (hits, _) = scan("sa.json", sa.as_bytes(), 5);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].redacted.kind, SecretKind::GcpServiceAccount);
        assert_eq!(hits[0].line, 3);
        let docker = "{\"auths\":{\"r.io\":{\"auth\":\"dXNlcjpwYXNz\"}}}";
        assert_eq!(
            scan("root/.docker/config.json", docker.as_bytes(), 4)
                .0
                .len(),
            1
        );
        assert!(scan("app/other.json", docker.as_bytes(), 4).0.is_empty());
    }

    #[test]
    fn newlines_are_counted_exactly() {
        for len in [0usize, 1, 254, 255, 256, 511, 1000, 70_000] {
            let text: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 0 { b'\n' } else { b'x' })
                .collect();
            let all_newlines = vec![b'\n'; len];
            assert_eq!(
                super::count_lines(&text),
                len.div_ceil(3) as u64,
                "len {len}"
            );
            assert_eq!(super::count_lines(&all_newlines), len as u64, "len {len}");
        }
    }

    #[test]
    fn findings_per_file_are_bounded_and_counted() {
        let text = format!("{}\n", token()).repeat(1000);
        let (hits, more) = scan("a.txt", text.as_bytes(), 512);
        assert_eq!(hits.len(), PER_FILE);
        assert_eq!(hits.len() as u64 + more, 1000);
    }
}
