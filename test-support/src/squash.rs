//! `flatten --layers A..B` must squash losslessly: the squashed tar
//! applied on top of layers `0..A` gives the same tree as layers `0..=B`,
//! deletions included. [`check_squash`] is that check; [`visible`] is what
//! "the same tree" compares.

use std::collections::BTreeMap;
use std::io::Cursor;

use layerscope::Limits;
use layerscope::digest::Algorithm;
use layerscope::layer::index_stream;
use layerscope::model::Entry;
use layerscope::overlay::{ExportSummary, LayerOpener, Overlay};

/// Everything a runtime sees of each path of the merged tree: kind, mode,
/// owner, size, content hash, link target, device, hard-link group.
pub fn visible(overlay: &Overlay<'_>) -> BTreeMap<String, String> {
    overlay
        .entries()
        .into_iter()
        .map(|e| {
            let what = format!(
                "{:?} mode={:o} uid={} gid={} size={} hash={:?} link={:?} device={:?} hardlink-to={:?}",
                e.kind,
                e.mode,
                e.uid,
                e.gid,
                e.size,
                e.content_hash,
                e.link_target,
                e.device,
                e.hardlink_to
            );
            (e.path, what)
        })
        .collect()
}

/// A squashed layer and what its export reported.
#[derive(Debug)]
pub struct Squashed {
    /// The squashed tar's entries, scanned as layer `first`.
    pub entries: Vec<Entry>,
    /// The export's summary.
    pub summary: ExportSummary,
}

/// Squashes `layers[first..=last]` (blobs read through `open`), rescans
/// the tar, and checks that, stacked on `layers[..first]`, it shows the
/// tree of `layers[..=last]`. Err says what failed or which paths differ.
pub fn check_squash(
    layers: &[&[Entry]],
    open: &mut dyn LayerOpener,
    first: usize,
    last: usize,
) -> Result<Squashed, String> {
    let what = format!("squash {first}..{last}");
    let range = Overlay::range(layers, first, last).map_err(|e| format!("{what}: {e}"))?;
    let mut tar = Vec::new();
    let summary = range
        .export(open, &mut tar)
        .map_err(|e| format!("{what}: {e}"))?;
    let squashed = index_stream(
        Cursor::new(tar.as_slice()),
        first,
        Algorithm::Sha256,
        &Limits::default(),
    )
    .map_err(|e| format!("{what} rescan: {e}"))?;
    let want = visible(&Overlay::up_to(layers, last).map_err(|e| format!("{what}: {e}"))?);
    let mut stacked: Vec<&[Entry]> = layers.get(..first).unwrap_or_default().to_vec();
    stacked.push(&squashed.entries);
    let got = visible(&Overlay::new(&stacked));
    if got != want {
        let diff: Vec<String> = want
            .iter()
            .filter(|(p, w)| got.get(*p) != Some(*w))
            .map(|(p, w)| format!("want {p:?} {w} got {:?}", got.get(p)))
            .chain(
                got.keys()
                    .filter(|p| !want.contains_key(*p))
                    .map(|p| format!("unexpected {p:?}")),
            )
            .collect();
        return Err(format!(
            "{what} on top of 0..{first} differs:\n  {}",
            diff.join("\n  ")
        ));
    }
    Ok(Squashed {
        entries: squashed.entries,
        summary,
    })
}
