//! What a content secret is: its kind (`secretKind` in JSON), how much it
//! matters, and which file-specific rules a path's name switches on.

use serde::{Deserialize, Serialize};

use crate::overlay::advise::Severity;

/// The kind of a secret found in file contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    /// `-----BEGIN OPENSSH PRIVATE KEY-----`.
    SshPrivateKey,
    /// `-----BEGIN [RSA|EC|DSA|ENCRYPTED] PRIVATE KEY-----` and kin.
    PemPrivateKey,
    /// An AWS access key ID (`AKIA…`/`ASIA…`), with or without its secret.
    AwsAccessKey,
    /// An AWS secret access key assignment with no key ID near it.
    AwsSecretKey,
    /// A GitHub token (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`).
    GithubToken,
    /// A GitLab personal access token (`glpat-`).
    GitlabToken,
    /// A Slack token (`xoxb-`, `xoxp-`, …).
    SlackToken,
    /// A Google service-account key file.
    GcpServiceAccount,
    /// `.npmrc` `_authToken`, `_auth` or `_password`.
    NpmToken,
    /// `.pypirc` password.
    PypiPassword,
    /// `.netrc` password.
    NetrcPassword,
    /// docker `config.json` `auths` entry with an `auth` value.
    DockerAuth,
    /// A `password=` assignment in an env-style file.
    GenericPassword,
}

impl SecretKind {
    /// The name as in JSON (`aws-access-key`, …).
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::SshPrivateKey => "ssh-private-key",
            SecretKind::PemPrivateKey => "pem-private-key",
            SecretKind::AwsAccessKey => "aws-access-key",
            SecretKind::AwsSecretKey => "aws-secret-key",
            SecretKind::GithubToken => "github-token",
            SecretKind::GitlabToken => "gitlab-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::GcpServiceAccount => "gcp-service-account",
            SecretKind::NpmToken => "npm-token",
            SecretKind::PypiPassword => "pypi-password",
            SecretKind::NetrcPassword => "netrc-password",
            SecretKind::DockerAuth => "docker-auth",
            SecretKind::GenericPassword => "generic-password",
        }
    }

    /// In words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            SecretKind::SshPrivateKey => "OpenSSH private key",
            SecretKind::PemPrivateKey => "PEM private key",
            SecretKind::AwsAccessKey => "AWS access key ID",
            SecretKind::AwsSecretKey => "AWS secret access key",
            SecretKind::GithubToken => "GitHub token",
            SecretKind::GitlabToken => "GitLab token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::GcpServiceAccount => "Google service-account key",
            SecretKind::NpmToken => "npm registry credential",
            SecretKind::PypiPassword => "PyPI password",
            SecretKind::NetrcPassword => "netrc password",
            SecretKind::DockerAuth => "docker registry auth",
            SecretKind::GenericPassword => "password assignment",
        }
    }

    /// How much it matters: a generic `password=` is a guess, everything
    /// else is a credential.
    pub fn severity(self) -> Severity {
        match self {
            SecretKind::GenericPassword => Severity::Warning,
            _ => Severity::High,
        }
    }
}

/// The file-specific rules a path's last component switches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileClass {
    /// `.npmrc` / `npmrc`.
    pub npmrc: bool,
    /// `.pypirc`.
    pub pypirc: bool,
    /// `.netrc` / `_netrc`.
    pub netrc: bool,
    /// `config.json` (docker's client configuration).
    pub docker_config: bool,
    /// Env-style files: `.env`, `.env.*`, `*.env`, `*.properties`, `*.ini`,
    /// `*.cfg`, `*.conf`, `environment`.
    pub env_style: bool,
}

impl FileClass {
    /// The class of `path` (normalized, relative).
    pub fn of(path: &str) -> FileClass {
        let name = crate::paths::split_parent(path).1;
        let env_style = name == ".env"
            || name == "environment"
            || name.starts_with(".env.")
            || [".env", ".properties", ".ini", ".cfg", ".conf"]
                .iter()
                .any(|ext| name.len() > ext.len() && name.ends_with(ext));
        FileClass {
            npmrc: name == ".npmrc" || name == "npmrc",
            pypirc: name == ".pypirc",
            netrc: name == ".netrc" || name == "_netrc",
            docker_config: name == "config.json",
            env_style,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FileClass, SecretKind};

    #[test]
    fn names_match_the_json_spelling() {
        let json = serde_json::to_string(&SecretKind::GcpServiceAccount).unwrap_or_default();
        assert_eq!(json, "\"gcp-service-account\"");
        assert_eq!(SecretKind::GcpServiceAccount.name(), "gcp-service-account");
    }

    #[test]
    fn classes_follow_the_file_name() {
        assert!(FileClass::of("root/.npmrc").npmrc);
        assert!(FileClass::of("app/.env.production").env_style);
        assert!(FileClass::of("etc/app/db.properties").env_style);
        assert!(!FileClass::of("usr/bin/env").env_style);
        assert!(!FileClass::of(".env.rs").npmrc);
        assert!(FileClass::of("root/.docker/config.json").docker_config);
    }
}
