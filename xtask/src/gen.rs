//! The benchmark image generator: a deterministic, realistic, big image
//! (≥ 2 GB of layer bytes, ≥ 50,000 files in 10 layers) written as
//!
//! - `bench-data/big-docker.tar`: an uncompressed docker-archive
//!   (`manifest.json`, `<hex>.json` config, `<diff_id hex>/layer.tar`), and
//! - `bench-data/big-oci-gzip.tar`: an OCI image archive with gzip layers,
//! - `bench-data/largest-layer.tar.gz`: a copy of the largest gzip blob (the
//!   "just gunzip it" baseline),
//! - `bench-data/meta.json`: what was written (written last: its presence
//!   with the current [`GEN_VERSION`] means the data is complete).
//!
//! Everything streams: each layer's tar is produced once, hashed (diff_id)
//! and written into the docker-archive on this thread while a second thread
//! gzips the same bytes into the OCI archive. The outer archives' member
//! headers are written after their data (seek back), so the digest-named
//! members need no temporary files.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Bump when the generated data changes, so old `bench-data/` is rebuilt.
pub const GEN_VERSION: u64 = 1;

/// Seed of the whole image.
const SEED: u64 = 0x6c61_7965_7273_636f;

/// Base mtime of every entry (2023-11-14).
const EPOCH: u64 = 1_700_000_000;

/// What `ensure` produced.
#[derive(Debug, Clone)]
pub struct BenchData {
    /// The uncompressed docker-archive.
    pub docker: PathBuf,
    /// The gzip OCI archive.
    pub oci: PathBuf,
    /// A copy of the largest gzip layer blob.
    pub largest_gz: PathBuf,
    /// The contents of meta.json.
    pub meta: Value,
}

impl BenchData {
    /// Sum of the uncompressed layer sizes.
    pub fn layer_bytes(&self) -> u64 {
        self.meta["layerBytes"].as_u64().unwrap_or(0)
    }

    /// Sum of the gzip layer sizes.
    pub fn gzip_bytes(&self) -> u64 {
        self.meta["gzipBytes"].as_u64().unwrap_or(0)
    }
}

/// Generates the image into `out` unless a complete current copy is there.
pub fn ensure(out: &Path, force: bool) -> Result<BenchData> {
    let data = BenchData {
        docker: out.join("big-docker.tar"),
        oci: out.join("big-oci-gzip.tar"),
        largest_gz: out.join("largest-layer.tar.gz"),
        meta: Value::Null,
    };
    let meta_path = out.join("meta.json");
    let existing: Option<Value> = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let current = existing
        .as_ref()
        .is_some_and(|m| m["version"].as_u64() == Some(GEN_VERSION))
        && data.docker.exists()
        && data.oci.exists()
        && data.largest_gz.exists();
    let meta = match existing {
        Some(meta) if current && !force => {
            println!(
                "bench-data is present ({}); not regenerating",
                out.display()
            );
            meta
        }
        _ => {
            std::fs::create_dir_all(out)?;
            let _ = std::fs::remove_file(&meta_path);
            let meta = generate(&data)?;
            std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta)?)?;
            meta
        }
    };
    print_sizes(&data, &meta);
    Ok(BenchData { meta, ..data })
}

fn print_sizes(data: &BenchData, meta: &Value) {
    let mb = |v: &Value| v.as_u64().unwrap_or(0) as f64 / 1e6;
    println!(
        "bench image: {} layers, {} files, {} dirs, {} symlinks, {} hardlinks; layer bytes {:.0} MB, gzip {:.0} MB (ratio {:.2})",
        meta["layers"].as_array().map_or(0, Vec::len),
        meta["files"],
        meta["dirs"],
        meta["symlinks"],
        meta["hardlinks"],
        mb(&meta["layerBytes"]),
        mb(&meta["gzipBytes"]),
        meta["layerBytes"].as_f64().unwrap_or(0.0) / meta["gzipBytes"].as_f64().unwrap_or(1.0),
    );
    for path in [&data.docker, &data.oci, &data.largest_gz] {
        let size = path.metadata().map(|m| m.len()).unwrap_or(0);
        println!("  {:>8.1} MB  {}", size as f64 / 1e6, path.display());
    }
}

// ---------------------------------------------------------------- randomness

/// SplitMix64: small, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`lo` when empty).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next() % (hi - lo)
        }
    }

    /// Log-uniform in `lo..hi`: many small values, a long tail.
    fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let (a, b) = ((lo.max(1) as f64).ln(), (hi.max(2) as f64).ln());
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (a + (b - a) * unit).exp() as u64
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = self.range(0, items.len() as u64) as usize;
        items.get(i).copied().unwrap_or("x")
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.range(0, 1000) < per_mille
    }
}

const WORDS: &[&str] = &[
    "the",
    "import",
    "return",
    "self",
    "value",
    "config",
    "default",
    "error",
    "result",
    "string",
    "buffer",
    "index",
    "layer",
    "image",
    "file",
    "path",
    "name",
    "type",
    "data",
    "from",
    "with",
    "for",
    "while",
    "if",
    "else",
    "match",
    "struct",
    "class",
    "def",
    "function",
    "const",
    "let",
    "var",
    "async",
    "await",
    "yield",
    "module",
    "export",
    "package",
    "version",
    "license",
    "copyright",
    "test",
    "assert",
    "expect",
    "options",
    "handler",
    "request",
    "response",
    "client",
    "server",
    "session",
    "token",
    "user",
    "group",
    "cache",
    "memory",
    "stream",
    "reader",
    "writer",
    "parse",
    "format",
    "encode",
    "decode",
    "compress",
    "digest",
    "sha256",
    "manifest",
    "registry",
    "mount",
    "volume",
    "network",
    "socket",
    "thread",
    "worker",
    "queue",
];

const NAMES: &[&str] = &[
    "core",
    "util",
    "common",
    "base",
    "http",
    "json",
    "yaml",
    "crypto",
    "numpy",
    "pandas",
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "six",
    "attrs",
    "click",
    "jinja2",
    "markupsafe",
    "werkzeug",
    "flask",
    "react",
    "lodash",
    "express",
    "chalk",
    "debug",
    "semver",
    "glob",
    "minimatch",
    "yargs",
    "uuid",
    "openssl",
    "zlib",
    "libc",
    "perl",
    "locale",
    "terminfo",
    "zoneinfo",
    "man",
    "doc",
    "include",
    "share",
];

/// Shared byte pools the file contents are cut from, so generating 2 GB
/// costs little more than copying it.
struct Pools {
    random: Vec<u8>,
    text: Vec<u8>,
}

impl Pools {
    fn new(rng: &mut Rng) -> Pools {
        let mut random = Vec::with_capacity(8 << 20);
        while random.len() < 8 << 20 {
            random.extend_from_slice(&rng.next().to_le_bytes());
        }
        let mut text = Vec::with_capacity(4 << 20);
        let mut indent = 0u64;
        while text.len() < 4 << 20 {
            for _ in 0..indent {
                text.extend_from_slice(b"    ");
            }
            for i in 0..rng.range(3, 12) {
                if i > 0 {
                    text.push(b' ');
                }
                text.extend_from_slice(rng.pick(WORDS).as_bytes());
                if rng.chance(80) {
                    text.extend_from_slice(format!("_{}", rng.range(0, 100)).as_bytes());
                }
            }
            text.extend_from_slice(if rng.chance(300) { b":\n" } else { b"\n" });
            indent = rng.range(0, 4);
        }
        Pools { random, text }
    }
}

/// What a file's bytes look like.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Source code, configs, docs: compresses ~3-4×.
    Text,
    /// Executables and libraries: code, strings, zero padding.
    Binary,
    /// Already compressed (images, archives): incompressible.
    Random,
    /// Model weights and data sets: semi-compressible.
    Data,
}

/// Streams a file's content, cut from the pools.
struct Content<'a> {
    pools: &'a Pools,
    kind: Kind,
    rng: Rng,
    remaining: u64,
    segment: &'a [u8],
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

impl<'a> Content<'a> {
    fn new(pools: &'a Pools, kind: Kind, size: u64, seed: u64) -> Self {
        Content {
            pools,
            kind,
            rng: Rng(seed),
            remaining: size,
            segment: &[],
        }
    }

    fn next_segment(&mut self) -> &'a [u8] {
        let pools = self.pools;
        let roll = self.rng.range(0, 100);
        let (source, len): (&'a [u8], u64) = match self.kind {
            Kind::Text => (&pools.text, self.rng.range(256, 16 << 10)),
            Kind::Random => (&pools.random, 64 << 10),
            Kind::Binary if roll < 45 => (&pools.random, self.rng.range(512, 8 << 10)),
            Kind::Binary if roll < 75 => (&pools.text, self.rng.range(256, 4 << 10)),
            Kind::Binary => (&ZEROS, self.rng.range(64, 4 << 10)),
            Kind::Data if roll < 30 => (&pools.random, 64 << 10),
            Kind::Data if roll < 85 => (&pools.text, 64 << 10),
            Kind::Data => (&ZEROS, 64 << 10),
        };
        let len = len as usize;
        let start = self.rng.range(0, source.len().saturating_sub(len) as u64) as usize;
        source.get(start..start + len).unwrap_or(source)
    }
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        if self.segment.is_empty() {
            self.segment = self.next_segment();
        }
        let n = buf
            .len()
            .min(self.segment.len())
            .min(self.remaining as usize);
        let (now, later) = self.segment.split_at(n);
        buf.get_mut(..n).unwrap_or_default().copy_from_slice(now);
        self.segment = later;
        self.remaining -= n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------- layer plan

/// One layer of the image.
struct LayerSpec {
    created_by: &'static str,
    /// Where this layer's generated packages go.
    root: &'static str,
    /// Small files (64 B – 64 KiB, log-uniform, a few empty).
    small: u64,
    /// MB-sized files (1 – 8 MiB).
    medium: u64,
    /// Files of 100 MiB and more (sizes in MiB).
    big: &'static [u64],
    ext: &'static [&'static str],
    uid: u64,
}

const LAYERS: &[LayerSpec] = &[
    LayerSpec {
        created_by: "/bin/sh -c #(nop) ADD file:4b1e3f0c2a9d in / ",
        root: "usr",
        small: 9000,
        medium: 20,
        big: &[],
        ext: &["", "so.6", "conf", "gz", "h", "txt"],
        uid: 0,
    },
    LayerSpec {
        created_by: "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3 ca-certificates",
        root: "usr/lib/python3.11",
        small: 12000,
        medium: 60,
        big: &[],
        ext: &["py", "pyc", "so", "txt"],
        uid: 0,
    },
    LayerSpec {
        created_by: "/bin/sh -c pip install --no-cache-dir -r requirements.txt",
        root: "usr/local/lib/python3.11/site-packages",
        small: 14000,
        medium: 70,
        big: &[220],
        ext: &["py", "pyc", "so", "pyi", "json"],
        uid: 0,
    },
    LayerSpec {
        created_by: "COPY node_modules /app/node_modules # buildkit",
        root: "app/node_modules",
        small: 15000,
        medium: 20,
        big: &[],
        ext: &["js", "mjs", "json", "md", "d.ts", "map"],
        uid: 1000,
    },
    LayerSpec {
        created_by: "/bin/sh -c rm -rf /var/lib/apt/lists/* /var/cache/apt/pkgcache.bin /usr/share/doc/zlib",
        root: "var/lib/apt/lists",
        small: 50,
        medium: 0,
        big: &[],
        ext: &["list"],
        uid: 0,
    },
    LayerSpec {
        created_by: "COPY models/ /opt/models # buildkit",
        root: "opt/models",
        small: 20,
        medium: 10,
        big: &[350, 160],
        ext: &["json", "txt"],
        uid: 0,
    },
    LayerSpec {
        created_by: "COPY data/ /srv/data # buildkit",
        root: "srv/data",
        small: 2000,
        medium: 40,
        big: &[120],
        ext: &["csv", "json", "png", "parquet"],
        uid: 1000,
    },
    LayerSpec {
        created_by: "COPY . /app # buildkit",
        root: "app/src",
        small: 2900,
        medium: 15,
        big: &[],
        ext: &["py", "js", "html", "css", "json"],
        uid: 1000,
    },
    LayerSpec {
        created_by: "/bin/sh -c useradd -u 1000 app && chown -R app /app/data",
        root: "etc/app",
        small: 30,
        medium: 0,
        big: &[],
        ext: &["conf"],
        uid: 0,
    },
    LayerSpec {
        created_by: "/bin/sh -c rm /app/src/settings_local.py && python3 -m compileall -q /app/src/app",
        root: "app/src/app/__pycache__",
        small: 10,
        medium: 5,
        big: &[],
        ext: &["pyc"],
        uid: 1000,
    },
];

/// Counts over the whole image.
#[derive(Default)]
struct Counts {
    files: u64,
    dirs: u64,
    symlinks: u64,
    hardlinks: u64,
    whiteouts: u64,
}

/// Writes one layer's tar.
struct LayerWriter<'p, W: Write> {
    tar: tar::Builder<W>,
    pools: &'p Pools,
    rng: Rng,
    mtime: u64,
    uid: u64,
    dirs: HashSet<String>,
    counts: Counts,
}

impl<W: Write> LayerWriter<'_, W> {
    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(self.mtime);
        h.set_uid(self.uid);
        h.set_gid(self.uid);
        h
    }

    /// Emits `path` and its missing ancestors as directories.
    fn dir(&mut self, path: &str) -> io::Result<()> {
        let path = path.trim_end_matches('/');
        if path.is_empty() || self.dirs.contains(path) {
            return Ok(());
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent)?;
        }
        let mut h = self.header(tar::EntryType::Directory, 0o755, 0);
        self.tar
            .append_data(&mut h, format!("{path}/"), io::empty())?;
        self.dirs.insert(path.to_string());
        self.counts.dirs += 1;
        Ok(())
    }

    fn parent_of(path: &str) -> &str {
        path.rsplit_once('/').map_or("", |(p, _)| p)
    }

    fn file(&mut self, path: &str, kind: Kind, size: u64, mode: u32) -> io::Result<()> {
        self.dir(Self::parent_of(path))?;
        let mut h = self.header(tar::EntryType::Regular, mode, size);
        let seed = self.rng.next();
        let content = Content::new(self.pools, kind, size, seed);
        self.tar.append_data(&mut h, path, content)?;
        self.counts.files += 1;
        Ok(())
    }

    fn link(&mut self, kind: tar::EntryType, path: &str, target: &str) -> io::Result<()> {
        self.dir(Self::parent_of(path))?;
        let mut h = self.header(kind, 0o777, 0);
        self.tar.append_link(&mut h, path, target)?;
        if kind == tar::EntryType::Link {
            self.counts.hardlinks += 1;
        } else {
            self.counts.symlinks += 1;
        }
        Ok(())
    }

    fn whiteout(&mut self, dir: &str, name: &str) -> io::Result<()> {
        self.file(&format!("{dir}/.wh.{name}"), Kind::Text, 0, 0o644)?;
        self.counts.whiteouts += 1;
        Ok(())
    }

    /// Fixed entries that make the layer look like its `created_by`: the
    /// busybox hard links and symlinks, the files later layers delete, the
    /// whiteouts and the opaque directory.
    fn specials(&mut self, index: usize) -> io::Result<()> {
        match index {
            0 => {
                self.file("bin/busybox", Kind::Binary, 1_200_000, 0o755)?;
                for applet in [
                    "sh", "ls", "cat", "cp", "mv", "rm", "ln", "tar", "gzip", "vi", "wget", "sed",
                ] {
                    self.link(
                        tar::EntryType::Link,
                        &format!("bin/{applet}"),
                        "bin/busybox",
                    )?;
                }
                for i in 0..200 {
                    let name = format!("{}-{i}", self.rng.pick(NAMES));
                    self.link(
                        tar::EntryType::Symlink,
                        &format!("usr/bin/{name}"),
                        "../../bin/busybox",
                    )?;
                }
                self.link(
                    tar::EntryType::Symlink,
                    "usr/lib/libz.so.1",
                    "libz.so.1.2.13",
                )?;
                self.file("usr/lib/libz.so.1.2.13", Kind::Binary, 120_000, 0o644)?;
                self.file("var/cache/apt/pkgcache.bin", Kind::Binary, 3_000_000, 0o644)?;
                for name in [
                    "deb.debian.org_debian_dists_bookworm_InRelease",
                    "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
                ] {
                    self.file(
                        &format!("var/lib/apt/lists/{name}"),
                        Kind::Random,
                        150_000,
                        0o644,
                    )?;
                }
                self.file("etc/passwd", Kind::Text, 900, 0o644)?;
                for name in ["copyright", "changelog.Debian.gz", "README"] {
                    self.file(
                        &format!("usr/share/doc/zlib/{name}"),
                        Kind::Text,
                        4_000,
                        0o644,
                    )?;
                }
                self.dir("tmp")?;
            }
            1 => {
                self.file("usr/bin/python3.11", Kind::Binary, 6_500_000, 0o755)?;
                self.link(
                    tar::EntryType::Link,
                    "usr/bin/python3",
                    "usr/bin/python3.11",
                )?;
                self.link(tar::EntryType::Symlink, "usr/bin/python", "python3")?;
            }
            4 => {
                // The lists directory is replaced wholesale (opaque), two
                // single files and a directory are deleted (whiteouts).
                self.dir("var/lib/apt/lists")?;
                self.file("var/lib/apt/lists/.wh..wh..opq", Kind::Text, 0, 0o644)?;
                self.counts.whiteouts += 1;
                self.whiteout("var/cache/apt", "pkgcache.bin")?;
                self.whiteout("usr/share/doc", "zlib")?;
            }
            7 => self.file("app/src/settings_local.py", Kind::Text, 2_000, 0o644)?,
            8 => {
                self.file("etc/passwd", Kind::Text, 950, 0o644)?;
                self.link(tar::EntryType::Symlink, "app/data", "/srv/data")?;
            }
            9 => self.whiteout("app/src", "settings_local.py")?,
            _ => {}
        }
        Ok(())
    }

    fn generated(&mut self, spec: &LayerSpec, index: usize) -> io::Result<()> {
        let mut small_left = spec.small;
        let mut package = 0;
        while small_left > 0 {
            let pkg = format!("{}/{}-{index}.{package}", spec.root, self.rng.pick(NAMES));
            package += 1;
            for _ in 0..self.rng.range(1, 6) {
                let sub = match self.rng.range(0, 3) {
                    0 => pkg.clone(),
                    1 => format!("{pkg}/{}", self.rng.pick(NAMES)),
                    _ => format!("{pkg}/{}/{}", self.rng.pick(NAMES), self.rng.pick(WORDS)),
                };
                for f in 0..self.rng.range(3, 40).min(small_left) {
                    let ext = self.rng.pick(spec.ext);
                    let stem = format!("{sub}/{}_{f}", self.rng.pick(WORDS));
                    let path = if ext.is_empty() {
                        stem
                    } else {
                        format!("{stem}.{ext}")
                    };
                    let size = if self.rng.chance(30) {
                        0
                    } else {
                        self.rng.log_range(64, 64 << 10)
                    };
                    let kind = match ext {
                        "so" | "so.6" | "pyc" => Kind::Binary,
                        "gz" | "png" | "parquet" => Kind::Random,
                        _ => Kind::Text,
                    };
                    self.file(&path, kind, size, 0o644)?;
                    small_left -= 1;
                }
            }
        }
        for i in 0..spec.medium {
            let size = self.rng.log_range(1 << 20, 8 << 20);
            let (kind, name) = match self.rng.range(0, 4) {
                0 => (Kind::Binary, format!("lib{}-{i}.so", self.rng.pick(NAMES))),
                1 => (Kind::Random, format!("{}-{i}.tar.gz", self.rng.pick(NAMES))),
                2 => (Kind::Text, format!("{}-{i}.json", self.rng.pick(WORDS))),
                _ => (Kind::Data, format!("{}-{i}.bin", self.rng.pick(WORDS))),
            };
            self.file(&format!("{}/_large/{name}", spec.root), kind, size, 0o644)?;
        }
        for (i, mib) in spec.big.iter().enumerate() {
            let size = mib << 20;
            self.file(
                &format!("{}/weights-{mib}m-{i}.safetensors", spec.root),
                Kind::Data,
                size,
                0o644,
            )?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- writers

/// Hashes and counts everything written through it.
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The uncompressed layer stream: hashed (diff_id), written to the
/// docker-archive, and handed in 1 MiB chunks to the gzip thread.
struct LayerSink<'a, W: Write> {
    docker: HashWriter<&'a mut W>,
    chunk: Vec<u8>,
    gzip: mpsc::SyncSender<Vec<u8>>,
}

const CHUNK: usize = 1 << 20;

impl<W: Write> LayerSink<'_, W> {
    fn send(&mut self) -> io::Result<()> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.gzip
            .send(chunk)
            .map_err(|_| io::Error::other("gzip thread stopped"))
    }
}

impl<W: Write> Write for LayerSink<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.docker.write_all(buf)?;
        self.chunk.extend_from_slice(buf);
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.docker.flush()
    }
}

/// An outer tar archive whose member headers may be written after the data.
struct OuterTar {
    out: BufWriter<File>,
}

impl OuterTar {
    fn create(path: &Path) -> Result<OuterTar> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(OuterTar {
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    /// Reserves a header block; returns its offset.
    fn begin(&mut self) -> io::Result<u64> {
        let at = self.out.stream_position()?;
        self.out.write_all(&[0; 512])?;
        Ok(at)
    }

    /// Pads the data and writes the member header at `at`.
    fn end(&mut self, at: u64, name: &str, size: u64) -> io::Result<()> {
        let pad = (512 - size % 512) % 512;
        self.out
            .write_all(ZEROS.get(..pad as usize).unwrap_or_default())?;
        let end = self.out.stream_position()?;
        let mut h = tar::Header::new_ustar();
        h.set_path(name)?;
        h.set_size(size);
        h.set_mode(0o644);
        h.set_mtime(EPOCH);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        self.out.seek(SeekFrom::Start(at))?;
        self.out.write_all(h.as_bytes())?;
        self.out.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    fn append(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let at = self.begin()?;
        self.out.write_all(data)?;
        self.end(at, name, data.len() as u64)
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&[0; 1024])?;
        self.out.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// One written layer.
struct Written {
    diff_hex: String,
    size: u64,
    gz_hex: String,
    gz_size: u64,
    /// Offset of the gzip blob's data in the OCI archive.
    gz_offset: u64,
}

fn generate(data: &BenchData) -> Result<Value> {
    let started = Instant::now();
    let tmp = |p: &Path| p.with_extension("tar.partial");
    let mut docker = OuterTar::create(&tmp(&data.docker))?;
    let mut oci = OuterTar::create(&tmp(&data.oci))?;
    oci.append("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;

    let mut rng = Rng(SEED);
    let pools = Pools::new(&mut rng);
    let mut written = Vec::new();
    let mut totals = Counts::default();
    for (index, spec) in LAYERS.iter().enumerate() {
        let layer_started = Instant::now();
        let (layer, counts) = write_layer(&mut docker, &mut oci, &pools, spec, index, rng.next())?;
        println!(
            "  layer {index}: {:>6} files, {:>8.1} MB → gzip {:>8.1} MB in {:.1}s",
            counts.files,
            layer.size as f64 / 1e6,
            layer.gz_size as f64 / 1e6,
            layer_started.elapsed().as_secs_f64()
        );
        totals.files += counts.files;
        totals.dirs += counts.dirs;
        totals.symlinks += counts.symlinks;
        totals.hardlinks += counts.hardlinks;
        totals.whiteouts += counts.whiteouts;
        written.push(layer);
    }

    let config = config_json(&written);
    let config_hex = sha256_hex(&config);
    docker.append(&format!("{config_hex}.json"), &config)?;
    let manifest = serde_json::to_vec(&json!([{
        "Config": format!("{config_hex}.json"),
        "RepoTags": ["layerscope-bench/big:latest"],
        "Layers": written.iter().map(|l| format!("{}/layer.tar", l.diff_hex)).collect::<Vec<_>>(),
    }]))?;
    docker.append("manifest.json", &manifest)?;
    docker.finish()?;

    oci.append(&format!("blobs/sha256/{config_hex}"), &config)?;
    let oci_manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{config_hex}"),
            "size": config.len(),
        },
        "layers": written.iter().map(|l| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{}", l.gz_hex),
            "size": l.gz_size,
        })).collect::<Vec<_>>(),
    }))?;
    let manifest_hex = sha256_hex(&oci_manifest);
    oci.append(&format!("blobs/sha256/{manifest_hex}"), &oci_manifest)?;
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_hex}"),
            "size": oci_manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    }))?;
    oci.append("index.json", &index)?;
    oci.finish()?;
    std::fs::rename(tmp(&data.docker), &data.docker)?;
    std::fs::rename(tmp(&data.oci), &data.oci)?;

    let (largest, largest_layer) = written
        .iter()
        .enumerate()
        .max_by_key(|(_, l)| l.size)
        .context("no layers")?;
    copy_range(
        &data.oci,
        largest_layer.gz_offset,
        largest_layer.gz_size,
        &data.largest_gz,
    )?;

    let layer_bytes: u64 = written.iter().map(|l| l.size).sum();
    let gzip_bytes: u64 = written.iter().map(|l| l.gz_size).sum();
    if layer_bytes < 2_000_000_000 || totals.files < 50_000 {
        bail!(
            "generator produced only {layer_bytes} bytes in {} files",
            totals.files
        );
    }
    println!("generated in {:.1}s", started.elapsed().as_secs_f64());
    Ok(json!({
        "version": GEN_VERSION,
        "seed": SEED,
        "files": totals.files,
        "dirs": totals.dirs,
        "symlinks": totals.symlinks,
        "hardlinks": totals.hardlinks,
        "whiteouts": totals.whiteouts,
        "layerBytes": layer_bytes,
        "gzipBytes": gzip_bytes,
        "largestLayer": largest,
        "largestLayerBytes": largest_layer.size,
        "largestLayerGzipBytes": largest_layer.gz_size,
        "layers": written.iter().map(|l| json!({
            "diffId": format!("sha256:{}", l.diff_hex),
            "size": l.size,
            "gzipDigest": format!("sha256:{}", l.gz_hex),
            "gzipSize": l.gz_size,
        })).collect::<Vec<_>>(),
    }))
}

fn write_layer(
    docker: &mut OuterTar,
    oci: &mut OuterTar,
    pools: &Pools,
    spec: &LayerSpec,
    index: usize,
    seed: u64,
) -> Result<(Written, Counts)> {
    let docker_at = docker.begin()?;
    let oci_at = oci.begin()?;
    let gz_offset = oci_at + 512;
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(8);
    let oci_out = &mut oci.out;
    let (stream, gz) = std::thread::scope(|scope| -> Result<_> {
        let gzip = scope.spawn(move || -> io::Result<(String, u64)> {
            let sink = HashWriter {
                inner: oci_out,
                hasher: Sha256::new(),
                count: 0,
            };
            let mut encoder = GzEncoder::new(sink, Compression::default());
            for chunk in rx {
                encoder.write_all(&chunk)?;
            }
            let sink = encoder.finish()?;
            Ok((hex(&sink.hasher.finalize()), sink.count))
        });
        let sink = LayerSink {
            docker: HashWriter {
                inner: &mut docker.out,
                hasher: Sha256::new(),
                count: 0,
            },
            chunk: Vec::with_capacity(CHUNK),
            gzip: tx,
        };
        let mut layer = LayerWriter {
            tar: tar::Builder::new(sink),
            pools,
            rng: Rng(seed),
            mtime: EPOCH + 3600 * index as u64,
            uid: spec.uid,
            dirs: HashSet::new(),
            counts: Counts::default(),
        };
        layer.specials(index)?;
        layer.generated(spec, index)?;
        let counts = std::mem::take(&mut layer.counts);
        let mut sink = layer.tar.into_inner()?;
        sink.send()?;
        let LayerSink {
            docker, gzip: tx, ..
        } = sink;
        drop(tx);
        let gz = gzip
            .join()
            .map_err(|_| anyhow::anyhow!("gzip thread panicked"))??;
        Ok(((hex(&docker.hasher.finalize()), docker.count, counts), gz))
    })?;
    let (diff_hex, size, counts) = stream;
    let (gz_hex, gz_size) = gz;
    docker.end(docker_at, &format!("{diff_hex}/layer.tar"), size)?;
    oci.end(oci_at, &format!("blobs/sha256/{gz_hex}"), gz_size)?;
    Ok((
        Written {
            diff_hex,
            size,
            gz_hex,
            gz_size,
            gz_offset,
        },
        counts,
    ))
}

fn config_json(layers: &[Written]) -> Vec<u8> {
    let mut history: Vec<Value> = LAYERS
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            json!({
                "created": format!("2023-11-14T{:02}:13:20Z", 22 + i / 3),
                "created_by": spec.created_by,
            })
        })
        .collect();
    history.insert(
        8,
        json!({
            "created": "2023-11-15T01:13:20Z",
            "created_by": "ENV APP_ENV=production",
            "empty_layer": true,
        }),
    );
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-15T02:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "APP_ENV=production"],
            "Cmd": ["python3", "-m", "app"],
            "WorkingDir": "/app",
            "User": "app",
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| format!("sha256:{}", l.diff_hex)).collect::<Vec<_>>(),
        },
        "history": history,
    });
    serde_json::to_vec(&config).unwrap_or_default()
}

fn copy_range(from: &Path, offset: u64, len: u64, to: &Path) -> Result<()> {
    let mut src = File::open(from)?;
    src.seek(SeekFrom::Start(offset))?;
    let mut dst = BufWriter::new(File::create(to)?);
    let copied = io::copy(&mut src.take(len), &mut dst)?;
    dst.flush()?;
    if copied != len {
        bail!("{} is shorter than expected", from.display());
    }
    Ok(())
}
