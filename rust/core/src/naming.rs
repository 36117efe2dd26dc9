//! Output names, decided before an output is opened: from the name the caller planned (the
//! input's relative path), from de-identified header values (`<SOPInstanceUID>.<Modality>.dcm`,
//! or `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm` with no part of the input's
//! name at all), from a profile's `filenames:` templates, or as an ingest hierarchy
//! `group/project/subject/session/acquisition/<file>` with labels made as flywheel-cli makes them.
//!
//! The values come from the columns the job captures for its policy (see [`Values`]), by name;
//! templates are the profile's, compiled with it.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::apply_text;
use crate::profile::filenames::{NameTemplate, Piece};
use crate::profile::Profile;

/// A file's captured header values, before and after the rules, looked up by column name.
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    index: &'a HashMap<String, usize>,
    before: &'a [Option<String>],
    after: &'a [Option<String>],
}

impl<'a> Values<'a> {
    /// Values of the columns named in `index` (name -> position in the rows).
    #[must_use]
    pub fn new(index: &'a HashMap<String, usize>, before: &'a [Option<String>], after: &'a [Option<String>]) -> Self {
        Values { index, before, after }
    }

    /// Nothing captured: every value is absent.
    #[must_use]
    pub fn empty(index: &'a HashMap<String, usize>) -> Self {
        Values { index, before: &[], after: &[] }
    }

    /// The de-identified value of `name`; `None` when missing or empty.
    #[must_use]
    pub fn after(&self, name: &str) -> Option<&'a str> {
        self.cell(self.after, name)
    }

    /// The original value of `name`; `None` when missing or empty.
    #[must_use]
    pub fn before(&self, name: &str) -> Option<&'a str> {
        self.cell(self.before, name)
    }

    fn cell(&self, row: &'a [Option<String>], name: &str) -> Option<&'a str> {
        let i = *self.index.get(name)?;
        row.get(i)?.as_deref().filter(|v| !v.is_empty())
    }
}

/// Why a file gets no output name. Like errors, never a patient value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// A stable code: `no-label`, `duplicate-output`, `bad-name`.
    pub code: &'static str,
    /// What is missing or wrong.
    pub message: String,
    /// For `duplicate-output`: the input (by its index in the job) that has the name.
    pub other: Option<usize>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal { code, message: message.into(), other: None }
    }
}

/// Labels fixed for one input before it is read (`--subject`, `--session`, an ingest template).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels {
    /// The subject folder.
    pub subject: Option<String>,
    /// The session folder.
    pub session: Option<String>,
    /// The acquisition folder.
    pub acquisition: Option<String>,
}

/// How the job names its outputs.
#[derive(Debug)]
pub enum Naming {
    /// The name the caller planned (the input's relative path, `a.dcm.gz` -> `a.dcm`).
    AsGiven,
    /// `<SOPInstanceUID>.<Modality>.dcm` from the de-identified values, in the planned name's folder.
    ByUid,
    /// `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm` from the de-identified values:
    /// nothing of the planned name is used, folders included, since input names often carry
    /// identifiers (the Basic Profile's default).
    UidTree,
    /// The profile's `filenames:` templates, in the planned name's folder.
    Templates,
    /// An ingest hierarchy.
    Hierarchy(Box<Hierarchy>),
}

impl Naming {
    /// The header values this policy reads with `profile`'s templates, which the job captures.
    #[must_use]
    pub fn keywords(&self, profile: &Profile) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |k: &str| {
            if !out.iter().any(|o| o == k) {
                out.push(k.to_string());
            }
        };
        match self {
            Naming::AsGiven => {}
            Naming::ByUid => ["SOPInstanceUID", "Modality"].into_iter().for_each(&mut add),
            Naming::UidTree => UID_TREE_KEYWORDS.into_iter().for_each(&mut add),
            Naming::Templates => profile.filenames.iter().flat_map(NameTemplate::keywords).for_each(&mut add),
            Naming::Hierarchy(h) => {
                LABEL_KEYWORDS.iter().copied().for_each(&mut add);
                if let Some(map) = &h.subjects {
                    map.keys.iter().map(String::as_str).for_each(&mut add);
                }
                profile.filenames.iter().flat_map(NameTemplate::keywords).for_each(&mut add);
            }
        }
        out
    }

    /// Whether an input file name gets an output at all: with templates, only names some of
    /// `profile`'s templates match (the others are skipped before they are read).
    #[must_use]
    pub fn admits(&self, input_name: &str, profile: &Profile) -> bool {
        match self {
            Naming::Templates => {}
            Naming::Hierarchy(_) if !profile.filenames.is_empty() => {}
            _ => return true,
        }
        profile.filenames.iter().any(|t| t.matches(input_name).is_some())
    }

    /// The relative output name of an input: `planned` is the caller's name (the input's relative
    /// path), `input_name` the input's file name, which templates match.
    ///
    /// # Errors
    /// A label the hierarchy needs is missing, or a template's group rule fails.
    pub fn decide(
        &self,
        planned: &str,
        input_name: &str,
        labels: &Labels,
        values: &Values<'_>,
        profile: &Profile,
    ) -> std::result::Result<String, Refusal> {
        let (folder, base) = match planned.rfind('/') {
            Some(i) => (&planned[..=i], &planned[i + 1..]),
            None => ("", planned),
        };
        let in_folder = |name: String| format!("{folder}{}", safe(if name.is_empty() { base } else { &name }));
        match self {
            Naming::AsGiven => Ok(planned.to_string()),
            Naming::ByUid => Ok(in_folder(file_name(values, base))),
            Naming::UidTree => uid_tree(values),
            Naming::Templates => Ok(in_folder(render(input_name, values, profile)?.unwrap_or_default())),
            Naming::Hierarchy(h) => h.decide(base, input_name, labels, values, profile),
        }
    }
}

/// Header values an ingest reads for its labels, after the profile's rules.
pub const LABEL_KEYWORDS: [&str; 14] = [
    "PatientID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "StudyDate",
    "StudyTime",
    "SeriesNumber",
    "SeriesDescription",
    "Modality",
    "Manufacturer",
    "SeriesDate",
    "SeriesTime",
    "AcquisitionDate",
    "AcquisitionTime",
];

/// An ingest's layout: `group/project/subject/session/acquisition/<file>`.
#[derive(Debug)]
pub struct Hierarchy {
    /// The group folder.
    pub group: String,
    /// The project folder.
    pub project: String,
    /// Subject codes by original values, when a subject map is used. The file name is the
    /// profile's `filenames:` templates' when it has any, else `<SOPInstanceUID>.<Modality>.dcm`.
    pub subjects: Option<SubjectCodes>,
}

impl Hierarchy {
    fn decide(
        &self,
        base: &str,
        input_name: &str,
        fixed: &Labels,
        values: &Values<'_>,
        profile: &Profile,
    ) -> std::result::Result<String, Refusal> {
        let subject = match (&fixed.subject, &self.subjects) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(map)) => Some(map.code(&map.keys.iter().map(|k| values.before(k)).collect::<Vec<_>>())),
            (None, None) => values.after("PatientID").map(str::to_string),
        };
        let session = fixed.session.clone().or_else(|| session_label(values));
        let acquisition = fixed.acquisition.clone().or_else(|| acquisition_label(values));
        let levels = [("subject", &subject), ("session", &session), ("acquisition", &acquisition)];
        let missing: Vec<&str> =
            levels.iter().filter(|(_, v)| v.as_deref().map_or(true, str::is_empty)).map(|(l, _)| *l).collect();
        if !missing.is_empty() {
            let hint =
                if missing.contains(&"subject") { " (the profile removes PatientID: give --subject)" } else { "" };
            return Err(Refusal::new(
                "no-label",
                format!("cannot determine the {} label{hint}", missing.join(" and ")),
            ));
        }
        let file = if profile.filenames.is_empty() {
            file_name(values, base)
        } else {
            safe(&render(input_name, values, profile)?.unwrap_or_default())
        };
        let mut name = String::new();
        for part in [&self.group, &self.project] {
            name.push_str(&safe(part));
            name.push('/');
        }
        for (_, label) in levels {
            name.push_str(&safe(label.as_deref().unwrap_or_default()));
            name.push('/');
        }
        name.push_str(&file);
        Ok(name)
    }
}

/// A subject map: original key values (compared trimmed and lower-cased) -> subject code; new
/// patients get the next code, `prefix` + the number zero-padded to `width` + `suffix`.
#[derive(Debug)]
pub struct SubjectCodes {
    /// Header keywords whose original values identify a subject.
    pub keys: Vec<String>,
    prefix: String,
    width: usize,
    suffix: String,
    codes: Mutex<Codes>,
}

impl SubjectCodes {
    /// A map with its known codes (in their order).
    #[must_use]
    pub fn new(
        keys: Vec<String>,
        prefix: String,
        width: usize,
        suffix: String,
        known: Vec<(Vec<String>, String)>,
    ) -> Self {
        let lookup = known.iter().cloned().collect();
        SubjectCodes { keys, prefix, width, suffix, codes: Mutex::new((lookup, known)) }
    }

    /// The code of a subject, made when the subject is new.
    fn code(&self, values: &[Option<&str>]) -> String {
        let key: Vec<String> = values.iter().map(|v| strip(v.unwrap_or_default()).to_lowercase()).collect();
        let mut guard = self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (lookup, order) = &mut *guard;
        if let Some(code) = lookup.get(&key) {
            return code.clone();
        }
        let code = format!("{}{:0width$}{}", self.prefix, order.len() + 1, self.suffix, width = self.width);
        lookup.insert(key.clone(), code.clone());
        order.push((key, code.clone()));
        code
    }

    /// Every (key values, code), known ones first, then new ones in the order they were made.
    #[must_use]
    pub fn codes(&self) -> Vec<(Vec<String>, String)> {
        self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1.clone()
    }
}

/// Known codes by key, and every (key, code) in the order they were made.
type Codes = (HashMap<Vec<String>, String>, Vec<(Vec<String>, String)>);

/// The output name the first of `profile`'s templates that matches gives, or `None` when none
/// matches.
fn render(input_name: &str, values: &Values<'_>, profile: &Profile) -> std::result::Result<Option<String>, Refusal> {
    for t in &profile.filenames {
        let Some(caps) = t.matches(input_name) else { continue };
        let mut out = String::new();
        for piece in t.pieces() {
            match piece {
                Piece::Text(s) => out.push_str(s),
                Piece::Value(k) => out.push_str(values.after(k).unwrap_or_default()),
                Piece::Group(g) => {
                    let text = caps.name(g).map_or("", |m| m.as_str());
                    match t.group_rule(g) {
                        Some(action) => out.push_str(
                            &apply_text(profile, action, text)
                                .map_err(|e| Refusal::new("bad-name", format!("filenames group {g}: {e}")))?,
                        ),
                        None => out.push_str(text),
                    }
                }
            }
        }
        return Ok(Some(out));
    }
    Ok(None)
}

/// The UIDs [`Naming::UidTree`] names outputs by, from the outermost folder to the file.
const UID_TREE_KEYWORDS: [&str; 3] = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"];

/// Folder names for a file without a Study or Series Instance UID (some secondary captures and
/// test files lack them): fixed words, so that still nothing comes from the input's name.
const UID_TREE_MISSING: [&str; 2] = ["unknown-study", "unknown-series"];

/// `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`. A missing SOP Instance UID is a
/// refusal, not a fallback to the input's name: the point of this policy is that no input name
/// can leak; a missing study or series UID gives a fixed folder name.
fn uid_tree(values: &Values<'_>) -> std::result::Result<String, Refusal> {
    let uid = |k: &str| values.after(k).map(safe).filter(|u| !u.is_empty());
    let Some(sop) = uid(UID_TREE_KEYWORDS[2]) else {
        return Err(Refusal::new(
            "no-label",
            "cannot name the output by UID: the de-identified file has no SOPInstanceUID",
        ));
    };
    let study = uid(UID_TREE_KEYWORDS[0]).unwrap_or_else(|| UID_TREE_MISSING[0].to_string());
    let series = uid(UID_TREE_KEYWORDS[1]).unwrap_or_else(|| UID_TREE_MISSING[1].to_string());
    Ok(format!("{study}/{series}/{sop}.dcm"))
}

/// `<SOPInstanceUID>.<Modality>.dcm`, or `fallback` without a SOPInstanceUID.
fn file_name(values: &Values<'_>, fallback: &str) -> String {
    let Some(sop) = values.after("SOPInstanceUID") else { return fallback.to_string() };
    let modality = values.after("Modality").map(|m| m.replace('/', "_")).filter(|m| !m.is_empty());
    safe(&format!("{sop}.{}.dcm", modality.as_deref().unwrap_or("NA")))
}

/// Python's `str.strip()`: Unicode whitespace and the four ASCII separator controls.
fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

/// A label usable as one path component: no separators, NULs or leading dots.
#[must_use]
pub fn safe(label: &str) -> String {
    let replaced: String = label.chars().map(|c| if matches!(c, '/' | '\\' | '\0') { '_' } else { c }).collect();
    let cleaned = strip(&replaced);
    if cleaned.starts_with('.') {
        format!("_{cleaned}")
    } else {
        cleaned.to_string()
    }
}

/// `%Y-%m-%d %H:%M:%S` of a DA and a TM, or `None` without a valid date. A time out of range
/// gives midnight.
#[must_use]
pub fn timestamp(date: Option<&str>, time: Option<&str>) -> Option<String> {
    let date = strip(date?);
    let digits = date.get(..8).filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))?;
    let (y, m, d): (u32, u32, u32) = (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    let time: String = strip(time.unwrap_or_default()).replace(':', "");
    let digits: String = time.chars().take_while(char::is_ascii_digit).collect();
    let part = |i: usize| digits.get(i..(i + 2).min(digits.len())).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    let (mut h, mut mi, mut s) = (part(0), part(2), part(4));
    if h > 23 || mi > 59 || s > 59 {
        (h, mi, s) = (0, 0, 0);
    }
    Some(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
}

fn session_label(v: &Values<'_>) -> Option<String> {
    timestamp(v.after("StudyDate"), v.after("StudyTime")).or_else(|| v.after("StudyInstanceUID").map(str::to_string))
}

fn acquisition_label(v: &Values<'_>) -> Option<String> {
    let stamp = if v.after("Manufacturer").unwrap_or_default().to_uppercase() == "SIEMENS" {
        timestamp(v.after("SeriesDate"), v.after("SeriesTime"))
    } else {
        timestamp(v.after("AcquisitionDate"), v.after("AcquisitionTime"))
    };
    let label = v
        .after("SeriesDescription")
        .map(|d| d.replace(',', "_"))
        .filter(|d| !d.is_empty())
        .or(stamp)
        .or_else(|| v.after("SeriesInstanceUID").map(str::to_string))?;
    Some(match v.after("SeriesNumber") {
        Some(n) => format!("{n} - {label}"),
        None => label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::regex_sub::TextAction;

    fn captured<'a>(index: &'a mut HashMap<String, usize>, row: &'a mut Vec<Option<String>>, pairs: &[(&str, &str)]) {
        for (i, (k, v)) in pairs.iter().enumerate() {
            index.insert((*k).to_string(), i);
            row.push(Some((*v).to_string()));
        }
    }

    #[test]
    fn timestamps_follow_the_reference() {
        assert_eq!(timestamp(Some("20040102"), Some("072730")).as_deref(), Some("2004-01-02 07:27:30"));
        assert_eq!(timestamp(Some("20040102"), Some("07:27")).as_deref(), Some("2004-01-02 07:27:00"));
        assert_eq!(timestamp(Some("20040102"), Some("250000")).as_deref(), Some("2004-01-02 00:00:00"));
        assert_eq!(timestamp(Some("20040102"), None).as_deref(), Some("2004-01-02 00:00:00"));
        assert_eq!(timestamp(Some("20040230"), None), None);
        assert_eq!(timestamp(Some("2004"), None), None);
        assert_eq!(timestamp(None, Some("1200")), None);
    }

    #[test]
    fn safe_labels_are_one_path_component() {
        assert_eq!(safe(" a/b\\c\0 "), "a_b_c_");
        assert_eq!(safe(".hidden"), "_.hidden");
        assert_eq!(safe("../x"), "_.._x");
    }

    #[test]
    fn names_by_uid_and_hierarchy_from_values_by_name() {
        let (mut index, mut row) = (HashMap::new(), Vec::new());
        captured(
            &mut index,
            &mut row,
            &[
                ("SOPInstanceUID", "1.2.3"),
                ("Modality", "CT"),
                ("PatientID", "P1"),
                ("StudyDate", "20040102"),
                ("StudyTime", "072730"),
                ("SeriesNumber", "5"),
                ("SeriesDescription", "a,b"),
            ],
        );
        let values = Values::new(&index, &row, &row);
        let profile = Profile::identity();
        let none = Labels::default();
        assert_eq!(Naming::ByUid.decide("sub/x.dcm", "x.dcm", &none, &values, &profile).unwrap(), "sub/1.2.3.CT.dcm");
        assert_eq!(Naming::AsGiven.decide("sub/x.dcm", "x.dcm", &none, &values, &profile).unwrap(), "sub/x.dcm");
        let h = Naming::Hierarchy(Box::new(Hierarchy { group: "g".into(), project: "p".into(), subjects: None }));
        assert_eq!(
            h.decide("x.dcm", "x.dcm", &none, &values, &profile).unwrap(),
            "g/p/P1/2004-01-02 07:27:30/5 - a_b/1.2.3.CT.dcm"
        );
        let empty_index = HashMap::new();
        let nothing = Values::empty(&empty_index);
        let refused = h.decide("x.dcm", "x.dcm", &none, &nothing, &profile).unwrap_err();
        assert_eq!(refused.code, "no-label");
        assert!(refused.message.contains("subject and session and acquisition"), "{}", refused.message);
        assert_eq!(Naming::ByUid.decide("x.dcm", "x.dcm", &none, &nothing, &profile).unwrap(), "x.dcm");
    }

    #[test]
    fn uid_tree_names_use_no_part_of_the_input_name() {
        let (mut index, mut row) = (HashMap::new(), Vec::new());
        captured(
            &mut index,
            &mut row,
            &[("StudyInstanceUID", "2.25.1"), ("SeriesInstanceUID", "2.25.2"), ("SOPInstanceUID", "2.25.3 ")],
        );
        let values = Values::new(&index, &row, &row);
        let (none, profile) = (Labels::default(), Profile::identity());
        let name = Naming::UidTree.decide("Doe^Jane/mri.dcm", "mri.dcm", &none, &values, &profile).unwrap();
        assert_eq!(name, "2.25.1/2.25.2/2.25.3.dcm");
        assert_eq!(Naming::UidTree.keywords(&profile), UID_TREE_KEYWORDS);
        let (mut index, mut row) = (HashMap::new(), Vec::new());
        captured(&mut index, &mut row, &[("SOPInstanceUID", "2.25.3")]);
        let partial = Values::new(&index, &row, &row);
        let name = Naming::UidTree.decide("Doe^Jane/mri.dcm", "mri.dcm", &none, &partial, &profile).unwrap();
        assert_eq!(name, "unknown-study/unknown-series/2.25.3.dcm");
        let empty_index = HashMap::new();
        let nothing = Values::empty(&empty_index);
        let refused = Naming::UidTree.decide("Doe^Jane/mri.dcm", "mri.dcm", &none, &nothing, &profile).unwrap_err();
        assert_eq!(refused.code, "no-label");
        assert!(refused.message.contains("no SOPInstanceUID"), "{}", refused.message);
        assert!(!refused.message.contains("Doe"));
    }

    /// A profile compiled from a document, as the front end hands it over.
    fn compiled(doc: &str) -> Profile {
        let now = crate::profile::document::parse_now("20240101000000.000000").unwrap();
        let compiled = crate::profile::document::compile_document(doc, "t", now).expect("a valid document");
        compiled.profile(None).unwrap()
    }

    #[test]
    fn templates_match_from_the_start_and_fill_groups_and_values() {
        let profile = compiled(
            r#"{"dicom": {"fields": [], "filenames": [{"output": "{PatientID}_{stem}.dcm", "input-regex": "(?P<stem>[^.]*)\\.dcm"}]}}"#,
        );
        let naming = Naming::Templates;
        assert!(naming.admits("abc.dcm", &profile));
        assert!(!naming.admits("_.x/abc.dcm", &profile)); // would match later in the name, not at its start
        let (mut index, mut row) = (HashMap::new(), Vec::new());
        captured(&mut index, &mut row, &[("PatientID", "NEW")]);
        let values = Values::new(&index, &row, &row);
        let name = naming.decide("d/abc.dcm", "abc.dcm", &Labels::default(), &values, &profile).unwrap();
        assert_eq!(name, "d/NEW_abc.dcm");
        assert_eq!(naming.keywords(&profile), ["PatientID"]);
    }

    #[test]
    fn the_policy_holds_compiled_group_rules() {
        // Group rules are typed text actions compiled with the profile: naming a file reads no JSON.
        let profile = compiled(
            r#"{"dicom": {"salt": "pepper", "hash-digits": 8, "fields": [], "filenames": [{
                "output": "{stem}-{num}-{plain}.dcm",
                "input-regex": "(?P<stem>[A-Z]+)_(?P<num>[0-9]+)_(?P<plain>[a-z]+)",
                "groups": [{"name": "stem", "hash": true}, {"name": "num", "replace-with": "N"}]}]}}"#,
        );
        let [template] = profile.filenames.as_slice() else { panic!("one template") };
        assert!(matches!(template.group_rule("stem"), Some(TextAction::Hash)));
        assert!(matches!(template.group_rule("num"), Some(TextAction::Replace(v)) if v == "N"));
        assert!(template.group_rule("plain").is_none());
        let index = HashMap::new();
        let name = Naming::Templates
            .decide("in/DOE_42_abc.dcm", "DOE_42_abc.dcm", &Labels::default(), &Values::empty(&index), &profile)
            .unwrap();
        let hashed = crate::actions::hash::hash("pepper", "DOE", 8);
        assert_eq!(name, format!("in/{hashed}-N-abc.dcm"));
        assert_ne!(hashed, "DOE");
        let h = Naming::Hierarchy(Box::new(Hierarchy { group: "g".into(), project: "p".into(), subjects: None }));
        assert!(!h.admits("notes.txt", &profile)); // the profile's templates filter an ingest too
    }

    #[test]
    fn subject_codes_are_kept_and_new_ones_numbered() {
        let known = vec![(vec!["doe^jane".to_string()], "ex0042".to_string())];
        let map = SubjectCodes::new(vec!["PatientName".into()], "ex".into(), 4, String::new(), known);
        assert_eq!(map.code(&[Some(" Doe^Jane ")]), "ex0042");
        assert_eq!(map.code(&[Some("Roe^Rick")]), "ex0002");
        assert_eq!(map.code(&[None]), "ex0003");
        assert_eq!(map.codes().len(), 3);
    }
}
