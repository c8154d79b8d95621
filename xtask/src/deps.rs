//! The `deps` gate: format work stays in the core.
//!
//! The drivers (`layerscope-cli`, `layerscope-wasm`) must not depend
//! directly on the crates that read image formats — [`FORMAT_CRATES`] — in
//! any dependency section: normal, build *and* dev (a driver's tests that
//! need a tar build it with `layerscope-test-support`, which is where test
//! fixtures are made). Read from `cargo metadata --no-deps`, which lists
//! each package's declared dependencies by package name, so a renamed
//! dependency (`t = { package = "tar" }`) is caught too.
//!
//! And the core must not hand those crates out: [`exposures`] parses every
//! file of the core's `src/` with `syn` and reports, outside `#[cfg(test)]`
//! code,
//! - `pub use` of a path that starts at a format crate, or `pub extern crate`
//!   of one;
//! - `pub` type aliases, constants and statics whose type names one;
//! - `pub` functions (free, inherent methods, trait methods) whose
//!   signature (arguments, return type, generics, where clauses) names one;
//! - `pub` structs' `pub` fields and every field of `pub` enums' variants
//!   whose type names one;
//! - trait impls of a format crate's trait.
//!
//! "Names one" means a path whose first segment is the crate
//! (`tar::Header`, `::sha2::Sha256`) or a name the same file imported from
//! it (`use flate2::read::MultiGzDecoder;`). What it does not see: a type
//! reached through an alias defined in another file, and items that are
//! `pub` inside a private module and never re-exported (reported anyway,
//! which errs on the strict side).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use syn::visit::Visit;

/// Crates that read image formats: only the core may depend on them.
pub const FORMAT_CRATES: [&str; 5] = ["tar", "flate2", "ruzstd", "sha2", "xxhash-rust"];

/// Packages that drive the core and must leave formats to it.
pub const DRIVERS: [&str; 2] = ["layerscope-cli", "layerscope-wasm"];

/// The core package.
pub const CORE: &str = "layerscope";

/// Runs both checks; the error lists every finding, one a line.
pub fn check(root: &Path) -> Result<()> {
    let metadata = metadata(root)?;
    let mut problems = driver_dependencies(&metadata);
    let core_src = package_dir(&metadata, CORE)?.join("src");
    problems.extend(exposures(&core_src, root)?);
    if problems.is_empty() {
        println!(
            "{} depend on none of {}; {CORE} exposes none of them",
            DRIVERS.join(" and "),
            FORMAT_CRATES.join(", ")
        );
        return Ok(());
    }
    bail!(
        "{} format-crate leak(s); only {CORE} may use {}:\n  {}",
        problems.len(),
        FORMAT_CRATES.join(", "),
        problems.join("\n  ")
    )
}

fn metadata(root: &Path) -> Result<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("parsing cargo metadata")
}

fn packages(metadata: &Value) -> impl Iterator<Item = &Value> {
    metadata
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn str_of<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn package_dir(metadata: &Value, name: &str) -> Result<PathBuf> {
    packages(metadata)
        .find(|p| str_of(p, "name") == name)
        .and_then(|p| Path::new(str_of(p, "manifest_path")).parent())
        .map(Path::to_path_buf)
        .with_context(|| format!("package {name} is not in the workspace"))
}

/// `<driver> depends on <crate> (<kind> dependency)` for every direct
/// dependency of a driver on a format crate.
pub fn driver_dependencies(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for package in packages(metadata).filter(|p| DRIVERS.contains(&str_of(p, "name"))) {
        let deps = package
            .get("dependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for dep in deps {
            let name = str_of(dep, "name");
            if FORMAT_CRATES.contains(&name) {
                let kind = dep.get("kind").and_then(Value::as_str).unwrap_or("normal");
                problems.push(format!(
                    "{} depends directly on {name} ({kind} dependency)",
                    str_of(package, "name")
                ));
            }
        }
    }
    problems
}

/// Every way a file under `src` hands out a format crate (see the module
/// documentation), as `<file>: <item> exposes <crate> (<path>)`, the file
/// named relative to `root`.
pub fn exposures(src: &Path, root: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files)?;
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let parsed =
            syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))?;
        let shown = file.strip_prefix(root).unwrap_or(&file);
        for (item, found) in file_exposures(&parsed) {
            problems.push(format!("{}: {item} exposes {found}", shown.display()));
        }
    }
    Ok(problems)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The crate names as they appear in paths (`xxhash-rust` → `xxhash_rust`).
fn crate_idents() -> Vec<String> {
    FORMAT_CRATES.iter().map(|c| c.replace('-', "_")).collect()
}

/// (item, `<crate> (<path>)`) for one parsed file.
pub fn file_exposures(file: &syn::File) -> Vec<(String, String)> {
    let mut scope = Scope {
        crates: crate_idents(),
        imported: Vec::new(),
    };
    collect_imports(&file.items, &mut scope);
    let mut found = Vec::new();
    check_items(&file.items, &scope, &mut found);
    found
}

/// What a file can name a format crate by.
struct Scope {
    crates: Vec<String>,
    /// (name usable in this file, crate it comes from).
    imported: Vec<(String, String)>,
}

impl Scope {
    /// The format crate a path's first segment stands for.
    fn crate_of(&self, first: &str) -> Option<&str> {
        self.crates
            .iter()
            .find(|c| c.as_str() == first)
            .map(String::as_str)
            .or_else(|| {
                self.imported
                    .iter()
                    .find(|(name, _)| name == first)
                    .map(|(_, c)| c.as_str())
            })
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// Names every `use` of a format crate brings into the file (any
/// visibility, any nesting of inline modules).
fn collect_imports(items: &[syn::Item], scope: &mut Scope) {
    for item in items {
        match item {
            syn::Item::Use(u) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                for (path, name) in leaves {
                    let root = path.first().cloned().unwrap_or_default();
                    if let Some(krate) = scope.crate_of(&root).map(str::to_owned) {
                        scope.imported.push((name, krate));
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_imports(inner, scope);
                }
            }
            _ => {}
        }
    }
}

/// Each leaf of a use tree as (full path, name it is imported as).
fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let mut path = prefix.clone();
            let alias = if name == "self" {
                prefix.last().cloned().unwrap_or_default()
            } else {
                path.push(name.clone());
                name
            };
            out.push((path, alias));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((path, r.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), "*".into())),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
    }
}

/// Collects the format-crate paths a syntax node names.
struct Finder<'s> {
    scope: &'s Scope,
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if let Some(first) = path.segments.first()
            && let Some(krate) = self.scope.crate_of(&first.ident.to_string())
        {
            let text = path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            self.found.push(format!("{krate} ({text})"));
        }
        syn::visit::visit_path(self, path);
    }
}

fn names(scope: &Scope, visit: impl FnOnce(&mut Finder<'_>)) -> Option<String> {
    let mut finder = Finder {
        scope,
        found: Vec::new(),
    };
    visit(&mut finder);
    finder.found.dedup();
    (!finder.found.is_empty()).then(|| finder.found.join(", "))
}

fn check_items(items: &[syn::Item], scope: &Scope, found: &mut Vec<(String, String)>) {
    for item in items {
        if item_attrs(item).is_some_and(is_cfg_test) {
            continue;
        }
        match item {
            syn::Item::Use(u) if is_pub(&u.vis) => {
                let mut leaves = Vec::new();
                use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                for (path, _) in leaves {
                    let root = path.first().cloned().unwrap_or_default();
                    if let Some(krate) = scope.crate_of(&root) {
                        found.push((
                            format!("pub use {}", path.join("::")),
                            format!("{krate} (re-export)"),
                        ));
                    }
                }
            }
            syn::Item::ExternCrate(e) if is_pub(&e.vis) => {
                if let Some(krate) = scope.crate_of(&e.ident.to_string()) {
                    found.push((
                        format!("pub extern crate {}", e.ident),
                        format!("{krate} (re-export)"),
                    ));
                }
            }
            syn::Item::Type(t) if is_pub(&t.vis) => {
                if let Some(n) = names(scope, |f| f.visit_item_type(t)) {
                    found.push((format!("pub type {}", t.ident), n));
                }
            }
            syn::Item::Const(c) if is_pub(&c.vis) => {
                if let Some(n) = names(scope, |f| f.visit_type(&c.ty)) {
                    found.push((format!("pub const {}", c.ident), n));
                }
            }
            syn::Item::Static(s) if is_pub(&s.vis) => {
                if let Some(n) = names(scope, |f| f.visit_type(&s.ty)) {
                    found.push((format!("pub static {}", s.ident), n));
                }
            }
            syn::Item::Fn(func) if is_pub(&func.vis) => {
                if let Some(n) = names(scope, |f| f.visit_signature(&func.sig)) {
                    found.push((format!("pub fn {}", func.sig.ident), n));
                }
            }
            syn::Item::Struct(s) if is_pub(&s.vis) => {
                for (i, field) in s.fields.iter().enumerate() {
                    if !is_pub(&field.vis) {
                        continue;
                    }
                    if let Some(n) = names(scope, |f| f.visit_type(&field.ty)) {
                        let name = field
                            .ident
                            .as_ref()
                            .map_or_else(|| i.to_string(), ToString::to_string);
                        found.push((format!("pub struct {} field {name}", s.ident), n));
                    }
                }
            }
            syn::Item::Enum(e) if is_pub(&e.vis) => {
                for variant in &e.variants {
                    if let Some(n) = names(scope, |f| f.visit_fields(&variant.fields)) {
                        found.push((format!("pub enum {}::{}", e.ident, variant.ident), n));
                    }
                }
            }
            syn::Item::Trait(t) if is_pub(&t.vis) => {
                for inner in &t.items {
                    if let syn::TraitItem::Fn(m) = inner
                        && let Some(n) = names(scope, |f| f.visit_signature(&m.sig))
                    {
                        found.push((format!("pub trait {} fn {}", t.ident, m.sig.ident), n));
                    }
                }
            }
            syn::Item::Impl(imp) => check_impl(imp, scope, found),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    check_items(inner, scope, found);
                }
            }
            _ => {}
        }
    }
}

fn check_impl(imp: &syn::ItemImpl, scope: &Scope, found: &mut Vec<(String, String)>) {
    let self_ty = quote_type(&imp.self_ty);
    if let Some((_, trait_path, _)) = &imp.trait_ {
        if let Some(n) = names(scope, |f| f.visit_path(trait_path)) {
            found.push((format!("impl for {self_ty}"), n));
        }
        return;
    }
    for inner in &imp.items {
        if let syn::ImplItem::Fn(m) = inner
            && is_pub(&m.vis)
            && !is_cfg_test(&m.attrs)
            && let Some(n) = names(scope, |f| f.visit_signature(&m.sig))
        {
            found.push((format!("pub fn {self_ty}::{}", m.sig.ident), n));
        }
    }
}

/// A short name for an impl's self type (its last path segment).
fn quote_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map_or_else(String::new, |s| s.ident.to_string()),
        _ => "_".into(),
    }
}

fn item_attrs(item: &syn::Item) -> Option<&[syn::Attribute]> {
    Some(match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<String> {
        let file = syn::parse_file(src).unwrap_or_else(|e| panic!("{e}"));
        file_exposures(&file)
            .into_iter()
            .map(|(item, what)| format!("{item}: {what}"))
            .collect()
    }

    #[test]
    fn finds_reexports_aliases_and_signatures() {
        let got = found(
            r#"
            use flate2::read::MultiGzDecoder;
            use sha2::{Sha256 as S, Digest as _};
            pub use tar::Header;
            pub use ::ruzstd;
            pub extern crate xxhash_rust;
            pub type Gz<R> = MultiGzDecoder<R>;
            pub fn kind(t: tar::EntryType) -> u8 { 0 }
            pub fn hasher() -> S { todo!() }
            pub struct Open { pub inner: Box<MultiGzDecoder<()>>, hidden: tar::Header }
            pub enum E { A(S), B { h: u8 } }
            pub struct D;
            impl D { pub fn of<R: std::io::Read>(e: &mut tar::Entry<'_, R>) {} fn private(h: tar::Header) {} }
            "#,
        );
        let expected = [
            "pub use tar::Header: tar (re-export)",
            "pub use ruzstd: ruzstd (re-export)",
            "pub extern crate xxhash_rust: xxhash_rust (re-export)",
            "pub type Gz: flate2 (MultiGzDecoder)",
            "pub fn kind: tar (tar::EntryType)",
            "pub fn hasher: sha2 (S)",
            "pub struct Open field inner: flate2 (MultiGzDecoder)",
            "pub enum E::A: sha2 (S)",
            "pub fn D::of: tar (tar::Entry)",
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn private_crate_and_test_items_pass() {
        let got = found(
            r#"
            use tar::Header;
            fn header() -> Header { todo!() }
            pub(crate) fn kind(t: tar::EntryType) {}
            pub struct S { inner: Header }
            pub enum Safe { A(u8) }
            pub fn uses_inside() -> u64 { let h = tar::Header::new_gnu(); 0 }
            #[cfg(test)]
            pub fn helper(h: tar::Header) {}
            #[cfg(test)]
            mod tests { pub fn helper(h: tar::Header) {} }
            "#,
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn drivers_depending_on_format_crates_are_named() {
        let metadata = serde_json::json!({"packages": [
            {"name": "layerscope-cli", "dependencies": [
                {"name": "anyhow", "kind": null},
                {"name": "tar", "kind": null},
                {"name": "sha2", "kind": "dev", "rename": "hash"}
            ]},
            {"name": "layerscope-wasm", "dependencies": [{"name": "flate2", "kind": "build"}]},
            {"name": "layerscope", "dependencies": [{"name": "tar", "kind": null}]}
        ]});
        assert_eq!(
            driver_dependencies(&metadata),
            [
                "layerscope-cli depends directly on tar (normal dependency)",
                "layerscope-cli depends directly on sha2 (dev dependency)",
                "layerscope-wasm depends directly on flate2 (build dependency)",
            ]
        );
    }
}
