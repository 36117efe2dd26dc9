//! Checks one output file: (a) the actions the profile requires, (c) the values' validity for
//! their VR, and, given an input to compare with, (b) the input's identifying strings anywhere in
//! the output's bytes: every depth, the file meta, private elements, binary values, and the
//! inflated form of deflated and gzip-compressed files. Pixel data is never read.

use std::fs::File;
use std::path::Path;

use super::catalog::Matcher;
use super::document::{locate, sop_class, value, Levels};
use super::findings::{ElementPath, Kind, Sink};
use super::identifiers::{trimmed, Origin};
use super::rules::expected;
use super::vr_check;
use super::Settings;
use crate::basic::Action;
use crate::dicom::input::Cached;
use crate::dicom::{open, Body, DataSet, Document, FileInput, Input, Notes, Partial, Tag, Visit, Vr};
use crate::error::{ErrorKind, Result};

/// The first bytes of a file are read at once: most headers fit, and pixel data after them is
/// skipped without being read.
pub(super) const HEAD_BYTES: u64 = 16 * 1024;

/// The most bytes of a file that does not parse that are searched for identifying strings.
const MAX_RAW_SCAN: u64 = 64 << 20;

/// What the file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A DICOM file (checked, or reported unreadable).
    Dicom,
    /// Not DICOM and not named as DICOM: only searched as bytes.
    NotDicom,
}

/// Checks the file at `path` into `sink`. `says_dicom` when its name says DICOM, so that a file
/// that does not parse is reported rather than passed over as not DICOM.
pub fn check_file(
    path: &Path,
    says_dicom: bool,
    matcher: Option<Matcher<'_>>,
    settings: &Settings,
    sink: &mut Sink,
) -> FileKind {
    let check = FileCheck { settings, matcher, sink, says_dicom };
    let result = File::open(path).and_then(FileInput::new).and_then(|input| {
        let cached = Cached::new(&input, HEAD_BYTES)?;
        Ok(open(&cached, &settings.limits, check))
    });
    let file = sink.file;
    match result {
        Ok(Ok(kind)) => kind,
        Ok(Err(e)) => {
            // Only errors before the visitor ran land here (a gzip stream that does not inflate).
            sink.whole(file, Kind::Unreadable, format!("{} at byte {}", e.kind.code(), e.offset.unwrap_or(0)));
            FileKind::Dicom
        }
        Err(why) => {
            sink.whole(file, Kind::Unreadable, format!("io: cannot read: {why}"));
            FileKind::Dicom
        }
    }
}

struct FileCheck<'s, 'f> {
    settings: &'s Settings,
    matcher: Option<Matcher<'s>>,
    sink: &'s mut Sink<'f>,
    says_dicom: bool,
}

impl Visit for FileCheck<'_, '_> {
    type Output = FileKind;

    fn document<I: Input + ?Sized>(self, input: &I, doc: &Document, _notes: Notes) -> Result<FileKind> {
        match &doc.inflated {
            Some(inflated) => self.check_document(doc, inflated.as_slice()),
            None => self.check_document(doc, input),
        }
        Ok(FileKind::Dicom)
    }

    fn failed<I: Input + ?Sized>(self, input: &I, partial: Partial, _notes: Notes) -> Result<FileKind> {
        let e = &partial.error;
        let kind = if e.kind == ErrorKind::NotDicom && !self.says_dicom {
            FileKind::NotDicom
        } else {
            let at = e.offset.map(|o| format!(" at byte {o}")).unwrap_or_default();
            let tag = if e.tag_path.is_empty() { String::new() } else { format!(" in {}", e.tag_path) };
            let file = self.sink.file;
            self.sink.whole(file, Kind::Unreadable, format!("{}{at}{tag}", e.kind.code()));
            FileKind::Dicom
        };
        if let Some(m) = self.matcher {
            // Whatever the file is, its bytes may still carry identity.
            if let Ok(raw) = input.read_vec(0, input.len().min(MAX_RAW_SCAN)) {
                let mut origins: Vec<Origin> = m.in_content(&raw).map(|(_, origin)| origin).collect();
                origins.sort_unstable();
                origins.dedup();
                let file = self.sink.file;
                for origin in origins {
                    self.sink.whole(file, Kind::IdentifyingString, origin.rule());
                }
            }
        }
        Ok(kind)
    }
}

impl FileCheck<'_, '_> {
    fn check_document<I: Input + ?Sized>(self, doc: &Document, data: &I) {
        let sop = sop_class(doc, data);
        let mut walk = Walk { settings: self.settings, matcher: self.matcher, sink: self.sink, data, sop: &sop };
        let mut path = ElementPath::default();
        walk.dataset(&doc.meta, &mut path, true, false);
        walk.dataset(&doc.dataset, &mut path, false, false);
        if let Some(m) = self.matcher {
            search_bytes(doc, data, m, walk.sink);
        }
    }
}

struct Walk<'w, 'f, I: Input + ?Sized> {
    settings: &'w Settings,
    matcher: Option<Matcher<'w>>,
    sink: &'w mut Sink<'f>,
    data: &'w I,
    sop: &'w str,
}

impl<I: Input + ?Sized> Walk<'_, '_, I> {
    /// Checks every element of `ds`; `inside_flagged` below a sequence already reported for (a),
    /// whose content is not reported again element by element.
    fn dataset(&mut self, ds: &DataSet, path: &mut ElementPath, in_meta: bool, inside_flagged: bool) {
        for e in &ds.elements {
            let text = if matches!(e.body, Body::Value) && e.vr.is_text() { value(self.data, e) } else { None };
            self.check_vr(e.tag, e.vr, e.value_len, &e.body, text.as_deref(), path);
            let mut flagged = inside_flagged;
            if !inside_flagged {
                let levels = Levels { ds, data: self.data };
                if let Some(x) = expected(e.tag, self.settings.options, self.sop, path.nested(), in_meta, &levels) {
                    flagged = self.check_action(e, x, text.as_deref(), path);
                }
            }
            if let Body::Items(items) = &e.body {
                for (i, item) in items.iter().enumerate() {
                    path.push(e.tag, i);
                    self.dataset(&item.dataset, path, in_meta, flagged);
                    path.pop();
                }
            }
        }
    }

    fn check_vr(&mut self, tag: Tag, vr: Vr, len: Option<u32>, body: &Body, text: Option<&[u8]>, path: &ElementPath) {
        let (Body::Value, Some(len)) = (body, len) else { return };
        let broken = match text {
            Some(v) => vr_check::check(vr, v),
            None if vr.is_text() => None, // too long to read: not checked
            None => vr_check::check_length(vr, u64::from(len)),
        };
        if let Some(rule) = broken {
            self.sink.element(path, tag, Kind::InvalidValue, format!("{vr}: {rule}"));
        }
    }

    /// Reports (a) for one element; returns whether it was reported (so its items are not).
    fn check_action(
        &mut self,
        e: &crate::dicom::Element,
        x: super::rules::Expected,
        text: Option<&[u8]>,
        path: &ElementPath,
    ) -> bool {
        if x.action == Action::K {
            return false;
        }
        if x.action == Action::X {
            self.sink.element(path, e.tag, Kind::MustBeRemoved, x.rule());
            return true;
        }
        if let Body::Items(items) = &e.body {
            let report = self.matcher.is_none() && x.action == Action::Z && !items.is_empty() && !x.dummy_allowed;
            if report {
                self.sink.element(path, e.tag, Kind::MustBeEmpty, x.rule());
            }
            return report;
        }
        let owned = if text.is_none() { value(self.data, e) } else { None };
        let v = text.or(owned.as_deref()).unwrap_or_default();
        let v = trimmed(v);
        match self.matcher {
            Some(m) if m.held(e.tag, v) => {
                self.sink.element(path, e.tag, Kind::HoldsInputValue, x.rule());
                true
            }
            None if x.action == Action::Z && !v.is_empty() && !x.dummy_allowed => {
                self.sink.element(path, e.tag, Kind::MustBeEmpty, x.rule());
                true
            }
            _ => false,
        }
    }
}

/// Searches every byte of the file but the top-level pixel data values for identifying strings
/// and reports each at the element that holds it.
fn search_bytes<I: Input + ?Sized>(doc: &Document, data: &I, m: Matcher<'_>, sink: &mut Sink) {
    let pixel_tags = [Tag::new(0x7FE0, 0x0008), Tag::new(0x7FE0, 0x0009), Tag::PIXEL_DATA];
    let mut ranges = Vec::new();
    let mut from = 0;
    for e in doc.dataset.elements.iter().filter(|e| pixel_tags.contains(&e.tag)) {
        ranges.push((from, e.value_start));
        from = e.end;
    }
    ranges.push((from, data.len()));
    for (start, end) in ranges.into_iter().filter(|(s, e)| e > s) {
        let len = end - start;
        let owned;
        let bytes = if let Some(b) = data.held(start, len) {
            b
        } else {
            owned = data.read_vec(start, len).unwrap_or_default();
            &owned
        };
        for (at, origin) in m.in_content(bytes) {
            if let Some((path, tag)) = locate(doc, start + at as u64) {
                sink.element(&path, tag, Kind::IdentifyingString, origin.rule());
            } else {
                let file = sink.file;
                sink.whole(file, Kind::IdentifyingString, format!("{} (outside any element)", origin.rule()));
            }
        }
    }
}
