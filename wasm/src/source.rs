//! Where an opened image's bytes come from: the dropped file (`Blob`,
//! `Uint8Array`) read by ranges, or a dropped layout folder (`Map` of
//! path → `File`), and the words describing inputs that fit neither.

use js_sys::Map;
use layerscope::model::BlobLocation;
use layerscope::overlay::SourceOpener;
use layerscope::{ImageSource, LayoutDirSource, Limits, TarSource};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::WasmError;
use crate::input::{InputReader, JsLayoutDir};

/// An opened image's bytes.
pub enum Source {
    /// An image tarball.
    Archive(Box<TarSource<InputReader>>),
    /// An OCI layout folder.
    Layout(LayoutDirSource<JsLayoutDir>),
}

impl Source {
    /// The source of `input`: a `Map` is a layout folder, a `Blob` or
    /// `Uint8Array` an image tarball (its members indexed here).
    pub fn from_js(input: &JsValue, limits: &Limits) -> Result<Source, WasmError> {
        if let Some(map) = input.dyn_ref::<Map>() {
            Ok(Source::Layout(LayoutDirSource::new(JsLayoutDir::new(
                map.clone(),
            ))))
        } else if let Some(reader) = InputReader::from_js(input) {
            Ok(Source::Archive(Box::new(TarSource::new(reader, limits)?)))
        } else {
            Err(WasmError::BadInput(describe(input)))
        }
    }

    /// The core's view of it.
    pub fn as_dyn(&mut self) -> &mut dyn ImageSource {
        match self {
            Source::Archive(s) => &mut **s,
            Source::Layout(s) => s,
        }
    }

    /// A layer opener over it, for the layers at `locations`.
    pub fn opener(&mut self, locations: Vec<Option<BlobLocation>>) -> SourceOpener<'_> {
        SourceOpener {
            source: self.as_dyn(),
            locations,
        }
    }
}

/// What kind of JS value `value` is, in words (for errors).
pub fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else if value.is_null() {
        "null".into()
    } else if let Some(s) = value.js_typeof().as_string() {
        s
    } else {
        "an unknown value".into()
    }
}

/// What kind of place a blob location is, in words (for errors).
pub fn location_kind(location: &BlobLocation) -> &'static str {
    match location {
        BlobLocation::ArchiveRange { .. } => "archive range",
        BlobLocation::LayoutFile { .. } => "layout file",
    }
}
