//! The patterns, as two linear-time automata (the `regex` crate: no
//! backtracking, so a file of near-matches costs one pass): one run over
//! every text file, one over the lines of files whose name switches on
//! file-specific rules ([`FileClass`]). Every pattern has a bounded
//! length (at most [`MAX_MATCH`] bytes), which lets the stream scanner
//! cut long lines with a fixed overlap.

use std::sync::LazyLock;

use regex::bytes::{Captures, Regex};

use super::kinds::{FileClass, SecretKind};

/// Longest text any pattern matches.
pub const MAX_MATCH: usize = 1200;

/// Patterns that apply to every text file.
static ANY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u)",
        r"(?P<key>-----BEGIN (?P<keytype>OPENSSH |RSA |EC |DSA |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)",
        r#"|"private_key"[ \t]{0,8}:[ \t]{0,8}"(?P<gcpkey>-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----)"#,
        r#"|(?P<satype>"type"[ \t]{0,8}:[ \t]{0,8}"service_account")"#,
        r"|\b(?P<awsid>(?:AKIA|ASIA)[0-9A-Z]{16})\b",
        r#"|(?i:secret_?access_?key)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?(?P<awssecret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        r"|\b(?P<github>(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
        r"|\b(?P<gitlab>glpat-[A-Za-z0-9_-]{20,255})",
        r"|\b(?P<slack>xox[baprs]-[A-Za-z0-9-]{10,255})",
        r#"|(?P<auths>"auths"[ \t]{0,8}:)"#,
        r#"|"auth"[ \t]{0,8}:[ \t]{0,8}"(?P<dockerauth>[A-Za-z0-9+/=]{8,1024})""#,
    ))
    .ok()
});

/// Line patterns of credential and env-style files, one automaton per
/// file class (the value is group `v`).
static CONFIG: LazyLock<Vec<(SecretKind, Option<Regex>)>> = LazyLock::new(|| {
    [
        (
            SecretKind::NpmToken,
            r#"(?m-u)(?:^|:)(?:_authToken|_auth|_password)[ \t]{0,8}=[ \t]{0,8}["']?(?P<v>[^\s"'$][^\s"']{3,1023})"#,
        ),
        (
            SecretKind::PypiPassword,
            r"(?m-u)^[ \t]*password[ \t]*[:=][ \t]*(?P<v>[^\s$][^\s]{0,1023})",
        ),
        (
            SecretKind::NetrcPassword,
            r"(?m-u)(?:^|[ \t])password[ \t]+(?P<v>[^\s]{1,1024})",
        ),
        (
            SecretKind::GenericPassword,
            r#"(?m-u)^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_.-]{0,64}(?i:password|passwd)[A-Za-z0-9_.-]{0,64}[ \t]*[=:][ \t]*["']?(?P<v>[^\s"'$][^\s"']{0,1023})"#,
        ),
    ]
    .into_iter()
    .map(|(kind, pattern)| (kind, Regex::new(pattern).ok()))
    .collect()
});

fn class_on(class: FileClass, kind: SecretKind) -> bool {
    match kind {
        SecretKind::NpmToken => class.npmrc,
        SecretKind::PypiPassword => class.pypirc,
        SecretKind::NetrcPassword => class.netrc,
        SecretKind::GenericPassword => class.env_style,
        _ => false,
    }
}

/// What one match is, before the file-level rules decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// A definite secret of this kind.
    Secret(SecretKind),
    /// The private key of a JSON file: a service-account key when the
    /// file says `"type": "service_account"`, a PEM key otherwise.
    JsonPrivateKey,
    /// `"type": "service_account"`.
    ServiceAccountType,
    /// An AWS secret access key assignment (paired with a key ID nearby).
    AwsSecret,
    /// docker `"auths":`.
    Auths,
    /// docker `"auth": "…"` (a secret only in a `config.json` with `auths`).
    DockerAuth,
}

/// One match: what, where in the scanned slice, and the value's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// What matched.
    pub raw: Raw,
    /// Start of the whole match.
    pub start: usize,
    /// End of the whole match.
    pub end: usize,
    /// The value's span (what is redacted).
    pub value: (usize, usize),
}

fn span(c: &Captures<'_>, group: &str) -> Option<(usize, usize)> {
    c.name(group).map(|m| (m.start(), m.end()))
}

fn any_match(c: &Captures<'_>) -> Option<(Raw, (usize, usize))> {
    if let Some(v) = span(c, "key") {
        let ssh = c
            .name("keytype")
            .is_some_and(|t| t.as_bytes() == b"OPENSSH ");
        let kind = if ssh {
            SecretKind::SshPrivateKey
        } else {
            SecretKind::PemPrivateKey
        };
        return Some((Raw::Secret(kind), v));
    }
    let table: [(&str, Raw); 9] = [
        ("gcpkey", Raw::JsonPrivateKey),
        ("satype", Raw::ServiceAccountType),
        ("awsid", Raw::Secret(SecretKind::AwsAccessKey)),
        ("awssecret", Raw::AwsSecret),
        ("github", Raw::Secret(SecretKind::GithubToken)),
        ("gitlab", Raw::Secret(SecretKind::GitlabToken)),
        ("slack", Raw::Secret(SecretKind::SlackToken)),
        ("auths", Raw::Auths),
        ("dockerauth", Raw::DockerAuth),
    ];
    table
        .iter()
        .find_map(|(group, raw)| span(c, group).map(|v| (*raw, v)))
}

/// Every match in `text`, in order of start (both automata merged).
pub fn matches(text: &[u8], class: FileClass) -> Vec<Match> {
    let mut out = Vec::new();
    if let Some(re) = ANY.as_ref() {
        for c in re.captures_iter(text) {
            let (Some(whole), Some((raw, value))) = (c.get(0), any_match(&c)) else {
                continue;
            };
            out.push(Match {
                raw,
                start: whole.start(),
                end: whole.end(),
                value,
            });
        }
    }
    let mut configured = false;
    for (kind, re) in CONFIG.iter() {
        let Some(re) = re.as_ref().filter(|_| class_on(class, *kind)) else {
            continue;
        };
        configured = true;
        for c in re.captures_iter(text) {
            let (Some(whole), Some(value)) = (c.get(0), span(&c, "v")) else {
                continue;
            };
            out.push(Match {
                raw: Raw::Secret(*kind),
                start: whole.start(),
                end: whole.end(),
                value,
            });
        }
    }
    if configured {
        out.sort_by_key(|m| m.start);
    }
    out
}

/// Whether the patterns compiled (they are constant: a test proves it).
pub fn ready() -> bool {
    ANY.is_some() && CONFIG.iter().all(|(_, re)| re.is_some())
}

#[cfg(test)]
mod tests {
    use super::{FileClass, Raw, SecretKind, matches, ready};

    fn kinds(text: &str, path: &str) -> Vec<Raw> {
        matches(text.as_bytes(), FileClass::of(path))
            .iter()
            .map(|m| m.raw)
            .collect()
    }

    #[test]
    fn patterns_compile() {
        assert!(ready());
    }

    #[test]
    fn tokens_and_keys_are_recognised() {
        let gh = format!("token: ghp_{}\n", "a1B2".repeat(9));
        assert_eq!(kinds(&gh, "x"), [Raw::Secret(SecretKind::GithubToken)]);
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n";
        assert_eq!(kinds(key, "x"), [Raw::Secret(SecretKind::SshPrivateKey)]);
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\n";
        assert_eq!(kinds(rsa, "x"), [Raw::Secret(SecretKind::PemPrivateKey)]);
        let aws = format!("id=AKIA{}\n", "Q".repeat(16));
        assert_eq!(kinds(&aws, "x"), [Raw::Secret(SecretKind::AwsAccessKey)]);
        // Too short, or inside a longer word: no match.
        assert!(kinds("ghp_short AKIAQQQ xAKIAQQQQQQQQQQQQQQQQ", "x").is_empty());
    }

    #[test]
    fn file_rules_apply_only_to_their_files() {
        let line = "export DB_PASSWORD=s3cr3tvalue\n";
        assert_eq!(
            kinds(line, "app/.env"),
            [Raw::Secret(SecretKind::GenericPassword)]
        );
        assert!(kinds(line, "app/run.sh").is_empty());
        // References to the environment are not values.
        assert!(kinds("DB_PASSWORD=$DB_PASSWORD\n", "app/.env").is_empty());
        let npm = "//registry.npmjs.org/:_authToken=npm_abcdefgh\n";
        assert_eq!(
            kinds(npm, "root/.npmrc"),
            [Raw::Secret(SecretKind::NpmToken)]
        );
        let netrc = "machine example.com login me password pa55word\n";
        assert_eq!(
            kinds(netrc, "root/.netrc"),
            [Raw::Secret(SecretKind::NetrcPassword)]
        );
    }
}
