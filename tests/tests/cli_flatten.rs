//! `layerscope flatten` end to end: the parallel writer (regular file) and
//! the streaming one (stdout) give the same tar; without `--verify` the
//! user is told digests were not checked; with it a corrupted layer stops
//! the export before anything is written.

use std::path::Path;
use std::process::{Command, Output};

use layerscope::OpenOptions;
use layerscope::model::{BlobLocation, EntryKind};
use layerscope_test_support::fixtures::{generated, shared, shared_present};
use layerscope_tests::{cli_binary, inspect_path};

fn flatten(bin: &Path, image: &Path, extra: &[&str], output: &str) -> Output {
    Command::new(bin)
        .arg("flatten")
        .arg(image)
        .args(["-o", output])
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn file_and_stdout_agree_and_digest_state_is_stated() {
    let bin = cli_binary();
    let dir = tempfile::tempdir().unwrap();
    let mut images = vec![
        (generated("multistep.docker.tar"), "1..3"),
        (generated("multistep.oci-gzip.tar"), "0..0"),
    ];
    if shared_present(
        "the shared-fixture images of file_and_stdout_agree_and_digest_state_is_stated",
    ) {
        images.push((shared("dive/test-docker-image.tar"), "1..3"));
        images.push((shared("dive/test-oci-gzip-image.tar"), "0..0"));
    }
    for (image, range) in images {
        let rel = image.display();
        let file = dir.path().join("flat.tar");
        let out = flatten(&bin, &image, &[], file.to_str().unwrap());
        assert!(out.status.success(), "{rel}: {}", stderr(&out));
        assert!(stderr(&out).contains("digests were not checked"), "{rel}");
        let written = std::fs::read(&file).unwrap();
        let piped = flatten(&bin, &image, &[], "-");
        assert!(piped.status.success(), "{rel}: {}", stderr(&piped));
        assert!(piped.stdout == written, "{rel}: stdout and file differ");
        let verified = flatten(&bin, &image, &["--verify"], file.to_str().unwrap());
        assert!(verified.status.success(), "{rel}: {}", stderr(&verified));
        assert!(!stderr(&verified).contains("not checked"), "{rel}");
        assert!(
            stderr(&verified).contains("verified before writing"),
            "{rel}"
        );
        assert!(
            std::fs::read(&file).unwrap() == written,
            "{rel}: --verify differs"
        );
        let squashed = dir.path().join("squash.tar");
        let a = flatten(
            &bin,
            &image,
            &["--layers", range],
            squashed.to_str().unwrap(),
        );
        let b = flatten(&bin, &image, &["--layers", range], "-");
        assert!(a.status.success() && b.status.success(), "{rel}");
        assert!(
            std::fs::read(&squashed).unwrap() == b.stdout,
            "{rel}: squash differs"
        );
    }
}

#[test]
fn verify_refuses_a_corrupted_layer() {
    let bin = cli_binary();
    let dir = tempfile::tempdir().unwrap();
    let original = generated("multistep.docker.tar");
    let copy = dir.path().join("image.tar");
    std::fs::copy(&original, &copy).unwrap();
    // Flip one byte in the middle of a file's data in an uncompressed layer:
    // the tar still reads, only the digests can notice.
    let inspection = inspect_path(&copy, &OpenOptions::default()).unwrap();
    let (layer, entry) = inspection
        .scans
        .iter()
        .enumerate()
        .find_map(|(i, s)| {
            let e = s
                .as_ref()?
                .entries
                .iter()
                .find(|e| e.kind == EntryKind::File && e.size > 64)?;
            Some((i, e.clone()))
        })
        .unwrap();
    let Some(BlobLocation::ArchiveRange { offset, .. }) = &inspection.opened.layers[layer].location
    else {
        panic!("layer {layer} is not an archive member");
    };
    let at = offset + entry.data_offset + entry.size / 2;
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes[at as usize] ^= 0x01;
    std::fs::write(&copy, &bytes).unwrap();

    let output = dir.path().join("flat.tar");
    let out = flatten(&bin, &copy, &["--verify"], output.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing written"), "{}", stderr(&out));
    assert!(!output.exists(), "a tar was written despite a mismatch");
    // Without --verify the export goes ahead and says nothing was checked.
    let out = flatten(&bin, &copy, &[], output.to_str().unwrap());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("digests were not checked"));
}
