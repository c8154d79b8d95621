//! `cargo xtask fuzz --time N [--target T]`: builds seed corpora from the
//! fixtures and the hostile corpus, then runs each cargo-fuzz target for
//! N seconds (installing cargo-fuzz when missing).
//!
//! cargo-fuzz needs nightly compiler flags (`-Zsanitizer`); the project is
//! on stable, so every run sets `RUSTC_BOOTSTRAP=1`, which lets stable rustc
//! accept them.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::shell::{output_of, root, run_cmd};

/// Every fuzz target in `fuzz/fuzz_targets`.
pub const TARGETS: [&str; 6] = [
    "open_archive",
    "scan_layer",
    "short_reads",
    "overlay",
    "flatten",
    "packages",
];

/// Seeds larger than this are left out (they slow every iteration down).
const MAX_SEED: u64 = 256 << 10;

/// Runs the given targets (all when `only` is None) for `seconds` each.
pub fn run(seconds: u64, only: Option<&str>) -> Result<()> {
    let targets: Vec<&str> = match only {
        Some(t) if TARGETS.contains(&t) => vec![t],
        Some(t) => bail!("unknown fuzz target {t:?}; targets: {}", TARGETS.join(", ")),
        None => TARGETS.to_vec(),
    };
    ensure_cargo_fuzz()?;
    let fuzz_dir = root().join("fuzz");
    let seeds = fuzz_dir.join("seeds");
    write_seeds(&seeds)?;
    for target in targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        fs::create_dir_all(&corpus)?;
        let seed_dir = seeds.join(seed_kind(target));
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&fuzz_dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["fuzz", "run", "-O", target])
            .arg(&corpus)
            .arg(&seed_dir)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
                "-timeout=30",
                "-max_len=262144",
                "-print_final_stats=1",
            ]);
        run_cmd(&mut cmd).with_context(|| format!("fuzz target {target} found a failure"))?;
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<()> {
    if output_of(Command::new("cargo").args(["fuzz", "--version"])).is_some() {
        return Ok(());
    }
    run_cmd(Command::new("cargo").args(["install", "--locked", "cargo-fuzz"]))
}

/// Which seed set a target starts from: whole images or bare layer blobs.
fn seed_kind(target: &str) -> &'static str {
    match target {
        "open_archive" => "images",
        "short_reads" => "short",
        _ => "layers",
    }
}

/// Image files that seed the corpora.
fn seed_images() -> Vec<PathBuf> {
    let root = root();
    let mut found = Vec::new();
    for dir in [
        root.join("tests/hostile/cases"),
        root.join("tests/fixtures/generated"),
        root.join("../shared/fixtures"),
    ] {
        collect(&dir, &mut found);
    }
    found.sort();
    found
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "tar")
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_SEED)
        {
            out.push(path);
        }
    }
}

/// Writes `seeds/images` (whole image tars), `seeds/layers` (layer blobs
/// found inside them) and `seeds/short` (both, behind a short-read header
/// byte) under `dir`.
fn write_seeds(dir: &Path) -> Result<()> {
    let images = dir.join("images");
    let layers = dir.join("layers");
    let short = dir.join("short");
    for d in [&images, &layers, &short] {
        let _ = fs::remove_dir_all(d);
        fs::create_dir_all(d)?;
    }
    let mut layer_count = 0usize;
    for (i, path) in seed_images().iter().enumerate() {
        let bytes = fs::read(path)?;
        let stem = format!("{i:03}");
        fs::write(images.join(&stem), &bytes)?;
        // Mode 0b0000_1011: image archive, pattern of 5 read sizes.
        let mut short_seed = vec![0b0000_1011u8, 1, 7, 200, 3, 64];
        short_seed.extend_from_slice(&bytes);
        fs::write(short.join(format!("image-{stem}")), short_seed)?;
        for (j, blob) in layer_blobs(&bytes).into_iter().enumerate() {
            fs::write(layers.join(format!("{stem}-{j}")), &blob)?;
            let mut short_seed = vec![0b0000_0110u8, 1, 13, 255];
            short_seed.extend_from_slice(&blob);
            fs::write(short.join(format!("layer-{stem}-{j}")), short_seed)?;
            layer_count += 1;
        }
    }
    println!(
        "fuzz seeds: {} images, {layer_count} layer blobs in {}",
        fs::read_dir(&images)?.count(),
        dir.display()
    );
    Ok(())
}

/// Members of an image tar that look like layer blobs (gzip, zstd or tar).
fn layer_blobs(image: &[u8]) -> Vec<Vec<u8>> {
    let mut blobs = Vec::new();
    let mut archive = tar::Archive::new(image);
    let Ok(entries) = archive.entries() else {
        return blobs;
    };
    for entry in entries {
        let Ok(mut entry) = entry else { break };
        if entry.size() > MAX_SEED || entry.size() < 512 {
            continue;
        }
        let mut data = Vec::new();
        if entry.read_to_end(&mut data).is_err() {
            break;
        }
        let gzip = data.starts_with(&[0x1f, 0x8b]);
        let zstd = data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        let plain = data.get(257..262) == Some(b"ustar");
        if gzip || zstd || plain {
            blobs.push(data);
        }
    }
    blobs
}
