//! Differential test against `umoci unpack`: `tests/differential/run.sh`
//! builds images with buildah, unpacks them with umoci and flattens them
//! with layerscope, then compares the trees. Skips (with a note) when the
//! tools are missing.

use std::path::Path;
use std::process::Command;

use layerscope_test_support::fixtures::skipped;
use layerscope_tests::cli_binary;

#[test]
fn flatten_matches_umoci_unpack() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("differential/run.sh");
    let bin = cli_binary();
    let output = Command::new("bash")
        .arg(&script)
        .arg(&bin)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => println!("{stdout}"),
        Some(77) => skipped("flatten_matches_umoci_unpack", stdout.trim()),
        _ => panic!("flatten differs from umoci unpack:\n{stdout}\n{stderr}"),
    }
}
