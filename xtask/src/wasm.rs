//! Building the page's wasm package (`web/pkg`): wasm-pack in release,
//! binaryen's wasm-opt, and a check that the result still loads.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::shell::{root, run_cmd};

/// `cargo xtask wasm` and the wasm-build gate: `wasm-pack build` in release
/// into `web/pkg`, then binaryen's `wasm-opt` from `web/node_modules`, then a
/// check that the optimized module still compiles and initializes.
pub fn build() -> Result<()> {
    let root = root();
    run_cmd(
        Command::new("wasm-pack")
            .args([
                "build",
                "wasm",
                "--release",
                "--target",
                "web",
                "--out-dir",
                "../web/pkg",
            ])
            .current_dir(&root),
    )?;
    let pkg = root.join("web/pkg");
    let wasm = find_bg_wasm(&pkg)?;
    let before = file_len(&wasm);
    let wasm_opt = root.join("web/node_modules/.bin/wasm-opt");
    if wasm_opt.exists() {
        let optimized = wasm.with_extension("opt.wasm");
        run_cmd(
            Command::new(&wasm_opt)
                .arg("-O3")
                .args(WASM_FEATURES)
                .arg(&wasm)
                .arg("-o")
                .arg(&optimized),
        )?;
        std::fs::rename(&optimized, &wasm)?;
        println!("wasm-opt: {} → {} bytes", before, file_len(&wasm));
    } else {
        println!(
            "skipped wasm-opt: {} is missing (npm ci in web/ installs binaryen); never use Debian's wasm-opt",
            wasm_opt.display()
        );
    }
    check_module_loads(&pkg, &wasm)
}

/// The wasm features rustc (1.95, wasm32-unknown-unknown defaults) emits and
/// wasm-bindgen 0.2.130 keeps; wasm-opt must accept all of them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
    "--enable-reference-types",
];

fn file_len(path: &Path) -> u64 {
    path.metadata().map(|m| m.len()).unwrap_or(0)
}

fn find_bg_wasm(pkg: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(pkg).with_context(|| format!("reading {}", pkg.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.to_string_lossy().ends_with("_bg.wasm") {
            return Ok(path);
        }
    }
    bail!("no *_bg.wasm in {}", pkg.display())
}

/// Imports the generated ES module in node and initializes it with the
/// optimized bytes: a module wasm-opt broke fails to compile or link here.
fn check_module_loads(pkg: &Path, wasm: &Path) -> Result<()> {
    let glue = wasm
        .to_string_lossy()
        .strip_suffix("_bg.wasm")
        .map(|stem| PathBuf::from(format!("{stem}.js")))
        .context("odd wasm file name")?;
    if !glue.exists() {
        bail!("{} is missing next to the wasm", glue.display());
    }
    let script = "\
        import { readFileSync } from 'node:fs';\n\
        import { pathToFileURL } from 'node:url';\n\
        const [glue, wasm] = process.argv.slice(-2);\n\
        const bytes = readFileSync(wasm);\n\
        if (!WebAssembly.validate(bytes)) throw new Error('invalid wasm: ' + wasm);\n\
        const m = await import(pathToFileURL(glue).href);\n\
        m.initSync({ module: bytes });\n\
        console.log('wasm module loads: ' + Object.keys(m).filter(k => k !== 'default').length + ' exports');\n";
    run_cmd(
        Command::new("node")
            .args(["--input-type=module", "-e", script, "--"])
            .arg(&glue)
            .arg(wasm)
            .current_dir(pkg),
    )
}
