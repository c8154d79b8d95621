//! Attribution: the package set as each layer leaves the image, from the
//! database files live after that layer ([`crate::overlay::track`]), and
//! the history of every package across layers — the layer that added it,
//! the layers that changed its version (ordered by its ecosystem's
//! rules), the layer that removed it.
//!
//! A package is identified by ecosystem, name, architecture and where it
//! is installed (the dpkg/apk/rpm database, a Python install directory, a
//! `node_modules` package directory, a binary), so the same name in two
//! places is two packages.

use std::collections::{BTreeMap, HashMap};

use crate::overlay::track::{FileSource, TrackEvent};

use super::model::{
    ChangeKind, DbContent, Ecosystem, LayerDbFiles, LayerPackageCounts, OsRelease, Package,
    PackageChange, PackageRecord, PackageReport, RemovedPackage, UnreadDatabase,
};
use super::{dpkg, purl, python, version};

/// Identity of a package across layers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    ecosystem: Ecosystem,
    name: String,
    arch: String,
    place: String,
    /// Position among same-named packages of one place (cargo binaries
    /// may hold two versions of a crate).
    nth: u32,
}

/// One present package in a snapshot (borrowing the parsed files).
#[derive(Debug, Clone, Copy)]
struct Current<'a> {
    record: &'a PackageRecord,
    /// The database file or binary listing it.
    location: &'a str,
}

#[derive(Debug, Clone)]
struct History {
    added_layer: usize,
    version_layer: usize,
    version: String,
    changes: Vec<PackageChange>,
    present: bool,
    removed_layer: Option<usize>,
    location: String,
    /// The name as the database spelled it (the key's may be normalized).
    name: String,
    arch: Option<String>,
}

type Contents<'a> = HashMap<(usize, usize, &'a str), &'a DbContent>;

/// The view of the image as layer `last` leaves it (every layer when
/// `last` is None or past the end).
pub fn report(
    events: &[Vec<TrackEvent>],
    files: &[LayerDbFiles],
    last: Option<usize>,
) -> PackageReport {
    let end = last.map_or(events.len(), |l| (l + 1).min(events.len()));
    let mut contents: Contents<'_> = HashMap::new();
    for layer in files {
        for f in &layer.files {
            if let Some(content) = &f.content {
                contents.insert((layer.layer, f.entry, f.path.as_str()), content);
            }
        }
    }
    let mut live: BTreeMap<&str, FileSource> = BTreeMap::new();
    let mut history: BTreeMap<Key, History> = BTreeMap::new();
    let mut previous: BTreeMap<Key, Current<'_>> = BTreeMap::new();
    let mut counts = Vec::new();
    for (layer, layer_events) in events.iter().enumerate().take(end) {
        for e in layer_events {
            match e.source {
                Some(s) => live.insert(e.path.as_str(), s),
                None => live.remove(e.path.as_str()),
            };
        }
        let mut count = LayerPackageCounts {
            layer,
            ..LayerPackageCounts::default()
        };
        if !layer_events.is_empty() {
            let now = snapshot(&live, &contents);
            diff(layer, &previous, &now, &mut history, &mut count);
            previous = now;
        }
        counts.push(count);
    }
    let os_release = os_release(&live, &contents);
    let lists = file_lists(&live, &contents);
    let mut out = PackageReport {
        layer: end.checked_sub(1),
        os_release: os_release.cloned(),
        layer_counts: counts,
        ..PackageReport::default()
    };
    for (key, current) in &previous {
        let Some(h) = history.get(key) else { continue };
        let record = current.record;
        let files = if record.files.is_empty() {
            package_files(key, current, &lists)
        } else {
            record.files.clone()
        };
        out.packages.push(Package {
            name: record.name.clone(),
            version: record.version.clone(),
            ecosystem: key.ecosystem,
            purl: purl::purl(
                key.ecosystem,
                &record.name,
                &record.version,
                record.arch.as_deref(),
                os_release,
            ),
            arch: record.arch.clone(),
            added_layer: h.added_layer,
            changed_layers: h.changes.clone(),
            version_layer: h.version_layer,
            location: current.location.to_owned(),
            source: record.source.clone(),
            license: record.license.clone(),
            files,
        });
    }
    for (key, h) in &history {
        if h.present {
            continue;
        }
        let Some(removed_layer) = h.removed_layer else {
            continue;
        };
        out.removed.push(RemovedPackage {
            name: h.name.clone(),
            version: h.version.clone(),
            ecosystem: key.ecosystem,
            purl: purl::purl(
                key.ecosystem,
                &h.name,
                &h.version,
                h.arch.as_deref(),
                os_release,
            ),
            added_layer: h.added_layer,
            removed_layer,
            location: h.location.clone(),
        });
    }
    for (path, source) in &live {
        if let Some(DbContent::RpmUnread { reason }) =
            contents.get(&(source.layer, source.entry, *path))
        {
            out.unread.push(UnreadDatabase {
                path: (*path).to_owned(),
                layer: source.layer,
                reason: reason.clone(),
            });
        }
    }
    out.warnings = files
        .iter()
        .filter(|f| f.layer < end)
        .flat_map(|f| f.warnings.iter().cloned())
        .collect();
    out
}

fn content<'a>(
    contents: &Contents<'a>,
    path: &'a str,
    source: FileSource,
) -> Option<&'a DbContent> {
    contents.get(&(source.layer, source.entry, path)).copied()
}

/// The packages present given the live database files.
fn snapshot<'a>(
    live: &BTreeMap<&'a str, FileSource>,
    contents: &Contents<'a>,
) -> BTreeMap<Key, Current<'a>> {
    let mut out: BTreeMap<Key, Current<'a>> = BTreeMap::new();
    let mut add =
        |ecosystem: Ecosystem, record: &'a PackageRecord, place: &str, location: &'a str| {
            let name = match ecosystem {
                Ecosystem::Pypi => python::normalize_name(&record.name),
                _ => record.name.clone(),
            };
            let mut key = Key {
                ecosystem,
                name,
                arch: record.arch.clone().unwrap_or_default(),
                place: place.to_owned(),
                nth: 0,
            };
            while out.contains_key(&key) {
                key.nth += 1;
            }
            out.insert(key, Current { record, location });
        };
    for (&path, &source) in live {
        let Some(c) = content(contents, path, source) else {
            continue;
        };
        match c {
            DbContent::Dpkg { packages } => {
                for p in packages {
                    add(Ecosystem::Deb, p, "var/lib/dpkg", path);
                }
            }
            DbContent::Apk { packages } => {
                for p in packages {
                    add(Ecosystem::Apk, p, "lib/apk/db", path);
                }
            }
            DbContent::Python { package } => {
                let place = python::install_dir(path);
                add(Ecosystem::Pypi, package, place, path);
            }
            DbContent::Npm { package } => {
                let place = path.strip_suffix("/package.json").unwrap_or(path);
                add(Ecosystem::Npm, package, place, path);
            }
            DbContent::GoBinary { packages, .. } => {
                for p in packages {
                    add(Ecosystem::Golang, p, path, path);
                }
            }
            DbContent::Cargo { packages } => {
                for p in packages {
                    add(Ecosystem::Cargo, p, path, path);
                }
            }
            DbContent::DpkgFiles { .. }
            | DbContent::PythonRecord { .. }
            | DbContent::OsRelease { .. }
            | DbContent::RpmUnread { .. }
            | DbContent::NoPackages => {}
        }
    }
    out
}

/// Updates the histories with one layer's snapshot.
fn diff(
    layer: usize,
    before: &BTreeMap<Key, Current<'_>>,
    now: &BTreeMap<Key, Current<'_>>,
    history: &mut BTreeMap<Key, History>,
    count: &mut LayerPackageCounts,
) {
    for (key, cur) in now {
        let version = &cur.record.version;
        match history.get_mut(key) {
            None => {
                count.added += 1;
                history.insert(
                    key.clone(),
                    History {
                        added_layer: layer,
                        version_layer: layer,
                        version: version.clone(),
                        changes: Vec::new(),
                        present: true,
                        removed_layer: None,
                        location: cur.location.to_owned(),
                        name: cur.record.name.clone(),
                        arch: cur.record.arch.clone(),
                    },
                );
            }
            Some(h) if !h.present => {
                count.added += 1;
                h.present = true;
                h.removed_layer = None;
                h.version_layer = layer;
                h.changes.push(PackageChange {
                    layer,
                    change: ChangeKind::Readded,
                    from: None,
                    to: Some(version.clone()),
                });
                h.version = version.clone();
                h.location = cur.location.to_owned();
            }
            Some(h) => {
                h.location = cur.location.to_owned();
                if h.version == *version {
                    continue;
                }
                count.changed += 1;
                let change = match version::compare(key.ecosystem, version, &h.version) {
                    std::cmp::Ordering::Greater => ChangeKind::Upgraded,
                    std::cmp::Ordering::Less => ChangeKind::Downgraded,
                    std::cmp::Ordering::Equal => ChangeKind::Changed,
                };
                h.changes.push(PackageChange {
                    layer,
                    change,
                    from: Some(h.version.clone()),
                    to: Some(version.clone()),
                });
                h.version = version.clone();
                h.version_layer = layer;
            }
        }
    }
    for key in before.keys() {
        if now.contains_key(key) {
            continue;
        }
        if let Some(h) = history.get_mut(key) {
            count.removed += 1;
            h.present = false;
            h.removed_layer = Some(layer);
            h.changes.push(PackageChange {
                layer,
                change: ChangeKind::Removed,
                from: Some(h.version.clone()),
                to: None,
            });
        }
    }
}

/// The distribution: `etc/os-release`, else `usr/lib/os-release`.
fn os_release<'a>(
    live: &BTreeMap<&'a str, FileSource>,
    contents: &Contents<'a>,
) -> Option<&'a OsRelease> {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| {
            let (&path, &source) = live.get_key_value(p)?;
            match content(contents, path, source)? {
                DbContent::OsRelease { release } => Some(&**release),
                _ => None,
            }
        })
}

/// File lists by owner: dpkg lists by package (`NAME` or `NAME:ARCH`),
/// Python RECORDs by dist-info directory.
fn file_lists<'a>(
    live: &BTreeMap<&'a str, FileSource>,
    contents: &Contents<'a>,
) -> HashMap<String, &'a [String]> {
    let mut out = HashMap::new();
    for (&path, &source) in live {
        match content(contents, path, source) {
            Some(DbContent::DpkgFiles { package, files }) => {
                out.insert(format!("dpkg:{package}"), files.as_slice());
            }
            Some(DbContent::PythonRecord { files }) => {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                out.insert(format!("py:{dir}"), files.as_slice());
            }
            _ => {}
        }
    }
    out
}

fn package_files(
    key: &Key,
    current: &Current<'_>,
    lists: &HashMap<String, &[String]>,
) -> Vec<String> {
    let found = match key.ecosystem {
        Ecosystem::Deb => {
            let name = &current.record.name;
            let arch = current.record.arch.as_deref().unwrap_or("");
            lists
                .get(&format!("dpkg:{name}:{arch}"))
                .or_else(|| lists.get(&format!("dpkg:{name}")))
                .or_else(|| {
                    // distroless: status.d/NAME and status.d/NAME.md5sums.
                    let owner = dpkg::list_owner(current.location);
                    lists.get(&format!("dpkg:{owner}"))
                })
        }
        Ecosystem::Pypi => {
            let dir = current.location.rsplit_once('/').map_or("", |(d, _)| d);
            lists.get(&format!("py:{dir}"))
        }
        _ => None,
    };
    found.map(|f| f.to_vec()).unwrap_or_default()
}
