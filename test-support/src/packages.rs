//! Package database files for tests, written the way the real tools lay
//! them out: a dpkg `status` file and `info/*.list` lists, an apk
//! `installed` file, Python `METADATA`/`RECORD`, a `package.json`,
//! os-release, a Go binary's build-information blob and a minimal ELF
//! file with a cargo-auditable `.dep-v0` section.

use std::io::Write;

use tar::EntryType;

use crate::layer::{LayerBuilder, header};

/// A dpkg `status` file listing `(name, version, arch)` as installed.
pub fn dpkg_status(packages: &[(&str, &str, &str)]) -> String {
    packages
        .iter()
        .map(|(name, version, arch)| {
            format!(
                "Package: {name}\nStatus: install ok installed\nPriority: optional\n\
                 Architecture: {arch}\nVersion: {version}\nDescription: {name}\n a test package\n"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A dpkg file list (`info/NAME.list`): `/.` then each path, absolute.
pub fn dpkg_list(files: &[&str]) -> String {
    let mut out = String::from("/.\n");
    for f in files {
        out.push('/');
        out.push_str(f);
        out.push('\n');
    }
    out
}

/// An apk `installed` file: `(name, version, files)` with `F:`/`R:` lines.
pub fn apk_installed(packages: &[(&str, &str, &[&str])]) -> String {
    let mut out = String::new();
    for (name, version, files) in packages {
        out.push_str(&format!("C:Q1x=\nP:{name}\nV:{version}\nA:x86_64\nL:MIT\n"));
        let mut dir = None;
        for f in *files {
            let (d, n) = f.rsplit_once('/').unwrap_or(("", f));
            if dir != Some(d) {
                out.push_str(&format!("F:{d}\n"));
                dir = Some(d);
            }
            out.push_str(&format!("R:{n}\n"));
        }
        out.push('\n');
    }
    out
}

/// Python core metadata.
pub fn python_metadata(name: &str, version: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n\nA description.\n"
    )
}

/// A `package.json`.
pub fn package_json(name: &str, version: &str) -> String {
    format!("{{\"name\": \"{name}\", \"version\": \"{version}\", \"license\": \"MIT\"}}")
}

/// An os-release file.
pub fn os_release(id: &str, version_id: &str, codename: &str, pretty: &str) -> String {
    format!(
        "PRETTY_NAME=\"{pretty}\"\nNAME=\"{pretty}\"\nVERSION_ID=\"{version_id}\"\n\
         VERSION_CODENAME={codename}\nID={id}\n"
    )
}

fn uvarint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A fake Go executable: an ELF magic, padding, then the Go 1.18+ build
/// information (`main` module path, `deps` as `(path, version)`), framed
/// as the Go linker frames it.
pub fn go_binary(go_version: &str, main: &str, deps: &[(&str, &str)]) -> Vec<u8> {
    let mut out = b"\x7fELF\x02\x01\x01".to_vec();
    out.resize(4096, 0);
    out.extend_from_slice(b"\xff Go buildinf:");
    out.push(8);
    out.push(2);
    out.resize(4096 + 32, 0);
    let sentinel = "0123456789abcdef";
    let mut info = format!("{sentinel}path\t{main}\nmod\t{main}\t(devel)\t\n");
    for (path, version) in deps {
        info.push_str(&format!("dep\t{path}\t{version}\th1:x=\n"));
    }
    info.push_str(&format!("build\t-compiler=gc\n{sentinel}"));
    for s in [go_version, info.as_str()] {
        uvarint(&mut out, s.len());
        out.extend_from_slice(s.as_bytes());
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A minimal ELF64 file whose `.dep-v0` section holds cargo-auditable's
/// zlib-compressed JSON for `crates` (`(name, version, kind)`).
pub fn auditable_binary(crates: &[(&str, &str, &str)]) -> Vec<u8> {
    let packages: Vec<serde_json::Value> = crates
        .iter()
        .enumerate()
        .map(|(i, (name, version, kind))| {
            serde_json::json!({"name": name, "version": version, "source": "crates.io",
                               "kind": kind, "root": i == 0})
        })
        .collect();
    let json = serde_json::to_vec(&serde_json::json!({ "packages": packages }))
        .unwrap_or_else(|e| panic!("json: {e}"));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&json).unwrap_or_else(|e| panic!("zlib: {e}"));
    let data = z.finish().unwrap_or_else(|e| panic!("zlib: {e}"));
    let strtab = b"\0.dep-v0\0.shstrtab\0";
    let data_off = 64u64;
    let str_off = data_off + data.len() as u64;
    let sh_off = (str_off + strtab.len() as u64).div_ceil(8) * 8;
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&62u16.to_le_bytes()); // x86-64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // entry
    out.extend_from_slice(&0u64.to_le_bytes()); // phoff
    out.extend_from_slice(&sh_off.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // flags
    for v in [64u16, 56, 0, 64, 3, 2] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&data);
    out.extend_from_slice(strtab);
    out.resize(usize::try_from(sh_off).unwrap_or(0), 0);
    let section = |out: &mut Vec<u8>, name: u32, kind: u32, off: u64, size: u64| {
        out.extend_from_slice(&name.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // flags
        out.extend_from_slice(&0u64.to_le_bytes()); // addr
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&1u64.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
    };
    section(&mut out, 0, 0, 0, 0);
    section(&mut out, 1, 1, data_off, data.len() as u64);
    section(&mut out, 9, 3, str_off, strtab.len() as u64);
    out
}

/// Adds an executable file (mode 0755) to a layer.
pub fn executable<'b>(
    layer: &'b mut LayerBuilder,
    path: &str,
    data: &[u8],
) -> &'b mut LayerBuilder {
    let mut h = header(EntryType::Regular, 0);
    h.set_mode(0o755);
    layer.append(h, path, data)
}

/// The Python install directory of [`debian_image`].
pub const DIST: &str = "usr/lib/python3/dist-packages";

/// A sample image's layer tars. Layers: 0 a Debian base; 1 upgrades bash and libc6, adds vim; 2
/// downgrades libc6 and removes curl; 3 adds Python, npm, Go and cargo
/// packages; 4 upgrades six (a new dist-info, the old one whited out),
/// downgrades left-pad, removes the Go binary.
pub fn debian_image() -> Vec<Vec<u8>> {
    let mut l0 = LayerBuilder::new();
    l0.file(
        "etc/os-release",
        os_release("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)").as_bytes(),
    )
    .file(
        "var/lib/dpkg/status",
        dpkg_status(&[
            ("base-files", "12.4+deb12u5", "amd64"),
            ("bash", "5.2.15-2+b2", "amd64"),
            ("libc6", "2.36-9+deb12u4", "amd64"),
            ("curl", "7.88.1-10+deb12u5", "amd64"),
        ])
        .as_bytes(),
    )
    .file(
        "var/lib/dpkg/info/bash.list",
        dpkg_list(&["bin", "bin/bash"]).as_bytes(),
    )
    .file(
        "var/lib/dpkg/info/libc6:amd64.list",
        dpkg_list(&["lib/x86_64-linux-gnu/libc.so.6"]).as_bytes(),
    );
    let mut l1 = LayerBuilder::new();
    l1.file(
        "var/lib/dpkg/status",
        dpkg_status(&[
            ("base-files", "12.4+deb12u5", "amd64"),
            ("bash", "5.2.21-2", "amd64"),
            ("libc6", "2.36-9+deb12u10", "amd64"),
            ("curl", "7.88.1-10+deb12u5", "amd64"),
            ("vim", "2:9.0.1378-2", "amd64"),
        ])
        .as_bytes(),
    );
    let mut l2 = LayerBuilder::new();
    l2.file(
        "var/lib/dpkg/status",
        dpkg_status(&[
            ("base-files", "12.4+deb12u5", "amd64"),
            ("bash", "5.2.21-2", "amd64"),
            ("libc6", "2.36-9+deb12u4", "amd64"),
            ("vim", "2:9.0.1378-2", "amd64"),
        ])
        .as_bytes(),
    );
    let mut l3 = LayerBuilder::new();
    l3.file(
        &format!("{DIST}/six-1.16.0.dist-info/METADATA"),
        python_metadata("six", "1.16.0").as_bytes(),
    )
    .file(
        &format!("{DIST}/six-1.16.0.dist-info/RECORD"),
        b"six.py,sha256=x,1\nsix-1.16.0.dist-info/METADATA,,\n",
    )
    .file(
        "app/node_modules/left-pad/package.json",
        package_json("left-pad", "1.3.0").as_bytes(),
    )
    .file(
        "app/node_modules/@scope/util/package.json",
        package_json("@scope/util", "0.1.0").as_bytes(),
    );
    executable(
        &mut l3,
        "usr/local/bin/goapp",
        &go_binary(
            "go1.22.1",
            "example.com/goapp",
            &[("golang.org/x/text", "v0.14.0")],
        ),
    );
    executable(
        &mut l3,
        "usr/local/bin/rustapp",
        &auditable_binary(&[
            ("rustapp", "0.1.0", "runtime"),
            ("serde", "1.0.200", "runtime"),
            ("cc", "1.0.0", "build"),
        ]),
    );
    executable(
        &mut l3,
        "usr/local/bin/script",
        b"#!/bin/sh\necho this is no binary at all, just text\n",
    );
    let mut l4 = LayerBuilder::new();
    l4.file(&format!("{DIST}/.wh.six-1.16.0.dist-info"), b"")
        .file(
            &format!("{DIST}/six-1.17.0.dist-info/METADATA"),
            python_metadata("six", "1.17.0").as_bytes(),
        )
        .file(
            "app/node_modules/left-pad/package.json",
            package_json("left-pad", "1.2.0").as_bytes(),
        )
        .file("usr/local/bin/.wh.goapp", b"");
    [l0, l1, l2, l3, l4]
        .into_iter()
        .map(LayerBuilder::finish)
        .collect()
}
