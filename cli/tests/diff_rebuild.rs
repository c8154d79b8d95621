//! `layerscope diff A B`: the first divergent layer and what a rebuild
//! costs, in `--json` (`firstDivergentLayer` beside `sharedLayers`) and
//! in the text output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use layerscope_test_support::build::{ImageSpec, oci_archive_of};
use layerscope_test_support::layer::{LayerBuilder, gzip};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn layer(path: &str, data: &[u8]) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    b.file(path, data);
    b.finish()
}

fn write(dir: &Path, name: &str, image: ImageSpec) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, oci_archive_of(&[image], true)).unwrap();
    path
}

fn diff_json(a: &Path, b: &Path) -> Value {
    let out = run(&["diff", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn first_divergent_layer_and_rebuild_cost() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer("bin/sh", &[b'x'; 3000]);
    let deps = layer("usr/lib/dep.so", &[b'd'; 2000]);
    let src_v1 = layer("app/main.c", b"int main() { return 1; }");
    let src_v2 = layer("app/main.c", b"int main() { return 2; }");
    let a = write(
        dir.path(),
        "a.tar",
        ImageSpec::new(
            "a",
            &[
                (&base, "ADD rootfs /"),
                (&src_v1, "COPY . /app"),
                (&deps, "RUN apt-get install dep"),
            ],
        ),
    );
    // The sources changed: the install above them is rebuilt, but its
    // layer came out the same, so only the new source layer moves.
    let b = write(
        dir.path(),
        "b.tar",
        ImageSpec::new(
            "b",
            &[
                (&base, "ADD rootfs /"),
                (&src_v2, "COPY . /app"),
                (&deps, "RUN apt-get install dep"),
            ],
        ),
    );
    let d = diff_json(&a, &b);
    assert_eq!(d["sharedLayers"], 1);
    assert_eq!(d["firstDivergentLayer"], 1);
    let rebuild = &d["rebuild"];
    assert_eq!(rebuild["fromLayer"], 1);
    assert_eq!(rebuild["layers"].as_array().unwrap().len(), 2);
    assert_eq!(rebuild["layers"][0]["inA"], false);
    assert_eq!(rebuild["layers"][1]["inA"], true);
    assert_eq!(rebuild["newLayers"], 1);
    assert_eq!(rebuild["transferBytes"], gzip(&src_v2).len());
    let text = run(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.contains("first divergent layer: 1 (`COPY . /app`)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 not in A"), "{stdout}");
    // Equal images, and B a prefix of A: no divergence.
    let same = diff_json(&a, &a);
    assert_eq!(same["firstDivergentLayer"], Value::Null);
    assert_eq!(same["rebuild"], Value::Null);
    assert_eq!(same["sharedLayers"], 3);
    let prefix = write(
        dir.path(),
        "prefix.tar",
        ImageSpec::new("p", &[(&base, "ADD rootfs /"), (&src_v1, "COPY . /app")]),
    );
    assert_eq!(diff_json(&a, &prefix)["firstDivergentLayer"], Value::Null);
    // A a prefix of B: B diverges where A ends.
    assert_eq!(diff_json(&prefix, &a)["firstDivergentLayer"], 2);
    let text = run(&["diff", a.to_str().unwrap(), prefix.to_str().unwrap()]);
    assert!(
        String::from_utf8(text.stdout)
            .unwrap()
            .contains("first divergent layer: none")
    );
}
