//! One layer's content scan, collected file by file: which files are
//! scanned (non-empty regular files within the size limit), what is
//! counted as skipped (too large, binary, unreadable) and how each file's
//! findings are recorded. Both ways of reading a layer use it: the first
//! pass that indexes and hashes the layer ([`index_stream`], the file
//! bytes the content hash reads are fed to the detector) and a separate
//! forward pass over an already-indexed layer ([`scan_layer`]).
//!
//! [`scan_layer`]: super::read::scan_layer

use std::io::{Read, Write};

use crate::digest::Algorithm;
use crate::error::Result;
use crate::layer::observe::FileObserver;
use crate::layer::stream::{self, StreamIndex};
use crate::limits::Limits;
use crate::model::{Entry, EntryKind, Warning};

use super::model::{LayerSecrets, SecretHit};
use super::stream::FileScan;

/// Collects one layer's [`LayerSecrets`].
#[derive(Debug)]
pub struct Collector {
    out: LayerSecrets,
    max_file_bytes: u64,
    /// The file being fed, in the first pass.
    current: Option<FileScan>,
}

impl Collector {
    /// A collector for `layer`, files over `max_file_bytes` skipped.
    pub fn new(layer: usize, max_file_bytes: u64) -> Collector {
        Collector {
            out: LayerSecrets {
                layer,
                ..LayerSecrets::default()
            },
            max_file_bytes,
            current: None,
        }
    }

    /// Whether `entry`'s content is scanned: a non-empty regular file
    /// within the size limit. A file over the limit is counted as skipped.
    pub fn wants(&mut self, entry: &Entry) -> bool {
        if entry.kind != EntryKind::File || entry.size == 0 {
            return false;
        }
        if entry.size > self.max_file_bytes {
            self.out.skipped.too_large += 1;
            self.out.skipped.largest = self.out.skipped.largest.max(entry.size);
            return false;
        }
        true
    }

    /// Records `entry`'s scan, fed with all its bytes: counted as binary,
    /// or scanned with its findings kept.
    pub fn done(&mut self, entry: &Entry, mut scan: FileScan) {
        if scan.is_binary() {
            self.out.skipped.binary += 1;
            return;
        }
        let layer = self.out.layer;
        self.out.scanned_files += 1;
        self.out.scanned_bytes += entry.size;
        let (hits, more) = scan.finish();
        self.out.more += more;
        self.out.hits.extend(hits.into_iter().map(|h| SecretHit {
            layer,
            path: entry.path.clone(),
            size: entry.size,
            line: h.line,
            redacted: h.redacted,
            note: h.note,
        }));
    }

    /// `rest` wanted files were not read: the layer could not be read to
    /// them (`why`).
    pub fn unreadable(&mut self, why: &str, rest: usize) {
        let layer = self.out.layer;
        self.out.skipped.unreadable += rest as u64;
        self.out.warnings.push(
            Warning::new(
                "secret-scan-unreadable",
                format!("layer {layer}: {rest} file(s) not scanned for secrets: {why}"),
            )
            .in_layer(layer),
        );
    }

    /// The layer's content scan.
    pub fn finish(self) -> LayerSecrets {
        self.out
    }
}

impl FileObserver for Collector {
    fn begin(&mut self, entry: &Entry) -> bool {
        let wanted = self.wants(entry);
        self.current = wanted.then(|| FileScan::new(&entry.path));
        wanted
    }

    fn data(&mut self, chunk: &[u8]) {
        if let Some(scan) = self.current.as_mut() {
            // Writing to a `FileScan` cannot fail.
            let _ = scan.write(chunk);
        }
    }

    fn end(&mut self, entry: &Entry) {
        if let Some(scan) = self.current.take() {
            self.done(entry, scan);
        }
    }
}

/// [`stream::index_stream`] that, with `max_file_bytes`, also scans every
/// regular file's content for secrets from the bytes read for its content
/// hash (one decode of the layer for both); without it, exactly
/// [`stream::index_stream`] and no content scan.
pub fn index_stream<R: Read>(
    reader: R,
    layer: usize,
    algorithm: Algorithm,
    limits: &Limits,
    max_file_bytes: Option<u64>,
) -> Result<(StreamIndex, Option<LayerSecrets>)> {
    match max_file_bytes {
        None => stream::index_stream(reader, layer, algorithm, limits).map(|s| (s, None)),
        Some(max) => {
            let mut collector = Collector::new(layer, max);
            let index =
                stream::index_stream_observed(reader, layer, algorithm, limits, &mut collector)?;
            Ok((index, Some(collector.finish())))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};

    use super::index_stream;
    use crate::digest::Algorithm;
    use crate::layer::stream;
    use crate::limits::Limits;
    use crate::model::EntryKind;
    use crate::secrets::{LayerSecrets, scan_layer};

    fn add(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, data).unwrap();
    }

    fn token(tag: &str) -> String {
        format!("ghp_{}", tag.repeat(36 / tag.len()))
    }

    /// A layer of text with secrets (one across a tar block, one across
    /// the scan window, an AWS pair), a binary file, an empty one, one
    /// over a small limit, a hard link, a directory and a whiteout.
    fn layer() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_size(0);
        b.append_data(&mut dir, "etc/", io::empty()).unwrap();
        add(
            &mut b,
            "etc/a.env",
            format!("x=1\npassword=hunter22\nT={}\n", token("Ab3x")).as_bytes(),
        );
        let mut split = vec![b'#'; 500];
        split.extend_from_slice(format!("\nT={}\n", token("Qz9k")).as_bytes());
        add(&mut b, "etc/split.sh", &split);
        let mut long = "y\n".repeat(40_000).into_bytes();
        long.extend_from_slice(format!("K={}\n", token("Lw2p")).as_bytes());
        long.extend_from_slice(&[b'z'; 70_000]);
        add(&mut b, "usr/share/long.txt", &long);
        add(
            &mut b,
            "root/.aws/credentials",
            format!(
                "[default]\naws_access_key_id = AKIA{}\naws_secret_access_key = {}\n",
                "R".repeat(16),
                "a/B+".repeat(10)
            )
            .as_bytes(),
        );
        let mut binary = vec![0u8; 16];
        binary.extend_from_slice(token("Bn4r").as_bytes());
        add(&mut b, "bin/tool", &binary);
        add(&mut b, "empty", b"");
        let mut big = "w\n".repeat(3000).into_bytes();
        big.extend_from_slice(token("Bg5t").as_bytes());
        add(&mut b, "var/big.log", &big);
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Link);
        link.set_size(0);
        b.append_link(&mut link, "etc/b.env", "etc/a.env").unwrap();
        add(&mut b, "etc/.wh.old", b"");
        b.into_inner().unwrap()
    }

    fn both(bytes: &[u8], max: u64) -> (LayerSecrets, LayerSecrets) {
        let limits = Limits::default();
        let (index, one_pass) =
            index_stream(bytes, 3, Algorithm::Sha256, &limits, Some(max)).unwrap();
        assert_eq!(
            index,
            stream::index_stream(bytes, 3, Algorithm::Sha256, &limits).unwrap(),
            "the first pass indexes as without the scan"
        );
        let owned = bytes.to_vec();
        let mut opener =
            move |_| -> io::Result<Box<dyn Read>> { Ok(Box::new(io::Cursor::new(owned.clone()))) };
        let entries = index.entries;
        assert!(entries.iter().any(|e| e.kind == EntryKind::Hardlink));
        let separate = scan_layer(&mut opener, 3, &entries, max);
        (one_pass.unwrap(), separate)
    }

    #[test]
    fn the_first_pass_finds_what_a_separate_pass_finds() {
        let bytes = layer();
        let (one, two) = both(&bytes, 8 << 20);
        assert_eq!(one, two);
        let found: Vec<(&str, u64)> = one.hits.iter().map(|h| (h.path.as_str(), h.line)).collect();
        assert_eq!(
            found,
            [
                ("etc/a.env", 2),
                ("etc/a.env", 3),
                ("etc/split.sh", 2),
                ("usr/share/long.txt", 40_001),
                ("root/.aws/credentials", 2),
                ("var/big.log", 3001),
            ]
        );
        assert!(one.hits.iter().all(|h| h.layer == 3));
        assert_eq!(one.skipped.binary, 1);
        assert_eq!(one.skipped.too_large, 0);
        assert_eq!(one.scanned_files, 5);
    }

    #[test]
    fn the_size_limit_counts_the_same_in_both() {
        let bytes = layer();
        let (one, two) = both(&bytes, 4096);
        assert_eq!(one, two);
        assert_eq!(one.skipped.too_large, 2);
        assert_eq!(one.skipped.largest, 150_043);
        assert!(one.hits.iter().all(|h| h.path != "var/big.log"));
    }

    #[test]
    fn without_a_limit_there_is_no_scan() {
        let bytes = layer();
        let (_, found) =
            index_stream(&bytes[..], 0, Algorithm::Sha256, &Limits::default(), None).unwrap();
        assert_eq!(found, None);
    }
}
