//! Running and finding external programs the way every task does (echo
//! the command, fail on a non-zero exit, look tools up on PATH), and the
//! workspace root the tasks run in.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Renders a command the way a person would type it.
pub fn show(cmd: &Command) -> String {
    let mut parts = Vec::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            parts.push(format!(
                "{}={}",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    parts.push(cmd.get_program().to_string_lossy().into_owned());
    parts.extend(cmd.get_args().map(|a| {
        let a = a.to_string_lossy();
        // Inline scripts: show their first line only.
        match a.split_once('\n') {
            Some((first, _)) => format!("'{first} …'"),
            None => a.into_owned(),
        }
    }));
    parts.join(" ")
}

/// Runs a command with inherited stdio, failing unless it exits 0.
pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    println!("$ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", show(cmd)))?;
    if !status.success() {
        // The program's own name first, so a cut summary line still says what failed.
        let program = Path::new(cmd.get_program())
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        bail!("{program} failed ({status}): `{}`", show(cmd));
    }
    Ok(())
}

/// Runs a command quietly and returns its stdout if it exits 0.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(std::process::Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `name` is an executable on PATH.
pub fn on_path(name: &str) -> bool {
    find_on_path(name).is_some()
}

/// The full path of an executable on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
