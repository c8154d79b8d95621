//! Go binaries: the build information the Go linker writes (the
//! `.go.buildinfo` section; found by its magic, so ELF, PE and Mach-O
//! alike). Since Go 1.18 the header is followed by two length-prefixed
//! strings: the toolchain version and the module information
//! (`path`, `mod`, `dep`, `=>` replacement and `build` lines). Older
//! binaries store pointers instead, which are not followed.

use super::model::{DbContent, PackageRecord};

/// The build-info magic.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Header length (magic, pointer size, flags, padding).
const HEADER: usize = 32;
/// Flag: the strings follow the header inline (Go 1.18+).
const INLINE: u8 = 2;
/// Longest module information read.
const MAX_STRING: u64 = 16 << 20;

/// What looking for Go build information found.
#[derive(Debug, Clone, PartialEq)]
pub enum GoInfo {
    /// No build-info header.
    NotGo,
    /// A Go binary whose build information uses pointers (Go < 1.18).
    Unsupported,
    /// The modules.
    Found(DbContent),
}

/// Looks for build information in a binary's bytes.
pub fn parse(data: &[u8]) -> GoInfo {
    let mut from = 0usize;
    let mut unsupported = false;
    while let Some(at) = find(data.get(from..).unwrap_or_default(), MAGIC) {
        let start = from + at;
        from = start + 1;
        let Some(header) = data.get(start..start + HEADER) else {
            break;
        };
        let flags = header.get(15).copied().unwrap_or(0);
        if flags & INLINE == 0 {
            unsupported = true;
            continue;
        }
        let rest = data.get(start + HEADER..).unwrap_or_default();
        let Some((version, rest)) = read_string(rest) else {
            continue;
        };
        let Some((modinfo, _)) = read_string(rest) else {
            continue;
        };
        if !version.starts_with("go") && !version.starts_with("devel") {
            continue;
        }
        return GoInfo::Found(modules(&version, &modinfo));
    }
    if unsupported {
        GoInfo::Unsupported
    } else {
        GoInfo::NotGo
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = 0;
    while let Some(p) = haystack.get(i..)?.iter().position(|b| *b == first) {
        let at = i + p;
        if haystack.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// An unsigned LEB128 length, then that many bytes (as text).
fn read_string(data: &[u8]) -> Option<(String, &[u8])> {
    let mut len = 0u64;
    let mut shift = 0u32;
    let mut used = 0usize;
    loop {
        let byte = *data.get(used)?;
        used += 1;
        len |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    if len > MAX_STRING {
        return None;
    }
    let len = usize::try_from(len).ok()?;
    let bytes = data.get(used..used.checked_add(len)?)?;
    let rest = data.get(used + len..)?;
    Some((String::from_utf8_lossy(bytes).into_owned(), rest))
}

/// The packages of module information `info` built by Go `version`.
fn modules(version: &str, info: &str) -> DbContent {
    // The module information is framed by 16 sentinel bytes on each side.
    let bytes = info.as_bytes();
    let framed = bytes.len() >= 33 && bytes.get(bytes.len() - 17) == Some(&b'\n');
    let info = if framed {
        info.get(16..info.len() - 16).unwrap_or(info)
    } else {
        info
    };
    let mut main = None;
    let mut packages: Vec<PackageRecord> = Vec::new();
    for line in info.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["path", path, ..] => main = Some((*path).to_owned()),
            ["mod" | "dep", path, version, ..] => packages.push(PackageRecord {
                name: (*path).to_owned(),
                version: (*version).to_owned(),
                ..PackageRecord::default()
            }),
            ["=>", path, rest @ ..] => {
                if let Some(last) = packages.last_mut() {
                    last.name = (*path).to_owned();
                    if let Some(v) = rest.first().filter(|v| !v.is_empty()) {
                        last.version = (*v).to_owned();
                    }
                }
            }
            _ => {}
        }
    }
    packages.push(PackageRecord {
        name: "stdlib".to_owned(),
        version: version.to_owned(),
        ..PackageRecord::default()
    });
    DbContent::GoBinary {
        go_version: version.to_owned(),
        main,
        packages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(flags: u8, version: &str, info: &str) -> Vec<u8> {
        let mut out = vec![0u8; 48];
        out.extend_from_slice(MAGIC);
        out.push(8);
        out.push(flags);
        out.resize(48 + 32, 0);
        for s in [version, info] {
            let mut n = s.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                out.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
            out.extend_from_slice(s.as_bytes());
        }
        out
    }

    #[test]
    fn inline_build_info() {
        let sentinel = "0123456789abcdef";
        let info = format!(
            "{sentinel}path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
             dep\tgolang.org/x/text\tv0.14.0\th1:x=\ndep\told.example/y\tv1.0.0\th1:y=\n\
             =>\tnew.example/y\tv1.1.0\th1:z=\nbuild\t-compiler=gc\n{sentinel}"
        );
        let GoInfo::Found(DbContent::GoBinary {
            go_version,
            main,
            packages,
        }) = parse(&blob(INLINE, "go1.22.1", &info))
        else {
            panic!()
        };
        assert_eq!(go_version, "go1.22.1");
        assert_eq!(main.as_deref(), Some("example.com/app"));
        let got: Vec<_> = packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                "example.com/app@(devel)",
                "golang.org/x/text@v0.14.0",
                "new.example/y@v1.1.0",
                "stdlib@go1.22.1"
            ]
        );
    }

    #[test]
    fn old_truncated_and_absent() {
        assert_eq!(parse(&blob(0, "", "")), GoInfo::Unsupported);
        let mut cut = blob(INLINE, "go1.21.0", "path\tx\n");
        cut.truncate(cut.len() - 3);
        assert_eq!(parse(&cut), GoInfo::NotGo);
        assert_eq!(parse(b"\x7fELF no go here"), GoInfo::NotGo);
        // A length far past the end.
        let mut huge = blob(INLINE, "go1", "");
        huge.truncate(48 + 32);
        huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(parse(&huge), GoInfo::NotGo);
    }
}
