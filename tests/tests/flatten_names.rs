//! `flatten` writes names that are not UTF-8 back byte for byte: entry
//! names, link targets and owner names of the hostile case
//! `term_invalid_utf8` (two names differing only in invalid bytes, a link
//! to one of them, a valid U+10FF41, a whiteout of such a name) come out of
//! the flattened tar exactly as they went in, as read by the `tar` crate
//! and by GNU tar; the file written at planned offsets and the stream on
//! stdout are the same bytes.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use layerscope_tests::cli_binary;

/// What the `tar` crate reads back: name → (type byte, link target, data,
/// user name).
type Listing = BTreeMap<Vec<u8>, (u8, Option<Vec<u8>>, Vec<u8>, Vec<u8>)>;

fn read_back(tar_bytes: &[u8]) -> Listing {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path_bytes().into_owned();
        let link = entry.link_name_bytes().map(|l| l.into_owned());
        let kind = entry.header().entry_type().as_byte();
        let user = entry.header().username_bytes().unwrap_or_default().to_vec();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        assert!(
            out.insert(name.clone(), (kind, link, data, user)).is_none(),
            "{name:?} written twice"
        );
    }
    out
}

#[test]
fn flatten_writes_the_exact_name_bytes() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("hostile/cases/term_invalid_utf8.tar");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flat.tar");
    let status = Command::new(cli_binary())
        .arg("flatten")
        .arg(&case)
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let streamed = Command::new(cli_binary())
        .arg("flatten")
        .arg(&case)
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert!(streamed.status.success());
    let written = std::fs::read(&file).unwrap();
    assert!(written == streamed.stdout, "file and stream differ");

    let listing = read_back(&written);
    let get = |name: &[u8]| {
        listing
            .get(name)
            .unwrap_or_else(|| panic!("{:?} missing from {:?}", name, listing.keys()))
    };
    // Two names that differ only in invalid bytes stay two files, each with
    // its own data (layer 1 rewrote d/\xfe).
    assert_eq!(get(b"d/\xff").2, b"ff");
    assert_eq!(get(b"d/\xfe").2, b"FE");
    assert_eq!(get(b"bad\xff\xfe").2, b"1");
    // Valid UTF-8 in the escape range is itself, not an escaped byte.
    assert_eq!(get("ok\u{10ff41}".as_bytes()).2, b"u");
    let symlink = get(b"sym-bad");
    assert_eq!(symlink.0, b'2');
    assert_eq!(symlink.1.as_deref(), Some(&b"tar\xffget\x1b[2J"[..]));
    let hardlink = get(b"hard-bad");
    assert_eq!(hardlink.0, b'1');
    assert_eq!(hardlink.1.as_deref(), Some(&b"d/\xff"[..]));
    // Deleted by a whiteout whose name is not UTF-8 either.
    assert!(!listing.contains_key(&b"gone\xc3"[..]));
    assert!(!listing.keys().any(|k| k.starts_with(b".wh.")));
    // No name picked up a replacement character.
    for name in listing.keys() {
        assert!(
            !name.windows(3).any(|w| w == [0xef, 0xbf, 0xbd]),
            "{name:?} holds U+FFFD"
        );
    }

    // GNU tar reads the same names.
    let Ok(gnu) = Command::new("tar")
        .env("LC_ALL", "C")
        .args(["-t", "--quoting-style=literal", "-f"])
        .arg(&file)
        .output()
    else {
        eprintln!("note: GNU tar is not installed; the tar crate's reading is checked alone");
        return;
    };
    assert!(gnu.status.success(), "{gnu:?}");
    let mut theirs: Vec<&[u8]> = gnu
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    theirs.sort();
    let ours: Vec<&[u8]> = listing.keys().map(Vec::as_slice).collect();
    assert_eq!(theirs, ours);
}
