//! `layerscope advise`: the `cache-order` advice (application files copied
//! before a dependency install), and its absence for a root filesystem
//! layer and for the manifest-first order.

use std::path::Path;
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

fn files(list: &[(&str, &str)]) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    for (path, data) in list {
        b.file(path, data.as_bytes());
    }
    b.finish()
}

fn rootfs() -> Vec<u8> {
    files(&[
        ("bin/sh", "#!"),
        ("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
        ("usr/lib/libc.so", "elf"),
    ])
}

fn cache_order_advice(dir: &Path, image: ImageSpec) -> Vec<Value> {
    let path = dir.join(format!("{}.tar", image.tag));
    std::fs::write(&path, oci_archive_of(&[image], true)).unwrap();
    let out = run(&["advise", "--json", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "cache-order")
        .cloned()
        .collect()
}

#[test]
fn sources_copied_before_npm_ci() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs();
    let app = files(&[
        ("app/package.json", "{}"),
        ("app/package-lock.json", "{}"),
        ("app/src/index.js", "main()"),
        ("app/src/lib.js", "lib()"),
    ]);
    let deps = files(&[("app/node_modules/left-pad/index.js", "pad()")]);
    let image = ImageSpec::new(
        "bad-order",
        &[
            (&root, "ADD rootfs.tar /"),
            (&app, "COPY . /app # buildkit"),
            (&deps, "RUN /bin/sh -c npm ci # buildkit"),
        ],
    );
    let advice = cache_order_advice(dir.path(), image.clone());
    assert_eq!(advice.len(), 1, "{advice:?}");
    let a = &advice[0];
    let message = a["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "layer 1 copies application files (4 files) before layer 2 (npm) installs"
        ),
        "{message}"
    );
    assert!(
        message.contains("app/package-lock.json, app/package.json"),
        "the manifests found: {message}"
    );
    assert!(message.contains("then copy the sources"), "{message}");
    let layers: Vec<u64> = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["layer"].as_u64().unwrap())
        .collect();
    assert_eq!(
        layers,
        [1, 2, 1, 1, 1, 1],
        "the copy, the install, the files"
    );
    assert_eq!(a["evidence"][0]["command"], "COPY . /app # buildkit");
    assert_eq!(
        a["evidence"][1]["command"],
        "RUN /bin/sh -c npm ci # buildkit"
    );
    assert_eq!(
        a["evidence"][2]["path"], "app/package-lock.json",
        "manifests first"
    );
    // The text output shows it with its evidence.
    let path = dir.path().join("bad-order.tar");
    let text = run(&["advise", path.to_str().unwrap()]);
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(stdout.contains("copies application files"), "{stdout}");
    assert!(stdout.contains("`COPY . /app # buildkit`"), "{stdout}");
}

#[test]
fn a_source_tree_before_apt_get() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs();
    let app = files(&[("srv/main.py", "x"), ("srv/util.py", "y")]);
    let apt = files(&[("usr/bin/curl", "elf"), ("var/lib/dpkg/status", "s")]);
    let advice = cache_order_advice(
        dir.path(),
        ImageSpec::new(
            "apt-after",
            &[
                (&root, "ADD rootfs.tar /"),
                (&app, "/bin/sh -c #(nop) COPY dir:abc in /srv"),
                (&apt, "/bin/sh -c apt-get update && apt-get install -y curl"),
            ],
        ),
    );
    assert_eq!(advice.len(), 1);
    assert!(
        advice[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("install the system packages before copying the application files")
    );
}

#[test]
fn a_root_filesystem_layer_is_not_application_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs();
    let apt = files(&[("usr/bin/curl", "elf")]);
    let advice = cache_order_advice(
        dir.path(),
        ImageSpec::new(
            "rootfs-first",
            &[
                (&root, "/bin/sh -c #(nop) COPY dir:abc in / "),
                (&apt, "/bin/sh -c apt-get install -y curl"),
            ],
        ),
    );
    assert!(advice.is_empty(), "{advice:?}");
}

#[test]
fn manifest_first_order_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs();
    let manifests = files(&[("app/package.json", "{}"), ("app/package-lock.json", "{}")]);
    let deps = files(&[("app/node_modules/left-pad/index.js", "pad()")]);
    let sources = files(&[("app/src/index.js", "main()"), ("app/src/lib.js", "lib()")]);
    let advice = cache_order_advice(
        dir.path(),
        ImageSpec::new(
            "manifest-first",
            &[
                (&root, "ADD rootfs.tar /"),
                (
                    &manifests,
                    "COPY package.json package-lock.json /app/ # buildkit",
                ),
                (&deps, "RUN /bin/sh -c npm ci # buildkit"),
                (&sources, "COPY . /app # buildkit"),
            ],
        ),
    );
    assert!(advice.is_empty(), "{advice:?}");
}
