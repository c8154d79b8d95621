//! `flatten --layers A..B` on real images: the squashed layer applied on
//! top of layers `0..A` gives the same tree as the original layers `0..=B`,
//! deletions included (as whiteouts in the squashed tar).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::model::Entry;
use layerscope::overlay::Overlay;
use layerscope::{Limits, OpenOptions};
use layerscope_cli::input::Input;
use layerscope_tests::{inspect_path, shared};

fn visible(overlay: &Overlay<'_>) -> BTreeMap<String, String> {
    overlay
        .entries()
        .into_iter()
        .map(|e| {
            let what = format!(
                "{:?} mode={:o} uid={} gid={} size={} hash={:?} link={:?} hardlink-to={:?}",
                e.kind, e.mode, e.uid, e.gid, e.size, e.content_hash, e.link_target, e.hardlink_to
            );
            (e.path, what)
        })
        .collect()
}

fn check(rel: &str, ranges: &[(usize, usize)]) {
    let path = shared(rel);
    let inspection = inspect_path(&path, &OpenOptions::default()).unwrap();
    let layers: Vec<&[Entry]> = inspection
        .scans
        .iter()
        .map(|s| s.as_ref().unwrap().entries.as_slice())
        .collect();
    let input = Input::from_arg(path.to_str().unwrap()).unwrap();
    let plans = inspection.opened.layers.clone();
    let mut open = |layer: usize| -> std::io::Result<Box<dyn Read>> {
        let reader: Box<dyn Read> = input.open_blob(plans[layer].location.as_ref().unwrap())?;
        Ok(reader)
    };
    for &(first, last) in ranges {
        let range = Overlay::range(&layers, first, last).unwrap();
        let mut tar = Vec::new();
        let summary = range.export(&mut open, &mut tar).unwrap();
        let squashed = index_stream(
            Cursor::new(tar.as_slice()),
            first,
            Algorithm::Sha256,
            &Limits::default(),
        )
        .unwrap();
        let whiteouts = squashed
            .entries
            .iter()
            .filter(|e| e.whiteout.is_some())
            .count();
        assert_eq!(whiteouts as u64, summary.whiteouts, "{rel} {first}..{last}");
        let mut stacked: Vec<&[Entry]> = layers[..first].to_vec();
        stacked.push(&squashed.entries);
        let want = visible(&Overlay::up_to(&layers, last).unwrap());
        let got = visible(&Overlay::new(&stacked));
        for (p, w) in &want {
            assert_eq!(got.get(p), Some(w), "{rel} squash {first}..{last}: {p:?}");
        }
        for p in got.keys() {
            assert!(
                want.contains_key(p),
                "{rel} squash {first}..{last}: unexpected {p:?}"
            );
        }
    }
}

#[test]
fn dive_image_squashes() {
    // Layer 9 deletes root/example (a whiteout must carry that).
    check(
        "dive/test-docker-image.tar",
        &[(9, 9), (5, 9), (8, 13), (1, 13), (12, 13)],
    );
}

#[test]
fn gcr_whiteout_dir_squashes() {
    check(
        "go-containerregistry/mutate-whiteout_dir.tar",
        &[(1, 2), (2, 3), (1, 3)],
    );
}
