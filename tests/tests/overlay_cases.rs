//! Data-driven overlay cases (`tests/overlay-cases/*.case`, format in its
//! README): each layer becomes a real tar, is scanned by the core, merged,
//! flattened, and both views are checked against the expectations.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;

use layerscope::Limits;
use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::model::{Entry, EntryKind};
use layerscope::overlay::Overlay;
use layerscope_test_support::layer::{END, Raw, raw_member};
use layerscope_test_support::memory::MemoryLayers;
use layerscope_test_support::squash::check_squash;

/// A hand-written member (any name goes) of mode `mode`, owner `uid`.
fn tar_member(
    out: &mut Vec<u8>,
    name: &str,
    kind: u8,
    mode: u32,
    uid: u32,
    link: &str,
    data: &[u8],
) {
    let raw = Raw {
        kind,
        mode,
        uid,
        link,
        ..Raw::file(name, 0)
    };
    raw_member(out, raw, data);
}

#[derive(Debug, Default)]
struct Case {
    layers: Vec<Vec<u8>>,
    expect: Vec<String>,
}

fn attr<'a>(words: &[&'a str], key: &str) -> Option<&'a str> {
    words
        .iter()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn content(line: &str) -> Option<&str> {
    line.find("content=").map(|i| &line[i + "content=".len()..])
}

fn parse(text: &str) -> Case {
    let mut case = Case::default();
    let mut in_expect = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line == "layer" {
            case.layers.push(Vec::new());
            continue;
        }
        if line == "expect" {
            in_expect = true;
            continue;
        }
        if in_expect {
            case.expect.push(line.to_owned());
            continue;
        }
        let layer = case.layers.last_mut().expect("a layer line first");
        let words: Vec<&str> = line.split_whitespace().collect();
        let mode = attr(&words, "mode").map(|m| u32::from_str_radix(m, 8).unwrap());
        let uid = attr(&words, "uid").map_or(0, |u| u.parse().unwrap());
        match words[0] {
            "file" => tar_member(
                layer,
                words[1],
                b'0',
                mode.unwrap_or(0o644),
                uid,
                "",
                content(line).unwrap_or("").as_bytes(),
            ),
            "dir" => tar_member(
                layer,
                &format!("{}/", words[1]),
                b'5',
                mode.unwrap_or(0o755),
                uid,
                "",
                b"",
            ),
            "symlink" => tar_member(layer, words[1], b'2', 0o777, uid, words[3], b""),
            "hardlink" => tar_member(layer, words[1], b'1', 0o644, uid, words[3], b""),
            "whiteout" => {
                let (dir, name) = words[1].rsplit_once('/').unwrap_or(("", words[1]));
                let path = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                tar_member(layer, &path, b'0', 0o644, 0, "", b"");
            }
            "opaque" => tar_member(
                layer,
                &format!("{}/.wh..wh..opq", words[1]),
                b'0',
                0o644,
                0,
                "",
                b"",
            ),
            "raw" => tar_member(layer, words[1], b'0', 0o644, 0, "", b""),
            other => panic!("unknown layer line {other:?}"),
        }
    }
    for layer in &mut case.layers {
        layer.extend_from_slice(&END);
    }
    case
}

/// What the flattened tar holds per path: kind, mode, content, link target.
#[derive(Debug)]
struct Flat {
    kind: EntryKind,
    mode: u32,
    data: Vec<u8>,
    link: Option<String>,
}

fn read_flat(tar_bytes: &[u8]) -> BTreeMap<String, Flat> {
    let scanned = index_stream(
        Cursor::new(tar_bytes),
        0,
        Algorithm::Sha256,
        &Limits::default(),
    )
    .unwrap();
    let mut out = BTreeMap::new();
    for e in &scanned.entries {
        assert!(
            e.whiteout.is_none(),
            "flatten wrote a whiteout {:?}",
            e.path
        );
        assert!(
            !out.contains_key(&e.path),
            "flatten wrote {:?} twice",
            e.path
        );
        let start = usize::try_from(e.data_offset).unwrap();
        let data = tar_bytes[start..start + usize::try_from(e.size).unwrap()].to_vec();
        // Parents before children.
        let mut p = e.path.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            assert!(
                out.contains_key(parent),
                "{:?} written before its parent",
                e.path
            );
            p = parent;
        }
        if e.kind == EntryKind::Hardlink {
            let target = e.link_target.clone().unwrap();
            assert!(
                out.contains_key(&target),
                "hard link {:?} before its target",
                e.path
            );
        }
        out.insert(
            e.path.clone(),
            Flat {
                kind: e.kind,
                mode: e.mode,
                data,
                link: e.link_target.clone(),
            },
        );
    }
    out
}

fn resolve_flat<'a>(flat: &'a BTreeMap<String, Flat>, path: &str) -> Option<&'a Flat> {
    let f = flat.get(path)?;
    if f.kind == EntryKind::Hardlink {
        return flat.get(f.link.as_deref()?);
    }
    Some(f)
}

/// `flatten --layers A..B`: the squashed tar applied on top of layers
/// `0..A` gives the same tree as layers `0..=B` (deletions travel as
/// whiteouts), for every range with `A > 0`.
fn check_squashes(file: &Path, layer_tars: &[Vec<u8>], layers: &[&[Entry]]) -> Result<(), String> {
    for first in 1..layers.len() {
        for last in first..layers.len() {
            check_squash(layers, &mut MemoryLayers(layer_tars), first, last)
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
    }
    Ok(())
}

fn run_case(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).unwrap();
    let case = parse(&text);
    let mut scans = Vec::new();
    let mut warnings = Vec::new();
    for (i, bytes) in case.layers.iter().enumerate() {
        let s = index_stream(
            Cursor::new(bytes.as_slice()),
            i,
            Algorithm::Sha256,
            &Limits::default(),
        )
        .map_err(|e| format!("scan layer {i}: {e}"))?;
        warnings.extend(s.warnings.iter().map(|w| w.code.clone()));
        scans.push(s.entries);
    }
    let layers: Vec<&[Entry]> = scans.iter().map(Vec::as_slice).collect();
    check_squashes(file, &case.layers, &layers)?;
    let overlay = Overlay::new(&layers);
    warnings.extend(overlay.warnings().iter().map(|w| w.code.clone()));
    let merged: BTreeMap<String, _> = overlay
        .entries()
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    let mut tar = Vec::new();
    overlay
        .export(&mut MemoryLayers(&case.layers), &mut tar)
        .map_err(|e| format!("flatten: {e}"))?;
    let flat = read_flat(&tar);
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut exact = false;
    for line in &case.expect {
        let words: Vec<&str> = line.split_whitespace().collect();
        let path = words.get(1).copied().unwrap_or("");
        let fail = |what: String| Err(format!("{}: `{line}`: {what}", file.display()));
        match words[0] {
            "exact" => exact = true,
            "warning" => {
                if !warnings.iter().any(|w| w == path) {
                    return fail(format!("no such warning; got {warnings:?}"));
                }
            }
            "absent" => {
                if merged.contains_key(path) || flat.contains_key(path) {
                    return fail("present".into());
                }
            }
            "same-inode" => {
                let groups: Vec<_> = words[1..]
                    .iter()
                    .map(|p| merged.get(*p).and_then(|m| m.hardlink_group))
                    .collect();
                if groups.iter().any(Option::is_none) || groups.windows(2).any(|w| w[0] != w[1]) {
                    return fail(format!("hard-link groups {groups:?}"));
                }
                let links = words[1..]
                    .iter()
                    .filter(|p| flat.get(**p).is_some_and(|f| f.kind == EntryKind::Hardlink))
                    .count();
                if links != words.len() - 2 {
                    return fail(format!("{links} hard-link members in the flattened tar"));
                }
                listed.extend(words[1..].iter().map(|p| (*p).to_owned()));
            }
            kind @ ("file" | "dir" | "symlink") => {
                listed.insert(path.to_owned());
                let Some(m) = merged.get(path) else {
                    return fail("missing from merged tree".into());
                };
                let Some(f) = resolve_flat(&flat, path) else {
                    return fail("missing from flattened tar".into());
                };
                let want = match kind {
                    "file" => EntryKind::File,
                    "dir" => EntryKind::Dir,
                    _ => EntryKind::Symlink,
                };
                if m.kind != want || f.kind != want {
                    return fail(format!("kind merged {:?} flat {:?}", m.kind, f.kind));
                }
                if let Some(mode) = attr(&words, "mode") {
                    let mode = u32::from_str_radix(mode, 8).unwrap();
                    if m.mode != mode || f.mode != mode {
                        return fail(format!("mode merged {:o} flat {:o}", m.mode, f.mode));
                    }
                }
                if let Some(text) = content(line) {
                    if f.data != text.as_bytes() {
                        return fail(format!(
                            "flattened content {:?}",
                            String::from_utf8_lossy(&f.data)
                        ));
                    }
                    let mut cat = Vec::new();
                    overlay
                        .cat(path, &mut MemoryLayers(&case.layers), &mut cat)
                        .map_err(|e| format!("cat {path}: {e}"))?;
                    if cat != text.as_bytes() {
                        return fail(format!("cat gives {:?}", String::from_utf8_lossy(&cat)));
                    }
                }
                if kind == "symlink"
                    && (m.link_target.as_deref() != Some(words[3])
                        || f.link.as_deref() != Some(words[3]))
                {
                    return fail(format!("link merged {:?} flat {:?}", m.link_target, f.link));
                }
            }
            other => panic!("unknown expect line {other:?}"),
        }
    }
    if exact {
        let mut allowed = listed.clone();
        for p in &listed {
            let mut q = p.as_str();
            while let Some((parent, _)) = q.rsplit_once('/') {
                allowed.insert(parent.to_owned());
                q = parent;
            }
        }
        allowed.insert(String::new());
        for path in merged.keys().chain(flat.keys()) {
            if !allowed.contains(path) {
                return Err(format!("{}: unexpected path {path:?}", file.display()));
            }
        }
    }
    Ok(())
}

#[test]
fn overlay_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("overlay-cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "cases missing");
    let failures: Vec<String> = files.iter().filter_map(|f| run_case(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
