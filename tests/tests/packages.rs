//! Packages per layer on generated images: each ecosystem's database as
//! every layer leaves it, upgrades, downgrades and removals across layers,
//! hostile database files (warnings, never an abort), the CLI's
//! `packages` output, and dpkg-query on the same status file.

use std::io::Cursor;
use std::process::Command;

use layerscope::Limits;
use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::model::Entry;
use layerscope::packages::{self, ChangeKind, Ecosystem, PackageReport};
use layerscope_test_support::image::docker_archive;
use layerscope_test_support::layer::LayerBuilder;
use layerscope_test_support::memory::MemoryLayers;
use layerscope_test_support::packages::{
    DIST, apk_installed, debian_image, dpkg_status, executable, go_binary, os_release,
};
use layerscope_tests::cli_binary;

/// Indexes the layer tars and runs the package scan on them.
fn scan(blobs: &[Vec<u8>], limits: &Limits, layer: Option<usize>) -> PackageReport {
    let entries: Vec<Vec<Entry>> = blobs
        .iter()
        .enumerate()
        .map(|(i, b)| {
            index_stream(Cursor::new(b), i, Algorithm::Sha256, &Limits::default())
                .unwrap()
                .entries
        })
        .collect();
    let layers: Vec<&[Entry]> = entries.iter().map(Vec::as_slice).collect();
    packages::scan(&layers, &mut MemoryLayers(blobs), limits, layer)
}

fn find<'a>(report: &'a PackageReport, eco: Ecosystem, name: &str) -> &'a packages::Package {
    report
        .packages
        .iter()
        .find(|p| p.ecosystem == eco && p.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {:#?}", report.packages))
}

#[test]
fn debian_layers_attribute_adds_upgrades_downgrades_and_removals() {
    let blobs = debian_image();
    let report = scan(&blobs, &Limits::default(), None);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    assert_eq!(report.layer, Some(4));
    let os = report.os_release.as_ref().unwrap();
    assert_eq!(
        (
            os.id.as_deref(),
            os.version_id.as_deref(),
            os.codename.as_deref()
        ),
        (Some("debian"), Some("12"), Some("bookworm"))
    );

    let bash = find(&report, Ecosystem::Deb, "bash");
    assert_eq!(bash.version, "5.2.21-2");
    assert_eq!(bash.added_layer, 0);
    assert_eq!(bash.version_layer, 1);
    assert_eq!(bash.changed_layers.len(), 1);
    assert_eq!(bash.changed_layers[0].change, ChangeKind::Upgraded);
    assert_eq!(bash.changed_layers[0].from.as_deref(), Some("5.2.15-2+b2"));
    assert_eq!(
        bash.purl,
        "pkg:deb/debian/bash@5.2.21-2?arch=amd64&distro=debian-12"
    );
    assert_eq!(bash.files, ["bin", "bin/bash"]);

    let libc = find(&report, Ecosystem::Deb, "libc6");
    let changes: Vec<_> = libc
        .changed_layers
        .iter()
        .map(|c| (c.layer, c.change))
        .collect();
    assert_eq!(
        changes,
        [(1, ChangeKind::Upgraded), (2, ChangeKind::Downgraded)]
    );
    assert_eq!(libc.files, ["lib/x86_64-linux-gnu/libc.so.6"]);
    assert_eq!(find(&report, Ecosystem::Deb, "vim").added_layer, 1);

    assert_eq!(report.removed.len(), 4, "{:#?}", report.removed);
    let curl = report.removed.iter().find(|r| r.name == "curl").unwrap();
    assert_eq!((curl.added_layer, curl.removed_layer), (0, 2));
    assert_eq!(curl.ecosystem, Ecosystem::Deb);
    let go_gone: Vec<_> = report
        .removed
        .iter()
        .filter(|r| r.ecosystem == Ecosystem::Golang)
        .map(|r| (r.name.as_str(), r.removed_layer))
        .collect();
    // The Go binary held its main module, one dependency and stdlib.
    assert_eq!(
        go_gone,
        [
            ("example.com/goapp", 4),
            ("golang.org/x/text", 4),
            ("stdlib", 4)
        ]
    );

    let six = find(&report, Ecosystem::Pypi, "six");
    assert_eq!(six.version, "1.17.0");
    assert_eq!((six.added_layer, six.version_layer), (3, 4));
    assert_eq!(six.changed_layers[0].change, ChangeKind::Upgraded);
    assert_eq!(six.purl, "pkg:pypi/six@1.17.0");
    let pad = find(&report, Ecosystem::Npm, "left-pad");
    assert_eq!(pad.changed_layers[0].change, ChangeKind::Downgraded);
    assert_eq!(
        find(&report, Ecosystem::Npm, "@scope/util").purl,
        "pkg:npm/%40scope/util@0.1.0"
    );

    let serde = find(&report, Ecosystem::Cargo, "serde");
    assert_eq!((serde.version.as_str(), serde.added_layer), ("1.0.200", 3));
    assert_eq!(serde.location, "usr/local/bin/rustapp");
    assert!(
        report.packages.iter().all(|p| p.name != "cc"),
        "build dependencies are left out"
    );
    assert!(
        report
            .packages
            .iter()
            .all(|p| p.ecosystem != Ecosystem::Golang)
    );

    let counts: Vec<_> = report
        .layer_counts
        .iter()
        .map(|c| (c.added, c.changed, c.removed))
        .collect();
    assert_eq!(
        counts,
        [(4, 0, 0), (1, 2, 0), (0, 1, 1), (8, 0, 0), (0, 2, 3)]
    );
}

#[test]
fn a_layer_view_shows_the_image_as_that_layer_leaves_it() {
    let blobs = debian_image();
    let report = scan(&blobs, &Limits::default(), Some(3));
    assert_eq!(report.layer, Some(3));
    let go: Vec<_> = report
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Golang)
        .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
        .collect();
    assert_eq!(
        go,
        [
            (
                "example.com/goapp",
                "(devel)",
                "pkg:golang/example.com/goapp@%28devel%29"
            ),
            (
                "golang.org/x/text",
                "v0.14.0",
                "pkg:golang/golang.org/x/text@v0.14.0"
            ),
            ("stdlib", "go1.22.1", "pkg:golang/stdlib@go1.22.1"),
        ]
    );
    assert_eq!(find(&report, Ecosystem::Pypi, "six").version, "1.16.0");
    assert_eq!(
        find(&report, Ecosystem::Pypi, "six").files,
        [
            format!("{DIST}/six.py"),
            format!("{DIST}/six-1.16.0.dist-info/METADATA")
        ]
    );
    let early = scan(&blobs, &Limits::default(), Some(1));
    assert_eq!(
        find(&early, Ecosystem::Deb, "curl").version,
        "7.88.1-10+deb12u5"
    );
    assert!(early.removed.is_empty());
    assert_eq!(early.layer_counts.len(), 2);
}

#[test]
fn distroless_status_d_and_apk() {
    let mut l0 = LayerBuilder::new();
    l0.file(
        "var/lib/dpkg/status.d/tzdata",
        dpkg_status(&[("tzdata", "2024a-0+deb12u1", "all")]).as_bytes(),
    )
    .file(
        "var/lib/dpkg/status.d/tzdata.md5sums",
        b"d41d8cd98f00b204e9800998ecf8427e  usr/share/zoneinfo/UTC\n",
    )
    .file(
        "var/lib/dpkg/status.d/libssl3",
        dpkg_status(&[("libssl3", "3.0.11-1~deb12u2", "amd64")]).as_bytes(),
    );
    let mut l1 = LayerBuilder::new();
    l1.file("var/lib/dpkg/status.d/.wh.libssl3", b"");
    let blobs = vec![l0.finish(), l1.finish()];
    let report = scan(&blobs, &Limits::default(), None);
    let tz = find(&report, Ecosystem::Deb, "tzdata");
    assert_eq!(tz.files, ["usr/share/zoneinfo/UTC"]);
    assert_eq!(tz.location, "var/lib/dpkg/status.d/tzdata");
    assert_eq!(report.removed.len(), 1);
    assert_eq!(report.removed[0].name, "libssl3");
    assert_eq!(report.removed[0].removed_layer, 1);

    let mut a0 = LayerBuilder::new();
    a0.file(
        "etc/os-release",
        os_release("alpine", "3.19.1", "", "Alpine Linux v3.19").as_bytes(),
    )
    .file(
        "lib/apk/db/installed",
        apk_installed(&[
            ("musl", "1.2.4_git20230717-r4", &["lib/ld-musl-x86_64.so.1"]),
            ("busybox", "1.36.1-r15", &["bin/busybox", "etc/securetty"]),
        ])
        .as_bytes(),
    );
    let mut a1 = LayerBuilder::new();
    a1.file(
        "lib/apk/db/installed",
        apk_installed(&[
            ("musl", "1.2.4_git20230717-r5", &["lib/ld-musl-x86_64.so.1"]),
            ("busybox", "1.36.1-r15", &["bin/busybox", "etc/securetty"]),
            ("curl", "8.5.0-r0", &["usr/bin/curl"]),
        ])
        .as_bytes(),
    );
    let blobs = vec![a0.finish(), a1.finish()];
    let report = scan(&blobs, &Limits::default(), None);
    let musl = find(&report, Ecosystem::Apk, "musl");
    assert_eq!(musl.changed_layers[0].change, ChangeKind::Upgraded);
    assert_eq!(
        musl.purl,
        "pkg:apk/alpine/musl@1.2.4_git20230717-r5?arch=x86_64&distro=alpine-3.19.1"
    );
    assert_eq!(
        find(&report, Ecosystem::Apk, "busybox").files,
        ["bin/busybox", "etc/securetty"]
    );
    assert_eq!(find(&report, Ecosystem::Apk, "curl").added_layer, 1);
}

#[test]
fn hostile_databases_are_warnings_naming_the_file() {
    let mut l0 = LayerBuilder::new();
    let status = dpkg_status(&[("bash", "5.2", "amd64"), ("coreutils", "9.1-1", "amd64")]);
    let cut = &status.as_bytes()[..status.len() - 60];
    l0.file("var/lib/dpkg/status", cut)
        .file(
            "lib/apk/db/installed",
            b"\xff\xfe\x00garbage\x01\x02P:\xffx\nV:1\n",
        )
        .file(
            &format!("{DIST}/big-1.0.dist-info/METADATA"),
            &vec![b'x'; 4096],
        )
        .file(
            "node_modules/broken/package.json",
            b"{\"name\": \"broken\", \"version\": ",
        )
        .file(
            "node_modules/deep/package.json",
            "[".repeat(1000).as_bytes(),
        )
        .file("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0");
    executable(&mut l0, "usr/bin/oldgo", &{
        let mut b = b"\x7fELF".to_vec();
        b.resize(64, 0);
        b.extend_from_slice(b"\xff Go buildinf:\x08\x00");
        b.resize(256, 0);
        b
    });
    let blobs = vec![l0.finish()];
    let limits = Limits {
        max_package_db_bytes: 1024,
        ..Limits::default()
    };
    let report = scan(&blobs, &limits, None);
    let bash = find(&report, Ecosystem::Deb, "bash");
    assert_eq!(bash.version, "5.2");
    let codes: Vec<_> = report
        .warnings
        .iter()
        .map(|w| format!("{} {}", w.code, w.message))
        .collect();
    let has = |code: &str, path: &str| {
        assert!(
            codes
                .iter()
                .any(|c| c.starts_with(code) && c.contains(path)),
            "{code} for {path} in {codes:#?}"
        );
    };
    has("package-db-malformed", "var/lib/dpkg/status");
    has("package-db-encoding", "lib/apk/db/installed");
    has("package-db-too-large", "big-1.0.dist-info/METADATA");
    has("package-db-malformed", "node_modules/broken/package.json");
    has("package-db-malformed", "node_modules/deep/package.json");
    has("binary-unreadable", "usr/bin/oldgo");
    assert_eq!(report.unread.len(), 1);
    assert_eq!(report.unread[0].path, "var/lib/rpm/rpmdb.sqlite");
    assert!(report.unread[0].reason.contains("not read"));
    // Messages quote no raw control bytes.
    assert!(report.warnings.iter().all(|w| !w.message.contains('\u{0}')));
}

#[test]
fn binaries_over_the_limit_are_counted_not_read() {
    let mut l0 = LayerBuilder::new();
    executable(
        &mut l0,
        "usr/bin/app",
        &go_binary("go1.21.0", "example.com/app", &[]),
    );
    let blobs = vec![l0.finish()];
    let limits = Limits {
        max_binary_bytes: 1000,
        ..Limits::default()
    };
    let report = scan(&blobs, &limits, None);
    assert!(report.packages.is_empty());
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].code, "binary-too-large");
    assert!(report.warnings[0].message.contains("--max-binary-bytes"));
    assert_eq!(scan(&blobs, &Limits::default(), None).packages.len(), 2);
}

#[test]
fn cli_packages_json_and_escaped_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    let blobs = debian_image();
    let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
    std::fs::write(&path, docker_archive(&refs)).unwrap();
    let out = Command::new(cli_binary())
        .args(["packages", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bash = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bash")
        .unwrap();
    assert_eq!(bash["ecosystem"], "deb");
    assert_eq!(bash["addedLayer"], 0);
    assert_eq!(bash["changedLayers"][0]["change"], "upgraded");
    assert_eq!(bash["changedLayers"][0]["layer"], 1);
    let curl = json["removed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "curl")
        .unwrap();
    assert_eq!(curl["removedLayer"], 2);
    assert_eq!(json["osRelease"]["codename"], "bookworm");

    let inspect = Command::new(cli_binary())
        .args(["inspect", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let json_inspect: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(json_inspect["image"]["osRelease"]["versionId"], "12");
    let text_inspect = Command::new(cli_binary())
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    let text_inspect = String::from_utf8(text_inspect.stdout).unwrap();
    assert!(
        text_inspect.contains("Distro:    Debian GNU/Linux 12 (bookworm)\n"),
        "{text_inspect}"
    );

    let layer = Command::new(cli_binary())
        .args(["packages", "--json", "--layer", "1"])
        .arg(&path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&layer.stdout).unwrap();
    assert_eq!(json["layer"], 1);
    assert!(
        json["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "curl")
    );
    let bad = Command::new(cli_binary())
        .args(["packages", "--layer", "9"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));

    // A package name carrying terminal escapes is shown escaped.
    let mut l0 = LayerBuilder::new();
    l0.file(
        "var/lib/dpkg/status",
        dpkg_status(&[("evil\u{1b}[31mred", "1.0\u{7}", "amd64")]).as_bytes(),
    );
    let evil = dir.path().join("evil.tar");
    std::fs::write(&evil, docker_archive(&[&l0.finish()])).unwrap();
    let text = Command::new(cli_binary())
        .arg("packages")
        .arg(&evil)
        .output()
        .unwrap();
    assert!(text.status.success());
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout}"
    );
    assert!(stdout.contains("evil"), "{stdout}");
}

/// The same status file through dpkg-query gives the same name, arch and
/// version set (skipped where dpkg-query is absent).
#[test]
fn dpkg_query_agrees_on_the_host_status_file() {
    let host = std::path::Path::new("/var/lib/dpkg/status");
    let have_query = Command::new("dpkg-query").arg("--version").output().is_ok();
    if !have_query || !host.exists() {
        eprintln!(
            "skipped dpkg_query_agrees_on_the_host_status_file: dpkg-query or /var/lib/dpkg/status is absent"
        );
        return;
    }
    let status = std::fs::read(host).unwrap();
    let admin = tempfile::tempdir().unwrap();
    std::fs::write(admin.path().join("status"), &status).unwrap();
    std::fs::create_dir(admin.path().join("info")).unwrap();
    std::fs::create_dir(admin.path().join("updates")).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.path().display()))
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${Architecture} ${Version}\n",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut want: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(state, _)| !matches!(*state, "not-installed" | "config-files"))
        .map(|(_, rest)| rest.to_owned())
        .collect();
    want.sort();
    let mut l0 = LayerBuilder::new();
    l0.file("var/lib/dpkg/status", &status);
    let report = scan(&[l0.finish()], &Limits::default(), None);
    let mut got: Vec<String> = report
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p.name,
                p.arch.as_deref().unwrap_or(""),
                p.version
            )
        })
        .collect();
    got.sort();
    assert!(!got.is_empty());
    assert_eq!(got, want);
}

/// A real Go binary, built at test time with the Go toolchain (skipped
/// with a message where `go` is absent): its main module and the Go
/// version come out of its build information.
#[test]
fn a_real_go_binary() {
    let Ok(version) = Command::new("go").arg("version").output() else {
        eprintln!(
            "skipped a_real_go_binary: the Go toolchain is absent (apt-get install golang-go)"
        );
        return;
    };
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let go_version = version.split_whitespace().nth(2).unwrap_or("").to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/hello\n\ngo 1.18\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
    )
    .unwrap();
    let out = Command::new("go")
        .args(["build", "-o", "hello", "."])
        .current_dir(dir.path())
        .env("GOCACHE", dir.path().join("cache"))
        .env("GOPATH", dir.path().join("gopath"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = std::fs::read(dir.path().join("hello")).unwrap();
    let mut l0 = LayerBuilder::new();
    executable(&mut l0, "usr/local/bin/hello", &binary);
    let report = scan(&[l0.finish()], &Limits::default(), None);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    let got: Vec<_> = report
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.ecosystem))
        .collect();
    assert_eq!(
        got,
        [
            ("example.com/hello", "(devel)", Ecosystem::Golang),
            ("stdlib", go_version.as_str(), Ecosystem::Golang),
        ]
    );
}
