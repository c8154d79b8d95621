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

/// A gzip layer whose tar breaks early (a garbage header after one file)
/// and, when `corrupt_crc`, whose gzip checksum is wrong at the very end:
/// far past what a decoder reads ahead of the tar parser.
fn broken_gzip_layer(corrupt_crc: bool) -> Vec<u8> {
    use std::io::Write;
    let mut header = tar::Header::new_gnu();
    header.set_path("etc/a").unwrap_or_else(|e| panic!("{e}"));
    header.set_size(1024);
    header.set_mode(0o644);
    header.set_cksum();
    // No end-of-archive marker: the garbage block stands where the next
    // header should.
    let mut raw = header.as_bytes().to_vec();
    raw.extend_from_slice(&[7u8; 1024]);
    raw.extend_from_slice(&[b'x'; 512]);
    // Incompressible filler, so the corrupt trailer is ~256 KiB of
    // compressed bytes past the broken header.
    let mut state: u32 = 0x1234_5678;
    raw.extend((0..256 * 1024).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state.to_le_bytes()[0]
    }));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&raw).unwrap_or_else(|e| panic!("{e}"));
    let mut blob = encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    if corrupt_crc {
        let crc_at = blob.len() - 8;
        if let Some(byte) = blob.get_mut(crc_at) {
            *byte ^= 0xff;
        }
    }
    blob
}

/// Which error a broken layer reports must not depend on how far the
/// decoder happened to read ahead: a corrupt compressed stream anywhere is
/// the reported cause, for every read pattern (the CLI's pipe and the
/// page's slices read differently).
#[test]
fn a_broken_layer_reports_the_same_error_for_every_read_pattern() {
    for (corrupt_crc, expected_kind) in [(true, "DecompressionError"), (false, "LayerFormatError")]
    {
        let blob = broken_gzip_layer(corrupt_crc);
        let plan = layerscope_test_support::model::blob_plan(0, blob.len() as u64);
        let patterns: [Option<Vec<usize>>; 4] = [
            None,
            Some(vec![1]),
            Some(vec![3, 700, 1]),
            Some(vec![20_000]),
        ];
        for pattern in patterns {
            let result = match &pattern {
                None => scan_layer(Cursor::new(blob.as_slice()), &plan, &Limits::default()),
                Some(sizes) => scan_layer(
                    ShortReader::new(Cursor::new(blob.as_slice()), sizes.clone()),
                    &plan,
                    &Limits::default(),
                ),
            };
            let error = result
                .err()
                .unwrap_or_else(|| panic!("{pattern:?}: scanned"));
            assert_eq!(
                error.kind(),
                expected_kind,
                "corrupt crc {corrupt_crc}, reads {pattern:?}: {error}"
            );
        }
    }
}
