//! Packages per layer: which packages each layer's databases list, and
//! what every layer added, upgraded, downgraded and removed.
//!
//! Ecosystems, each read by its own module: dpkg ([`dpkg`]: `status`,
//! distroless `status.d/*`, `info/*.list`), apk ([`apk`]), Python
//! ([`python`]: dist-info / egg-info), npm ([`npm`]: `node_modules`), Go
//! binaries ([`gobinary`]: build information), Rust binaries built with
//! cargo-auditable ([`auditable`]); rpm databases are recognised and
//! reported as not read ([`rpm`]); os-release ([`osrelease`]) names the
//! distribution for purls.
//!
//! Phases: [`plan`] follows the database files through the layers (from
//! the scanned entries alone) and lists what each layer must read;
//! [`read::read_layer`] reads one layer's files in one forward pass over
//! its blob (drivers may run layers in parallel); [`report`] attributes.
//! [`scan`] runs all three on one thread. Memory holds only the database
//! files (each bounded by `--max-package-db-bytes`; executables by
//! `--max-binary-bytes`) and what they list.

pub mod apk;
mod attribute;
pub mod auditable;
pub mod binary;
pub mod dpkg;
pub mod gobinary;
pub mod kinds;
pub mod model;
pub mod npm;
pub mod osrelease;
mod parse;
pub mod purl;
pub mod python;
pub mod read;
pub mod rpm;
mod text;
pub mod version;

use serde::{Deserialize, Serialize};

use crate::layer::opener::LayerOpener;
use crate::limits::Limits;
use crate::model::Entry;
use crate::overlay::track::{self, TrackEvent};

pub use kinds::DbKind;
pub use model::{
    ChangeKind, DbContent, DbFile, Ecosystem, LayerDbFiles, LayerPackageCounts, OsRelease, Package,
    PackageChange, PackageRecord, PackageReport, RemovedPackage, UnreadDatabase,
};
pub use read::{ReadItem, read_layer};

/// What the package scan must read, from the layers' entries alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagePlan {
    /// Per layer, the database paths whose state it changed.
    pub events: Vec<Vec<TrackEvent>>,
    /// Per layer, the files to read from its blob.
    pub reads: Vec<Vec<ReadItem>>,
}

/// Follows every database file and executable through the layers and
/// lists, per layer, the files to read.
pub fn plan(layers: &[&[Entry]]) -> PackagePlan {
    plan_of(layers, &|e: &Entry| kinds::classify(e).is_some())
}

/// [`plan`] for the files `wanted` chooses among the database files.
fn plan_of(layers: &[&[Entry]], wanted: &dyn Fn(&Entry) -> bool) -> PackagePlan {
    let events = track::track_files(layers, wanted);
    let mut reads: Vec<Vec<ReadItem>> = vec![Vec::new(); layers.len()];
    for event in events.iter().flatten() {
        let Some(source) = event.source else { continue };
        let Some(entry) = layers.get(source.layer).and_then(|l| l.get(source.entry)) else {
            continue;
        };
        let Some(kind) = kinds::kind_of_path(&event.path).or_else(|| kinds::classify(entry)) else {
            continue;
        };
        if let Some(list) = reads.get_mut(source.layer) {
            let item = ReadItem {
                entry: source.entry,
                path: event.path.clone(),
                kind,
            };
            if !list.contains(&item) {
                list.push(item);
            }
        }
    }
    PackagePlan { events, reads }
}

/// Attributes packages from the layers' read files: the image as layer
/// `layer` leaves it (the final image when None).
pub fn report(plan: &PackagePlan, files: &[LayerDbFiles], layer: Option<usize>) -> PackageReport {
    attribute::report(&plan.events, files, layer)
}

/// The distribution of the image as layer `layer` leaves it (the final
/// image when None): only the os-release files are followed and read.
pub fn os_release(
    layers: &[&[Entry]],
    opener: &mut dyn LayerOpener,
    limits: &Limits,
    layer: Option<usize>,
) -> Option<OsRelease> {
    let plan = plan_of(layers, &|e: &Entry| {
        kinds::classify(e) == Some(DbKind::OsRelease)
    });
    let files = read_all(&plan, layers, opener, limits, layer);
    report(&plan, &files, layer).os_release
}

fn read_all(
    plan: &PackagePlan,
    layers: &[&[Entry]],
    opener: &mut dyn LayerOpener,
    limits: &Limits,
    layer: Option<usize>,
) -> Vec<LayerDbFiles> {
    plan.reads
        .iter()
        .enumerate()
        .take(layer.map_or(usize::MAX, |l| l.saturating_add(1)))
        .map(|(i, items)| {
            let entries = layers.get(i).copied().unwrap_or_default();
            read_layer(opener, i, entries, items, limits)
        })
        .collect()
}

/// Plans, reads every layer in turn through `opener` and attributes.
pub fn scan(
    layers: &[&[Entry]],
    opener: &mut dyn LayerOpener,
    limits: &Limits,
    layer: Option<usize>,
) -> PackageReport {
    let plan = plan(layers);
    let files = read_all(&plan, layers, opener, limits, layer);
    report(&plan, &files, layer)
}
