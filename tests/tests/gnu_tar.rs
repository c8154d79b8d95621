//! Differential test: layerscope's entry index of every layer against GNU
//! tar's verbose listing of the same layer blob. GNU tar decompresses the
//! blob itself through the system gzip/zstd when present (an independent
//! decoder); otherwise the blob is decoded with `layerscope::layer::Decoder`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use layerscope::layer::{Decoder, LayerScan};
use layerscope::model::{Compression, Entry, EntryKind};
use layerscope_test_support::fixtures::{generated, shared, shared_present, skipped};
use layerscope_tests::{inspect_with, layer_location, read_blob, select_image};

/// One line of `tar -tv` output, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    path: String,
    kind: EntryKind,
    mode: u32,
    uid: u64,
    gid: u64,
    /// File size (None for devices, where tar prints major,minor).
    size: Option<u64>,
    mtime: u64,
    link_target: Option<String>,
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Normalizes a tar member name the way layerscope documents `Entry.path`.
fn normalize(name: &str) -> String {
    let trimmed = name.trim_start_matches('/');
    let parts: Vec<&str> = trimmed
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.join("/")
}

/// Permission string (`-rwsr-xr-x`) → kind and mode bits.
fn parse_perm(perm: &str) -> (EntryKind, u32) {
    let mut chars = perm.chars();
    let kind = match chars.next() {
        Some('-') => EntryKind::File,
        Some('d') => EntryKind::Dir,
        Some('l') => EntryKind::Symlink,
        Some('h') => EntryKind::Hardlink,
        Some('c') => EntryKind::CharDevice,
        Some('b') => EntryKind::BlockDevice,
        Some('p') => EntryKind::Fifo,
        other => panic!("unknown type letter {other:?} in {perm}"),
    };
    let rest: Vec<char> = chars.collect();
    assert_eq!(rest.len(), 9, "permission string {perm}");
    let mut mode = 0;
    for (i, c) in rest.iter().enumerate() {
        let bit = 1 << (8 - i);
        let special = match i {
            2 => 0o4000,
            5 => 0o2000,
            8 => 0o1000,
            _ => 0,
        };
        match c {
            'r' | 'w' | 'x' => mode |= bit,
            's' | 't' => mode |= bit | special,
            'S' | 'T' => mode |= special,
            '-' => {}
            other => panic!("unexpected {other:?} in {perm}"),
        }
    }
    (kind, mode)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2023-11-14` `22:13:20` (UTC) → seconds since the epoch.
fn parse_time(date: &str, time: &str) -> u64 {
    let num = |s: &str| s.parse::<i64>().unwrap_or_else(|e| panic!("{s}: {e}"));
    let d: Vec<i64> = date.split('-').map(num).collect();
    let t: Vec<i64> = time
        .split(':')
        .map(|s| num(s.split('.').next().unwrap_or(s)))
        .collect();
    let (&[y, mo, da], &[h, mi, se]) = (d.as_slice(), t.as_slice()) else {
        panic!("bad time {date} {time}")
    };
    u64::try_from(days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se).unwrap_or(0)
}

/// Parses `tar --list --verbose --numeric-owner --full-time` output.
fn parse_listing(text: &str) -> Vec<Listed> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            // Fields are separated by runs of spaces; the name is the rest.
            let mut parts: Vec<&str> = Vec::new();
            let mut rest = line;
            for _ in 0..5 {
                rest = rest.trim_start_matches(' ');
                let end = rest.find(' ').unwrap_or(rest.len());
                parts.push(rest.get(..end).unwrap_or_default());
                rest = rest.get(end..).unwrap_or_default();
            }
            let name_part = rest.strip_prefix(' ').unwrap_or(rest);
            let [perm, owner, size, date, time] = parts.as_slice() else {
                panic!("short line {line:?}")
            };
            let (kind, mode) = parse_perm(perm);
            let (uid, gid) = owner
                .split_once('/')
                .unwrap_or_else(|| panic!("owner {owner}"));
            let id = |s: &str| s.parse::<u64>().unwrap_or_else(|e| panic!("{s}: {e}"));
            let (name, link_target) = match kind {
                EntryKind::Symlink => {
                    let (n, t) = name_part
                        .split_once(" -> ")
                        .unwrap_or_else(|| panic!("{line}"));
                    (n, Some(t.to_owned()))
                }
                EntryKind::Hardlink => {
                    let (n, t) = name_part
                        .split_once(" link to ")
                        .unwrap_or_else(|| panic!("{line}"));
                    (n, Some(normalize(t)))
                }
                _ => (name_part, None),
            };
            Listed {
                path: normalize(name),
                kind,
                mode,
                uid: id(uid),
                gid: id(gid),
                size: size.parse().ok(),
                mtime: parse_time(date, time),
                link_target,
            }
        })
        .collect()
}

/// What layerscope says, in the listing's shape.
fn as_listed(entry: &Entry) -> Listed {
    Listed {
        path: entry.path.clone(),
        kind: entry.kind,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        size: match entry.kind {
            EntryKind::CharDevice | EntryKind::BlockDevice => None,
            _ => Some(entry.size),
        },
        mtime: entry.mtime,
        link_target: entry.link_target.clone(),
    }
}

/// Lists one layer blob with GNU tar.
fn gnu_listing(blob: &[u8], compression: Compression, dir: &Path) -> Vec<Listed> {
    let file = dir.join("layer");
    let mut flags: Vec<&str> = Vec::new();
    let external = match compression {
        Compression::None => true,
        Compression::Gzip => have("gzip"),
        Compression::Zstd => have("zstd"),
    };
    if external {
        std::fs::write(&file, blob).unwrap_or_else(|e| panic!("{e}"));
        match compression {
            Compression::Gzip => flags.push("--gzip"),
            Compression::Zstd => flags.push("--zstd"),
            Compression::None => {}
        }
    } else {
        eprintln!(
            "note: no system decompressor for {}; using layerscope's Decoder",
            compression.name()
        );
        let mut plain = Vec::new();
        Decoder::new(compression, blob)
            .read_to_end(&mut plain)
            .unwrap_or_else(|e| panic!("decode: {e}"));
        let mut out = std::fs::File::create(&file).unwrap_or_else(|e| panic!("{e}"));
        out.write_all(&plain).unwrap_or_else(|e| panic!("{e}"));
    }
    let output = Command::new("tar")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .args([
            "--list",
            "--verbose",
            "--numeric-owner",
            "--full-time",
            "--quoting-style=literal",
        ])
        .args(&flags)
        .arg("-f")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("running tar: {e}"));
    assert!(
        output.status.success(),
        "tar failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_listing(&String::from_utf8_lossy(&output.stdout))
}

fn compare_layer(what: &str, path: &Path, inspection: &layerscope::Inspection, scan: &LayerScan) {
    let dir = tempfile::TempDir::new().unwrap_or_else(|e| panic!("{e}"));
    let blob =
        read_blob(path, layer_location(inspection, scan.index)).unwrap_or_else(|e| panic!("{e}"));
    let theirs = gnu_listing(&blob, scan.compression, dir.path());
    let ours: Vec<Listed> = scan.entries.iter().map(as_listed).collect();
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what} layer {}: entry count",
        scan.index
    );
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "{what} layer {} entry {i}", scan.index);
    }
}

#[test]
fn entry_index_matches_gnu_tar() {
    if !have("tar") {
        skipped("entry_index_matches_gnu_tar", "GNU tar is not installed");
        return;
    }
    let mut cases: Vec<(&str, std::path::PathBuf, Option<&str>)> = vec![
        ("multistep docker", generated("multistep.docker.tar"), None),
        ("multistep zstd", generated("multistep.oci-zstd.tar"), None),
        (
            "two-images umoci",
            generated("two-images.oci.tar"),
            Some("umoci"),
        ),
        ("opaque", generated("opaque.oci-gzip.tar"), None),
    ];
    let mut expected_layers = 4 + 4 + 5 + 3;
    if shared_present("the shared-fixture images of entry_index_matches_gnu_tar") {
        cases.extend([
            ("dive docker", shared("dive/test-docker-image.tar"), None),
            ("dive kaniko", shared("dive/test-kaniko-image.tar"), None),
            ("dive zstd", shared("dive/test-oci-zstd-image.tar"), None),
            (
                "dive estargz",
                shared("dive/test-oci-estargz-image.tar"),
                None,
            ),
            (
                "ggcr whiteout_dir",
                shared("go-containerregistry/mutate-whiteout_dir.tar"),
                None,
            ),
            (
                "ggcr overwritten_file",
                shared("go-containerregistry/mutate-overwritten_file.tar"),
                None,
            ),
            (
                "ggcr hello-world-v25",
                shared("go-containerregistry/tarball-hello-world-v25.tar"),
                None,
            ),
        ]);
        expected_layers += 14 + 14 + 1 + 1 + 4 + 3 + 1;
    }
    let mut layers = 0;
    for (what, path, selector) in cases {
        let options = selector.map(select_image).unwrap_or_default();
        let inspection = inspect_with(&path, &options);
        for scan in inspection.scans.iter().flatten() {
            compare_layer(what, &path, &inspection, scan);
            layers += 1;
        }
    }
    assert_eq!(layers, expected_layers);
}

#[test]
fn listing_parser_reads_gnu_tar_lines() {
    let text = "hrwsr-sr-t 0/0               0 2023-11-14 22:13:20 app/linked b link to app/linked a\n\
                lrwxrwxrwx 1000/1000       0 1970-01-01 00:00:00 ./x -> ../y\n\
                crw-rw-rw- 0/0             1,3 2000-02-29 12:00:00 dev/null\n\
                drwxr-xr-x 0/0               0 2023-11-14 22:13:20 ./\n";
    let listed = parse_listing(text);
    assert_eq!(listed.len(), 4);
    let first = listed.first().cloned();
    assert_eq!(
        first.as_ref().map(|l| (l.kind, l.mode)),
        Some((EntryKind::Hardlink, 0o7755))
    );
    assert_eq!(
        first.as_ref().map(|l| l.path.as_str()),
        Some("app/linked b")
    );
    assert_eq!(
        first.and_then(|l| l.link_target),
        Some("app/linked a".to_owned())
    );
    assert_eq!(
        listed.get(1).map(|l| (l.path.as_str(), l.uid, l.mtime)),
        Some(("x", 1000, 0))
    );
    assert_eq!(
        listed.get(1).and_then(|l| l.link_target.clone()),
        Some("../y".to_owned())
    );
    assert_eq!(
        listed.get(2).map(|l| (l.kind, l.size, l.mtime)),
        Some((EntryKind::CharDevice, None, 951_825_600))
    );
    assert_eq!(listed.get(3).map(|l| l.path.as_str()), Some(""));
    assert_eq!(listed.first().map(|l| l.mtime), Some(1_700_000_000));
}
