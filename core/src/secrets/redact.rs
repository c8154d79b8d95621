//! The only form of a secret value that leaves the scanner: its kind, its
//! length and at most its first four characters (fewer for short values,
//! none for private keys). The raw bytes are never stored.

use serde::{Deserialize, Serialize};

use super::kinds::SecretKind;

/// A secret value with everything but its shape removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redacted {
    /// What it is.
    pub kind: SecretKind,
    /// Length of the value in bytes.
    pub length: u64,
    /// Its first characters: at most 4, at most a quarter of the value,
    /// printable ASCII only, empty for private keys.
    pub prefix: String,
}

impl Redacted {
    /// Redacts `value` (the matched secret) of kind `kind`.
    pub fn new(kind: SecretKind, value: &[u8]) -> Redacted {
        let shown = match kind {
            SecretKind::SshPrivateKey | SecretKind::PemPrivateKey => 0,
            _ => (value.len() / 4).min(4),
        };
        let prefix: String = value
            .iter()
            .take(shown)
            .take_while(|b| b.is_ascii_graphic())
            .map(|b| char::from(*b))
            .collect();
        Redacted {
            kind,
            length: value.len() as u64,
            prefix,
        }
    }

    /// `ghp_… (40 bytes)`.
    pub fn text(&self) -> String {
        format!("{}… ({} bytes)", self.prefix, self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::{Redacted, SecretKind};

    #[test]
    fn shows_at_most_four_characters_and_a_quarter() {
        let r = Redacted::new(
            SecretKind::GithubToken,
            b"ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        );
        assert_eq!(r.prefix, "ghp_");
        assert_eq!(r.length, 40);
        let short = Redacted::new(SecretKind::GenericPassword, b"hunter2x");
        assert_eq!(short.prefix, "hu");
        let key = Redacted::new(
            SecretKind::PemPrivateKey,
            b"-----BEGIN RSA PRIVATE KEY-----",
        );
        assert_eq!(key.prefix, "");
        let odd = Redacted::new(SecretKind::GenericPassword, b"\x1b[31mabcdefgh");
        assert_eq!(odd.prefix, "");
    }
}
