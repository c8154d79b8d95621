//! `layerscope log`: a path followed through the layers of generated
//! images (a file changed in several layers, deleted by a whiteout, by an
//! opaque directory and by a parent's type replacement) and `--diff N..M`
//! (text hunks, an absent side, binary files, a side cut at 1 MiB), text
//! and JSON.

use std::path::Path;
use std::process::{Command, Output};

use layerscope_test_support::build::{ImageSpec, docker_archive_of, oci_archive_of};
use layerscope_test_support::layer::{LayerBuilder, header};
use layerscope_tests::cli_binary;
use serde_json::Value;

/// 1.5 MiB of numbered lines.
fn big_text(changed: Option<usize>) -> Vec<u8> {
    (0..40_000)
        .map(|i| {
            if Some(i) == changed {
                format!("changed line {i:>20}\n")
            } else {
                format!("line {i:>32}\n")
            }
        })
        .collect::<String>()
        .into_bytes()
}

/// Six layers; `etc/conf` changes in several of them and is deleted twice,
/// `opt/x` goes with an opaque directory, `var/d/f` with its parent
/// turning into a file.
fn layers() -> Vec<(Vec<u8>, &'static str)> {
    let mut l0 = LayerBuilder::new();
    l0.dir("etc")
        .file("etc/conf", b"a\nb\nc\n")
        .file("bin.dat", b"\x7fELF\0\x01\x02\x03")
        .dir("opt")
        .file("opt/x", b"x\n")
        .dir("var")
        .dir("var/d")
        .file("var/d/f", b"f\n")
        .file("big.txt", &big_text(None));
    let mut l1 = LayerBuilder::new();
    l1.file("etc/conf", b"a\nB\nc\n")
        .file("bin.dat", b"\x7fELF\0\x01\xff\x03")
        .file("big.txt", &big_text(Some(3)));
    let mut l2 = LayerBuilder::new();
    let mut mode = header(tar::EntryType::Regular, 0);
    mode.set_mode(0o600);
    l2.append(mode, "etc/conf", b"a\nB\nc\n");
    let mut l3 = LayerBuilder::new();
    l3.file("etc/.wh.conf", b"");
    let mut l4 = LayerBuilder::new();
    l4.file("etc/conf", b"new\n").file("opt/.wh..wh..opq", b"");
    let mut l5 = LayerBuilder::new();
    l5.file("var/d", b"now a file\n");
    vec![
        (l0.finish(), "COPY rootfs /"),
        (l1.finish(), "RUN edit conf"),
        (l2.finish(), "RUN chmod 600 /etc/conf \u{1b}[31m"),
        (l3.finish(), "RUN rm /etc/conf"),
        (l4.finish(), "RUN echo new > /etc/conf && rm -rf /opt/*"),
        (l5.finish(), "RUN rm -r /var/d && echo > /var/d"),
    ]
}

fn write_images(dir: &Path) -> Vec<std::path::PathBuf> {
    let owned = layers();
    let specs: Vec<(&[u8], &str)> = owned.iter().map(|(l, c)| (l.as_slice(), *c)).collect();
    let spec = ImageSpec::new("log:1", &specs);
    let docker = dir.join("log.docker.tar");
    std::fs::write(&docker, docker_archive_of(std::slice::from_ref(&spec))).unwrap();
    let oci = dir.join("log.oci-gzip.tar");
    std::fs::write(&oci, oci_archive_of(std::slice::from_ref(&spec), true)).unwrap();
    vec![docker, oci]
}

fn log(image: &Path, args: &[&str]) -> Output {
    Command::new(cli_binary())
        .arg("log")
        .arg(image)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "log failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap()
}

/// (layer, action, aspects, removedWith, cause type) of a step.
type Step = (u64, String, Vec<String>, Option<String>, Option<String>);

/// Each step of a timeline.
fn steps(t: &Value) -> Vec<Step> {
    t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["layer"].as_u64().unwrap(),
                s["change"]["action"].as_str().unwrap().to_owned(),
                s["change"]["aspects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect(),
                s["removedWith"].as_str().map(str::to_owned),
                s["cause"]["type"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn step(
    layer: u64,
    action: &str,
    aspects: &[&str],
    with: Option<&str>,
    cause: Option<&str>,
) -> Step {
    (
        layer,
        action.to_owned(),
        aspects.iter().map(|a| (*a).to_owned()).collect(),
        with.map(str::to_owned),
        cause.map(str::to_owned),
    )
}

#[test]
fn timelines_of_changed_and_deleted_files() {
    let dir = tempfile::tempdir().unwrap();
    for image in write_images(dir.path()) {
        let conf = json(&log(&image, &["/etc/conf", "--json"]));
        assert_eq!(
            steps(&conf),
            vec![
                step(0, "added", &[], None, None),
                step(1, "modified", &["content"], None, None),
                step(2, "modified", &["mode"], None, None),
                step(3, "deleted", &[], None, Some("whiteout")),
                step(4, "added", &[], None, None),
            ],
            "{}",
            image.display()
        );
        assert_eq!(conf["present"], true);
        assert_eq!(conf["layers"], 6);
        assert_eq!(conf["steps"][1]["createdBy"], "RUN edit conf");
        assert_eq!(conf["steps"][1]["history"], 1);
        assert_eq!(conf["steps"][1]["size"], 6);

        let x = json(&log(&image, &["opt/x", "--json"]));
        assert_eq!(
            steps(&x),
            vec![
                step(0, "added", &[], None, None),
                step(4, "deleted", &[], None, Some("opaqueDir")),
            ]
        );
        assert_eq!(x["steps"][1]["cause"]["dir"], "opt");
        assert_eq!(x["present"], false);

        let f = json(&log(&image, &["var/d/f", "--json"]));
        assert_eq!(
            steps(&f),
            vec![
                step(0, "added", &[], None, None),
                step(5, "deleted", &[], Some("var/d"), Some("replacedByType")),
            ]
        );
        assert_eq!(f["steps"][1]["cause"]["kind"], "file");
        let d = json(&log(&image, &["var/d", "--json"]));
        assert_eq!(
            steps(&d)[1],
            step(5, "modified", &["type"], None, Some("replacedByType"))
        );

        // Text: one line per step, the command escaped.
        let text = stdout(&log(&image, &["etc/conf"]));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "etc/conf (present in the final image)");
        assert!(lines[2].starts_with("layer 1  modified(content)"), "{text}");
        assert!(lines[2].ends_with("RUN edit conf"), "{text}");
        assert!(
            lines[3].ends_with("RUN chmod 600 /etc/conf \\x1b[31m"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
        assert!(
            lines[4].starts_with("layer 3  deleted (whiteout)"),
            "{text}"
        );
        let text = stdout(&log(&image, &["opt/x"]));
        assert!(
            text.contains("layer 4  deleted (opaque directory opt)"),
            "{text}"
        );
        let text = stdout(&log(&image, &["var/d/f"]));
        assert!(
            text.contains("layer 5  deleted with var/d (replaced by a file)"),
            "{text}"
        );

        let missing = log(&image, &["no/such", "--json"]);
        assert_eq!(missing.status.code(), Some(2));
        let error: Value = serde_json::from_slice(&missing.stdout).unwrap();
        assert_eq!(error["error"]["kind"], "RequestError");
        assert_eq!(error["error"]["details"]["path"], "no/such");
    }
}

#[test]
fn diffs_between_layers() {
    let dir = tempfile::tempdir().unwrap();
    for image in write_images(dir.path()) {
        let text = stdout(&log(&image, &["etc/conf", "--diff", "0..2"]));
        assert_eq!(
            text,
            "--- etc/conf (layer 0)\n+++ etc/conf (layer 2)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        // Absent after layer 3: compared as empty.
        let text = stdout(&log(&image, &["etc/conf", "--diff", "3..4"]));
        assert_eq!(
            text,
            "--- etc/conf (layer 3) absent\n+++ etc/conf (layer 4)\n@@ -0,0 +1 @@\n+new\n"
        );
        let same = json(&log(&image, &["etc/conf", "--diff", "1..2", "--json"]));
        assert_eq!(same["body"]["type"], "identical");

        let binary = json(&log(&image, &["bin.dat", "--diff", "0..1", "--json"]));
        assert_eq!(binary["body"]["type"], "binary");
        assert_eq!(binary["body"]["firstDifference"], 6);
        assert_eq!(binary["old"]["size"], 8);
        let text = stdout(&log(&image, &["bin.dat", "--diff", "0..1"]));
        assert!(
            text.contains("binary files differ: 8 and 8 bytes, first difference at byte 6"),
            "{text}"
        );

        // 1.5 MiB sides: the first 1 MiB of each is compared, and said so.
        let big = json(&log(&image, &["big.txt", "--diff", "0..1", "--json"]));
        for (side, bytes) in [("old", big_text(None)), ("new", big_text(Some(3)))] {
            assert_eq!(big[side]["cut"], true);
            assert_eq!(big[side]["compared"], 1 << 20);
            assert_eq!(big[side]["size"], bytes.len());
        }
        let hunks = big["body"]["hunks"].as_array().unwrap();
        assert!(!hunks.is_empty());
        assert_eq!(hunks[0]["oldStart"], 1);
        let text = stdout(&log(&image, &["big.txt", "--diff", "0..1"]));
        assert!(
            text.contains(
                "-line                                3\n+changed line                    3\n"
            ),
            "{text}"
        );
        assert!(text.contains("first 1048576 of"), "{text}");

        let not_file = log(&image, &["etc", "--diff", "0..1"]);
        assert_eq!(not_file.status.code(), Some(2));
        let bad_layer = log(&image, &["etc/conf", "--diff", "0..9"]);
        assert_eq!(bad_layer.status.code(), Some(2));
    }
}
