//! `cargo xtask differential [--real]`: the differential tests against
//! reference tools, on demand.
//!
//! Without `--real`: `tests/differential/run.sh` (busybox images, flatten vs
//! `umoci unpack`; also run by `cargo test` in the tests crate). With
//! `--real`: `tests/differential/real-debian.sh` on a debootstrapped Debian
//! bookworm and images built from it (flatten, ls, digests, efficiency vs
//! dive, diff, packages vs dpkg-query; see docs/differential.md). The real sweep is not a gate of
//! `cargo xtask test`: its first run downloads Debian packages and a warm
//! run still takes several minutes.

use std::process::Command;

use anyhow::{Result, bail};

use crate::install;
use crate::shell::{root, run_cmd, show};

/// Debian packages the sweeps use (dive comes from PyPI, see `install`).
const APT: &[&str] = &[
    "debootstrap",
    "buildah",
    "skopeo",
    "umoci",
    "zstd",
    "busybox-static",
];

/// Builds the release binary and runs one differential script.
pub fn run(real: bool, rebuild: bool, install_tools: bool) -> Result<()> {
    let root = root();
    if install_tools {
        install::apt(APT)?;
        if real {
            install::for_bench(true)?;
        }
    }
    run_cmd(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "layerscope-cli"])
            .current_dir(&root),
    )?;
    let script = if real { "real-debian.sh" } else { "run.sh" };
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("tests/differential").join(script))
        .arg(root.join("target/release/layerscope"))
        .current_dir(&root);
    if rebuild {
        cmd.env("REAL_DEBIAN_REBUILD", "1");
    }
    println!("$ {}", show(&cmd));
    let status = cmd.status()?;
    match status.code() {
        Some(0) => Ok(()),
        Some(77) => bail!("{script} skipped: a tool it needs is missing (see its output)"),
        _ => bail!("{script} found differences ({status})"),
    }
}
