//! Readers may return fewer bytes than asked, down to one. Scanning a layer
//! and opening a whole archive through arbitrarily short reads must give
//! exactly the result of ordinary reads.

use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use layerscope::layer::{LayerScan, scan_layer};
use layerscope::model::{Compression, LayerPlan};
use layerscope::{Inspection, Limits, OpenOptions, TarSource, inspect};
use layerscope_test_support::fixtures::{generated, shared, shared_present};
use layerscope_test_support::reader::ShortReader;
use layerscope_test_support::require_shared;
use layerscope_tests::{inspect_ok, read_blob};
use proptest::prelude::*;

/// A layer blob with its plan and the scan from ordinary reads.
struct Layer {
    plan: LayerPlan,
    blob: Vec<u8>,
    expected: LayerScan,
}

/// Small real layers: plain (docker-archive), gzip and zstd (OCI); with
/// the shared fixtures, also eStargz (many gzip members) and another zstd.
fn layers() -> &'static [Layer] {
    static LAYERS: OnceLock<Vec<Layer>> = OnceLock::new();
    LAYERS.get_or_init(|| {
        let mut out = Vec::new();
        let mut inputs = vec![
            (generated("multistep.docker.tar"), 1, Compression::None),
            (generated("multistep.docker.tar"), 3, Compression::None),
            (generated("multistep.oci-gzip.tar"), 1, Compression::Gzip),
            (generated("multistep.oci-zstd.tar"), 3, Compression::Zstd),
        ];
        if shared_present("the shared-fixture layers of tests/tests/short_reads.rs") {
            inputs.extend([
                (
                    shared("dive/test-oci-estargz-image.tar"),
                    0,
                    Compression::Gzip,
                ),
                (shared("dive/test-oci-zstd-image.tar"), 0, Compression::Zstd),
            ]);
        }
        for (path, index, compression) in inputs {
            let inspection = inspect_ok(&path);
            let plan = inspection
                .opened
                .layers
                .get(index)
                .cloned()
                .unwrap_or_else(|| panic!("no layer {index}"));
            let location = plan
                .location
                .clone()
                .unwrap_or_else(|| panic!("no location"));
            let blob = read_blob(&path, &location).unwrap_or_else(|e| panic!("{e}"));
            let expected = scan_layer(Cursor::new(blob.clone()), &plan, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(expected.compression, compression, "{}", path.display());
            assert!(!expected.entries.is_empty());
            out.push(Layer {
                plan,
                blob,
                expected,
            });
        }
        out
    })
}

/// Whole archives: uncompressed, gzip and zstd layers (without the shared
/// fixtures, two generated ones).
fn archives() -> &'static [PathBuf] {
    static ARCHIVES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    ARCHIVES.get_or_init(|| {
        if !shared_present("the shared-fixture archives of tests/tests/short_reads.rs") {
            return vec![
                generated("multistep.docker.tar"),
                generated("multistep.oci-zstd.tar"),
            ];
        }
        vec![
            shared("go-containerregistry/mutate-whiteout_dir.tar"),
            shared("dive/test-oci-zstd-image.tar"),
            shared("go-containerregistry/tarball-test_link.tar"),
            generated("multistep.docker.tar"),
        ]
    })
}

fn inspect_file(path: &Path, sizes: Option<Vec<usize>>) -> Inspection {
    let options = OpenOptions::default();
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let result = match sizes {
        None => TarSource::new(file, &options.limits).and_then(|mut s| inspect(&mut s, &options)),
        Some(sizes) => TarSource::new(ShortReader::new(file, sizes), &options.limits)
            .and_then(|mut s| inspect(&mut s, &options)),
    };
    result.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Read sizes: mostly tiny (1 byte, a few bytes), some large.
fn read_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![3 => Just(1usize), 3 => 1usize..16, 2 => 16usize..600, 2 => 600usize..20_000],
        1..24,
    )
}

#[test]
fn one_byte_reads_scan_every_layer_identically() {
    for layer in layers() {
        let scan = scan_layer(
            ShortReader::new(Cursor::new(layer.blob.as_slice()), vec![1]),
            &layer.plan,
            &Limits::default(),
        );
        assert_eq!(
            scan.as_ref().ok(),
            Some(&layer.expected),
            "layer {:?}",
            layer.plan.location
        );
    }
}

#[test]
fn one_byte_reads_open_small_archives_identically() {
    require_shared!();
    for path in [
        shared("go-containerregistry/mutate-whiteout_dir.tar"),
        shared("dive/test-oci-zstd-image.tar"),
    ] {
        let normal = inspect_file(&path, None);
        let short = inspect_file(&path, Some(vec![1]));
        assert_eq!(short.opened, normal.opened, "{}", path.display());
        assert_eq!(short.report, normal.report, "{}", path.display());
        assert_eq!(short.scans, normal.scans, "{}", path.display());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn short_reads_scan_layers_identically(sizes in read_sizes(), which in 0usize..6) {
        let layer = layers().get(which % layers().len()).unwrap_or_else(|| panic!("no layers"));
        let scan = scan_layer(ShortReader::new(Cursor::new(layer.blob.as_slice()), sizes), &layer.plan, &Limits::default());
        let scan = scan.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&scan.entries, &layer.expected.entries);
        prop_assert_eq!(&scan.blob_digest, &layer.expected.blob_digest);
        prop_assert_eq!(&scan.diff_id, &layer.expected.diff_id);
        prop_assert_eq!(&scan, &layer.expected);
    }

    #[test]
    fn short_reads_open_archives_identically(sizes in read_sizes(), which in 0usize..4) {
        let all = archives();
        let path = all.get(which % all.len()).unwrap_or_else(|| panic!("no archives"));
        let normal = inspect_file(path, None);
        let short = inspect_file(path, Some(sizes));
        prop_assert!(short.report.verification.ok);
        prop_assert_eq!(&short.opened, &normal.opened);
        prop_assert_eq!(&short.report, &normal.report);
        prop_assert_eq!(&short.scans, &normal.scans);
    }
}
