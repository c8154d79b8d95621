//! One-call inspection on the calling thread: open, then scan every layer
//! in order through the same source. Drivers that want parallelism (the
//! CLI, the browser's workers) call [`crate::open_image`] and
//! [`crate::layer::scan_layer`] themselves on readers of their own.

use crate::archive::{ImageSource, OpenOptions, OpenedImage, open_image};
use crate::error::Result;
use crate::layer::{LayerScan, scan_layer};
use crate::report::InspectReport;

/// An opened image with all its layers scanned.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// What opening found.
    pub opened: OpenedImage,
    /// The report with every layer's verification.
    pub report: InspectReport,
    /// Each layer's scan; None where the blob is missing or scanning failed
    /// (the report says why).
    pub scans: Vec<Option<LayerScan>>,
}

/// Opens an image and scans every layer sequentially.
pub fn inspect(source: &mut dyn ImageSource, options: &OpenOptions) -> Result<Inspection> {
    let opened = open_image(source, options)?;
    let mut report = InspectReport::new(&opened);
    let mut scans = Vec::with_capacity(opened.layers.len());
    for plan in &opened.layers {
        let Some(location) = &plan.location else {
            scans.push(None);
            continue;
        };
        let result = source
            .open(location)
            .and_then(|reader| scan_layer(reader, plan, &options.limits));
        match result {
            Ok(scan) => {
                report.apply_scan(&scan);
                scans.push(Some(scan));
            }
            Err(error) => {
                report.apply_failure(plan.index, &error);
                scans.push(None);
            }
        }
    }
    Ok(Inspection {
        opened,
        report,
        scans,
    })
}
