//! Overlay views through the real open/scan path on the shared fixtures.

use std::io::Read;

use layerscope::OpenOptions;
use layerscope::model::{Entry, EntryKind};
use layerscope::overlay::{Overlay, dive_efficiency};
use layerscope_cli::input::Input;
use layerscope_test_support::fixtures::shared;
use layerscope_test_support::require_shared;
use layerscope_tests::inspect_path;

fn final_tree(rel: &str) -> Vec<(String, EntryKind)> {
    let path = shared(rel);
    let inspection = inspect_path(&path, &OpenOptions::default()).unwrap();
    let scans: Vec<&[Entry]> = inspection
        .scans
        .iter()
        .map(|s| s.as_ref().unwrap().entries.as_slice())
        .collect();
    let overlay = Overlay::new(&scans);
    // Flatten through the real blob readers and check it re-reads.
    let input = Input::from_arg(path.to_str().unwrap()).unwrap();
    let plans = inspection.opened.layers.clone();
    let mut open = |layer: usize| -> std::io::Result<Box<dyn Read>> {
        let reader: Box<dyn Read> = input.open_blob(plans[layer].location.as_ref().unwrap())?;
        Ok(reader)
    };
    let mut tar = Vec::new();
    overlay.export(&mut open, &mut tar).unwrap();
    assert!(tar.len() >= 1024);
    overlay
        .entries()
        .into_iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| (e.path, e.kind))
        .collect()
}

#[test]
fn gcr_whiteout_dir_final_tree() {
    require_shared!();
    let tree = final_tree("go-containerregistry/mutate-whiteout_dir.tar");
    let files: Vec<&str> = tree
        .iter()
        .filter(|(_, k)| *k == EntryKind::File)
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(files, ["a/baz", "b/bar"]);
}

#[test]
fn gcr_whiteout_image_final_tree() {
    require_shared!();
    let tree = final_tree("go-containerregistry/mutate-whiteout_image.tar");
    assert!(tree.iter().any(|(p, _)| p == "bar.txt"));
    assert!(!tree.iter().any(|(p, _)| p == "foo.txt"));
}

#[test]
fn gcr_overwritten_file_is_symlink() {
    require_shared!();
    let tree = final_tree("go-containerregistry/mutate-overwritten_file.tar");
    assert!(
        tree.iter()
            .any(|(p, k)| p == "foo.txt" && *k == EntryKind::Symlink),
        "{tree:?}"
    );
}

/// dive's documented CI numbers for its own test image: efficiency
/// 98.4421 %, 32025 wasted bytes, 48.3491 % of user bytes.
#[test]
fn dive_numbers_match_dive() {
    require_shared!();
    let inspection = inspect_path(
        &shared("dive/test-docker-image.tar"),
        &OpenOptions::default(),
    )
    .unwrap();
    let scans: Vec<&[Entry]> = inspection
        .scans
        .iter()
        .map(|s| s.as_ref().unwrap().entries.as_slice())
        .collect();
    let d = dive_efficiency(&scans);
    assert_eq!(format!("{:.4}", d.score * 100.0), "98.4421");
    assert_eq!(d.wasted_bytes, 32025);
    assert_eq!(format!("{:.4}", d.wasted_user_percent * 100.0), "48.3491");
    let waste = Overlay::new(&scans).waste();
    assert!(waste.wasted_bytes > 0 && waste.wasted_bytes <= waste.shipped_bytes);
}
