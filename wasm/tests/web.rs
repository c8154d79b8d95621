//! Browser tests: real fixtures opened from `Blob`s inside a dedicated
//! worker (where `FileReaderSync` exists), and from `Uint8Array`s.
//!
//! Only material inside the repository is compiled in (the generated
//! fixtures of `tests/fixtures/generated/`, made by real tools), so a plain
//! clone builds and runs these tests; the images of `../shared/fixtures`
//! are covered in the browser by the `agree` and `e2e` gates, which skip
//! them with one line when they are absent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use js_sys::{Array, Reflect, Uint8Array};
use layerscope_wasm::Session;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// A generated fixture's bytes (`tests/fixtures/generated/NAME`).
macro_rules! generated {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/fixtures/generated/", $name)).as_slice()
    };
}

/// The multi-step image (4 layers) as an OCI archive with gzip layers.
const OCI_GZIP: &[u8] = generated!("multistep.oci-gzip.tar");
/// The same with zstd layers.
const OCI_ZSTD: &[u8] = generated!("multistep.oci-zstd.tar");
/// The same as a docker-archive (uncompressed layers).
const DOCKER: &[u8] = generated!("multistep.docker.tar");
/// Layer 1 turns a file into a directory and a directory into a symlink.
const TYPE_REPLACEMENT: &[u8] = generated!("type-replacement.docker.tar");

fn blob(bytes: &[u8]) -> JsValue {
    let parts = Array::of1(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).unwrap().into()
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.')
        .fold(value.clone(), |v, key| match key.parse::<u32>() {
            Ok(i) if Array::is_array(&v) => Array::from(&v).get(i),
            _ => Reflect::get(&v, &JsValue::from_str(key)).unwrap(),
        })
}

fn str_at(value: &JsValue, path: &str) -> String {
    get(value, path)
        .as_string()
        .unwrap_or_else(|| panic!("{path} is not a string: {:?}", get(value, path)))
}

fn num_at(value: &JsValue, path: &str) -> f64 {
    get(value, path)
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number"))
}

fn len_at(value: &JsValue, path: &str) -> u32 {
    Array::from(&get(value, path)).length()
}

fn error_name(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .expect("a real Error")
        .name()
        .into()
}

fn scan_all(session: &mut Session) {
    for i in 0..session.layer_count() {
        session.scan_layer(i, None).unwrap();
    }
}

#[wasm_bindgen_test]
fn opens_and_verifies_oci_archives_from_blobs() {
    for bytes in [OCI_GZIP, OCI_ZSTD] {
        let mut session = Session::new();
        let opened = session.open(blob(bytes), None).unwrap();
        assert_eq!(str_at(&opened, "format"), "oci-archive");
        assert_eq!(len_at(&opened, "layers"), 4);
        assert_eq!(str_at(&opened, "layers.0.status"), "pending");
        assert!(len_at(&opened, "history") >= 1);
        let progress_calls = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let counter = progress_calls.clone();
        let callback =
            wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |_done: JsValue| {
                counter.set(counter.get() + 1);
            });
        let view = session
            .scan_layer(
                0,
                Some(
                    callback
                        .as_ref()
                        .unchecked_ref::<js_sys::Function>()
                        .clone(),
                ),
            )
            .unwrap();
        assert!(progress_calls.get() >= 1, "progress reported at the end");
        assert_eq!(str_at(&view, "layer.status"), "verified");
        assert!(num_at(&view, "layer.entries") > 0.0);
        assert_eq!(len_at(&view, "checks"), 2);
        for i in 1..session.layer_count() {
            session.scan_layer(i, None).unwrap();
        }
        let report = session.report().unwrap();
        assert_eq!(get(&report, "verification.ok"), JsValue::TRUE);
    }
}

#[wasm_bindgen_test]
fn opens_from_uint8array_too() {
    let mut session = Session::new();
    let opened = session
        .open(Uint8Array::from(OCI_GZIP).into(), Some("{}".into()))
        .unwrap();
    assert_eq!(len_at(&opened, "plans"), 4);
    session.scan_layer(0, None).unwrap();
}

#[wasm_bindgen_test]
fn lists_directories_and_shows_whiteouts_in_their_layer() {
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    assert_eq!(str_at(&opened, "format"), "docker-archive");
    assert_eq!(len_at(&opened, "layers"), 4);
    assert_eq!(len_at(&opened, "history"), 11);
    assert!(str_at(&opened, "layers.2.createdBy").contains("rm /app/delete-me.txt"));
    scan_all(&mut session);
    assert_eq!(
        get(&session.report().unwrap(), "verification.ok"),
        JsValue::TRUE
    );

    // Layer 2 deletes app/delete-me.txt with a whiteout.
    let app = session.list_layer(2, "app", None, None, None).unwrap();
    let children = get(&app, "children");
    let deleted = Array::from(&children)
        .iter()
        .find(|c| get(c, "name").as_string().as_deref() == Some("delete-me.txt"))
        .expect("layer 2 lists app/delete-me.txt");
    assert_eq!(str_at(&deleted, "kind"), "deleted");
    assert_eq!(get(&deleted, "whiteout"), JsValue::TRUE);

    // Paging.
    let page = session
        .list_layer(0, "bin", Some(1), Some(5), Some("size".into()))
        .unwrap();
    assert!(num_at(&page, "total") > 5.0);
    assert_eq!(len_at(&page, "children"), 5);

    // The columnar table has every node, parents included.
    let table = session.layer_table(2).unwrap();
    let paths = str_at(&table, "paths");
    assert!(paths.split('\n').any(|p| p == "app/delete-me.txt"));
    assert!(paths.split('\n').any(|p| p == "app"));
    assert_eq!(
        get(&table, "kinds")
            .dyn_into::<Uint8Array>()
            .unwrap()
            .length(),
        num_at(&table, "count") as u32
    );

    // Not a directory / unknown path / unscanned layer → typed errors.
    let error = session
        .list_layer(2, "no/such/dir", None, None, None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "RequestError");
    let error = session
        .list_layer(1, "app/hello.txt", None, None, None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "RequestError");
    let error = Session::new()
        .list_layer(0, "", None, None, None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "StateError");
}

/// The change word of `path` in a layer table, from the core's words.
fn change_of(table: &JsValue, path: &str) -> (String, u8) {
    let paths: Vec<String> = str_at(table, "paths")
        .split('\n')
        .map(str::to_owned)
        .collect();
    let i = paths
        .iter()
        .position(|p| p == path)
        .unwrap_or_else(|| panic!("{path} listed"));
    let codes = get(table, "changes")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let flags = get(table, "flags")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let word = Array::from(&get(table, "changeNames"))
        .get(u32::from(codes[i]))
        .as_string()
        .unwrap_or_default();
    (word, flags[i])
}

/// Issue 9: the page's badges come from the core's one definition — a type
/// replacement is `modified`, not `added`.
#[wasm_bindgen_test]
fn a_type_replacement_is_modified_in_the_layer_table() {
    let mut session = Session::new();
    session.open(blob(TYPE_REPLACEMENT), None).unwrap();
    scan_all(&mut session);
    let before = session.layer_table(1).unwrap();
    assert_eq!(
        change_of(&before, "etc/conf").0,
        "",
        "no word before analyze"
    );
    session.analyze().unwrap();
    let table = session.layer_table(1).unwrap();
    for path in ["etc/conf", "opt/x"] {
        let (word, flags) = change_of(&table, path);
        assert_eq!(word, "modified", "{path}");
        assert_eq!(flags & (4 | 8), 8, "{path}: the modified flag, not added");
    }
    for path in ["part", "etc/conf/main.conf"] {
        let (word, flags) = change_of(&table, path);
        assert_eq!(word, "added", "{path}");
        assert_ne!(flags & 4, 0, "{path}");
    }
    assert_eq!(change_of(&table, "etc").0, "unchanged");
    let entry = session.entry(1, "etc/conf").unwrap();
    assert_eq!(str_at(&entry, "change.action"), "modified");
    assert_eq!(str_at(&entry, "change.previousKind"), "file");
    assert_eq!(str_at(&entry, "change.aspects.0"), "type");
}

#[wasm_bindgen_test]
fn reads_files_and_follows_hardlinks() {
    let mut session = Session::new();
    session.open(blob(DOCKER), None).unwrap();
    scan_all(&mut session);
    let text = session
        .read_file(1, "app/hello.txt", None)
        .unwrap()
        .to_vec();
    assert_eq!(text, b"hello\n");
    let head = session.read_file(1, "app/hello.txt", Some(3.0)).unwrap();
    assert_eq!(head.to_vec(), b"hel");
    // Layer 3 writes app/linked-a and the hard link app/linked-b to it.
    let entry = session.entry(3, "app/linked-b").unwrap();
    assert_eq!(str_at(&entry, "kind"), "hardlink");
    assert_eq!(num_at(&entry, "dataSize"), 7.0);
    let a = session.read_file(3, "app/linked-a", None).unwrap().to_vec();
    let b = session.read_file(3, "app/linked-b", None).unwrap().to_vec();
    assert_eq!(a, b"linked\n");
    assert_eq!(a, b);
    let error = session
        .read_file(0, "bin", None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "RequestError");
}

#[wasm_bindgen_test]
fn a_flipped_byte_is_a_mismatch() {
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let offset = num_at(&opened, "plans.0.location.offset") as usize;
    session.scan_layer(0, None).unwrap();
    let scan = session.layer_scan(0).unwrap();
    let file = Array::from(&get(&scan, "entries"))
        .iter()
        .find(|e| str_at(e, "kind") == "file" && num_at(e, "size") > 0.0)
        .expect("a regular file with data");
    let data = num_at(&file, "dataOffset") as usize;
    let mut corrupt = DOCKER.to_vec();
    corrupt[offset + data] ^= 0x20;

    let mut session = Session::new();
    session.open(blob(&corrupt), None).unwrap();
    let view = session.scan_layer(0, None).unwrap();
    assert_eq!(str_at(&view, "layer.status"), "mismatch");
    assert_eq!(get(&view, "layer.verified"), JsValue::FALSE);
    let check = Array::from(&get(&view, "checks"))
        .iter()
        .find(|c| str_at(c, "status") == "mismatch")
        .unwrap();
    assert_ne!(str_at(&check, "expected"), str_at(&check, "actual"));
    assert_eq!(
        get(&session.report().unwrap(), "verification.ok"),
        JsValue::FALSE
    );
}

#[wasm_bindgen_test]
fn a_corrupt_gzip_layer_fails_with_a_name_and_details() {
    let mut session = Session::new();
    let opened = session.open(blob(OCI_GZIP), None).unwrap();
    let offset = num_at(&opened, "plans.0.location.offset") as usize;
    let size = num_at(&opened, "plans.0.location.size") as usize;
    let mut corrupt = OCI_GZIP.to_vec();
    corrupt[offset + size / 2] ^= 0xff;
    let mut session = Session::new();
    session.open(blob(&corrupt), None).unwrap();
    let error = session
        .scan_layer(0, None)
        .map_err(JsValue::from)
        .unwrap_err();
    let name = error_name(&error);
    assert!(
        ["DecompressionError", "LayerFormatError"].contains(&name.as_str()),
        "unexpected {name}"
    );
    assert_eq!(num_at(&error, "details.layer"), 0.0);
    let view = session.layer_view(0).unwrap();
    assert_eq!(str_at(&view, "layer.status"), "failed");
}

#[wasm_bindgen_test]
fn bad_archives_are_named_errors() {
    // A tar that is no image: one layer of the docker-archive on its own.
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let offset = num_at(&opened, "plans.1.location.offset") as usize;
    let size = num_at(&opened, "plans.1.location.size") as usize;
    let error = Session::new()
        .open(blob(&DOCKER[offset..offset + size]), None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "NotAnImageError");
    // manifest.json naming no config: a format error about the manifest.
    let mut broken = DOCKER.to_vec();
    let key = b"\"Config\":\"";
    let at = broken
        .windows(key.len())
        .position(|w| w == key)
        .expect("manifest.json in the archive");
    broken[at + 1] = b'X';
    let error = Session::new()
        .open(blob(&broken), None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "FormatError");
    assert!(
        get(&error, "message")
            .as_string()
            .unwrap()
            .contains("manifest")
    );
    let error = Session::new()
        .open(JsValue::from_f64(3.0), None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "InputError");
    let error = Session::new()
        .open(blob(OCI_GZIP), Some("{not json".into()))
        .map_err(JsValue::from)
        .unwrap_err();
    assert_eq!(error_name(&error), "OptionsError");
    // Truncated: cut the archive in the middle of the layer blob.
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let offset = num_at(&opened, "plans.0.location.offset") as usize;
    let error = Session::new()
        .open(blob(&DOCKER[..offset + 1000]), None)
        .map_err(JsValue::from)
        .unwrap_err();
    assert!(!error_name(&error).is_empty());
}

#[wasm_bindgen_test]
fn splits_a_compressed_layer_between_a_hashing_and_a_scanning_worker() {
    let mut session = Session::new();
    let opened = session.open(blob(OCI_GZIP), None).unwrap();
    let plan = js_sys::JSON::stringify(&get(&opened, "plans.0"))
        .unwrap()
        .as_string()
        .unwrap();
    let scanned =
        Session::scan_layer_range(blob(OCI_GZIP), plan.clone(), None, None, Some(false), None)
            .unwrap();
    assert_eq!(get(&scanned, "summary.storedHashed"), JsValue::FALSE);
    let hashed = Session::hash_blob_range(blob(OCI_GZIP), plan, None).unwrap();
    let digest = str_at(&hashed, "digest");
    assert_eq!(digest, str_at(&opened, "plans.0.digest"));
    let bytes = get(&scanned, "scan")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let view = session.add_scan(&bytes, Some(digest)).unwrap();
    assert_eq!(str_at(&view, "layer.status"), "verified");
    // A wrong stored digest fails the blob check.
    let wrong = format!("sha256:{}", "0".repeat(64));
    let view = session.add_scan(&bytes, Some(wrong)).unwrap();
    assert_eq!(str_at(&view, "layer.status"), "mismatch");
}

#[wasm_bindgen_test]
fn scans_in_another_worker_from_the_plan_alone() {
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let plan = js_sys::JSON::stringify(&get(&opened, "plans.0"))
        .unwrap()
        .as_string()
        .unwrap();
    let limits = js_sys::JSON::stringify(&get(&opened, "limits"))
        .unwrap()
        .as_string()
        .unwrap();
    let result =
        Session::scan_layer_range(blob(DOCKER), plan, Some(limits), None, None, None).unwrap();
    assert_eq!(num_at(&result, "summary.entryCount"), 279.0);
    let bytes = get(&result, "scan")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let view = session.add_scan(&bytes, None).unwrap();
    assert_eq!(str_at(&view, "layer.status"), "verified");
    assert!(
        num_at(
            &session.list_layer(0, "", None, None, None).unwrap(),
            "total"
        ) > 5.0
    );
}

#[wasm_bindgen_test]
fn analyzes_merges_and_exports() {
    let mut session = Session::new();
    session.open(blob(DOCKER), None).unwrap();
    // Needs every layer.
    let error = session.analyze().map_err(JsValue::from).unwrap_err();
    assert_eq!(error_name(&error), "StateError");
    scan_all(&mut session);
    let view = session.analyze().unwrap();
    let score = num_at(&view, "dive.score");
    assert!(score > 0.0 && score <= 1.0, "{score}");
    assert!(num_at(&view, "waste.wastedBytes") > 0.0);
    assert_eq!(len_at(&view, "changes"), 4);

    let merged = session.merged_table().unwrap();
    let paths = str_at(&merged, "paths");
    assert!(paths.split('\n').any(|p| p == "app/hello.txt"));
    assert!(
        !paths.split('\n').any(|p| p == "app/delete-me.txt"),
        "deleted in layer 2"
    );
    let entry = session.merged_entry("app/data").unwrap();
    assert!(len_at(&entry, "history") >= 2, "added in 1, chmod in 3");
    let text = session.read_merged("app/hello.txt", None).unwrap().to_vec();
    assert_eq!(
        text,
        session
            .read_file(1, "app/hello.txt", None)
            .unwrap()
            .to_vec()
    );
    // The second name of a hard-linked pair reads the bytes of its source entry.
    assert_eq!(
        session.read_merged("app/linked-b", None).unwrap().to_vec(),
        b"linked\n"
    );

    // Layer 1's app/delete-me.txt is added there and wasted (deleted in layer 2).
    let table = session.layer_table(1).unwrap();
    let (word, flags) = change_of(&table, "app/delete-me.txt");
    assert_eq!(word, "added");
    assert_ne!(flags & 16, 0, "wasted");
    assert_ne!(flags & 4, 0, "added");

    let chunks = std::rc::Rc::new(std::cell::RefCell::new(Vec::<u8>::new()));
    let sink = chunks.clone();
    let callback =
        wasm_bindgen::closure::Closure::<dyn FnMut(Uint8Array)>::new(move |c: Uint8Array| {
            sink.borrow_mut().extend(c.to_vec());
        });
    let summary = session
        .export_tar(
            None,
            callback
                .as_ref()
                .unchecked_ref::<js_sys::Function>()
                .clone(),
        )
        .unwrap();
    assert!(num_at(&summary, "files") > 0.0);
    let tar = chunks.borrow();
    assert!(tar.len() > 1024 && tar.len() % 512 == 0);
    assert_eq!(&tar[257..262], b"ustar");
}

#[wasm_bindgen_test]
fn diffs_two_images() {
    let mut a = Session::new();
    a.open(blob(DOCKER), None).unwrap();
    scan_all(&mut a);
    let mut b = Session::new();
    b.open(blob(TYPE_REPLACEMENT), None).unwrap();
    scan_all(&mut b);
    let diff = a.diff(&mut b, None, Some(3)).unwrap();
    assert!(num_at(&diff, "removedCount") > 3.0);
    assert_eq!(len_at(&diff, "removed"), 3, "trimmed to the limit");
    assert_eq!(num_at(&diff, "sharedLayers"), 0.0);
    // The same image in another container: the same layers, no file differs.
    let mut gzip = Session::new();
    gzip.open(blob(OCI_GZIP), None).unwrap();
    scan_all(&mut gzip);
    let same = a.diff(&mut gzip, None, None).unwrap();
    assert_eq!(
        num_at(&same, "addedCount") + num_at(&same, "removedCount") + num_at(&same, "changedCount"),
        0.0
    );
    assert_eq!(num_at(&same, "sharedLayers"), 4.0);
}

macro_rules! layout_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                "../../tests/fixtures/generated/multistep.oci-layout/",
                $name
            ))
            .as_slice(),
        )
    };
}

#[wasm_bindgen_test]
fn opens_a_layout_folder_from_a_map_of_files() {
    let files = [
        layout_file!("oci-layout"),
        layout_file!("index.json"),
        layout_file!(
            "blobs/sha256/b25a229b9b776e493db33f01729904228970f9610eff9d11249c11de817cd52c"
        ),
        layout_file!(
            "blobs/sha256/db42acb657310f6ac5987de146171f81fd63d4e0f0d38730995fe2ba2a6e70ca"
        ),
        layout_file!(
            "blobs/sha256/50de309db8e0609abfa58a18a04bbf64c426ee4336c518ab1dd1738c7b68eaf2"
        ),
        layout_file!(
            "blobs/sha256/0ca2cdcd65478388382b445c271c763125c62b00f90176a106e340e385fe4599"
        ),
        layout_file!(
            "blobs/sha256/ace6344e6a361149aeae993408053b250a96a5c71dc3aa5c4a99b286df130f6a"
        ),
        layout_file!(
            "blobs/sha256/bebf5222f6dc10d97f4aa9b3f42c8e4cc7582aaa5afd8a8886d7b9d83380c37c"
        ),
    ];
    let map = js_sys::Map::new();
    for (path, bytes) in files {
        map.set(&JsValue::from_str(path), &blob(bytes));
    }
    let mut session = Session::new();
    let opened = session.open(map.clone().into(), None).unwrap();
    assert_eq!(str_at(&opened, "format"), "oci-layout");
    assert_eq!(str_at(&opened, "plans.0.location.type"), "layoutFile");
    for i in 0..session.layer_count() {
        session.scan_layer(i, None).unwrap();
    }
    assert_eq!(
        get(&session.report().unwrap(), "verification.ok"),
        JsValue::TRUE
    );
    // An extra worker scans from the same map.
    let plan = js_sys::JSON::stringify(&get(&opened, "plans.0"))
        .unwrap()
        .as_string()
        .unwrap();
    let result =
        Session::scan_layer_range(map.clone().into(), plan, None, None, None, None).unwrap();
    assert!(num_at(&result, "summary.entryCount") >= 0.0);
    // A missing blob is a missing layer.
    map.delete(&JsValue::from_str(
        "blobs/sha256/ace6344e6a361149aeae993408053b250a96a5c71dc3aa5c4a99b286df130f6a",
    ));
    let mut session = Session::new();
    match session.open(map.into(), None) {
        Err(error) => assert_eq!(error_name(&JsValue::from(error)), "MissingError"),
        Ok(opened) => {
            let statuses: Vec<String> = Array::from(&get(&opened, "layers"))
                .iter()
                .map(|l| str_at(&l, "status"))
                .collect();
            assert!(statuses.iter().any(|s| s == "missing"), "{statuses:?}");
        }
    }
}

/// 64-bit integers arrive exact: numbers up to 2^53 − 1, `BigInt` above
/// (XXH3 content hashes use all 64 bits); missing values are `null`.
#[wasm_bindgen_test]
fn large_integers_arrive_exact_and_missing_values_are_null() {
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let plan = js_sys::JSON::stringify(&get(&opened, "plans.1"))
        .unwrap()
        .as_string()
        .unwrap();
    let result = Session::scan_layer_range(blob(DOCKER), plan, None, None, None, None).unwrap();
    let bytes = get(&result, "scan")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    // The scan as exact JSON (serde_json keeps u64 exact).
    let exact: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    session.add_scan(&bytes, None).unwrap();
    let scan = session.layer_scan(1).unwrap();
    let entries = Array::from(&get(&scan, "entries"));
    let mut big = 0;
    for (i, want) in exact["entries"].as_array().unwrap().iter().enumerate() {
        let got = entries.get(i as u32);
        let size = get(&got, "size");
        assert_eq!(
            size.as_f64(),
            want["size"].as_u64().map(|s| s as f64),
            "sizes are numbers"
        );
        match want["contentHash"].as_u64() {
            Some(hash) if hash > (1 << 53) - 1 => {
                let value = get(&got, "contentHash");
                assert!(value.is_bigint(), "{hash} arrives as a BigInt");
                let text = js_sys::BigInt::from(value).to_string(10).unwrap();
                assert_eq!(String::from(text), hash.to_string());
                big += 1;
            }
            Some(hash) => assert_eq!(get(&got, "contentHash").as_f64(), Some(hash as f64)),
            None => assert!(get(&got, "contentHash").is_null()),
        }
        if want["linkTarget"].is_null() {
            assert!(
                get(&got, "linkTarget").is_null(),
                "None is null, not undefined"
            );
        }
    }
    assert!(big > 0, "some content hash is above 2^53");
}
