//! Differential test against `umoci unpack`: `tests/differential/run.sh`
//! builds images with buildah, unpacks them with umoci and flattens them
//! with layerscope, then compares the trees. Skips (with a note) when the
//! tools are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn layerscope_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join("layerscope");
    if bin.is_file() {
        return Some(bin);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-q", "-p", "layerscope-cli", "--bin", "layerscope"])
        .status()
        .ok()?;
    (status.success() && bin.is_file()).then_some(bin)
}

#[test]
fn flatten_matches_umoci_unpack() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("differential/run.sh");
    let Some(bin) = layerscope_binary() else {
        eprintln!(
            "note: skipping the umoci differential test: the layerscope binary could not be built"
        );
        return;
    };
    let output = Command::new("bash")
        .arg(&script)
        .arg(&bin)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => println!("{stdout}"),
        Some(77) => eprintln!(
            "note: skipping the umoci differential test: {}",
            stdout.trim()
        ),
        _ => panic!("flatten differs from umoci unpack:\n{stdout}\n{stderr}"),
    }
}
