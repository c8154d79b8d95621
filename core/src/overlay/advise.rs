//! Advice with evidence: wasted files (with the command that shipped them),
//! package-manager caches, likely secrets (including ones deleted later but
//! still shipped), setuid/setgid and world-writable files, running as root,
//! runs of small layers, and application files copied before a dependency
//! install (cache order, see [`super::cache_order`]).

use crate::display::{quoted, text};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{EntryKind, LayerInfo, RuntimeConfig};

use super::cache_order::cache_order;
use super::changes::ChangeAction;
use super::stack::Overlay;
use super::view::MergedEntry;

/// Kind of advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdviceKind {
    /// Files shipped then deleted or overwritten by a later layer.
    WastedFiles,
    /// Package-manager caches left in the image.
    PackageCache,
    /// Likely secrets, visible or shipped in a lower layer.
    Secret,
    /// setuid/setgid files.
    Setuid,
    /// World-writable files or directories without the sticky bit.
    WorldWritable,
    /// The image runs as root.
    RunsAsRoot,
    /// Consecutive small layers that could be one.
    SmallLayers,
    /// Application files copied before a dependency install (the install
    /// reruns on every source change).
    CacheOrder,
    /// How many files the content secret scan skipped, and why.
    SecretScan,
}

/// How much it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth fixing.
    Warning,
    /// Fix it.
    High,
}

/// One fact behind an advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// Layer concerned.
    pub layer: Option<usize>,
    /// The history command that made that layer.
    pub command: Option<String>,
    /// Path concerned.
    pub path: Option<String>,
    /// Bytes concerned.
    pub bytes: u64,
    /// Extra detail.
    pub note: Option<String>,
    /// The line (1-based) of a content secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Whether a content secret is in the final filesystem (false: only a
    /// lower layer's blob ships it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
    /// A content secret's value, redacted (never the value itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<crate::secrets::Redacted>,
}

/// One piece of advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    /// Kind.
    pub kind: AdviceKind,
    /// Severity.
    pub severity: Severity,
    /// What to do, in words.
    pub message: String,
    /// Bytes that could be saved (0 when not about size).
    pub bytes: u64,
    /// The facts.
    pub evidence: Vec<Evidence>,
    /// What a content secret finding found (kind `secret` from the
    /// content scan only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_kind: Option<crate::secrets::SecretKind>,
}

/// Paths under which package managers keep caches.
const CACHES: &[(&str, &str)] = &[
    (
        "var/lib/apt/lists/",
        "apt lists (rm -rf /var/lib/apt/lists/* in the same RUN)",
    ),
    (
        "var/cache/apt/",
        "apt cache (apt-get clean in the same RUN)",
    ),
    ("var/cache/apk/", "apk cache (apk add --no-cache)"),
    (
        "var/cache/dnf/",
        "dnf cache (dnf clean all in the same RUN)",
    ),
    (
        "var/cache/yum/",
        "yum cache (yum clean all in the same RUN)",
    ),
    ("var/cache/zypp/", "zypper cache (zypper clean -a)"),
    ("root/.cache/pip/", "pip cache (pip install --no-cache-dir)"),
    (".cache/pip/", "pip cache (pip install --no-cache-dir)"),
    ("root/.npm/", "npm cache (npm cache clean --force)"),
    (".npm/_cacache/", "npm cache (npm cache clean --force)"),
    (
        "usr/local/share/.cache/yarn/",
        "yarn cache (yarn cache clean)",
    ),
    ("root/.cache/go-build/", "Go build cache"),
    ("root/.cargo/registry/", "cargo registry cache"),
];

fn cache_of(path: &str) -> Option<&'static str> {
    let with_slash = format!("{path}/");
    CACHES.iter().find_map(|(prefix, what)| {
        let hit = path.starts_with(prefix)
            || (!prefix.starts_with("var/")
                && !prefix.starts_with("root/")
                && with_slash.contains(&format!("/{prefix}")));
        hit.then_some(*what)
    })
}

/// Whether a path looks like a credential or private key.
pub fn looks_secret(path: &str) -> Option<&'static str> {
    let name = crate::paths::split_parent(path).1;
    if path.starts_with("etc/ssl/certs/")
        || path.starts_with("usr/share/ca-certificates/")
        || path.contains("/ca-certificates")
    {
        return None;
    }
    match name {
        "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519" => return Some("SSH private key"),
        ".env" => return Some("dotenv file"),
        ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials" | ".pgpass" => {
            return Some("credential file");
        }
        "credentials.json" | "service-account.json" => return Some("credential file"),
        _ => {}
    }
    if name.starts_with(".env.") && !name.ends_with(".example") && !name.ends_with(".sample") {
        return Some("dotenv file");
    }
    if path.ends_with(".aws/credentials")
        || path.ends_with(".docker/config.json")
        || path.ends_with(".kube/config")
    {
        return Some("credential file");
    }
    if name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || (name.ends_with(".pem") && name.contains("key"))
    {
        return Some("private key");
    }
    if path.starts_with("etc/ssh/ssh_host_") && name.ends_with("_key") {
        return Some("SSH host private key");
    }
    None
}

/// The default of [`AdviseInput::small_layer_bytes`] (1 MiB): what both
/// drivers use unless told otherwise.
pub const SMALL_LAYER_BYTES: u64 = 1 << 20;

/// What advice needs besides the overlay.
#[derive(Debug, Clone, Copy)]
pub struct AdviseInput<'a> {
    /// Layers (their `created_by` is the evidence command).
    pub layers: &'a [LayerInfo],
    /// Runtime config.
    pub config: &'a RuntimeConfig,
    /// A layer is "small" below this many uncompressed file bytes.
    pub small_layer_bytes: u64,
    /// The content secret scan of every layer, when it ran.
    pub content_secrets: Option<&'a crate::secrets::SecretReport>,
}

fn command(layers: &[LayerInfo], layer: usize) -> Option<String> {
    layers.get(layer).and_then(|l| l.created_by.clone())
}

/// Produces the advice list, most important first.
pub fn advise(overlay: &Overlay<'_>, input: &AdviseInput<'_>) -> Vec<Advice> {
    advise_from(overlay, &overlay.entries(), &overlay.waste(), input)
}

/// [`advise`] with the overlay's merged tree ([`Overlay::entries`]) and
/// waste ([`Overlay::waste`]) already computed: the two are independent, so
/// a driver with threads can compute them at once.
pub fn advise_from(
    overlay: &Overlay<'_>,
    tree: &[MergedEntry],
    waste: &super::WasteReport,
    input: &AdviseInput<'_>,
) -> Vec<Advice> {
    let mut out = Vec::new();
    let ev = |layer: usize, path: Option<String>, bytes: u64, note: Option<String>| Evidence {
        layer: Some(layer),
        command: command(input.layers, layer),
        path,
        bytes,
        note,
        line: None,
        reachable: None,
        redacted: None,
    };
    // Wasted files, per shipping layer.
    let mut by_layer: BTreeMap<usize, Vec<&super::waste::WastedFile>> = BTreeMap::new();
    for f in &waste.files {
        by_layer.entry(f.layer).or_default().push(f);
    }
    for (layer, files) in by_layer {
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let hiders: std::collections::BTreeSet<usize> =
            files.iter().filter_map(|f| f.hidden_by).collect();
        out.push(Advice {
            kind: AdviceKind::WastedFiles,
            secret_kind: None,
            severity: if bytes >= 1 << 20 { Severity::Warning } else { Severity::Info },
            message: format!(
                "layer {layer} ships {} in {} that {} {} or overwrite{}; remove {} in the same step that creates {}",
                byte_text(bytes),
                counted(files.len(), "file", "files"),
                listed("layer", "layers", &hiders),
                if hiders.len() == 1 { "deletes" } else { "delete" },
                if hiders.len() == 1 { "s" } else { "" },
                if files.len() == 1 { "it" } else { "them" },
                if files.len() == 1 { "it" } else { "them" },
            ),
            bytes,
            evidence: files
                .iter()
                .take(20)
                .map(|f| {
                    ev(
                        layer,
                        Some(f.path.clone()),
                        f.size,
                        f.hidden_by.map(|h| format!("hidden by layer {h} ({})", text(&command(input.layers, h).unwrap_or_default()))),
                    )
                })
                .collect(),
        });
    }
    // Caches in the final tree.
    let mut caches: BTreeMap<&str, Vec<&MergedEntry>> = BTreeMap::new();
    for e in tree {
        if e.kind == EntryKind::File {
            if let Some(what) = cache_of(&e.path) {
                caches.entry(what).or_default().push(e);
            }
        }
    }
    for (what, files) in caches {
        let bytes: u64 = files.iter().map(|e| e.size).sum();
        if bytes == 0 {
            continue;
        }
        out.push(Advice {
            kind: AdviceKind::PackageCache,
            secret_kind: None,
            severity: Severity::Warning,
            message: format!("{} of {what} remain in the image", byte_text(bytes)),
            bytes,
            evidence: files
                .iter()
                .take(20)
                .map(|e| ev(e.layer.unwrap_or(0), Some(e.path.clone()), e.size, None))
                .collect(),
        });
    }
    // Secrets: every layer's shipped entries, visible or not.
    let named: Vec<(usize, &super::Change, &str)> = overlay
        .changes()
        .iter()
        .flat_map(|layer| layer.changes.iter().map(move |c| (layer.layer, c)))
        .filter(|(_, c)| c.kind == EntryKind::File && c.action != ChangeAction::Deleted)
        .filter_map(|(layer, c)| looks_secret(&c.path).map(|what| (layer, c, what)))
        .collect();
    let hits = input
        .content_secrets
        .iter()
        .flat_map(|report| report.layers.iter())
        .flat_map(|layer| layer.hits.iter())
        .map(|hit| hit.path.as_str());
    let visible = super::Visible::among(
        tree,
        named.iter().map(|(_, c, _)| c.path.as_str()).chain(hits),
    );
    for (layer, c, what) in named {
        let still = visible.contains(layer, &c.path);
        out.push(Advice {
            kind: AdviceKind::Secret,
            secret_kind: None,
            severity: Severity::High,
            message: if still {
                format!("likely {what} {} is in the image", quoted(&c.path))
            } else {
                format!(
                    "likely {what} {} was deleted later but is still shipped in layer {}; rebuild without it (use build secrets)",
                    quoted(&c.path),
                    layer
                )
            },
            bytes: c.size,
            evidence: vec![ev(layer, Some(c.path.clone()), c.size, None)],
        });
    }
    if let Some(report) = input.content_secrets {
        out.extend(crate::secrets::advice(
            report,
            &visible,
            waste,
            input.layers,
        ));
    }
    // Permissions.
    let setuid: Vec<&MergedEntry> = tree
        .iter()
        .filter(|e| e.kind == EntryKind::File && e.mode & 0o6000 != 0)
        .collect();
    if !setuid.is_empty() {
        out.push(Advice {
            kind: AdviceKind::Setuid,
            secret_kind: None,
            severity: Severity::Warning,
            message: format!(
                "{}; drop the bits where not needed",
                counted(setuid.len(), "setuid/setgid file", "setuid/setgid files")
            ),
            bytes: 0,
            evidence: setuid
                .iter()
                .map(|e| {
                    ev(
                        e.layer.unwrap_or(0),
                        Some(e.path.clone()),
                        e.size,
                        Some(format!("mode {:04o}", e.mode)),
                    )
                })
                .collect(),
        });
    }
    let writable: Vec<&MergedEntry> = tree
        .iter()
        .filter(|e| match e.kind {
            EntryKind::Symlink => false,
            EntryKind::Dir => e.mode & 0o002 != 0 && e.mode & 0o1000 == 0,
            _ => e.mode & 0o002 != 0,
        })
        .collect();
    if !writable.is_empty() {
        out.push(Advice {
            kind: AdviceKind::WorldWritable,
            secret_kind: None,
            severity: Severity::Warning,
            message: format!(
                "{} (directories without the sticky bit included)",
                counted(
                    writable.len(),
                    "world-writable path",
                    "world-writable paths"
                )
            ),
            bytes: 0,
            evidence: writable
                .iter()
                .take(50)
                .map(|e| {
                    ev(
                        e.layer.unwrap_or(0),
                        Some(e.path.clone()),
                        0,
                        Some(format!("mode {:04o}", e.mode)),
                    )
                })
                .collect(),
        });
    }
    let user = input.config.user.clone().unwrap_or_default();
    let name = user.split(':').next().unwrap_or("").trim();
    if name.is_empty() || name == "root" || name == "0" {
        out.push(Advice {
            kind: AdviceKind::RunsAsRoot,
            secret_kind: None,
            severity: Severity::Warning,
            message: format!(
                "the image runs as root ({}); add a USER instruction",
                match input.config.user.as_deref() {
                    None | Some("") => "no User set".to_owned(),
                    Some(user) => format!("User {}", quoted(user)),
                }
            ),
            bytes: 0,
            evidence: Vec::new(),
        });
    }
    // Cache order: application files copied below dependency installs.
    for finding in cache_order(input.layers, overlay.changes()) {
        let installs: Vec<String> = finding
            .installs
            .iter()
            .map(|i| format!("{} ({})", i.layer, i.tool))
            .collect();
        let mut evidence = vec![ev(
            finding.copy_layer,
            None,
            0,
            Some(format!(
                "copies {}",
                counted(finding.files, "file", "files")
            )),
        )];
        evidence.extend(finding.installs.iter().map(|i| {
            ev(
                i.layer,
                None,
                i.bytes,
                Some(format!("installs dependencies ({})", i.tool)),
            )
        }));
        evidence.extend(
            finding
                .sample
                .iter()
                .map(|(path, size)| ev(finding.copy_layer, Some(path.clone()), *size, None)),
        );
        out.push(Advice {
            kind: AdviceKind::CacheOrder,
            secret_kind: None,
            severity: Severity::Warning,
            message: format!(
                "layer {} copies application files ({}) before {} {} install{} dependencies: any source change reruns the install and rebuilds, re-pushes and re-pulls {} and every layer above; {}",
                finding.copy_layer,
                counted(finding.files, "file", "files"),
                if installs.len() == 1 { "layer" } else { "layers" },
                installs.join(", "),
                if installs.len() == 1 { "s" } else { "" },
                if installs.len() == 1 { "it" } else { "them" },
                finding.fix(),
            ),
            bytes: finding.bytes(),
            evidence,
        });
    }
    // Runs of small layers.
    let small: Vec<bool> = overlay
        .changes()
        .iter()
        .map(|c| c.shipped_bytes < input.small_layer_bytes && !c.changes.is_empty())
        .collect();
    let mut start = 0;
    while start < small.len() {
        let len = small.iter().skip(start).take_while(|s| **s).count();
        if len >= 2 {
            out.push(Advice {
                kind: AdviceKind::SmallLayers,
                secret_kind: None,
                severity: Severity::Info,
                message: format!(
                    "layers {start}..{} are small; combining their steps makes one layer",
                    start + len - 1
                ),
                bytes: 0,
                evidence: (start..start + len)
                    .map(|l| {
                        ev(
                            l,
                            None,
                            overlay.changes().get(l).map_or(0, |c| c.shipped_bytes),
                            None,
                        )
                    })
                    .collect(),
            });
        }
        start += len.max(1);
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.bytes.cmp(&a.bytes))
            .then(a.kind.cmp(&b.kind))
    });
    out
}

/// `1 file`, `3 files`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `layer 4`, `layers 4 and 7`, `layers 2, 4 and 7`.
fn listed(one: &str, many: &str, items: &std::collections::BTreeSet<usize>) -> String {
    let texts: Vec<String> = items.iter().map(usize::to_string).collect();
    match texts.as_slice() {
        [] => format!("later {many}"),
        [only] => format!("{one} {only}"),
        [init @ .., last] => format!("{many} {} and {last}", init.join(", ")),
    }
}

/// Bytes with a readable binary unit, as the CLI prints sizes:
/// `512 bytes`, `3.3 MiB (3421000 bytes)`.
fn byte_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    match UNITS.iter().find(|(size, _)| bytes >= *size) {
        Some((size, unit)) => format!("{:.1} {unit} ({bytes} bytes)", bytes as f64 / *size as f64),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{byte_text, counted, listed};

    #[test]
    fn wording_reads_as_english() {
        assert_eq!(counted(1, "file", "files"), "1 file");
        assert_eq!(counted(3, "file", "files"), "3 files");
        let set = |v: &[usize]| v.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(listed("layer", "layers", &set(&[4])), "layer 4");
        assert_eq!(listed("layer", "layers", &set(&[7, 4])), "layers 4 and 7");
        assert_eq!(
            listed("layer", "layers", &set(&[2, 4, 7])),
            "layers 2, 4 and 7"
        );
        assert_eq!(byte_text(512), "512 bytes");
        assert_eq!(byte_text(3_421_000), "3.3 MiB (3421000 bytes)");
    }
}
