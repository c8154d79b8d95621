//! Browser tests: real fixtures opened from `Blob`s inside a dedicated
//! worker (where `FileReaderSync` exists), and from `Uint8Array`s.
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

const OCI_GZIP: &[u8] = include_bytes!("../../../shared/fixtures/dive/test-oci-gzip-image.tar");
const OCI_ZSTD: &[u8] = include_bytes!("../../../shared/fixtures/dive/test-oci-zstd-image.tar");
const OCI_PLAIN: &[u8] =
    include_bytes!("../../../shared/fixtures/dive/test-oci-uncompressed-image.tar");
const DOCKER: &[u8] = include_bytes!("../../../shared/fixtures/dive/test-docker-image.tar");
const NULL_MANIFEST: &[u8] =
    include_bytes!("../../../shared/fixtures/go-containerregistry/tarball-null_manifest.tar");
const NO_MANIFEST: &[u8] =
    include_bytes!("../../../shared/fixtures/go-containerregistry/tarball-no_manifest.tar");

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
    for bytes in [OCI_GZIP, OCI_ZSTD, OCI_PLAIN] {
        let mut session = Session::new();
        let opened = session.open(blob(bytes), None).unwrap();
        assert_eq!(str_at(&opened, "format"), "oci-archive");
        assert_eq!(len_at(&opened, "layers"), 1);
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
    assert_eq!(len_at(&opened, "plans"), 1);
    session.scan_layer(0, None).unwrap();
}

#[wasm_bindgen_test]
fn lists_directories_and_shows_whiteouts_in_their_layer() {
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    assert_eq!(str_at(&opened, "format"), "docker-archive");
    assert_eq!(len_at(&opened, "layers"), 14);
    assert_eq!(len_at(&opened, "history"), 15);
    assert_eq!(
        str_at(&opened, "layers.9.createdBy"),
        "/bin/sh -c rm -rf /root/example/"
    );
    scan_all(&mut session);
    assert_eq!(
        get(&session.report().unwrap(), "verification.ok"),
        JsValue::TRUE
    );

    let root = session.list_layer(9, "root", None, None, None).unwrap();
    let children = get(&root, "children");
    let example = Array::from(&children)
        .iter()
        .find(|c| get(c, "name").as_string().as_deref() == Some("example"))
        .expect("layer 9 lists root/example");
    assert_eq!(str_at(&example, "kind"), "deleted");
    assert_eq!(get(&example, "whiteout"), JsValue::TRUE);

    // Paging.
    let page = session
        .list_layer(0, "bin", Some(1), Some(5), Some("size".into()))
        .unwrap();
    assert!(num_at(&page, "total") > 5.0);
    assert_eq!(len_at(&page, "children"), 5);

    // The columnar table has every node, parents included.
    let table = session.layer_table(9).unwrap();
    let paths = str_at(&table, "paths");
    assert!(paths.split('\n').any(|p| p == "root/example"));
    assert_eq!(
        get(&table, "kinds")
            .dyn_into::<Uint8Array>()
            .unwrap()
            .length(),
        num_at(&table, "count") as u32
    );

    // Not a directory / unknown path / unscanned layer → typed errors.
    let error = session
        .list_layer(9, "no/such/dir", None, None, None)
        .unwrap_err();
    assert_eq!(error_name(&error), "RequestError");
    let error = Session::new()
        .list_layer(0, "", None, None, None)
        .unwrap_err();
    assert_eq!(error_name(&error), "StateError");
}

#[wasm_bindgen_test]
fn reads_files_and_follows_hardlinks() {
    let mut session = Session::new();
    session.open(blob(DOCKER), None).unwrap();
    scan_all(&mut session);
    let text = session.read_file(1, "somefile.txt", None).unwrap().to_vec();
    assert!(!text.is_empty());
    let head = session.read_file(1, "somefile.txt", Some(10.0)).unwrap();
    assert_eq!(head.length(), 10);
    assert_eq!(head.to_vec(), text[..10]);
    // busybox: /bin/ls is a hard link to /bin/[ (or the other way round); both read the same bytes.
    let entry = session.entry(0, "bin/ls").unwrap();
    let kind = str_at(&entry, "kind");
    assert!(kind == "hardlink" || kind == "file", "{kind}");
    let ls = session.read_file(0, "bin/ls", Some(64.0)).unwrap().to_vec();
    assert_eq!(&ls[..4], b"\x7fELF");
    let error = session.read_file(0, "bin", None).unwrap_err();
    assert_eq!(error_name(&error), "RequestError");
}

#[wasm_bindgen_test]
fn a_flipped_byte_is_a_mismatch() {
    let mut session = Session::new();
    let opened = session.open(blob(OCI_PLAIN), None).unwrap();
    let offset = num_at(&opened, "plans.0.location.offset") as usize;
    session.scan_layer(0, None).unwrap();
    let scan = session.layer_scan(0).unwrap();
    let file = Array::from(&get(&scan, "entries"))
        .iter()
        .find(|e| str_at(e, "kind") == "file" && num_at(e, "size") > 0.0)
        .expect("a regular file with data");
    let data = num_at(&file, "dataOffset") as usize;
    let mut corrupt = OCI_PLAIN.to_vec();
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
    let error = session.scan_layer(0, None).unwrap_err();
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
    let error = Session::new().open(blob(NULL_MANIFEST), None).unwrap_err();
    assert_eq!(error_name(&error), "FormatError");
    assert!(
        get(&error, "message")
            .as_string()
            .unwrap()
            .contains("manifest")
    );
    let error = Session::new().open(blob(NO_MANIFEST), None).unwrap_err();
    assert_eq!(error_name(&error), "NotAnImageError");
    let error = Session::new()
        .open(JsValue::from_f64(3.0), None)
        .unwrap_err();
    assert_eq!(error_name(&error), "InputError");
    let error = Session::new()
        .open(blob(OCI_GZIP), Some("{not json".into()))
        .unwrap_err();
    assert_eq!(error_name(&error), "OptionsError");
    // Truncated: cut the archive in the middle of the layer blob.
    let mut session = Session::new();
    let opened = session.open(blob(DOCKER), None).unwrap();
    let offset = num_at(&opened, "plans.0.location.offset") as usize;
    let error = Session::new()
        .open(blob(&DOCKER[..offset + 1000]), None)
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
        Session::scan_layer_range(blob(OCI_GZIP), plan.clone(), None, None, Some(false)).unwrap();
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
    let result = Session::scan_layer_range(blob(DOCKER), plan, Some(limits), None, None).unwrap();
    assert_eq!(num_at(&result, "summary.entryCount"), 415.0);
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
    let error = session.analyze().unwrap_err();
    assert_eq!(error_name(&error), "StateError");
    scan_all(&mut session);
    let view = session.analyze().unwrap();
    let score = num_at(&view, "dive.score");
    assert!(score > 0.0 && score <= 1.0, "{score}");
    assert!(num_at(&view, "waste.wastedBytes") > 0.0);
    assert_eq!(len_at(&view, "changes"), 14);

    let merged = session.merged_table().unwrap();
    let paths = str_at(&merged, "paths");
    assert!(paths.split('\n').any(|p| p == "root/saved.txt"));
    assert!(
        !paths.split('\n').any(|p| p == "root/example"),
        "deleted in layer 9"
    );
    let entry = session.merged_entry("root/saved.txt").unwrap();
    assert!(len_at(&entry, "history") >= 2, "added in 7, chmod in 13");
    let text = session
        .read_merged("root/saved.txt", None)
        .unwrap()
        .to_vec();
    assert_eq!(
        text,
        session
            .read_file(7, "root/saved.txt", None)
            .unwrap()
            .to_vec()
    );

    // Layer 9's whiteout is a change; layer 3's file is wasted (deleted later).
    let table = session.layer_table(3).unwrap();
    let flags = get(&table, "flags")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    let paths: Vec<String> = str_at(&table, "paths")
        .split('\n')
        .map(str::to_owned)
        .collect();
    let i = paths
        .iter()
        .position(|p| p == "root/example/somefile1.txt")
        .unwrap();
    assert_ne!(flags[i] & 16, 0, "wasted");
    assert_ne!(flags[i] & 4, 0, "added");

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
    b.open(blob(OCI_GZIP), None).unwrap();
    scan_all(&mut b);
    let diff = a.diff(&mut b, None, Some(3)).unwrap();
    assert!(num_at(&diff, "removedCount") > 3.0);
    assert_eq!(len_at(&diff, "removed"), 3, "trimmed to the limit");
    assert_eq!(num_at(&diff, "sharedLayers"), 0.0);
    let same = a.diff(&mut a_copy(), None, None).unwrap();
    assert_eq!(
        num_at(&same, "addedCount") + num_at(&same, "removedCount") + num_at(&same, "changedCount"),
        0.0
    );
    assert_eq!(num_at(&same, "sharedLayers"), 14.0);
}

fn a_copy() -> Session {
    let mut s = Session::new();
    s.open(blob(DOCKER), None).unwrap();
    scan_all(&mut s);
    s
}

macro_rules! layout_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                "../../../shared/fixtures/go-containerregistry/layout/test_index_one_image/",
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
            "blobs/sha256/98ceaf93e482fe91b9bfd6bba07137c098e49ee2d55e69f09fb6c951e75e0e46"
        ),
        layout_file!(
            "blobs/sha256/381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810"
        ),
        layout_file!(
            "blobs/sha256/492b89b9dd3cda4596f94916d17f6901455fb8bd7f4c5a2a90df8d39c90f48a0"
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
    let result = Session::scan_layer_range(map.clone().into(), plan, None, None, None).unwrap();
    assert!(num_at(&result, "summary.entryCount") >= 0.0);
    // A missing blob is a missing layer.
    map.delete(&JsValue::from_str(
        "blobs/sha256/381d958b555884ba59574ab5c066e9f6116b5aec3567675aa13bec63331f0810",
    ));
    let mut session = Session::new();
    match session.open(map.into(), None) {
        Err(error) => assert_eq!(error_name(&error), "MissingError"),
        Ok(opened) => {
            let statuses: Vec<String> = Array::from(&get(&opened, "layers"))
                .iter()
                .map(|l| str_at(&l, "status"))
                .collect();
            assert!(statuses.iter().any(|s| s == "missing"), "{statuses:?}");
        }
    }
}
