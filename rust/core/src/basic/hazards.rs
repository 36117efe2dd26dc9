//! File-level hazards under the Basic Profile (docs/basic-profile.md, "File-level hazards"):
//! DICOMDIRs and files whose pixels may show identity are refused, and the file meta is rebuilt
//! from the elements that describe the encoding only.

use super::named::Named;
use super::values::text;
use crate::dicom::{DataSet, Input, Tag};
use crate::edits::NewValue;
use crate::edits::{State, META, TOP};
use crate::error::{Error, ErrorKind, Result};

const MEDIA_STORAGE_SOP_CLASS_UID: Tag = Tag(0x0002_0002);
const SOP_CLASS_UID: Tag = Tag(0x0008_0016);
const DIRECTORY_RECORD_SEQUENCE: Tag = Tag(0x0004_1220);
const BURNED_IN_ANNOTATION: Tag = Tag(0x0028_0301);

/// Media Storage Directory Storage (PS3.10 8.6): the SOP class of a DICOMDIR.
pub const DICOMDIR_CLASS: &str = "1.2.840.10008.1.3.10";

/// SOP classes whose pixels commonly carry burned-in text (ultrasound screens, screen captures,
/// photographs and video of monitors, scanned or encapsulated documents), with a short reason.
pub const BURNED_IN_CLASSES: &[(&str, &str)] = &[
    ("1.2.840.10008.5.1.4.1.1.3", "ultrasound multi-frame (retired)"),
    ("1.2.840.10008.5.1.4.1.1.3.1", "ultrasound multi-frame"),
    ("1.2.840.10008.5.1.4.1.1.6", "ultrasound (retired)"),
    ("1.2.840.10008.5.1.4.1.1.6.1", "ultrasound"),
    ("1.2.840.10008.5.1.4.1.1.6.2", "enhanced ultrasound volume"),
    ("1.2.840.10008.5.1.4.1.1.7", "secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.7.1", "multi-frame single bit secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.7.2", "multi-frame grayscale byte secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.7.3", "multi-frame grayscale word secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.7.4", "multi-frame true color secondary capture"),
    ("1.2.840.10008.5.1.4.1.1.77.1.1.1", "video endoscopic"),
    ("1.2.840.10008.5.1.4.1.1.77.1.2.1", "video microscopic"),
    ("1.2.840.10008.5.1.4.1.1.77.1.4", "VL photographic"),
    ("1.2.840.10008.5.1.4.1.1.77.1.4.1", "video photographic"),
    ("1.2.840.10008.5.1.4.1.1.104.1", "encapsulated PDF"),
    ("1.2.840.10008.5.1.4.1.1.104.2", "encapsulated CDA"),
];

/// The file meta elements a rebuilt meta keeps: group length, version, the SOP class and
/// instance, the transfer syntax and the implementation that wrote it. Source, sending and
/// receiving AE titles, presentation addresses and private meta information (PS3.10 7.1) go.
const META_KEPT: [u32; 7] = [0x0002_0000, 0x0002_0001, 0x0002_0002, 0x0002_0003, 0x0002_0010, 0x0002_0012, 0x0002_0013];

/// The SOP class of the object: (0008,0016), else the meta's (0002,0002), else empty.
///
/// # Errors
/// `io` when the input cannot be read.
pub fn sop_class<I: Input + ?Sized>(state: &State<'_>, input: &I) -> Result<String> {
    for (level, tag) in [(TOP, SOP_CLASS_UID), (META, MEDIA_STORAGE_SOP_CLASS_UID)] {
        if let Some(uid) = state.levels[level].ds.find(tag).map(|e| text(e, input)).transpose()?.flatten() {
            if !uid.is_empty() {
                return Ok(uid);
            }
        }
    }
    Ok(String::new())
}

/// Refuses a DICOMDIR (`dicomdir`) and, unless `allow_burned_in`, an object whose pixel data may
/// show identity (`burned-in`): BurnedInAnnotation YES, or a class of [`BURNED_IN_CLASSES`]
/// without BurnedInAnnotation NO.
///
/// # Errors
/// `dicomdir` or `burned-in` as above; `io` when the input cannot be read.
pub fn check<I: Input + ?Sized>(state: &State<'_>, sop_class: &str, allow_burned_in: bool, input: &I) -> Result<()> {
    let meta = state.levels[META].ds;
    let top = state.levels[TOP].ds;
    let media_class = meta.find(MEDIA_STORAGE_SOP_CLASS_UID).map(|e| text(e, input)).transpose()?.flatten();
    if media_class.as_deref() == Some(DICOMDIR_CLASS) || sop_class == DICOMDIR_CLASS {
        let at = meta.find(MEDIA_STORAGE_SOP_CLASS_UID).map_or(0, |e| e.start);
        return Err(dicomdir(at).within(MEDIA_STORAGE_SOP_CLASS_UID.to_string()));
    }
    if let Some(e) = top.find(DIRECTORY_RECORD_SEQUENCE) {
        return Err(dicomdir(e.start).within(DIRECTORY_RECORD_SEQUENCE.to_string()));
    }
    if allow_burned_in {
        return Ok(());
    }
    let annotation = top.find(BURNED_IN_ANNOTATION);
    let said = annotation.map(|e| text(e, input)).transpose()?.flatten().map(|s| s.to_ascii_uppercase());
    if let (Some(e), Some("YES")) = (annotation, said.as_deref()) {
        return Err(Error::at(
            ErrorKind::BurnedIn,
            e.start,
            "BurnedInAnnotation is YES: the pixel data shows text the basic profile cannot clean; not written",
        )
        .within(BURNED_IN_ANNOTATION.to_string()));
    }
    if said.as_deref() == Some("NO") {
        return Ok(());
    }
    if let Some((_, kind)) = BURNED_IN_CLASSES.iter().find(|(uid, _)| *uid == sop_class) {
        let at = class_element(top, meta);
        return Err(Error::at(
            ErrorKind::BurnedIn,
            at,
            format!("a {kind} object often shows identifying text in its pixels and BurnedInAnnotation is not NO; not written"),
        ));
    }
    Ok(())
}

fn dicomdir(at: u64) -> Error {
    Error::at(
        ErrorKind::Dicomdir,
        at,
        "a DICOMDIR copies patient data into its records; not written under the basic profile",
    )
}

fn class_element(top: &DataSet, meta: &DataSet) -> u64 {
    top.find(SOP_CLASS_UID).or_else(|| meta.find(MEDIA_STORAGE_SOP_CLASS_UID)).map_or(0, |e| e.start)
}

/// Removes every file meta element but [`META_KEPT`], except those a profile rule names.
pub fn rebuild_meta(state: &mut State<'_>, named: &Named) {
    let meta = state.levels[META].ds;
    for e in &meta.elements {
        if !META_KEPT.contains(&e.tag.0) && !named.contains(META, e.tag) {
            state.changes.insert((META, e.tag), NewValue::Removed);
        }
    }
}
