//! The identifying strings of an input (docs/verify.md, "What (b) looks for"): the values of
//! every element the profile changes (at any depth, file meta and private elements included),
//! and the input's file and folder names. Strings too short, or too common, to mean anything are
//! left out so that a clean output gives no false alarm.

use std::collections::{HashMap, HashSet};

use super::document::{value, Levels};
use super::rules::{expected, Expected};
use super::Settings;
use crate::dicom::{Body, DataSet, Document, Input, Tag, Vr};

/// UIDs under the DICOM root name SOP classes, transfer syntaxes and coding schemes: they are
/// the same in every file and identify nobody.
const DICOM_UID_ROOT: &[u8] = b"1.2.840.10008.";

/// Longest value kept for the same-value comparison of check (a).
const MAX_COMPARED: u32 = 4096;

/// Where an identifying string comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The value of this element of the input (searched in content and names).
    Value(Tag),
    /// An input file or folder name (searched in names only).
    Name,
}

impl Origin {
    /// The rule a finding shows: `value of input (0010,0020)`, `input file or folder name`.
    #[must_use]
    pub fn rule(self) -> String {
        match self {
            Origin::Value(tag) => format!("value of input {tag}"),
            Origin::Name => "input file or folder name".to_string(),
        }
    }
}

/// An identifying string, where it comes from, and whether it is a date or time.
pub type Found = (Box<[u8]>, Origin, bool);

/// A compared value: (tag, value, whether a date or time).
pub type Compared = (u32, Box<[u8]>, bool);

/// What makes an input recognisable.
#[derive(Debug, Default)]
pub struct Identifiers {
    /// String -> where it comes from; a value wins over a name, as values are searched more widely.
    strings: HashMap<Box<[u8]>, Origin>,
    /// (tag, value) of every element the profile changes, for check (a).
    values: HashSet<(u32, Box<[u8]>)>,
    /// Dates and times (DA, DT, TM), kept apart: see [`super::catalog::Catalog`].
    temporal: Option<Box<Identifiers>>,
}

impl Identifiers {
    /// Adds the names of the input's relative path: each folder and the file name without its
    /// DICOM and gzip extensions.
    pub fn add_names(&mut self, relative: &str, min_len: usize) {
        for part in relative.split('/') {
            let stem = strip_extensions(part);
            if meaningful(stem.as_bytes(), min_len) {
                self.strings.entry(stem.as_bytes().into()).or_insert(Origin::Name);
            }
        }
    }

    /// Adds everything the profile changes in `doc`, whose values are read from `data`.
    pub fn add_document<I: Input + ?Sized>(&mut self, doc: &Document, data: &I, settings: &Settings) {
        let sop_class = super::document::sop_class(doc, data);
        let mut kept = HashSet::new();
        let mut walker = Walker { ids: self, data, settings, sop_class: &sop_class, kept: &mut kept };
        walker.dataset(&doc.meta, true, false, false);
        walker.dataset(&doc.dataset, false, false, false);
        // A string the profile keeps elsewhere in the same input (an option's K, an element the
        // table does not name) is in the output by right: searching for it would only raise alarms
        // no one can clear (a kept Institution Name equal to a removed Issuer of Patient ID).
        if !kept.is_empty() {
            let legitimate = |s: &[u8]| kept.contains(&s.to_ascii_lowercase().into_boxed_slice());
            self.strings.retain(|s, _| !legitimate(s));
            if let Some(t) = self.temporal.as_mut() {
                t.strings.retain(|s, _| !legitimate(s));
            }
        }
    }

    fn temporal_mut(&mut self) -> &mut Identifiers {
        self.temporal.get_or_insert_with(Box::default)
    }

    fn insert(&mut self, string: Box<[u8]>, origin: Origin) {
        let slot = self.strings.entry(string).or_insert(origin);
        if *slot == Origin::Name {
            *slot = origin;
        }
    }

    /// Takes the strings apart: (string, origin, whether a date or time), and the compared
    /// values: (tag, value, whether a date or time).
    pub(super) fn into_parts(self) -> (Vec<Found>, Vec<Compared>) {
        let mut strings: Vec<_> = self.strings.into_iter().map(|(s, o)| (s, o, false)).collect();
        let mut values: Vec<_> = self.values.into_iter().map(|(t, v)| (t, v, false)).collect();
        if let Some(t) = self.temporal {
            strings.extend(t.strings.into_iter().map(|(s, o)| (s, o, true)));
            values.extend(t.values.into_iter().map(|(t, v)| (t, v, true)));
        }
        (strings, values)
    }
}

/// Strips `.gz` and then a DICOM extension, as outputs are named from inputs.
#[allow(clippy::case_sensitive_file_extension_comparisons)] // compared lowercased
fn strip_extensions(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    let mut end = name.len();
    if lower[..end].ends_with(".gz") {
        end -= 3;
    }
    for ext in [".dcm", ".dicom", ".ima"] {
        if lower[..end].ends_with(ext) {
            end -= ext.len();
            break;
        }
    }
    &name[..end]
}

/// Whether a string is long enough to mean something: `min_len` characters, and for strings of
/// digits and dots only (numbers, dates, times), 8, since shorter ones turn up by chance inside
/// UIDs and other numbers.
#[must_use]
pub fn meaningful(s: &[u8], min_len: usize) -> bool {
    let numeric = s.iter().all(|&b| b.is_ascii_digit() || b == b'.');
    s.len() >= if numeric { min_len.max(8) } else { min_len }
}

/// VRs whose values are identifying strings when the profile changes the element.
fn text_identifier(vr: Vr) -> bool {
    vr.is_text() && vr != Vr::CS
}

/// VRs whose values inside a cleared sequence are identifying: names, free text, dates, UIDs.
/// Numbers and codes are left out (coded entries repeat across files and identify nobody).
fn inherited_identifier(vr: Vr) -> bool {
    matches!(
        vr,
        Vr::PN
            | Vr::LO
            | Vr::SH
            | Vr::ST
            | Vr::LT
            | Vr::UT
            | Vr::UC
            | Vr::DA
            | Vr::DT
            | Vr::TM
            | Vr::UI
            | Vr::AE
            | Vr::UR
    )
}

/// Code Value, Coding Scheme Designator and Version, Code Meaning, Long and URN Code Value.
fn coded_entry(tag: Tag) -> bool {
    matches!(tag.0, 0x0008_0100..=0x0008_0104 | 0x0008_0119 | 0x0008_0120)
}

struct Walker<'a, I: Input + ?Sized> {
    ids: &'a mut Identifiers,
    data: &'a I,
    settings: &'a Settings,
    sop_class: &'a str,
    /// Values (trimmed, ASCII lower case) of text elements the profile keeps, outside cleared sequences.
    kept: &'a mut HashSet<Box<[u8]>>,
}

impl<I: Input + ?Sized> Walker<'_, I> {
    fn dataset(&mut self, ds: &DataSet, in_meta: bool, nested: bool, cleared: bool) {
        for e in &ds.elements {
            let levels = Levels { ds, data: self.data };
            let rule = expected(e.tag, self.settings.options, self.sop_class, nested, in_meta, &levels)
                .filter(Expected::changes);
            match &e.body {
                Body::Items(items) => {
                    let clears = cleared || rule.is_some_and(|r| r.clears_items());
                    for item in items {
                        self.dataset(&item.dataset, in_meta, true, clears);
                    }
                }
                Body::Value => {
                    let own = rule.is_some() && text_identifier(e.vr);
                    let inherited = cleared && inherited_identifier(e.vr) && !coded_entry(e.tag);
                    if own || inherited {
                        self.add_value(e, rule.is_some());
                    } else if rule.is_some() {
                        self.add_compared(e);
                    } else if !cleared && text_identifier(e.vr) {
                        self.add_kept(e);
                    }
                }
                Body::Fragments(_) => {}
            }
        }
    }

    /// Where values of `vr` go: dates and times apart from the rest.
    fn target(&mut self, vr: Vr) -> &mut Identifiers {
        if matches!(vr, Vr::DA | Vr::DT | Vr::TM) {
            self.ids.temporal_mut()
        } else {
            self.ids
        }
    }

    fn add_kept(&mut self, e: &crate::dicom::Element) {
        if e.value_len.is_some_and(|l| l > 0 && l <= MAX_COMPARED) {
            if let Some(v) = value(self.data, e) {
                for one in v.split(|&b| b == b'\\') {
                    self.kept.insert(trim(one).to_ascii_lowercase().into_boxed_slice());
                }
            }
        }
    }

    fn add_compared(&mut self, e: &crate::dicom::Element) {
        let data = self.data;
        if e.value_len.is_some_and(|l| l > 0 && l <= MAX_COMPARED) {
            if let Some(v) = value(data, e) {
                self.target(e.vr).values.insert((e.tag.0, trim(&v).into()));
            }
        }
    }

    fn add_value(&mut self, e: &crate::dicom::Element, compared: bool) {
        let (data, min_len) = (self.data, self.settings.min_len);
        let Some(v) = value(data, e) else { return };
        let whole = trim(&v);
        let target = self.target(e.vr);
        if compared && whole.len() <= MAX_COMPARED as usize && !whole.is_empty() {
            target.values.insert((e.tag.0, whole.into()));
        }
        let mut add = |s: &[u8]| {
            let s = trim(s);
            if meaningful(s, min_len) && !s.starts_with(DICOM_UID_ROOT) {
                target.insert(s.into(), Origin::Value(e.tag));
            }
        };
        for one in whole.split(|&b| b == b'\\') {
            add(one);
            if e.vr == Vr::PN {
                // Each component group and each name component: a name reordered or cut to a part still shows.
                for group in one.split(|&b| b == b'=') {
                    add(group);
                    for component in group.split(|&b| b == b'^') {
                        add(component);
                    }
                }
            }
        }
    }
}

/// A value without its padding (spaces, NULs) at either end.
fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != b' ' && b != 0).unwrap_or(v.len());
    let end = v.iter().rposition(|&b| b != b' ' && b != 0).map_or(start, |i| i + 1);
    &v[start..end]
}

/// [`trim`] for the output side's comparison.
#[must_use]
pub fn trimmed(v: &[u8]) -> &[u8] {
    trim(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_numeric_strings_are_ignored() {
        assert!(!meaningful(b"Doe", 4));
        assert!(meaningful(b"John", 4));
        assert!(!meaningful(b"2024", 4));
        assert!(!meaningful(b"1.83917", 4));
        assert!(meaningful(b"19230407", 4));
        assert!(meaningful(b"087Y", 4));
    }

    #[test]
    fn names_lose_their_extensions() {
        assert_eq!(strip_extensions("IM0001.DCM.gz"), "IM0001");
        assert_eq!(strip_extensions("smith_john"), "smith_john");
        let mut ids = Identifiers::default();
        ids.add_names("SMITH_JOHN/scan.dcm", 4);
        let (mut strings, values) = ids.into_parts();
        strings.sort();
        let want: Vec<Found> =
            vec![(b"SMITH_JOHN"[..].into(), Origin::Name, false), (b"scan"[..].into(), Origin::Name, false)];
        assert_eq!((strings, values.len()), (want, 0));
    }
}
