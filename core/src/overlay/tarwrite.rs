//! A small tar writer: ustar headers plus PAX records for whatever ustar
//! cannot hold (long names and link targets, big ids, sizes and times,
//! `SCHILY.xattr.*`).
//!
//! Names arrive as [`crate::names`] encodings and are written as the exact
//! bytes they stand for. A name that is not UTF-8 goes into the ustar
//! fields when it fits (as GNU tar writes it); one that does not fit goes
//! into a PAX record, and the header then says `hdrcharset=BINARY` (POSIX:
//! the values are not UTF-8).

use std::io::{self, Write};

use crate::model::{EntryKind, Xattr};
use crate::names;

/// The header fields of one tar member.
#[derive(Debug, Clone, Default)]
pub(crate) struct Member<'a> {
    pub name: String,
    pub kind: Option<EntryKind>,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: Option<&'a str>,
    pub gname: Option<&'a str>,
    pub mtime: u64,
    pub link: Option<&'a str>,
    pub device: Option<(u32, u32)>,
    pub xattrs: &'a [Xattr],
}

const OCTAL_7: u64 = 0o7777777;
const OCTAL_11: u64 = 0o77777777777;

fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    pax_record_bytes(out, key.as_bytes(), value);
}

fn pax_record_bytes(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    // "<len> key=value\n", where len counts itself.
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    loop {
        let total = body + len.to_string().len();
        if total == len {
            break;
        }
        len = total;
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

fn put(field: &mut [u8], bytes: &[u8]) {
    for (slot, b) in field.iter_mut().zip(bytes.iter()) {
        *slot = *b;
    }
}

/// Splits a name into ustar (prefix, name) when it fits.
fn ustar_split(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    if bytes.len() <= 100 {
        return Some((&[], bytes));
    }
    // Only a `/` among the first 156 bytes can end the prefix.
    for (i, b) in bytes.iter().enumerate().take(156) {
        if *b == b'/' && i <= 155 && bytes.len() - i - 1 <= 100 && bytes.len() - i > 1 {
            return Some((bytes.get(..i)?, bytes.get(i + 1..)?));
        }
    }
    None
}

/// Whether raw bytes may go into a ustar field: ASCII, or not UTF-8 at all
/// (UTF-8 text beyond ASCII is written as a PAX record, as before).
fn ustar_ok(bytes: &[u8]) -> bool {
    bytes.is_ascii() || std::str::from_utf8(bytes).is_err()
}

fn padding(size: u64) -> usize {
    ((512 - (size % 512)) % 512) as usize
}

/// Writes one member header (and PAX header when needed). The caller
/// writes `size` data bytes and then [`pad`].
pub(crate) fn write_header<W: Write + ?Sized>(out: &mut W, m: &Member<'_>) -> io::Result<()> {
    let mut pax = Vec::new();
    let mut header = tar::Header::new_ustar();
    let kind = m.kind.unwrap_or(EntryKind::File);
    header.set_entry_type(match kind {
        EntryKind::File => tar::EntryType::Regular,
        EntryKind::Dir => tar::EntryType::Directory,
        EntryKind::Symlink => tar::EntryType::Symlink,
        EntryKind::Hardlink => tar::EntryType::Link,
        EntryKind::CharDevice => tar::EntryType::Char,
        EntryKind::BlockDevice => tar::EntryType::Block,
        EntryKind::Fifo => tar::EntryType::Fifo,
    });
    header.set_mode(m.mode & 0o7777);
    if m.uid > OCTAL_7 {
        pax_record(&mut pax, "uid", m.uid.to_string().as_bytes());
    } else {
        header.set_uid(m.uid);
    }
    if m.gid > OCTAL_7 {
        pax_record(&mut pax, "gid", m.gid.to_string().as_bytes());
    } else {
        header.set_gid(m.gid);
    }
    if m.mtime > OCTAL_11 {
        pax_record(&mut pax, "mtime", m.mtime.to_string().as_bytes());
    } else {
        header.set_mtime(m.mtime);
    }
    if m.size > OCTAL_11 {
        pax_record(&mut pax, "size", m.size.to_string().as_bytes());
        header.set_size(0);
    } else {
        header.set_size(m.size);
    }
    if let Some((major, minor)) = m.device {
        header.set_device_major(major)?;
        header.set_device_minor(minor)?;
    }
    let name = names::decode(&m.name);
    let link = m.link.map(names::decode);
    let uname = m.uname.map(names::decode);
    let gname = m.gname.map(names::decode);
    let mut binary = false;
    let mut pax_text = |pax: &mut Vec<u8>, key: &str, value: &[u8]| {
        binary |= std::str::from_utf8(value).is_err();
        pax_record(pax, key, value);
    };
    // A name longer than prefix + `/` + name (256 bytes) never fits
    // ustar: skip checking its bytes (deep trees have very long names).
    let split = if name.len() <= 256 && ustar_ok(&name) {
        ustar_split(&name)
    } else {
        None
    };
    if split.is_none() {
        pax_text(&mut pax, "path", &name);
    }
    if let Some(link) = &link {
        if link.len() > 100 || !ustar_ok(link) {
            pax_text(&mut pax, "linkpath", link);
        }
    }
    for (key, value, max) in [("uname", &uname, 32usize), ("gname", &gname, 32)] {
        if let Some(v) = value {
            if v.len() > max || !ustar_ok(v) {
                pax_text(&mut pax, key, v);
            }
        }
    }
    for x in m.xattrs {
        let mut key = b"SCHILY.xattr.".to_vec();
        key.extend_from_slice(&names::decode(&x.name));
        // The key is bytes too (a record is `<len> <key>=<value>\n`).
        binary |= std::str::from_utf8(&key).is_err();
        pax_record_bytes(&mut pax, &key, &x.value);
    }
    if binary {
        // Before the records it describes.
        let mut records = Vec::with_capacity(pax.len() + 24);
        pax_record(&mut records, "hdrcharset", b"BINARY");
        records.extend_from_slice(&pax);
        pax = records;
    }
    if let Some(ustar) = header.as_ustar_mut() {
        match split {
            Some((prefix, name)) => {
                put(&mut ustar.prefix, prefix);
                put(&mut ustar.name, name);
            }
            None => put(&mut ustar.name, truncate(&name, 100)),
        }
        if let Some(link) = &link {
            put(&mut ustar.linkname, truncate(link, 100));
        }
        if let Some(u) = &uname {
            put(&mut ustar.uname, truncate(u, 32));
        }
        if let Some(g) = &gname {
            put(&mut ustar.gname, truncate(g, 32));
        }
    }
    header.set_cksum();
    if !pax.is_empty() {
        let mut ext = tar::Header::new_ustar();
        ext.set_entry_type(tar::EntryType::XHeader);
        ext.set_mode(0o644);
        ext.set_size(pax.len() as u64);
        if let Some(ustar) = ext.as_ustar_mut() {
            // "PaxHeaders/" and the name, cut to the 100-byte field
            // (without copying a long name whole).
            let mut pax_name = b"PaxHeaders/".to_vec();
            pax_name.extend_from_slice(truncate(&name, 100 - pax_name.len()));
            put(&mut ustar.name, &pax_name);
        }
        ext.set_cksum();
        out.write_all(ext.as_bytes())?;
        out.write_all(&pax)?;
        pad(out, pax.len() as u64)?;
    }
    out.write_all(header.as_bytes())
}

fn truncate(b: &[u8], max: usize) -> &[u8] {
    b.get(..max.min(b.len())).unwrap_or(b)
}

/// Writes the zero padding after `size` data bytes.
pub(crate) fn pad<W: Write + ?Sized>(out: &mut W, size: u64) -> io::Result<()> {
    out.write_all([0u8; 512].get(..padding(size)).unwrap_or_default())
}

/// Length of the end-of-archive marker (two zero blocks).
pub(crate) const END_LEN: u64 = 1024;

/// Writes the end-of-archive marker.
pub(crate) fn finish<W: Write + ?Sized>(out: &mut W) -> io::Result<()> {
    out.write_all(&[0u8; END_LEN as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_lengths_count_themselves() {
        let mut v = Vec::new();
        pax_record(&mut v, "path", b"abcdef");
        assert_eq!(v, b"15 path=abcdef\n");
        let mut w = Vec::new();
        pax_record(&mut w, "k", &[b'x'; 95]);
        assert_eq!(w.len(), 102);
        assert!(w.starts_with(b"102 "));
    }

    #[test]
    fn long_names_round_trip() {
        let name = format!("{}/file", "d".repeat(300));
        let mut out = Vec::new();
        write_header(
            &mut out,
            &Member {
                name: name.clone(),
                size: 3,
                mode: 0o644,
                link: None,
                ..Member::default()
            },
        )
        .unwrap();
        out.extend_from_slice(b"abc");
        pad(&mut out, 3).unwrap();
        finish(&mut out).unwrap();
        let mut archive = tar::Archive::new(&out[..]);
        let entry = archive.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_str().unwrap(), name);
    }

    /// (path, link target, user name, xattrs) as bytes.
    type ReadBack = (Vec<u8>, Option<Vec<u8>>, Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

    /// Writes one member and reads it back with the `tar` crate.
    fn round_trip(m: &Member<'_>) -> ReadBack {
        let mut out = Vec::new();
        write_header(&mut out, m).unwrap();
        finish(&mut out).unwrap();
        let mut archive = tar::Archive::new(&out[..]);
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let xattrs = entry
            .pax_extensions()
            .unwrap()
            .map(|records| {
                records
                    .flatten()
                    .filter(|r| r.key_bytes().starts_with(b"SCHILY.xattr."))
                    .map(|r| (r.key_bytes()[13..].to_vec(), r.value_bytes().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        (
            entry.path_bytes().into_owned(),
            entry.link_name_bytes().map(|l| l.into_owned()),
            entry.header().username_bytes().unwrap_or_default().to_vec(),
            xattrs,
        )
    }

    #[test]
    fn names_are_written_as_their_exact_bytes() {
        let short = names::encode(b"d/caf\xe9\x1b[31m").into_owned();
        let long = names::encode(&[&b"x/"[..], &[b'd'; 150], b"/\xff\xfe"].concat()).into_owned();
        let link = names::encode(b"../t\x80rget").into_owned();
        let user = names::encode(b"us\xe9r").into_owned();
        let xattr = vec![Xattr {
            name: names::encode(b"user.\xff").into_owned(),
            value: b"v".to_vec(),
        }];
        for name in [&short, &long] {
            let (path, got_link, uname, xattrs) = round_trip(&Member {
                name: name.clone(),
                kind: Some(EntryKind::Symlink),
                link: Some(&link),
                uname: Some(&user),
                xattrs: &xattr,
                ..Member::default()
            });
            assert_eq!(path, names::decode(name).as_ref());
            assert_eq!(got_link.as_deref(), Some(&b"../t\x80rget"[..]));
            assert_eq!(uname, b"us\xe9r");
            assert_eq!(xattrs, vec![(b"user.\xff".to_vec(), b"v".to_vec())]);
        }
    }
}
