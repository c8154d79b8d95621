//! `cargo xtask <command>`: the project's tasks, in plain Rust.
//!
//! - `test`: installs what the gates need, then runs every gate (what CI runs).
//! - `deps`: only the dependency guard (drivers use no format crate).
//! - `agree`: only the cross-driver agreement test (page vs CLI on every fixture).
//! - `serve`: builds the wasm and serves `web/` on 127.0.0.1.
//! - `bench`: generates the big benchmark image and times verify, dive and gunzip.
//! - `bench-browser`: runs `web/tests/bench.mjs` (the page in headless Chromium).
//! - `gen`: only generates the benchmark image (`bench-data/`).
//! - `schemas`: fetches the SBOM JSON schemas the SBOM tests validate against.
//! - `gunzip`: decodes a gzip file with one inflate backend and prints MB/s.
//! - `differential`: the differential tests against umoci/tar/skopeo/dive.

mod bench;
mod deps;
mod differential;
mod fuzz;
mod r#gen;
mod install;
mod schemas;
mod serve;
mod shell;
mod test;
mod wasm;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::shell::{root, run_cmd};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test   [--no-install] [--keep-going]
                                     install tools, then run the gates in order (what CI runs);
                                     stops at the first failure unless --keep-going
  deps                               only the dependency guard: the drivers depend on no format
                                     crate, the core exposes none (first gate of `test`)
  agree                              only the cross-driver agreement gate: every fixture through
                                     the page's worker protocol and the CLI's --json must agree
                                     (needs web/pkg: cargo xtask wasm)
  serve  [--port N] [--no-build]     build the wasm, serve web/ on 127.0.0.1 (port 8080, or a free
                                     one when it is taken); prints http://127.0.0.1:PORT/ on stdout
  bench  [--runs N] [--no-dive]      generate bench-data/ if missing, time verify/dive/gunzip,
                                     write docs/benchmarks.md
  bench-browser [--runs N] [--only open,verify,memory] [--json FILE] [--split on|off|always|both]
                                     time the page in headless Chromium (node web/tests/bench.mjs;
                                     needs web/pkg, bench-data/, target/release/layerscope)
  gen    [--out DIR] [--force]       only generate the benchmark image
  gunzip [--backend zlib-rs|miniz] FILE
                                     inflate a gzip file to nowhere and print MB/s
  wasm                               only build web/pkg (wasm-pack release + wasm-opt)
  schemas                            only fetch the SBOM JSON schemas into target/sbom-schemas/
                                     (from the lib4sbom wheel on PyPI; part of `test`'s setup)
  fuzz   --time N [--target T]       run each cargo-fuzz target N seconds (docs/security.md)
  differential [--real] [--rebuild] [--no-install]
                                     flatten vs umoci on busybox images (tests/differential/run.sh);
                                     --real: real Debian images vs umoci, tar, skopeo, dive
                                     (real-debian.sh, docs/differential.md; not part of `test`)
";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        print!("{USAGE}");
        return Ok(());
    }
    let command = args.remove(0);
    let mut opts = Opts::new(args);
    match command.as_str() {
        "test" => {
            let install = !opts.flag("--no-install");
            let keep_going = opts.flag("--keep-going");
            opts.done()?;
            test::run(install, keep_going)
        }
        "deps" => {
            opts.done()?;
            deps::check(&root())
        }
        "agree" => {
            opts.done()?;
            test::agree_alone()
        }
        "serve" => {
            let port = opts
                .value("--port")?
                .map(|p| p.parse::<u16>())
                .transpose()?;
            let build = !opts.flag("--no-build");
            opts.done()?;
            serve::run(port.unwrap_or(serve::DEFAULT_PORT), build)
        }
        "bench" => {
            let runs = opts
                .value("--runs")?
                .map(|r| r.parse::<usize>())
                .transpose()?;
            let dive = !opts.flag("--no-dive");
            opts.done()?;
            bench::run(runs.unwrap_or(3).max(1), dive)
        }
        "bench-browser" => {
            let rest = std::mem::take(&mut opts.args);
            run_cmd(
                Command::new("node")
                    .arg(root().join("web/tests/bench.mjs"))
                    .args(rest),
            )
        }
        "gen" => {
            let out = opts.value("--out")?.map(PathBuf::from);
            let force = opts.flag("--force");
            opts.done()?;
            let out = out.unwrap_or_else(|| root().join("bench-data"));
            r#gen::ensure(&out, force).map(|_| ())
        }
        "gunzip" => {
            let backend = opts.value("--backend")?.unwrap_or_else(|| "zlib-rs".into());
            let file = opts.positional().context("gunzip needs a FILE")?;
            opts.done()?;
            bench::gunzip_command(Path::new(&file), &backend)
        }
        "wasm" => {
            opts.done()?;
            wasm::build()
        }
        "schemas" => {
            opts.done()?;
            schemas::fetch()
        }
        "fuzz" => {
            let time = opts
                .value("--time")?
                .map(|t| t.parse::<u64>())
                .transpose()?;
            let target = opts.value("--target")?;
            opts.done()?;
            fuzz::run(time.unwrap_or(60), target.as_deref())
        }
        "differential" => {
            let real = opts.flag("--real");
            let rebuild = opts.flag("--rebuild");
            let install = !opts.flag("--no-install");
            opts.done()?;
            differential::run(real, rebuild, install)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

/// A tiny argument parser: flags, `--name value` pairs and positionals.
struct Opts {
    args: Vec<String>,
}

impl Opts {
    fn new(args: Vec<String>) -> Self {
        Opts { args }
    }

    fn flag(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    fn value(&mut self, name: &str) -> Result<Option<String>> {
        let Some(i) = self.args.iter().position(|a| a == name) else {
            return Ok(None);
        };
        if i + 1 >= self.args.len() {
            bail!("{name} needs a value");
        }
        let value = self.args.remove(i + 1);
        self.args.remove(i);
        Ok(Some(value))
    }

    fn positional(&mut self) -> Option<String> {
        let i = self.args.iter().position(|a| !a.starts_with("--"))?;
        Some(self.args.remove(i))
    }

    fn done(self) -> Result<()> {
        if self.args.is_empty() {
            Ok(())
        } else {
            bail!("unexpected arguments: {}\n\n{USAGE}", self.args.join(" "))
        }
    }
}
