//! `cargo xtask test`: the gates CI runs, in order, failing fast (unless
//! `--keep-going`). Each gate prints a banner; the run ends with a timing
//! table and one closing line, `xtask: N passed, N failed, N skipped`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};

use crate::install;
use crate::shell::{find_on_path, root, run_cmd};

/// How a gate ended.
enum Outcome {
    Passed,
    Skipped(String),
    Failed(anyhow::Error),
}

/// What a gate body returns: Ok(None) passed, Ok(Some(reason)) skipped.
type GateResult = Result<Option<String>>;

struct Run {
    rows: Vec<(String, Duration, Outcome)>,
    /// Run the later gates even after one failed (`--keep-going`).
    keep_going: bool,
}

impl Run {
    /// Runs one gate unless an earlier one failed.
    fn gate(&mut self, name: &str, body: impl FnOnce() -> GateResult) {
        if self.failed() && !self.keep_going {
            return;
        }
        println!(
            "\n==== xtask: {name} {}",
            "=".repeat(60usize.saturating_sub(name.len()))
        );
        let start = Instant::now();
        let outcome = match body() {
            Ok(None) => Outcome::Passed,
            Ok(Some(reason)) => {
                println!("skipped: {reason}");
                Outcome::Skipped(reason)
            }
            Err(e) => {
                println!("FAILED: {name}: {e:#}");
                Outcome::Failed(e)
            }
        };
        self.rows.push((name.to_string(), start.elapsed(), outcome));
    }

    fn failed(&self) -> bool {
        self.rows
            .iter()
            .any(|(_, _, o)| matches!(o, Outcome::Failed(_)))
    }

    fn summary(&self, total: Duration) -> String {
        let mut out = String::from("\n==== xtask: summary\n");
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for (name, took, outcome) in &self.rows {
            let status = match outcome {
                Outcome::Passed => {
                    passed += 1;
                    "ok".to_string()
                }
                Outcome::Skipped(reason) => {
                    skipped += 1;
                    format!("skipped ({reason})")
                }
                Outcome::Failed(e) => {
                    failed += 1;
                    format!("FAILED ({})", first_line(e))
                }
            };
            out.push_str(&format!(
                "  {name:<14} {:>7.1}s  {status}\n",
                took.as_secs_f64()
            ));
        }
        out.push_str(&format!(
            "  {:<14} {:>7.1}s\n",
            "total",
            total.as_secs_f64()
        ));
        out.push_str(&format!(
            "xtask: {passed} passed, {failed} failed, {skipped} skipped"
        ));
        out
    }
}

fn first_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs every gate; Err when any failed.
pub fn run(install_tools: bool, keep_going: bool) -> Result<()> {
    let started = Instant::now();
    let since = SystemTime::now();
    let root = root();
    let browser_tmp = std::env::temp_dir().join(format!("layerscope-xtask-{}", std::process::id()));
    let mut run = Run {
        rows: Vec::new(),
        keep_going,
    };

    run.gate("deps", || deps(&root));
    run.gate("setup", || {
        if !install_tools {
            return Ok(Some("--no-install given".into()));
        }
        install::for_test()?;
        Ok(None)
    });
    run.gate("fmt", || cargo(&root, &["fmt", "--all", "--check"]));
    run.gate("clippy", || {
        cargo(
            &root,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
    });
    run.gate("clippy-wasm", || {
        cargo(
            &root,
            &[
                "clippy",
                "-p",
                "layerscope",
                "-p",
                "layerscope-wasm",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
        )
    });
    run.gate("fixtures", || fixtures(&root));
    run.gate("test", || {
        cargo(
            &root,
            &["test", "--workspace", "--exclude", "layerscope-wasm"],
        )
    });
    run.gate("wasm-build", || crate::wasm::build().map(|()| None));
    run.gate("wasm-test", || wasm_test(&root, &browser_tmp));
    run.gate("web-unit", || web_unit(&root));
    run.gate("e2e", || e2e(&root, &browser_tmp));
    run.gate("share-page", || {
        browser_script(&root, &browser_tmp, "web/tests/share.mjs", &[], &[])
    });
    run.gate("hostile-wasm", || hostile_wasm(&root, &browser_tmp));
    run.gate("agree", || agree(&root, &browser_tmp));
    run.gate("fuzz", fuzz_briefly);

    cleanup_browser_leftovers(&browser_tmp, since);
    let failed = run.failed();
    println!("{}", run.summary(started.elapsed()));
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

/// Drivers depend on no format crate and the core re-exports none
/// ([`crate::deps`]).
fn deps(root: &Path) -> GateResult {
    crate::deps::check(root)?;
    Ok(None)
}

/// Seconds each fuzz target runs in `cargo xtask test` (override with
/// `LAYERSCOPE_FUZZ_SECONDS`; 0 skips the gate). Long runs are
/// `cargo xtask fuzz --time N`.
const FUZZ_SECONDS: u64 = 10;

/// Every cargo-fuzz target for a few seconds from the seed corpora: a
/// panic, an out-of-memory or a timeout fails the gate.
fn fuzz_briefly() -> GateResult {
    let seconds = std::env::var("LAYERSCOPE_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(FUZZ_SECONDS);
    if seconds == 0 {
        return Ok(Some("LAYERSCOPE_FUZZ_SECONDS=0".into()));
    }
    crate::fuzz::run(seconds, None)?;
    Ok(None)
}

fn cargo(root: &Path, args: &[&str]) -> GateResult {
    run_cmd(Command::new(cargo_bin()).args(args).current_dir(root))?;
    Ok(None)
}

/// The cargo that started us (rustup's proxy otherwise).
fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `tests/fixtures/make-fixtures.sh` when its output directory is
/// missing or empty.
fn fixtures(root: &Path) -> GateResult {
    let script = root.join("tests/fixtures/make-fixtures.sh");
    if !script.exists() {
        return Ok(Some(
            "tests/fixtures/make-fixtures.sh does not exist yet".into(),
        ));
    }
    let generated = root.join("tests/fixtures/generated");
    let has_outputs = std::fs::read_dir(&generated).is_ok_and(|mut d| d.next().is_some());
    if has_outputs {
        println!("tests/fixtures/generated/ is present; not regenerating (delete it to rebuild)");
        return Ok(None);
    }
    run_cmd(Command::new("bash").arg(&script).current_dir(root))?;
    Ok(None)
}

/// Whether any Rust file under `dir` holds a `wasm_bindgen_test`.
fn has_wasm_tests(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            has_wasm_tests(&path)
        } else {
            path.extension().is_some_and(|x| x == "rs")
                && std::fs::read_to_string(&path).is_ok_and(|s| s.contains("wasm_bindgen_test"))
        }
    })
}

fn wasm_test(root: &Path, browser_tmp: &Path) -> GateResult {
    let crate_dir = root.join("wasm");
    if !has_wasm_tests(&crate_dir.join("src")) && !has_wasm_tests(&crate_dir.join("tests")) {
        return Ok(Some(
            "no #[wasm_bindgen_test] in wasm/src or wasm/tests yet".into(),
        ));
    }
    if !crate_dir.join("webdriver.json").exists() {
        bail!("wasm/webdriver.json is missing (Chromium needs --no-sandbox as root)");
    }
    std::fs::create_dir_all(browser_tmp)?;
    let mut cmd = Command::new("wasm-pack");
    cmd.args(["test", "--headless", "--chrome"]);
    if let Some(driver) = find_on_path("chromedriver") {
        cmd.arg("--chromedriver").arg(driver);
    }
    cmd.arg("wasm").env("TMPDIR", browser_tmp).current_dir(root);
    run_cmd(&mut cmd)?;
    Ok(None)
}

/// `node --test web/tests/*.test.mjs`: the page's modules that need no
/// browser (text.js, the e2e fixture builder).
fn web_unit(root: &Path) -> GateResult {
    let dir = root.join("web/tests");
    let mut tests: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    if tests.is_empty() {
        return Ok(Some("no web/tests/*.test.mjs".into()));
    }
    tests.sort();
    let mut cmd = Command::new("node");
    cmd.arg("--test").args(&tests).current_dir(root);
    run_cmd(&mut cmd)?;
    Ok(None)
}

/// `node web/tests/e2e.mjs` against our own server on a free port.
fn e2e(root: &Path, browser_tmp: &Path) -> GateResult {
    browser_script(root, browser_tmp, "web/tests/e2e.mjs", &[], &[])
}

/// `node web/tests/hostile.mjs`: the hostile-input corpus (tests/hostile/)
/// through web/worker.js and the wasm build in headless Chromium, against
/// our own server (web/, the corpus under `/hostile-corpus/`) on a free
/// port.
fn hostile_wasm(root: &Path, browser_tmp: &Path) -> GateResult {
    let corpus = root.join("tests/hostile");
    browser_script(
        root,
        browser_tmp,
        "web/tests/hostile.mjs",
        &[("/hostile-corpus/", &corpus)],
        &[],
    )
}

/// `node web/tests/agree.mjs`: the cross-driver agreement test. Every
/// fixture image (tests/fixtures/generated/ always, ../shared/fixtures/
/// when present) through the page's worker protocol in headless Chromium
/// must give the same answers as the CLI's `--json` (built here, debug).
fn agree(root: &Path, browser_tmp: &Path) -> GateResult {
    cargo(
        root,
        &["build", "-p", "layerscope-cli", "--bin", "layerscope"],
    )?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bin = target
        .join("debug")
        .join(format!("layerscope{}", std::env::consts::EXE_SUFFIX));
    let generated = root.join("tests/fixtures/generated");
    let shared = root.join("../shared/fixtures");
    let mut mounts: Vec<(&str, &Path)> = vec![("/fixtures/generated/", &generated)];
    if shared.is_dir() {
        mounts.push(("/fixtures/shared/", &shared));
    }
    browser_script(
        root,
        browser_tmp,
        "web/tests/agree.mjs",
        &mounts,
        &[("LAYERSCOPE_BIN", bin.as_os_str())],
    )
}

/// `cargo xtask agree`: the agreement gate alone (web/pkg must be built).
pub fn agree_alone() -> Result<()> {
    let browser_tmp = std::env::temp_dir().join(format!("layerscope-xtask-{}", std::process::id()));
    let since = SystemTime::now();
    let outcome = agree(&root(), &browser_tmp);
    cleanup_browser_leftovers(&browser_tmp, since);
    match outcome? {
        Some(reason) => println!("skipped: {reason}"),
        None => println!("agree: passed"),
    }
    Ok(())
}

/// Runs a browser test script with node against our own server (web/ plus
/// `mounts`) on a free port, headless Chromium from the path, a private
/// TMPDIR and `env`.
fn browser_script(
    root: &Path,
    browser_tmp: &Path,
    script: &str,
    mounts: &[(&str, &Path)],
    env: &[(&str, &std::ffi::OsStr)],
) -> GateResult {
    let path = root.join(script);
    if !path.exists() {
        return Ok(Some(format!("{script} does not exist yet")));
    }
    if !root.join("web/node_modules").exists() {
        bail!("web/node_modules is missing: the setup step runs npm ci in web/");
    }
    let addr = crate::serve::spawn(&root.join("web"), mounts)?;
    let url = format!("http://{addr}/");
    let mounted: Vec<String> = mounts
        .iter()
        .map(|(prefix, dir)| format!(" and {} under {prefix}", dir.display()))
        .collect();
    println!("serving web/{} at {url}", mounted.concat());
    std::fs::create_dir_all(browser_tmp)?;
    let mut cmd = Command::new("node");
    cmd.arg(&path)
        .env("LAYERSCOPE_URL", &url)
        .env("TMPDIR", browser_tmp)
        .envs(env.iter().copied())
        .current_dir(root);
    if let Some(chromium) = find_on_path("chromium") {
        cmd.env("LAYERSCOPE_CHROMIUM", chromium);
    }
    run_cmd(&mut cmd)?;
    Ok(None)
}

/// Deletes what the browser runs left: our private TMPDIR, and Chromium or
/// chromedriver profile directories that appeared in the system temp
/// directory since `since` (in case something ignored TMPDIR).
fn cleanup_browser_leftovers(browser_tmp: &Path, since: SystemTime) {
    let _ = std::fs::remove_dir_all(browser_tmp);
    let patterns = [
        ".org.chromium.",
        "org.chromium.",
        ".com.google.Chrome.",
        "rust_",
        "chromedriver",
        "scoped_dir",
    ];
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = patterns
            .iter()
            .any(|p| name.starts_with(p) || (p == &"chromedriver" && name.contains(p)));
        let new = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| m >= since);
        if ours && new {
            let path = entry.path();
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            if removed.is_ok() {
                println!("removed {}", path.display());
            }
        }
    }
}
