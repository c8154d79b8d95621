//! The core's sharing flow driven in memory, the way a driver runs it:
//! every blob probed once, each layer still unsized inflated exactly once
//! (a layer shared by several gzip inputs is never inflated twice, a layer
//! some input stores uncompressed is never inflated), a failed inflation
//! retried from another input's blob, `--verify` scans each blob once.

use std::collections::BTreeMap;
use std::io::Cursor;

use layerscope::archive::{OpenOptions, TarSource};
use layerscope::layer::{count_uncompressed, probe, scan_layer};
use layerscope::model::BlobLocation;
use layerscope::share::{Admission, BlobJob, ShareSet, SizeSource, open_input};
use layerscope::{Digest, Limits};
use layerscope_test_support::build::{ImageSpec, docker_archive_of, oci_archive_of};
use layerscope_test_support::image::sha256;
use layerscope_test_support::layer::LayerBuilder;

fn layer(path: &str, size: usize, fill: u8) -> Vec<u8> {
    let mut b = LayerBuilder::new();
    b.file(path, &vec![fill; size]);
    b.finish()
}

/// The archives in memory, opened into a set.
struct Driver {
    archives: Vec<Vec<u8>>,
    set: ShareSet,
}

impl Driver {
    fn new(archives: Vec<Vec<u8>>, verify: bool) -> Driver {
        let mut set = ShareSet::new(verify);
        for (i, bytes) in archives.iter().enumerate() {
            let Admission::Open(index) = set.add_input(&format!("input-{i}"), Some(&i.to_string()))
            else {
                panic!("a new input")
            };
            let mut source =
                TarSource::new(Cursor::new(bytes.as_slice()), &Limits::default()).unwrap();
            set.add_images(index, open_input(&mut source, &OpenOptions::default()));
        }
        Driver { archives, set }
    }

    fn blob(&self, job: &BlobJob) -> &[u8] {
        let Some(BlobLocation::ArchiveRange { offset, size, .. }) = &job.plan.location else {
            panic!("an archive range")
        };
        let start = usize::try_from(*offset).unwrap();
        &self.archives[job.input][start..start + usize::try_from(*size).unwrap()]
    }

    /// Runs probes and count rounds; returns how often each diff_id was
    /// inflated.
    fn size(&mut self) -> BTreeMap<Option<Digest>, usize> {
        for job in self.set.probe_jobs() {
            let result = probe(self.blob(&job), &job.plan);
            self.set.record_probe(job.blob, result);
        }
        let mut inflated: BTreeMap<Option<Digest>, usize> = BTreeMap::new();
        for _round in 0..10 {
            let jobs = self.set.count_jobs();
            if jobs.is_empty() {
                return inflated;
            }
            for job in jobs {
                *inflated.entry(job.diff_id.clone()).or_default() += 1;
                let result =
                    count_uncompressed(self.blob(&job.job), &job.job.plan, &Limits::default());
                self.set.record_count(&job, result);
            }
        }
        panic!("count jobs never ran out");
    }
}

fn digest(bytes: &[u8]) -> Option<Digest> {
    Digest::parse(&sha256(bytes)).ok()
}

#[test]
fn each_layer_is_inflated_at_most_once() {
    let base = layer("bin/sh", 50_000, b'b');
    let mid = layer("usr/lib/x", 20_000, b'm');
    let tops: Vec<Vec<u8>> = (0..4)
        .map(|i| layer("app/f", 1000 + i, b'0' + i as u8))
        .collect();
    let image = |i: usize| {
        ImageSpec::new(
            &format!("img{i}"),
            &[(&base, "ADD /"), (&mid, "RUN x"), (&tops[i], "COPY . /app")],
        )
    };
    // Four gzip inputs share base and mid.
    let archives: Vec<Vec<u8>> = (0..4).map(|i| oci_archive_of(&[image(i)], true)).collect();
    let mut driver = Driver::new(archives, false);
    let inflated = driver.size();
    assert_eq!(inflated.len(), 6, "base, mid and four tops");
    assert!(inflated.values().all(|&n| n == 1), "{inflated:?}");
    let report = driver.set.report();
    assert_eq!(report.bytes.unsized_layers, 0);
    let sum = 4 * (base.len() + mid.len()) + tops.iter().map(Vec::len).sum::<usize>();
    assert_eq!(report.bytes.sum_uncompressed, sum as u64);

    // One input stores them uncompressed: the shared layers are never
    // inflated, their size comes from that copy.
    let mut archives: Vec<Vec<u8>> = (0..3).map(|i| oci_archive_of(&[image(i)], true)).collect();
    archives.push(docker_archive_of(&[image(3)]));
    let mut driver = Driver::new(archives, false);
    let inflated = driver.size();
    assert_eq!(
        inflated.keys().cloned().collect::<Vec<_>>(),
        {
            let mut keys: Vec<Option<Digest>> = (0..3).map(|i| digest(&tops[i])).collect();
            keys.sort();
            keys
        },
        "only the layers no input stores plain"
    );
    let report = driver.set.report();
    let base_layer = report
        .layers
        .iter()
        .find(|l| l.diff_id == digest(&base))
        .unwrap();
    assert_eq!(base_layer.size_source, Some(SizeSource::StoredUncompressed));
    assert_eq!(base_layer.uncompressed_size, Some(base.len() as u64));
}

#[test]
fn a_failed_inflation_is_retried_from_another_blob() {
    let base = layer("bin/sh", 50_000, b'b');
    let a = ImageSpec::new("a", &[(&base, "ADD /")]);
    let b = ImageSpec::new("b", &[(&base, "ADD /"), (&layer("x", 10, b'x'), "RUN x")]);
    let mut first = oci_archive_of(&[a], true);
    let second = oci_archive_of(&[b], true);
    // Corrupt the middle of the first archive's base blob (gzip data).
    let gz = layerscope_test_support::layer::gzip(&base);
    let at = first
        .windows(gz.len())
        .position(|w| w == gz.as_slice())
        .unwrap();
    first[at + gz.len() / 2] ^= 0x55;
    first[at + gz.len() / 2 + 1] ^= 0x55;
    let mut driver = Driver::new(vec![first, second], false);
    // Make the corrupt copy the one offered first: both have the same
    // size, the lower blob id wins.
    let inflated = driver.size();
    assert_eq!(
        inflated[&digest(&base)],
        2,
        "retried once, from the other input"
    );
    let report = driver.set.report();
    let base_layer = report
        .layers
        .iter()
        .find(|l| l.diff_id == digest(&base))
        .unwrap();
    assert_eq!(base_layer.uncompressed_size, Some(base.len() as u64));
    assert_eq!(base_layer.size_source, Some(SizeSource::Inflated));
}

#[test]
fn verify_scans_each_blob_once_and_checks_every_image() {
    let base = layer("bin/sh", 5_000, b'b');
    let a = ImageSpec::new("a", &[(&base, "ADD /"), (&layer("a", 10, b'a'), "RUN a")]);
    let b = ImageSpec::new("b", &[(&base, "ADD /"), (&layer("b", 10, b'b'), "RUN b")]);
    // One archive with both images: the base blob is stored once.
    let mut driver = Driver::new(vec![oci_archive_of(&[a, b], true)], true);
    let jobs = driver.set.verify_jobs();
    assert_eq!(jobs.len(), 3, "base once, a, b");
    for job in jobs {
        let result = scan_layer(driver.blob(&job), &job.plan, &Limits::default());
        driver.set.record_scan(job.blob, result);
    }
    assert!(driver.set.count_jobs().is_empty(), "scans give every size");
    let report = driver.set.report();
    assert_eq!(report.verified, Some(true));
    for image in &report.images {
        let verification = image.verification.as_ref().unwrap();
        assert!(verification.ok, "{:?}", verification.failures);
    }
    assert_eq!(report.common_base.layers, 1);
}
