//! `layerscope advise`: secrets by content. The image is generated here
//! with random fake values (never committed): one of each kind, one in a
//! file a later layer deletes, one split across a 512-byte tar block, a
//! near-match flood and a binary file. Every kind must be found with its
//! layer, path, line and reachability, and no output — text, JSON,
//! stderr — may contain any raw value.

use std::process::{Command, Output};

use layerscope_test_support::build::{ImageSpec, oci_archive_of};
use layerscope_test_support::layer::LayerBuilder;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// A small xorshift generator seeded from the clock and the process id:
/// different fake values on every run.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Rng(t ^ (u64::from(std::process::id()) << 32) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self, alphabet: &str, len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..len)
            .map(|_| chars[(self.next() % chars.len() as u64) as usize])
            .collect()
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// What one finding must look like.
struct Expect {
    kind: &'static str,
    layer: u64,
    path: &'static str,
    line: u64,
    reachable: bool,
}

#[test]
fn every_kind_is_found_redacted_with_its_place() {
    let mut rng = Rng::new();
    let ssh_body = rng.text(B64, 64);
    let pem_body = rng.text(B64, 64);
    let gcp_body = rng.text(B64, 64);
    let aws_id = format!("AKIA{}", rng.text(UPPER, 16));
    let aws_secret = rng.text(B64, 40);
    let github = format!("ghp_{}", rng.text(ALNUM, 36));
    let deleted_github = format!("gho_{}", rng.text(ALNUM, 36));
    let gitlab = format!("glpat-{}", rng.text(ALNUM, 20));
    let slack = format!("xoxb-{}", rng.text(ALNUM, 24));
    let npm = format!("npm_{}", rng.text(ALNUM, 36));
    let pypi = format!("pypi-{}", rng.text(ALNUM, 30));
    let netrc = rng.text(ALNUM, 18);
    let docker = rng.text(B64, 32);
    let generic = rng.text(ALNUM, 16);
    let in_binary = format!("ghs_{}", rng.text(ALNUM, 36));
    let raw_values = [
        &ssh_body,
        &pem_body,
        &gcp_body,
        &aws_id,
        &aws_secret,
        &github,
        &deleted_github,
        &gitlab,
        &slack,
        &npm,
        &pypi,
        &netrc,
        &docker,
        &generic,
        &in_binary,
    ];

    let mut base = LayerBuilder::new();
    base.file("etc/os-release", b"ID=test\n");
    base.file(
        "root/.ssh/id_ed25519",
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{ssh_body}\n-----END OPENSSH PRIVATE KEY-----\n"
        )
        .as_bytes(),
    );
    base.file(
        "etc/ssl/private/server.pem",
        format!(
            "# server\n-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----\n"
        )
        .as_bytes(),
    );
    base.file(
        "root/.aws/credentials",
        format!("[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n")
            .as_bytes(),
    );
    let base = base.finish();

    let mut app = LayerBuilder::new();
    app.file(
        "app/config.yaml",
        format!("name: app\ntoken: {github}\n").as_bytes(),
    );
    app.file(
        "app/deploy/token.txt",
        format!("{deleted_github}\n").as_bytes(),
    );
    // The token starts at byte 500 of the data: it crosses the 512-byte
    // tar block boundary.
    let mut split = "#".repeat(499);
    split.push('\n');
    split.push_str(&gitlab);
    split.push('\n');
    app.file("app/split.txt", split.as_bytes());
    app.file(
        "app/notify.sh",
        format!("#!/bin/sh\n\ncurl -H 'Authorization: Bearer {slack}' x\n").as_bytes(),
    );
    app.file(
        "app/sa.json",
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{gcp_body}\\n-----END PRIVATE KEY-----\\n\"\n}}\n"
        )
        .as_bytes(),
    );
    app.file(
        "root/.npmrc",
        format!("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={npm}\n")
            .as_bytes(),
    );
    app.file(
        "root/.pypirc",
        format!("[pypi]\nusername = __token__\npassword = {pypi}\n").as_bytes(),
    );
    app.file(
        "root/.netrc",
        format!("machine example.com login me password {netrc}\n").as_bytes(),
    );
    app.file(
        "root/.docker/config.json",
        format!("{{\"auths\":{{\"registry.example.com\":{{\"auth\":\"{docker}\"}}}}}}").as_bytes(),
    );
    app.file(
        "app/.env",
        format!("# settings\nDB_HOST=db\nDB_PASSWORD={generic}\n").as_bytes(),
    );
    let mut binary = vec![0u8, 1, 2, 3];
    binary.extend_from_slice(in_binary.as_bytes());
    app.file("app/bin/tool", &binary);
    // Near-matches: prefixes without enough characters after them.
    let flood = "ghp_abc AKIA12 glpat-x xoxb- -----BEGIN PRIVATE password\n".repeat(40_000);
    app.file("app/flood.txt", flood.as_bytes());
    let app = app.finish();

    let mut cleanup = LayerBuilder::new();
    cleanup.file("app/deploy/.wh.token.txt", b"");
    let cleanup = cleanup.finish();

    let image = ImageSpec::new(
        "secrets",
        &[
            (&base, "ADD rootfs /"),
            (&app, "COPY . /"),
            (&cleanup, "RUN rm /app/deploy/token.txt"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.tar");
    std::fs::write(&path, oci_archive_of(&[image], true)).unwrap();
    let path = path.to_str().unwrap();

    let started = std::time::Instant::now();
    let json_run = run(&["advise", "--json", path]);
    let elapsed = started.elapsed();
    let text_run = run(&["advise", path]);
    let small_run = run(&["advise", "--secret-max-file-size", "100", path]);
    for out in [&json_run, &text_run, &small_run] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for value in raw_values {
                assert!(!text.contains(value.as_str()), "raw value printed:\n{text}");
            }
        }
    }
    // The flood (2.2 MB of near-matches) is one linear pass.
    assert!(elapsed.as_secs() < 60, "advise took {elapsed:?}");

    let list: Value = serde_json::from_slice(&json_run.stdout).unwrap();
    let found: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.get("secretKind").is_some())
        .collect();
    let expected = [
        Expect {
            kind: "ssh-private-key",
            layer: 0,
            path: "root/.ssh/id_ed25519",
            line: 1,
            reachable: true,
        },
        Expect {
            kind: "pem-private-key",
            layer: 0,
            path: "etc/ssl/private/server.pem",
            line: 2,
            reachable: true,
        },
        Expect {
            kind: "aws-access-key",
            layer: 0,
            path: "root/.aws/credentials",
            line: 2,
            reachable: true,
        },
        Expect {
            kind: "github-token",
            layer: 1,
            path: "app/config.yaml",
            line: 2,
            reachable: true,
        },
        Expect {
            kind: "github-token",
            layer: 1,
            path: "app/deploy/token.txt",
            line: 1,
            reachable: false,
        },
        Expect {
            kind: "gitlab-token",
            layer: 1,
            path: "app/split.txt",
            line: 2,
            reachable: true,
        },
        Expect {
            kind: "slack-token",
            layer: 1,
            path: "app/notify.sh",
            line: 3,
            reachable: true,
        },
        Expect {
            kind: "gcp-service-account",
            layer: 1,
            path: "app/sa.json",
            line: 4,
            reachable: true,
        },
        Expect {
            kind: "npm-token",
            layer: 1,
            path: "root/.npmrc",
            line: 2,
            reachable: true,
        },
        Expect {
            kind: "pypi-password",
            layer: 1,
            path: "root/.pypirc",
            line: 3,
            reachable: true,
        },
        Expect {
            kind: "netrc-password",
            layer: 1,
            path: "root/.netrc",
            line: 1,
            reachable: true,
        },
        Expect {
            kind: "docker-auth",
            layer: 1,
            path: "root/.docker/config.json",
            line: 1,
            reachable: true,
        },
        Expect {
            kind: "generic-password",
            layer: 1,
            path: "app/.env",
            line: 3,
            reachable: true,
        },
    ];
    for e in &expected {
        let hit = found
            .iter()
            .find(|a| a["secretKind"] == e.kind && a["evidence"][0]["path"] == e.path);
        let Some(hit) = hit else {
            panic!("{} in {} not found in {list:#}", e.kind, e.path);
        };
        let ev = &hit["evidence"][0];
        assert_eq!(hit["kind"], "secret");
        assert_eq!(ev["layer"], e.layer, "{}", e.path);
        assert_eq!(ev["line"], e.line, "{}", e.path);
        assert_eq!(ev["reachable"], e.reachable, "{}", e.path);
        assert_eq!(ev["redacted"]["kind"], e.kind);
        assert!(ev["redacted"]["prefix"].as_str().unwrap().len() <= 4);
        let severity = if e.kind == "generic-password" {
            "warning"
        } else {
            "high"
        };
        assert_eq!(hit["severity"], severity, "{}", e.kind);
    }
    // Nothing else: not the flood, not the binary file, not the AWS secret
    // on its own (it pairs with the key ID).
    assert_eq!(found.len(), expected.len(), "{list:#}");
    let aws = found
        .iter()
        .find(|a| a["secretKind"] == "aws-access-key")
        .unwrap();
    assert!(
        aws["evidence"][0]["note"]
            .as_str()
            .unwrap()
            .contains("with its secret access key on line 3")
    );
    let deleted = found
        .iter()
        .find(|a| a["evidence"][0]["path"] == "app/deploy/token.txt")
        .unwrap();
    assert!(
        deleted["message"]
            .as_str()
            .unwrap()
            .contains("written by layer 1, deleted by layer 2, still shipped in layer 1's blob")
    );
    let scan_note = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "secret-scan")
        .unwrap();
    assert!(
        scan_note["message"].as_str().unwrap().contains("1 binary"),
        "{scan_note}"
    );

    let text = String::from_utf8_lossy(&text_run.stdout);
    assert!(text.contains("still shipped in layer 1's blob"), "{text}");
    assert!(text.contains("app/split.txt  line 2"), "{text}");
    assert!(text.contains("ghp_…"), "{text}");

    // A size limit below every file: nothing scanned, all counted.
    let small = String::from_utf8_lossy(&small_run.stdout);
    assert!(!small.contains("GitLab token"), "{small}");
    assert!(small.contains("over 100 bytes"), "{small}");
    assert!(small.contains("--secret-max-file-size"), "{small}");
}
