//! A small tar writer: ustar headers plus PAX records for whatever ustar
//! cannot hold (long names and link targets, big ids, sizes and times,
//! `SCHILY.xattr.*`).

use std::io::{self, Write};

use crate::model::{EntryKind, Xattr};

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
    out.extend_from_slice(key.as_bytes());
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
fn ustar_split(name: &str) -> Option<(&str, &str)> {
    if name.len() <= 100 {
        return Some(("", name));
    }
    let bytes = name.as_bytes();
    // Only a `/` among the first 156 bytes can end the prefix.
    for (i, b) in bytes.iter().enumerate().take(156) {
        if *b == b'/' && i <= 155 && bytes.len() - i - 1 <= 100 && bytes.len() - i > 1 {
            return Some((name.get(..i)?, name.get(i + 1..)?));
        }
    }
    None
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
    // A name longer than prefix + `/` + name (256 bytes) never fits
    // ustar: skip checking its bytes (deep trees have very long names).
    let split = if m.name.len() <= 256 && m.name.is_ascii() {
        ustar_split(&m.name)
    } else {
        None
    };
    if split.is_none() {
        pax_record(&mut pax, "path", m.name.as_bytes());
    }
    if let Some(link) = m.link {
        if link.len() > 100 || !link.is_ascii() {
            pax_record(&mut pax, "linkpath", link.as_bytes());
        }
    }
    for (key, value, max) in [("uname", m.uname, 32usize), ("gname", m.gname, 32)] {
        if let Some(v) = value {
            if v.len() > max || !v.is_ascii() {
                pax_record(&mut pax, key, v.as_bytes());
            }
        }
    }
    for x in m.xattrs {
        pax_record(&mut pax, &format!("SCHILY.xattr.{}", x.name), &x.value);
    }
    if let Some(ustar) = header.as_ustar_mut() {
        match split {
            Some((prefix, name)) => {
                put(&mut ustar.prefix, prefix.as_bytes());
                put(&mut ustar.name, name.as_bytes());
            }
            None => put(&mut ustar.name, truncate(&m.name, 100)),
        }
        if let Some(link) = m.link {
            put(&mut ustar.linkname, truncate(link, 100));
        }
        if let Some(u) = m.uname {
            put(&mut ustar.uname, truncate(u, 32));
        }
        if let Some(g) = m.gname {
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
            pax_name.extend_from_slice(truncate(&m.name, 100 - pax_name.len()));
            put(&mut ustar.name, &pax_name);
        }
        ext.set_cksum();
        out.write_all(ext.as_bytes())?;
        out.write_all(&pax)?;
        pad(out, pax.len() as u64)?;
    }
    out.write_all(header.as_bytes())
}

fn truncate(s: &str, max: usize) -> &[u8] {
    let b = s.as_bytes();
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
}
