//! `layerscope ls --merged` (final and cumulative trees with provenance)
//! and the per-layer change column of `ls --layer N`.

use std::process::{Command, Output};

use layerscope_test_support::fixtures::shared;
use layerscope_test_support::require_shared;

fn fixture(rel: &str) -> String {
    shared(rel).display().to_string()
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn paths(listing: &serde_json::Value) -> Vec<String> {
    listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("path").to_owned())
        .collect()
}

fn entry<'a>(listing: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} listed"))
}

fn actions(history: &serde_json::Value) -> Vec<(u64, String)> {
    history
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["layer"].as_u64().expect("layer"),
                e["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect()
}

#[test]
fn merged_tree_of_gcr_whiteout_dir() {
    require_shared!();
    let image = fixture("go-containerregistry/mutate-whiteout_dir.tar");
    let listing = json(&["ls", &image, "--merged", "--json"]);
    assert_eq!(paths(&listing), ["", "a", "a/baz", "b", "b/bar"]);
    assert!(listing["layer"].is_null());
    let baz = entry(&listing, "a/baz");
    assert_eq!(baz["kind"], "file");
    assert_eq!(baz["layer"], 3);
    // a/foo went with a in layer 2; a/baz came in layer 3.
    let a = entry(&listing, "a");
    assert_eq!(
        actions(&a["history"]),
        [
            (0, "added".to_owned()),
            (2, "deleted".to_owned()),
            (3, "added".to_owned())
        ]
    );
    assert_eq!(entry(&listing, "b/bar")["layer"], 1);

    // Cumulative tree before the whiteout layer, and at it.
    let below = json(&["ls", &image, "--merged", "--layer", "1", "--json"]);
    assert_eq!(below["layer"], 1);
    assert_eq!(paths(&below), ["", "a", "a/foo", "b", "b/bar"]);
    let at = json(&["ls", &image, "--merged", "--layer", "2", "--json"]);
    assert_eq!(paths(&at), ["", "b", "b/bar"]);

    // Text: provenance and history columns.
    let out = run(&["ls", &image, "--merged"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let line = text
        .lines()
        .find(|l| l.ends_with(" a"))
        .expect("a line for a");
    assert!(line.contains(" L3 ") && line.contains("+0,-2,+3"), "{line}");
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[test]
fn merged_tree_drops_root_example_at_layer_9() {
    require_shared!();
    let image = fixture("dive/test-docker-image.tar");
    let before = json(&["ls", &image, "--merged", "--layer", "8", "--json"]);
    assert!(paths(&before).iter().any(|p| p == "root/example"));
    let after = json(&["ls", &image, "--merged", "--layer", "9", "--json"]);
    let after_paths = paths(&after);
    assert!(!after_paths.iter().any(|p| p == "root/example"));
    assert!(!after_paths.iter().any(|p| p.starts_with("root/example/")));
    // Hard links name their first path.
    let merged = json(&["ls", &image, "--merged", "--json"]);
    assert!(
        merged["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["hardlinkTo"] == "bin/[")
    );
    // Each path's change word is its change in the layer that provides it.
    assert_eq!(entry(&merged, "root/saved.txt")["layer"], 13);
    assert_eq!(entry(&merged, "root/saved.txt")["change"], "modified");
    let provider = json(&["ls", &image, "--layer", "13", "--json"]);
    assert_eq!(
        entry(&provider, "root/saved.txt")["change"]["action"],
        "modified"
    );
    assert_eq!(entry(&merged, "bin/busybox")["change"], "added");
    assert!(entry(&merged, "")["change"].is_null());
    let bad = run(&["ls", &image, "--merged", "--layer", "99"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn layer_change_column() {
    require_shared!();
    let image = fixture("dive/test-docker-image.tar");
    let listing = json(&["ls", &image, "--layer", "9", "--json"]);
    let whiteout = listing["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["whiteout"]["target"] == "root/example")
        .expect("the whiteout");
    assert_eq!(whiteout["change"]["action"], "deleted");
    let root = entry(&listing, "root");
    assert_eq!(root["change"]["action"], "modified");
    assert_eq!(root["change"]["aspects"], serde_json::json!(["mtime"]));

    let out = run(&["ls", &image, "--layer", "9"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.lines()
            .any(|l| l.contains(" deleted ") && l.contains("root/.wh.example")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("modified(mtime)") && l.ends_with(" root")),
        "{text}"
    );

    // The base layer only adds.
    let base = json(&["ls", &image, "--layer", "0", "--json"]);
    assert!(
        base["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["change"]["action"] == "added"
                || (e["path"] == "" && e["change"]["action"] != "deleted"))
    );

    // A layer re-adding a whited-out directory: gcr's a/baz layer.
    let gcr = fixture("go-containerregistry/mutate-whiteout_dir.tar");
    let top = json(&["ls", &gcr, "--layer", "3", "--json"]);
    assert_eq!(entry(&top, "a/baz")["change"]["action"], "added");
    let wh = json(&["ls", &gcr, "--layer", "2", "--json"]);
    assert!(
        wh["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["whiteout"]["target"] == "a" && e["change"]["action"] == "deleted")
    );
}
