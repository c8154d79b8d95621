//! The plain data the package scan produces: what one database file says
//! ([`DbFile`]), and the packages of an image with their layer history
//! ([`PackageReport`]). Field names serialize in camelCase (docs/json.md).

use serde::{Deserialize, Serialize};

use crate::model::Warning;

/// A package ecosystem, named by its purl type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian packages (dpkg).
    Deb,
    /// Alpine packages (apk).
    Apk,
    /// RPM packages.
    Rpm,
    /// Python distributions (dist-info, egg-info).
    Pypi,
    /// Node packages (`node_modules`).
    Npm,
    /// Go modules compiled into a binary.
    Golang,
    /// Rust crates compiled into a binary (cargo-auditable).
    Cargo,
}

impl Ecosystem {
    /// The purl type (`deb`, `apk`, …).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Golang => "golang",
            Ecosystem::Cargo => "cargo",
        }
    }
}

/// One package as a database file or binary lists it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageRecord {
    /// Package name as the database spells it.
    pub name: String,
    /// Version as the database spells it ("" when it gives none).
    pub version: String,
    /// Architecture (dpkg, apk, rpm), when given.
    pub arch: Option<String>,
    /// Source package / origin (dpkg `Source`, apk `o:`), when given.
    pub source: Option<String>,
    /// License text or expression, when given.
    pub license: Option<String>,
    /// Files the database lists for the package (normalized paths).
    pub files: Vec<String>,
}

/// `/etc/os-release` (or `usr/lib/os-release`): which distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsRelease {
    /// `ID` (e.g. `debian`, `alpine`).
    pub id: Option<String>,
    /// `NAME`.
    pub name: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// `VERSION`.
    pub version: Option<String>,
    /// `VERSION_ID`.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    pub codename: Option<String>,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    /// The file it was read from.
    pub path: String,
    /// How the distribution is named to a person, the one wording of every
    /// driver: `PRETTY_NAME` (else `NAME`, else `ID`), followed by
    /// ` [codename]` when that name does not already contain the
    /// `VERSION_CODENAME`. Set by the parser; empty when the file names
    /// nothing.
    #[serde(default)]
    pub display: String,
}

impl OsRelease {
    /// The wording of [`OsRelease::display`], from the other fields.
    pub fn display_name(&self) -> String {
        let shown = self
            .pretty_name
            .as_deref()
            .or(self.name.as_deref())
            .or(self.id.as_deref())
            .unwrap_or_default();
        match self.codename.as_deref() {
            Some(c) if !shown.contains(c) && shown.is_empty() => format!("[{c}]"),
            Some(c) if !shown.contains(c) => format!("{shown} [{c}]"),
            _ => shown.to_owned(),
        }
    }
}

/// What one database file or binary holds, as parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum DbContent {
    /// dpkg `status` or one distroless `status.d/*` file: installed packages.
    Dpkg {
        /// The packages marked installed.
        packages: Vec<PackageRecord>,
    },
    /// A dpkg file list (`info/*.list`, or a distroless `status.d/*.md5sums`).
    DpkgFiles {
        /// Package name (and `:arch`) the list belongs to.
        package: String,
        /// The listed paths.
        files: Vec<String>,
    },
    /// apk `installed`.
    Apk {
        /// The packages.
        packages: Vec<PackageRecord>,
    },
    /// A Python `METADATA` / `PKG-INFO`.
    Python {
        /// The distribution.
        package: PackageRecord,
    },
    /// A Python `RECORD` (files of the dist-info's distribution).
    PythonRecord {
        /// The listed paths, resolved against the install directory.
        files: Vec<String>,
    },
    /// A `node_modules` package's `package.json`.
    Npm {
        /// The package.
        package: PackageRecord,
    },
    /// os-release.
    OsRelease {
        /// Its fields (boxed: the largest variant otherwise).
        release: Box<OsRelease>,
    },
    /// An rpm database, which is recognised but not read.
    RpmUnread {
        /// Why it is not read.
        reason: String,
    },
    /// A Go binary's build information.
    GoBinary {
        /// The Go toolchain version (`go1.22.1`).
        go_version: String,
        /// The main module's path, when recorded.
        main: Option<String>,
        /// The main module, its dependencies and `stdlib`.
        packages: Vec<PackageRecord>,
    },
    /// A cargo-auditable binary's dependency list.
    Cargo {
        /// The crates compiled in (build-time dependencies left out).
        packages: Vec<PackageRecord>,
    },
    /// A regular executable that carries no package list.
    NoPackages,
}

/// One database file (or binary) of one layer, parsed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbFile {
    /// Index of the entry in its layer's entry list.
    pub entry: usize,
    /// The entry's path.
    pub path: String,
    /// What it holds (None when it could not be read; a warning says why).
    pub content: Option<DbContent>,
}

/// Every database file of one layer that the image's history needs, parsed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerDbFiles {
    /// Layer index.
    pub layer: usize,
    /// The files, in stream order.
    pub files: Vec<DbFile>,
    /// Files skipped or malformed, each naming the file.
    pub warnings: Vec<Warning>,
}

/// How a package's version moved in one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A newer version (by the ecosystem's ordering).
    Upgraded,
    /// An older version.
    Downgraded,
    /// Another version string that orders equal (e.g. `1.0` → `1.0.0`).
    Changed,
    /// The package disappeared in this layer (and came back later).
    Removed,
    /// The package came back after a removal.
    Readded,
}

/// One layer's change to a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageChange {
    /// The layer.
    pub layer: usize,
    /// What happened.
    pub change: ChangeKind,
    /// Version before (None for `readded`).
    pub from: Option<String>,
    /// Version after (None for `removed`).
    pub to: Option<String>,
}

/// A package present in the image (or in the layer asked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// Name as the database spells it.
    pub name: String,
    /// Version.
    pub version: String,
    /// Ecosystem (purl type).
    pub ecosystem: Ecosystem,
    /// Package URL.
    pub purl: String,
    /// Architecture, when the database gives one.
    pub arch: Option<String>,
    /// The layer that first added it.
    pub added_layer: usize,
    /// Later layers that changed its version (or removed and re-added it).
    pub changed_layers: Vec<PackageChange>,
    /// The layer whose database recorded the current version.
    pub version_layer: usize,
    /// The database file or binary that lists it.
    pub location: String,
    /// Source package / origin, when given.
    pub source: Option<String>,
    /// License, when given.
    pub license: Option<String>,
    /// Its files, where the database lists them.
    pub files: Vec<String>,
}

/// A package that a layer removed and no later layer brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedPackage {
    /// Name.
    pub name: String,
    /// The last version present.
    pub version: String,
    /// Ecosystem (purl type).
    pub ecosystem: Ecosystem,
    /// Package URL of that version.
    pub purl: String,
    /// The layer that added it.
    pub added_layer: usize,
    /// The layer that removed it.
    pub removed_layer: usize,
    /// The database file or binary that listed it.
    pub location: String,
}

/// Packages per layer of one image: those present as the chosen layer
/// leaves the image, and those removed on the way.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageReport {
    /// The layer the view is of (the last one for the final image).
    pub layer: Option<usize>,
    /// Present packages, sorted by ecosystem, name, location.
    pub packages: Vec<Package>,
    /// Removed packages, sorted the same way.
    pub removed: Vec<RemovedPackage>,
    /// The distribution, from os-release, when the image has one.
    pub os_release: Option<OsRelease>,
    /// Per layer (bottom first, up to the view's layer): packages it
    /// added, changed and removed.
    pub layer_counts: Vec<LayerPackageCounts>,
    /// Package databases found but not read (rpm), by path.
    pub unread: Vec<UnreadDatabase>,
    /// Malformed or skipped database files, each naming the file.
    pub warnings: Vec<Warning>,
}

/// How many packages one layer added, changed and removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerPackageCounts {
    /// Layer index.
    pub layer: usize,
    /// Packages added (or re-added).
    pub added: u64,
    /// Packages whose version changed.
    pub changed: u64,
    /// Packages removed.
    pub removed: u64,
}

/// A package database layerscope recognises but does not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadDatabase {
    /// Its path.
    pub path: String,
    /// The layer whose version is present.
    pub layer: usize,
    /// Why it is not read.
    pub reason: String,
}
