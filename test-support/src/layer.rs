//! Layer tars for tests: [`LayerBuilder`] (through the `tar` crate, the
//! way real tools write them), [`raw_member`] (a ustar header written byte
//! by byte, for names the `tar` crate refuses: absolute, `..`), and
//! [`gzip`].

use std::io::Write;

use tar::{EntryType, Header};

/// The mtime every built member gets (2023-11-14).
pub const MTIME: u64 = 1_700_000_000;

/// A GNU header of `kind` and data `size`: mode 0755 for directories,
/// 0644 otherwise, mtime [`MTIME`], owner 0.
pub fn header(kind: EntryType, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(MTIME);
    h
}

/// Builds one layer tar in memory.
pub struct LayerBuilder {
    tar: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        LayerBuilder {
            tar: tar::Builder::new(Vec::new()),
        }
    }

    /// Appends a member with its own header (size set from `data`).
    pub fn append(&mut self, mut header: Header, path: &str, data: &[u8]) -> &mut Self {
        header.set_size(data.len() as u64);
        self.tar
            .append_data(&mut header, path, data)
            .unwrap_or_else(|e| panic!("appending {path:?}: {e}"));
        self
    }

    /// A directory.
    pub fn dir(&mut self, path: &str) -> &mut Self {
        self.append(header(EntryType::Directory, 0), path, b"")
    }

    /// A regular file.
    pub fn file(&mut self, path: &str, data: &[u8]) -> &mut Self {
        self.append(header(EntryType::Regular, 0), path, data)
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.link(EntryType::Symlink, path, target)
    }

    /// A hard link to the earlier member `target`.
    pub fn hardlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.link(EntryType::Link, path, target)
    }

    fn link(&mut self, kind: EntryType, path: &str, target: &str) -> &mut Self {
        let mut h = header(kind, 0);
        self.tar
            .append_link(&mut h, path, target)
            .unwrap_or_else(|e| panic!("appending link {path:?}: {e}"));
        self
    }

    /// PAX records (key, value) for the next member.
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        self.tar
            .append_pax_extensions(records.iter().copied())
            .unwrap_or_else(|e| panic!("appending PAX records: {e}"));
        self
    }

    /// Bytes appended as they are (whole 512-byte blocks: hand-made
    /// members such as [`raw_member`]'s or an old-GNU sparse file).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.tar.get_mut().extend_from_slice(bytes);
        self
    }

    /// The layer tar, end-of-archive blocks included.
    pub fn finish(self) -> Vec<u8> {
        self.tar
            .into_inner()
            .unwrap_or_else(|e| panic!("finishing the layer tar: {e}"))
    }
}

/// The fields of a hand-written ustar header.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    /// The name, as is (at most 100 bytes).
    pub name: &'a str,
    /// The type flag (`b'0'` file, `b'5'` directory, `b'2'` symlink, …).
    pub kind: u8,
    /// The size field (may differ from the data that follows).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Owner id.
    pub uid: u32,
    /// The link name (at most 100 bytes).
    pub link: &'a str,
}

impl<'a> Raw<'a> {
    /// A regular file `name` of `size` bytes, mode 0644, owner 0.
    pub fn file(name: &'a str, size: u64) -> Self {
        Raw {
            name,
            kind: b'0',
            size,
            mode: 0o644,
            uid: 0,
            link: "",
        }
    }
}

/// A ustar header written byte by byte (mtime 0), checksum included.
pub fn ustar_header(raw: &Raw<'_>) -> [u8; 512] {
    let mut h = [0u8; 512];
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    assert!(raw.name.len() <= 100, "name {:?} too long", raw.name);
    assert!(raw.link.len() <= 100, "link {:?} too long", raw.link);
    put(0, raw.name.as_bytes());
    put(100, format!("{:07o}\0", raw.mode).as_bytes());
    put(108, format!("{:07o}\0", raw.uid).as_bytes());
    put(116, b"0000000\0");
    put(124, format!("{:011o}\0", raw.size).as_bytes());
    put(136, b"00000000000\0");
    put(148, b"        ");
    put(156, &[raw.kind]);
    put(157, raw.link.as_bytes());
    put(257, b"ustar\0");
    put(263, b"00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// Appends a hand-written member (its size field set from `data`) and its
/// data, padded to whole blocks.
pub fn raw_member(out: &mut Vec<u8>, raw: Raw<'_>, data: &[u8]) {
    let raw = Raw {
        size: data.len() as u64,
        ..raw
    };
    out.extend_from_slice(&ustar_header(&raw));
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// The end-of-archive marker: two zero blocks.
pub const END: [u8; 1024] = [0; 1024];

/// `data` gzip-compressed (default level).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap_or_else(|e| panic!("gzip: {e}"));
    enc.finish().unwrap_or_else(|e| panic!("gzip: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_built_members_read_back() {
        let mut raw = Vec::new();
        raw_member(
            &mut raw,
            Raw {
                link: "target",
                kind: b'2',
                ..Raw::file("../escape", 0)
            },
            b"",
        );
        let mut b = LayerBuilder::new();
        b.dir("d")
            .file("d/f", b"data")
            .symlink("d/s", "f")
            .raw(&raw);
        let tar = b.finish();
        let mut archive = tar::Archive::new(&tar[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                String::from_utf8_lossy(&e.path_bytes()).into_owned()
            })
            .collect();
        assert_eq!(names, ["d", "d/f", "d/s", "../escape"]);
    }
}
