//! Content digests: parsing against the OCI grammar, hashing, and comparing.
//!
//! A digest string is `algorithm ":" encoded`. Only the registered
//! algorithms `sha256` (64 lowercase hex) and `sha512` (128 lowercase hex)
//! can be checked; any other well-formed algorithm parses but is reported as
//! not checkable by the verifier.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::DigestError;

/// A hash algorithm this crate can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// SHA-256, 32-byte output, 64 hex characters.
    Sha256,
    /// SHA-512, 64-byte output, 128 hex characters.
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as used in digest strings.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Number of hex characters in an encoded digest of this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    /// Looks an algorithm up by its registered name.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// A parsed, validated digest such as `sha256:9f86d0…`.
///
/// `algorithm` is kept as a string so that well-formed digests of algorithms
/// this crate cannot compute still round-trip; [`Digest::checkable`] tells
/// whether the crate can verify it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: String,
    encoded: String,
}

impl Digest {
    /// Parses a digest string against the OCI image-spec grammar
    /// (`algorithm-component ([+._-] algorithm-component)* ":" [a-zA-Z0-9=_-]+`),
    /// and for registered algorithms also checks the exact encoded form
    /// (lowercase hex of the right length).
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let invalid = |reason: &'static str| DigestError::Invalid {
            digest: truncate_for_message(text),
            reason,
        };
        let (algorithm, encoded) = text.split_once(':').ok_or_else(|| invalid("missing ':'"))?;
        if algorithm.is_empty() {
            return Err(invalid("empty algorithm"));
        }
        let mut previous_separator = true;
        for c in algorithm.chars() {
            let separator = matches!(c, '+' | '.' | '_' | '-');
            if separator {
                if previous_separator {
                    return Err(invalid("malformed algorithm"));
                }
            } else if !(c.is_ascii_lowercase() || c.is_ascii_digit()) {
                return Err(invalid("algorithm must be lowercase alphanumeric"));
            }
            previous_separator = separator;
        }
        if previous_separator {
            return Err(invalid("malformed algorithm"));
        }
        if encoded.is_empty() {
            return Err(invalid("empty encoded part"));
        }
        if !encoded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-'))
        {
            return Err(invalid(
                "encoded part has characters outside [a-zA-Z0-9=_-]",
            ));
        }
        if let Some(alg) = Algorithm::from_name(algorithm) {
            if encoded.len() != alg.hex_len() {
                return Err(invalid("wrong length for algorithm"));
            }
            if !encoded.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
                return Err(invalid("encoded part must be lowercase hex"));
            }
        }
        Ok(Digest {
            algorithm: algorithm.to_owned(),
            encoded: encoded.to_owned(),
        })
    }

    /// Builds a digest from raw hash output.
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut encoded = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            encoded.push(hex_digit(b >> 4));
            encoded.push(hex_digit(b & 0x0f));
        }
        Digest {
            algorithm: algorithm.name().to_owned(),
            encoded,
        }
    }

    /// The algorithm part, e.g. `sha256`.
    pub fn algorithm_name(&self) -> &str {
        &self.algorithm
    }

    /// The algorithm, when it is one this crate can compute.
    pub fn algorithm(&self) -> Option<Algorithm> {
        Algorithm::from_name(&self.algorithm)
    }

    /// Whether this crate can compute digests of this algorithm.
    pub fn checkable(&self) -> bool {
        self.algorithm().is_some()
    }

    /// The encoded part (hex for registered algorithms).
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The path of this blob inside an OCI layout: `blobs/<alg>/<encoded>`.
    /// Safe to use as a path: the grammar admits no `/` or `..`-only parts
    /// in the algorithm and no `/` or `.` in the encoded part.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm, self.encoded)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.encoded)
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(
        b"0123456789abcdef"
            .get(usize::from(nibble & 0x0f))
            .copied()
            .unwrap_or(b'0'),
    )
}

/// Shortens untrusted text for inclusion in an error message.
pub(crate) fn truncate_for_message(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text.get(..end).unwrap_or(""))
}

/// An incremental hasher for one [`Algorithm`] (its state stays inside:
/// the hashing crate is the core's own business).
#[derive(Clone)]
pub struct Hasher(State);

/// The hash state of each algorithm.
#[derive(Clone)]
enum State {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hasher").field(&self.algorithm()).finish()
    }
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algorithm: Algorithm) -> Hasher {
        Hasher(match algorithm {
            Algorithm::Sha256 => State::Sha256(Sha256::new()),
            Algorithm::Sha512 => State::Sha512(Sha512::new()),
        })
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            State::Sha256(_) => Algorithm::Sha256,
            State::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            State::Sha256(h) => h.update(bytes),
            State::Sha512(h) => h.update(bytes),
        }
    }

    /// Finishes and returns the digest.
    pub fn finish(self) -> Digest {
        match self.0 {
            State::Sha256(h) => Digest::from_bytes(Algorithm::Sha256, &h.finalize()),
            State::Sha512(h) => Digest::from_bytes(Algorithm::Sha512, &h.finalize()),
        }
    }
}

/// Hashes a byte slice in one go.
pub fn digest_bytes(algorithm: Algorithm, bytes: &[u8]) -> Digest {
    let mut hasher = Hasher::new(algorithm);
    hasher.update(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registered_digests() {
        let d = Digest::parse(
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        )
        .unwrap();
        assert_eq!(d.algorithm(), Some(Algorithm::Sha256));
        assert_eq!(digest_bytes(Algorithm::Sha256, b""), d);
    }

    #[test]
    fn rejects_bad_digests() {
        for bad in [
            "sha256",
            ":abc",
            "sha256:",
            "sha256:../../x",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0",
            "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256+:abc",
            "a..b:abc",
            "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn unknown_algorithms_parse_but_are_not_checkable() {
        let d = Digest::parse("blake3:abcdef").unwrap();
        assert!(!d.checkable());
        assert_eq!(d.blob_path(), "blobs/blake3/abcdef");
    }
}
