//! [`ShareSet`]: the images taking part in a sharing analysis, their
//! stored blobs (each once per input), and what reading those blobs taught.
//!
//! The driver adds inputs (a repeated file is recognised by the identity
//! the driver gives and counted once), opens them, then runs the jobs the
//! set hands out — probe every blob's first bytes, inflate one blob per
//! layer whose size is still unknown, or (`--verify`) scan every blob —
//! and records each result. [`ShareSet::report`] then builds the report.

use std::collections::HashMap;

use crate::archive::open::OpenedImage;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::layer::measure::Counted;
use crate::layer::scan::LayerScan;
use crate::model::{Compression, LayerPlan};
use crate::report::InspectReport;
use crate::share::model::{InputError, InputStatus, ShareReport, SizeSource};

/// One input as the set keeps it.
#[derive(Debug)]
pub(super) struct InputRecord {
    pub(super) name: String,
    identity: Option<String>,
    pub(super) status: InputStatus,
    pub(super) same_as: Option<usize>,
    pub(super) images: Vec<usize>,
    pub(super) errors: Vec<InputError>,
}

/// One analysed image.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) input: usize,
    pub(super) opened: OpenedImage,
    /// Per layer, the stored blob (None when the blob is missing).
    pub(super) blobs: Vec<Option<usize>>,
    /// With `--verify`: the image's verification so far.
    pub(super) report: Option<InspectReport>,
}

/// What scanning a blob proved.
#[derive(Debug, Clone)]
pub(super) struct Scanned {
    pub(super) blob_digest: Digest,
    pub(super) diff_id: Digest,
}

/// One stored blob of one input (images of a multi-image archive that
/// list the same member share it).
#[derive(Debug)]
pub(super) struct Blob {
    pub(super) input: usize,
    /// The plan of the first layer found stored here.
    pub(super) plan: LayerPlan,
    /// Every (image, layer) stored here.
    pub(super) users: Vec<(usize, usize)>,
    /// Compression, once the first bytes were read.
    pub(super) compression: Option<Compression>,
    /// Its uncompressed size, once known, and how.
    pub(super) uncompressed: Option<(u64, SizeSource)>,
    /// Set by `--verify`.
    pub(super) scanned: Option<Scanned>,
    /// Why reading it failed.
    pub(super) failure: Option<String>,
}

/// Where a driver should read: one stored blob of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct BlobJob {
    /// The blob's id in the set (give it back when recording).
    pub blob: usize,
    /// Index of the input holding it (the order of [`ShareSet::add_input`]).
    pub input: usize,
    /// Its layer plan: `location` is where its bytes are.
    pub plan: LayerPlan,
}

/// A layer whose uncompressed size is unknown and the blob to inflate for
/// it ([`crate::layer::count_uncompressed`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CountJob {
    /// The layer's diff_id.
    pub diff_id: Option<Digest>,
    /// The blob to read.
    pub job: BlobJob,
}

/// What [`ShareSet::add_input`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A new input: open it and give its images to [`ShareSet::add_images`].
    Open(usize),
    /// The same file as input `of`: nothing to open.
    Duplicate {
        /// The earlier input.
        of: usize,
    },
}

/// Which layers are the same layer: the diff_id (the config's, else the
/// one `--verify` computed); a layer with neither matches nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum LayerKey {
    Diff(Digest),
    Lone(usize, usize),
}

/// The images of a sharing analysis and what is known about their blobs.
#[derive(Debug, Default)]
pub struct ShareSet {
    pub(super) inputs: Vec<InputRecord>,
    pub(super) images: Vec<Member>,
    pub(super) blobs: Vec<Blob>,
    blob_ids: HashMap<(usize, String), usize>,
    pub(super) verify: bool,
}

impl ShareSet {
    /// An empty set; with `verify`, every image gets a verification
    /// report (scan every blob with [`ShareSet::verify_jobs`]).
    pub fn new(verify: bool) -> ShareSet {
        ShareSet {
            verify,
            ..ShareSet::default()
        }
    }

    /// Adds an input by the name it was given. `identity` names the file
    /// itself (e.g. device and inode): an input whose identity an earlier
    /// one has is a duplicate, counted once.
    pub fn add_input(&mut self, name: &str, identity: Option<&str>) -> Admission {
        let earlier = identity.and_then(|id| {
            self.inputs
                .iter()
                .position(|i| i.identity.as_deref() == Some(id))
        });
        let index = self.inputs.len();
        self.inputs.push(InputRecord {
            name: name.to_owned(),
            identity: identity.map(str::to_owned),
            status: if earlier.is_some() {
                InputStatus::Duplicate
            } else {
                InputStatus::Analysed
            },
            same_as: earlier,
            images: Vec::new(),
            errors: Vec::new(),
        });
        match earlier {
            Some(of) => Admission::Duplicate { of },
            None => Admission::Open(index),
        }
    }

    /// Records what opening input `input` gave (see
    /// [`crate::share::open_input`]): its images, or why it failed.
    pub fn add_images(&mut self, input: usize, opened: Result<Vec<(usize, Result<OpenedImage>)>>) {
        let images = match opened {
            Ok(images) => images,
            Err(error) => {
                self.add_failure(input, &error);
                return;
            }
        };
        for (listing_index, image) in images {
            match image {
                Ok(opened) => self.add_image(input, opened),
                Err(error) => {
                    if let Some(record) = self.inputs.get_mut(input) {
                        record.errors.push(input_error(Some(listing_index), &error));
                    }
                }
            }
        }
    }

    /// Records an input that could not be opened at all.
    pub fn add_failure(&mut self, input: usize, error: &Error) {
        if let Some(record) = self.inputs.get_mut(input) {
            record.status = InputStatus::Unreadable;
            record.errors.push(input_error(None, error));
        }
    }

    fn add_image(&mut self, input: usize, opened: OpenedImage) {
        let image = self.images.len();
        let mut blobs = Vec::with_capacity(opened.layers.len());
        for plan in &opened.layers {
            let Some(location) = &plan.location else {
                blobs.push(None);
                continue;
            };
            let key = (input, location.path().to_owned());
            let id = match self.blob_ids.get(&key) {
                Some(&id) => id,
                None => {
                    let id = self.blobs.len();
                    self.blobs.push(Blob {
                        input,
                        plan: plan.clone(),
                        users: Vec::new(),
                        compression: None,
                        uncompressed: None,
                        scanned: None,
                        failure: None,
                    });
                    self.blob_ids.insert(key, id);
                    id
                }
            };
            if let Some(blob) = self.blobs.get_mut(id) {
                blob.users.push((image, plan.index));
            }
            blobs.push(Some(id));
        }
        if let Some(record) = self.inputs.get_mut(input) {
            record.images.push(image);
        }
        let report = self.verify.then(|| InspectReport::new(&opened));
        self.images.push(Member {
            input,
            opened,
            blobs,
            report,
        });
    }

    /// Number of images analysed so far.
    pub fn image_count(&self) -> usize {
        self.images.len()
    }

    /// Whether some input, or some image of one, could not be analysed.
    pub fn has_unreadable(&self) -> bool {
        self.inputs.iter().any(|i| !i.errors.is_empty())
    }

    /// Every blob whose compression is not known yet: read its first
    /// bytes with [`crate::layer::probe`] and [`ShareSet::record_probe`].
    pub fn probe_jobs(&self) -> Vec<BlobJob> {
        self.blobs
            .iter()
            .enumerate()
            .filter(|(_, b)| b.compression.is_none() && b.failure.is_none())
            .map(|(id, b)| job(id, b))
            .collect()
    }

    /// Records a probe: a blob stored uncompressed gives its layer's size
    /// (its stored length).
    pub fn record_probe(&mut self, blob: usize, result: Result<Compression>) {
        let Some(b) = self.blobs.get_mut(blob) else {
            return;
        };
        match result {
            Ok(compression) => {
                b.compression = Some(compression);
                if compression == Compression::None && b.uncompressed.is_none() {
                    let size = b.plan.location.as_ref().map_or(0, |l| l.size());
                    b.uncompressed = Some((size, SizeSource::StoredUncompressed));
                }
            }
            Err(error) => b.failure = Some(error.to_string()),
        }
    }

    /// One job per distinct layer whose uncompressed size is still
    /// unknown: the smallest of its compressed blobs not yet tried. Run
    /// after the probes; call again after recording failures (another
    /// blob of the same layer is offered) until it is empty. A layer is
    /// never inflated twice.
    pub fn count_jobs(&self) -> Vec<CountJob> {
        let mut jobs = Vec::new();
        for (key, uses) in self.groups() {
            let blobs = self.blobs_of(&uses);
            if blobs.iter().any(|(_, b)| b.uncompressed.is_some()) {
                continue;
            }
            let best = blobs
                .iter()
                .filter(|(_, b)| b.failure.is_none() && b.compression.is_some())
                .min_by_key(|(id, b)| (b.plan.location.as_ref().map_or(0, |l| l.size()), *id));
            if let Some((id, b)) = best {
                jobs.push(CountJob {
                    diff_id: match key {
                        LayerKey::Diff(d) => Some(d),
                        LayerKey::Lone(..) => None,
                    },
                    job: job(*id, b),
                });
            }
        }
        jobs
    }

    /// Records an inflation's count (or why it failed).
    pub fn record_count(&mut self, job: &CountJob, result: Result<Counted>) {
        let Some(b) = self.blobs.get_mut(job.job.blob) else {
            return;
        };
        match result {
            Ok(counted) => {
                b.compression = Some(counted.compression);
                b.uncompressed = Some((counted.uncompressed_size, SizeSource::Inflated));
            }
            Err(error) => b.failure = Some(error.to_string()),
        }
    }

    /// With `--verify`: every blob not scanned yet, each once. Scan it
    /// fully ([`crate::layer::scan_layer`] or a driver's pipeline) and
    /// give the result to [`ShareSet::record_scan`].
    pub fn verify_jobs(&self) -> Vec<BlobJob> {
        self.blobs
            .iter()
            .enumerate()
            .filter(|(_, b)| b.scanned.is_none() && b.failure.is_none())
            .map(|(id, b)| job(id, b))
            .collect()
    }

    /// Records a scan: every image storing the blob gets its checks
    /// (against its own plan); the entries are not kept.
    pub fn record_scan(&mut self, blob: usize, result: Result<LayerScan>) {
        let Some(b) = self.blobs.get_mut(blob) else {
            return;
        };
        let users = b.users.clone();
        let mut scan = match result {
            Ok(scan) => scan,
            Err(error) => {
                b.failure = Some(error.to_string());
                for (image, layer) in users {
                    if let Some(report) = self.images.get_mut(image).and_then(|m| m.report.as_mut())
                    {
                        report.apply_failure(layer, &error);
                    }
                }
                return;
            }
        };
        scan.entries = Vec::new();
        b.compression = Some(scan.compression);
        b.uncompressed = Some((scan.uncompressed_size, SizeSource::Scanned));
        b.scanned = Some(Scanned {
            blob_digest: scan.blob_digest.clone(),
            diff_id: scan.diff_id.clone(),
        });
        for (image, layer) in users {
            let Some(member) = self.images.get_mut(image) else {
                continue;
            };
            let Some(plan) = member.opened.layers.get(layer) else {
                continue;
            };
            let bound = if *plan == b.plan {
                scan.clone()
            } else {
                scan.rebind(plan)
            };
            if let Some(report) = member.report.as_mut() {
                report.apply_scan(&bound);
            }
        }
    }

    /// The sharing report.
    pub fn report(&self) -> ShareReport {
        super::analyse::build(self)
    }

    /// The key of layer `layer` of image `image`.
    pub(super) fn key(&self, image: usize, layer: usize) -> LayerKey {
        let member = self.images.get(image);
        let claimed = member
            .and_then(|m| m.opened.layers.get(layer))
            .and_then(|p| p.diff_id.clone());
        let scanned = || {
            member
                .and_then(|m| m.blobs.get(layer).copied().flatten())
                .and_then(|id| self.blobs.get(id))
                .and_then(|b| b.scanned.as_ref())
                .map(|s| s.diff_id.clone())
        };
        match claimed.or_else(scanned) {
            Some(d) => LayerKey::Diff(d),
            None => LayerKey::Lone(image, layer),
        }
    }

    /// Every distinct layer with its uses, in order of first appearance.
    pub(super) fn groups(&self) -> Vec<(LayerKey, Vec<(usize, usize)>)> {
        let mut order: Vec<(LayerKey, Vec<(usize, usize)>)> = Vec::new();
        let mut position: HashMap<LayerKey, usize> = HashMap::new();
        for (image, member) in self.images.iter().enumerate() {
            for layer in 0..member.opened.layers.len() {
                let key = self.key(image, layer);
                match position.get(&key) {
                    Some(&at) => {
                        if let Some((_, uses)) = order.get_mut(at) {
                            uses.push((image, layer));
                        }
                    }
                    None => {
                        position.insert(key.clone(), order.len());
                        order.push((key, vec![(image, layer)]));
                    }
                }
            }
        }
        order
    }

    /// The distinct blobs storing these uses.
    pub(super) fn blobs_of(&self, uses: &[(usize, usize)]) -> Vec<(usize, &Blob)> {
        let mut out: Vec<(usize, &Blob)> = Vec::new();
        for &(image, layer) in uses {
            let id = self
                .images
                .get(image)
                .and_then(|m| m.blobs.get(layer).copied().flatten());
            if let Some(id) = id {
                if !out.iter().any(|(seen, _)| *seen == id) {
                    if let Some(blob) = self.blobs.get(id) {
                        out.push((id, blob));
                    }
                }
            }
        }
        out
    }
}

fn job(id: usize, blob: &Blob) -> BlobJob {
    BlobJob {
        blob: id,
        input: blob.input,
        plan: blob.plan.clone(),
    }
}

fn input_error(listing_index: Option<usize>, error: &Error) -> InputError {
    InputError {
        listing_index,
        kind: error.kind(),
        message: error.to_string(),
        details: error.details(),
    }
}
