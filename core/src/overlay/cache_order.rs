//! Cache order: a build step that copies application files (a source tree,
//! or a dependency manifest together with sources) *before* a step that
//! installs dependencies. A build cache keyed on the layer chain then
//! reruns the install — and rebuilds, re-pushes and re-pulls its layer and
//! every layer above — whenever any source file changes.
//!
//! The evidence comes from the history (`created_by`: a `COPY`/`ADD`, an
//! install command) and from the layers' contents (which files the copy
//! brought). A base or root-filesystem layer (one that touches two or more
//! of `bin/`, `sbin/`, `etc/`, `usr/`, `lib/`, `lib64/`, `var/` at its top)
//! is never application files.

use serde::{Deserialize, Serialize};

use crate::model::{EntryKind, LayerInfo};
use crate::paths::split_parent;

use super::changes::{ChangeAction, LayerChanges};

/// Top-level directories of a root filesystem.
const ROOTFS_DIRS: &[&str] = &["bin", "sbin", "etc", "usr", "lib", "lib64", "var"];

/// Dependency manifests and lock files, by file name.
const MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements.txt",
    "Pipfile",
    "Pipfile.lock",
    "pyproject.toml",
    "poetry.lock",
    "setup.py",
    "setup.cfg",
    "Gemfile",
    "Gemfile.lock",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
];

/// Extensions of source files.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "rb", "java", "kt", "c", "h", "cc",
    "cpp", "hpp", "cs", "php", "swift", "scala", "ex", "exs", "erl", "hs", "ml", "clj", "lua",
    "pl", "vue", "svelte",
];

/// A copy of this many files counts as a source tree whatever their names.
const TREE_FILES: usize = 5;

/// Dependency installers: the program, its subcommands that install
/// (empty: the program alone installs, like `yarn`), and what it manages.
const INSTALLERS: &[(&str, &[&str], Ecosystem)] = &[
    ("apt-get", &["install"], Ecosystem::System),
    ("apt", &["install"], Ecosystem::System),
    ("aptitude", &["install"], Ecosystem::System),
    ("apk", &["add"], Ecosystem::System),
    ("dnf", &["install"], Ecosystem::System),
    ("microdnf", &["install"], Ecosystem::System),
    ("yum", &["install"], Ecosystem::System),
    ("tdnf", &["install"], Ecosystem::System),
    ("zypper", &["install", "in"], Ecosystem::System),
    ("pip", &["install"], Ecosystem::Python),
    ("pip3", &["install"], Ecosystem::Python),
    ("pipenv", &["install", "sync"], Ecosystem::Python),
    ("poetry", &["install"], Ecosystem::Python),
    ("npm", &["install", "i", "ci"], Ecosystem::Node),
    ("yarn", &["", "install"], Ecosystem::Node),
    ("pnpm", &["install", "i"], Ecosystem::Node),
    ("bundle", &["install"], Ecosystem::Ruby),
    ("bundler", &["install"], Ecosystem::Ruby),
    ("go", &["mod download", "get"], Ecosystem::Go),
    ("cargo", &["fetch", "build"], Ecosystem::Rust),
    ("composer", &["install"], Ecosystem::Php),
];

/// What kind of dependencies a step installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    /// System packages (apt, apk, dnf/yum, zypper): they need no
    /// application file at all.
    System,
    /// pip, pipenv, poetry.
    Python,
    /// npm, yarn, pnpm.
    Node,
    /// bundler.
    Ruby,
    /// `go mod download`.
    Go,
    /// `cargo fetch` / `cargo build`.
    Rust,
    /// composer.
    Php,
}

impl Ecosystem {
    /// The manifests to copy before installing.
    fn manifests(self) -> &'static str {
        match self {
            Ecosystem::System => "",
            Ecosystem::Python => "requirements.txt (or pyproject.toml and its lock file)",
            Ecosystem::Node => "package.json and its lock file",
            Ecosystem::Ruby => "Gemfile and Gemfile.lock",
            Ecosystem::Go => "go.mod and go.sum",
            Ecosystem::Rust => "Cargo.toml and Cargo.lock",
            Ecosystem::Php => "composer.json and composer.lock",
        }
    }
}

/// A dependency-install step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallStep {
    /// Its layer.
    pub layer: usize,
    /// The program that installs (`apt-get`, `npm`, …).
    pub tool: String,
    /// What it manages.
    pub ecosystem: Ecosystem,
    /// Stored bytes of its layer.
    pub bytes: u64,
}

/// A copy of application files below dependency installs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheOrderFinding {
    /// The layer the copy made.
    pub copy_layer: usize,
    /// How many regular files it copied.
    pub files: usize,
    /// A few of them (manifests first), with their sizes.
    pub sample: Vec<(String, u64)>,
    /// The dependency manifests among them.
    pub manifests: Vec<String>,
    /// The install steps above it, in layer order.
    pub installs: Vec<InstallStep>,
}

impl CacheOrderFinding {
    /// Stored bytes of the install layers a source change rebuilds for
    /// nothing.
    pub fn bytes(&self) -> u64 {
        self.installs
            .iter()
            .map(|i| i.bytes)
            .fold(0u64, u64::saturating_add)
    }

    /// The usual fix, in words.
    pub fn fix(&self) -> String {
        let language = self
            .installs
            .iter()
            .find(|i| i.ecosystem != Ecosystem::System);
        match language {
            Some(install) => {
                let manifests = if self.manifests.is_empty() {
                    install.ecosystem.manifests().to_owned()
                } else {
                    self.manifests.join(", ")
                };
                format!(
                    "copy only the dependency manifest first ({manifests}), run the install ({}), then copy the sources",
                    install.tool
                )
            }
            None => "install the system packages before copying the application files".to_owned(),
        }
    }
}

/// Whether a `created_by` is a `COPY` or `ADD` step (classic builder
/// `#(nop) COPY …`, BuildKit and buildah `COPY …`).
pub fn is_copy(command: &str) -> bool {
    let text = command.trim_start();
    let text = text
        .strip_prefix("/bin/sh -c ")
        .map_or(text, str::trim_start);
    let text = text.strip_prefix("#(nop)").map_or(text, str::trim_start);
    ["COPY ", "ADD ", "COPY\t", "ADD\t"]
        .iter()
        .any(|p| text.starts_with(p))
}

/// The first dependency installer a shell command runs: its program and
/// ecosystem. Commands are split at `&&`, `||`, `;`, `|` and newlines; in
/// each, any word naming an installer (path and a `sudo` or `python -m`
/// before it allowed) followed by an installing subcommand counts. Flags
/// before the subcommand are skipped (`apk --no-cache add`).
pub fn installer(command: &str) -> Option<(&'static str, Ecosystem)> {
    if is_copy(command) {
        return None;
    }
    let normalized: String = command
        .chars()
        .map(|c| match c {
            ';' | '|' | '&' | '\n' | '(' | ')' | '`' => '\u{0}',
            c => c,
        })
        .collect();
    for segment in normalized.split('\u{0}') {
        let words: Vec<&str> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
            .collect();
        for (i, word) in words.iter().enumerate() {
            let program = word.rsplit('/').next().unwrap_or(word);
            let Some((tool, subs, ecosystem)) = INSTALLERS.iter().find(|(t, _, _)| *t == program)
            else {
                continue;
            };
            let rest: Vec<&str> = words
                .iter()
                .skip(i + 1)
                .filter(|w| !w.starts_with('-'))
                .copied()
                .collect();
            let matched = subs.iter().any(|sub| {
                if sub.is_empty() {
                    rest.is_empty()
                } else {
                    let parts: Vec<&str> = sub.split(' ').collect();
                    rest.len() >= parts.len() && rest.iter().zip(&parts).all(|(a, b)| a == b)
                }
            });
            if matched {
                return Some((tool, *ecosystem));
            }
        }
    }
    None
}

/// Whether a layer's changes are a root filesystem (or a base image's).
fn is_rootfs(changes: &LayerChanges) -> bool {
    let mut tops: Vec<&str> = changes
        .changes
        .iter()
        .filter_map(|c| c.path.split('/').next())
        .filter(|top| ROOTFS_DIRS.contains(top))
        .collect();
    tops.sort_unstable();
    tops.dedup();
    tops.len() >= 2
}

fn is_manifest(path: &str) -> bool {
    let name = split_parent(path).1;
    MANIFESTS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt"))
}

fn is_source(path: &str) -> bool {
    let name = split_parent(path).1;
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && SOURCE_EXTENSIONS.contains(&ext))
}

/// The application files a copy layer brought, or None when it brought
/// none (a root filesystem, a lone manifest, a file or two that are not
/// sources).
fn application_files(changes: &LayerChanges) -> Option<Vec<(String, u64)>> {
    if is_rootfs(changes) {
        return None;
    }
    let files: Vec<(String, u64)> = changes
        .changes
        .iter()
        .filter(|c| c.kind == EntryKind::File && c.action != ChangeAction::Deleted)
        .map(|c| (c.path.clone(), c.size))
        .collect();
    let manifests = files.iter().filter(|(p, _)| is_manifest(p)).count();
    let others = files.len() - manifests;
    let sources = files.iter().filter(|(p, _)| is_source(p)).count();
    let application = (manifests > 0 && others > 0) || sources >= 2 || files.len() >= TREE_FILES;
    application.then_some(files)
}

/// Finds copies of application files below dependency installs. `layers`
/// give the commands (`created_by`) and stored sizes, `changes` each
/// layer's own changes (same indexes).
pub fn cache_order(layers: &[LayerInfo], changes: &[LayerChanges]) -> Vec<CacheOrderFinding> {
    let installs: Vec<InstallStep> = layers
        .iter()
        .filter_map(|l| {
            let (tool, ecosystem) = installer(l.created_by.as_deref()?)?;
            Some(InstallStep {
                layer: l.index,
                tool: tool.to_owned(),
                ecosystem,
                bytes: l.size,
            })
        })
        .collect();
    let mut findings = Vec::new();
    let mut covered = 0;
    for layer in layers {
        if layer.index < covered || !layer.created_by.as_deref().is_some_and(is_copy) {
            continue;
        }
        let above: Vec<InstallStep> = installs
            .iter()
            .filter(|i| i.layer > layer.index)
            .cloned()
            .collect();
        if above.is_empty() {
            break;
        }
        let Some(files) = changes.get(layer.index).and_then(application_files) else {
            continue;
        };
        let mut manifests: Vec<String> = files
            .iter()
            .filter(|(p, _)| is_manifest(p))
            .map(|(p, _)| p.clone())
            .collect();
        manifests.sort();
        let mut sample: Vec<(String, u64)> = files
            .iter()
            .filter(|(p, _)| is_manifest(p))
            .chain(files.iter().filter(|(p, _)| !is_manifest(p)))
            .take(8)
            .cloned()
            .collect();
        sample.truncate(8);
        // One finding per copy; later copies below the same installs add
        // nothing new.
        covered = above.last().map_or(covered, |i| i.layer);
        findings.push(CacheOrderFinding {
            copy_layer: layer.index,
            files: files.len(),
            sample,
            manifests,
            installs: above,
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installers_are_found_in_shell_commands() {
        let cases = [
            (
                "/bin/sh -c apt-get update && apt-get install -y curl",
                Some("apt-get"),
            ),
            (
                "RUN /bin/sh -c apk --no-cache add git # buildkit",
                Some("apk"),
            ),
            (
                "/bin/sh -c python -m pip install -r requirements.txt",
                Some("pip"),
            ),
            ("/bin/sh -c npm ci --omit=dev", Some("npm")),
            ("/bin/sh -c yarn --frozen-lockfile", Some("yarn")),
            ("/bin/sh -c yarn build", None),
            ("/bin/sh -c go mod download", Some("go")),
            ("/bin/sh -c go build ./...", None),
            ("/bin/sh -c cargo build --release", Some("cargo")),
            ("/bin/sh -c sudo /usr/bin/dnf -y install gcc", Some("dnf")),
            ("/bin/sh -c bundle install --jobs 4", Some("bundle")),
            ("/bin/sh -c #(nop) COPY file:abc in /app/apt-get", None),
            ("/bin/sh -c echo done", None),
        ];
        for (command, tool) in cases {
            assert_eq!(installer(command).map(|(t, _)| t), tool, "{command}");
        }
    }

    #[test]
    fn copies_are_recognised() {
        assert!(is_copy("/bin/sh -c #(nop) COPY dir:abc in /app"));
        assert!(is_copy("COPY . /app # buildkit"));
        assert!(is_copy("ADD rootfs.tar.xz /"));
        assert!(!is_copy("/bin/sh -c cp -r /src /app"));
        assert!(!is_copy("RUN COPYRIGHT=1 make"));
    }

    #[test]
    fn names_classify() {
        assert!(is_manifest("app/package.json"));
        assert!(is_manifest("requirements-dev.txt"));
        assert!(!is_manifest("app/readme.txt"));
        assert!(is_source("app/src/main.py"));
        assert!(!is_source("app/.py"));
        assert!(!is_source("etc/nginx.conf"));
    }
}
