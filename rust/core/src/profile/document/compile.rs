//! The document's top level and `dicom:` section, compiled into the canonical specification with
//! every problem collected (`docs/profiles.md`).

use serde::Serialize;
use serde_json::Value;

use super::addressing::{resolve_name, Address, AddressKind};
use super::dates::{check_format, SectionDates};
use super::problem::{did_you_mean, index, key, PathPart, Problem, Problems};
use super::rules::{capture_names, check_keys, field_rule, group_rules, Section};
use super::{defaults, Dicom, Document, FilenameItem, Lax, DICOM_KEYS_PENDING};
use crate::actions::strptime::DateTime;
use crate::dicom::dict;
use crate::profile::filenames::{self, FilenameSpec};
use crate::profile::{AgeSpec, FieldSpec, GroupSpec, LogSpec, Profile, ProfileSpec};

/// The deid log's first value columns, before the rules' (docs/profiles.md#deid-log).
const LOG_UID_COLUMNS: [&str; 3] = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"];

/// What the front end shows of one compiled rule.
#[derive(Debug, Serialize)]
pub struct RuleSummary {
    /// The name as the log shows it.
    pub name: String,
    /// The addressing form (`keyword`, `tag`, `private`, `repeater`, `path`, `regex`).
    pub kind: &'static str,
    /// The leaf element's tag, when fixed.
    pub tag: Option<u32>,
    /// The leaf's dictionary VR, when known.
    pub vr: Option<&'static str>,
    /// The action as the document names it (`keep` for `identity` and `replace-with: null`).
    pub action: String,
}

/// One compiled `filenames:` item.
#[derive(Debug, Serialize)]
pub struct FilenameTemplate {
    /// The output template.
    pub output: String,
    /// The pattern matched against the input file's name.
    pub input_regex: String,
    /// The names of the groups that have a rule (the deid log shows what they captured).
    pub groups: Vec<String>,
    /// Header keywords the output uses.
    pub keywords: Vec<String>,
}

/// A compiled document.
pub struct Compiled {
    /// The canonical specification.
    pub(crate) spec: ProfileSpec,
    /// The rules, in the order they run.
    pub rules: Vec<RuleSummary>,
    /// Output-name templates.
    pub filenames: Vec<FilenameTemplate>,
    /// Keep rules added for keywords only `filenames:` outputs use (the last rules).
    pub implicit_keeps: usize,
    /// The names of the deid log's value columns the core fills, in order: the three UIDs, then
    /// each rule's name once (docs/profiles.md#deid-log).
    pub log_columns: Vec<String>,
    /// The profile's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// `deid-log:` as written.
    pub deid_log: Option<String>,
    /// `dicom: base:` (stored; applied by the front end).
    pub base: Option<String>,
    /// `dicom: options:` (stored; applied by the front end).
    pub options: Vec<String>,
    /// `dicom: key-file:` (stored; applied by the front end).
    pub key_file: Option<String>,
}

impl Compiled {
    /// The canonical specification as JSON.
    ///
    /// # Panics
    /// Never: the specification holds only strings, numbers and lists.
    #[must_use]
    pub fn spec_json(&self) -> String {
        serde_json::to_string(&self.spec).expect("the specification serialises")
    }

    /// Everything the front end shows, as JSON (the specification included).
    #[must_use]
    pub fn summary_json(&self) -> String {
        serde_json::json!({
            "spec": self.spec,
            "rules": self.rules,
            "filenames": self.filenames,
            "implicit_keeps": self.implicit_keeps,
            "log_columns": self.log_columns,
            "name": self.name,
            "description": self.description,
            "deid_log": self.deid_log,
            "base": self.base,
            "options": self.options,
            "key_file": self.key_file,
        })
        .to_string()
    }

    /// The rule engine's profile. `base_json` is the Basic Profile's settings as the front end
    /// completes them with the key it read (docs/basic-profile.md): a profile with `base:` is
    /// still compiled once.
    ///
    /// # Errors
    /// The base settings are not valid; otherwise only on an internal inconsistency: every check
    /// of the document happened in [`compile_document`].
    pub fn profile(&self, base_json: Option<&str>) -> crate::Result<Profile> {
        let invalid = |e: serde_json::Error| {
            crate::Error::new(crate::ErrorKind::Profile, format!("invalid compiled profile: {e}"))
        };
        let mut spec: ProfileSpec = serde_json::from_str(&self.spec_json()).map_err(invalid)?;
        spec.base = base_json.map(serde_json::from_str).transpose().map_err(invalid)?;
        Profile::from_spec(spec)
    }
}

fn string_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn lax_string(v: Option<&Lax<String>>, name: &str, path: &[PathPart], p: &mut Problems) -> Option<String> {
    match v? {
        Lax::Ok(s) => Some(s.clone()),
        Lax::Bad(Value::Null) => None,
        Lax::Bad(_) => {
            p.add("bad-type", &key(path, name), format!("{name} must be text (quote it if it looks like a number)"));
            None
        }
    }
}

fn flag(v: Option<&Lax<bool>>, name: &str, path: &[PathPart], p: &mut Problems) -> bool {
    match v {
        None => defaults::PASSES,
        Some(Lax::Ok(b)) => *b,
        Some(Lax::Bad(_)) => {
            p.add("bad-type", &key(path, name), format!("{name} must be true or false"));
            defaults::PASSES
        }
    }
}

/// Compiles a profile document (JSON text); `default_name` names a profile without `name:`, and
/// `now` is the moment relative date bounds (`-10years`) are taken from.
///
/// # Errors
/// Every problem of the document, each with its path.
pub fn compile_document(doc_json: &str, default_name: &str, now: DateTime) -> Result<Compiled, Vec<Problem>> {
    let mut p = Problems::default();
    let raw: Value = serde_json::from_str(doc_json).map_err(|e| {
        vec![Problem {
            code: "bad-document",
            message: format!("not a JSON document: {e}"),
            path: Vec::new(),
            anchor: super::problem::Anchor::Value,
        }]
    })?;
    let out = compile_value(&raw, default_name, now, &mut p);
    match out {
        Some(c) if p.list.is_empty() => Ok(c),
        _ => Err(p.list),
    }
}

fn compile_value(raw: &Value, default_name: &str, now: DateTime, p: &mut Problems) -> Option<Compiled> {
    let Value::Object(obj) = raw else {
        p.add("bad-type", &[], "a profile must be a mapping with at least a `dicom:` section");
        return None;
    };
    check_keys(obj, "document", &[], &[], p);
    let doc: Document = serde_json::from_value(raw.clone()).ok()?;
    let deid_log = lax_string(doc.deid_log.as_ref(), "deid-log", &[], p);
    let dicom_path = key(&[], "dicom");
    let dicom = match &doc.dicom {
        None | Some(Lax::Bad(Value::Null)) => {
            p.add(
                "missing-key",
                &[],
                "a profile needs a `dicom:` section (use `dicom: {fields: []}` for one that changes nothing)",
            );
            None
        }
        Some(Lax::Bad(_)) => {
            p.add("bad-type", &dicom_path, "`dicom:` must be a mapping");
            None
        }
        Some(Lax::Ok(d)) => Some(d),
    };
    let name = string_of(doc.name.as_ref()).unwrap_or_else(|| default_name.to_string());
    let description = string_of(doc.description.as_ref()).unwrap_or_default();
    let dicom = dicom?;
    check_keys(raw["dicom"].as_object()?, "dicom", DICOM_KEYS_PENDING, &dicom_path, p);
    let base = lax_string(dicom.base.as_ref(), "base", &dicom_path, p);
    let key_file = lax_string(dicom.key_file.as_ref(), "key-file", &dicom_path, p);
    let options = match &dicom.options {
        None | Some(Lax::Bad(Value::Null)) => Vec::new(),
        Some(Lax::Ok(o)) => o.clone(),
        Some(Lax::Bad(_)) => {
            p.add("bad-type", &key(&dicom_path, "options"), "options must be a list of option names");
            Vec::new()
        }
    };
    let out = compile_dicom(dicom, name.clone(), now, &dicom_path, p)?;
    Some(Compiled {
        spec: out.spec,
        rules: out.rules,
        filenames: out.filenames,
        implicit_keeps: out.implicit_keeps,
        log_columns: out.log_columns,
        name,
        description,
        deid_log,
        base,
        options,
        key_file,
    })
}

/// What the `dicom:` section compiles to.
struct DicomOut {
    spec: ProfileSpec,
    rules: Vec<RuleSummary>,
    filenames: Vec<FilenameTemplate>,
    implicit_keeps: usize,
    log_columns: Vec<String>,
}

/// What the field rules inherit from the section, checked.
fn section<'a>(d: &'a Dicom, now: DateTime, path: &[PathPart], p: &mut Problems) -> Section<'a> {
    let insert = match &d.replace_with_insert {
        None => defaults::REPLACE_WITH_INSERT,
        Some(_) => flag(d.replace_with_insert.as_ref(), "replace-with-insert", path, p),
    };
    let recurse = flag(d.recurse_sequence.as_ref(), "recurse-sequence", path, p);
    for (fmt, k) in [(&d.date_format, "date-format"), (&d.datetime_format, "datetime-format")] {
        if let Some(f) = fmt {
            check_format(f, k, &key(path, k), p);
        }
    }
    if let Some(Lax::Bad(_)) = &d.date_increment {
        p.add("bad-type", &key(path, "date-increment"), "date-increment must be a number of days");
    }
    let jitter_type = match &d.jitter_type {
        None => None,
        Some(Lax::Ok(t)) if t == "int" || t == "float" => Some(t.as_str()),
        Some(_) => {
            p.add("bad-value", &key(path, "jitter-type"), "jitter-type must be int or float");
            None
        }
    };
    let jitter_range = match &d.jitter_range {
        None => None,
        Some(r) => super::dates::range(r, "jitter-range", &key(path, "jitter-range"), false, p),
    };
    Section {
        insert,
        recurse,
        jitter_type,
        jitter_range,
        dates: SectionDates {
            date_format: d.date_format.as_ref(),
            datetime_format: d.datetime_format.as_ref(),
            increment: d.date_increment.as_ref(),
            now,
        },
    }
}

fn compile_dicom(d: &Dicom, name: String, now: DateTime, path: &[PathPart], p: &mut Problems) -> Option<DicomOut> {
    let section = section(d, now, path, p);
    let recurse = section.recurse;
    let fields_path = key(path, "fields");
    let fields: &[Value] = match &d.fields {
        None | Some(Lax::Bad(Value::Null)) => &[],
        Some(Lax::Ok(f)) => f,
        Some(Lax::Bad(_)) => {
            p.add("bad-type", &fields_path, "`fields:` must be a list");
            &[]
        }
    };
    let mut compiled: Vec<(FieldSpec, Address)> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if let Some(rule) = field_rule(f, &section, &index(&fields_path, i), p) {
            compiled.push((rule.spec, rule.address));
        }
    }
    let (filenames, filename_specs): (Vec<_>, Vec<_>) = match &d.filenames {
        None => (Vec::new(), Vec::new()),
        Some(raw) => filename_templates(raw, &section.dates, &key(path, "filenames"), p).into_iter().unzip(),
    };
    // Keywords used only by output names become keep rules (and so log columns).
    let mut implicit = 0;
    for kw in filenames.iter().flat_map(|t| t.keywords.iter()) {
        if compiled.iter().any(|(_, a)| &a.name == kw) {
            continue;
        }
        let address = resolve_name(kw).ok()?;
        compiled.push((FieldSpec::new(&address, "keep"), address));
        implicit += 1;
    }
    // Every regex-sub rule runs first, in reverse list order (`docs/profiles.md#regex-sub`).
    let (subs, others): (Vec<_>, Vec<_>) = compiled.into_iter().partition(|(s, _)| s.action == "regex-sub");
    let ordered: Vec<(FieldSpec, Address)> = subs.into_iter().rev().chain(others).collect();
    let (log, log_columns) = log_columns(ordered.iter().map(|(_, a)| a))?;
    let rules = ordered
        .iter()
        .map(|(s, a)| RuleSummary {
            name: a.name.clone(),
            kind: a.kind.as_str(),
            tag: a.tag,
            vr: a.vr.map(crate::dicom::Vr::as_str),
            // The action as the document names it.
            action: if s.action == "replace" { "replace-with".into() } else { s.action.clone() },
        })
        .collect();
    let spec = ProfileSpec {
        name,
        salt: lax_string(d.salt.as_ref(), "salt", path, p).filter(|s| !s.is_empty()),
        hash_digits: whole(d.hash_digits.as_ref(), "hash-digits", defaults::HASH_DIGITS, true, path, p),
        uid_prefix_fields: count(
            d.uid_prefix_fields.as_ref(),
            "uid-prefix-fields",
            defaults::UID_PREFIX_FIELDS,
            path,
            p,
        ),
        uid_suffix_fields: count(
            d.uid_suffix_fields.as_ref(),
            "uid-suffix-fields",
            defaults::UID_SUFFIX_FIELDS,
            path,
            p,
        ),
        uid_numeric_name: None,
        recurse_sequence: recurse,
        jitter_seed: jitter_seed(d.jitter_seed.as_ref(), path, p),
        remove_private_tags: flag(d.remove_private_tags.as_ref(), "remove-private-tags", path, p),
        remove_undefined: flag(d.remove_undefined.as_ref(), "remove-undefined", path, p),
        patient_age: patient_age(d, path, p),
        fields: ordered.into_iter().map(|(s, _)| s).collect(),
        log,
        filenames: filename_specs,
        base: None,
    };
    let uid_numeric_name = numeric_name(d.uid_numeric_name.as_ref(), spec.uid_prefix_fields, path, p);
    let spec = ProfileSpec { uid_numeric_name, ..spec };
    Some(DicomOut { spec, rules, filenames, implicit_keeps: implicit, log_columns })
}

/// The deid log's columns (docs/profiles.md#deid-log): the three UIDs, then each rule's name
/// once, in processing order. A name that addresses one element shows its value; a regex, a
/// repeater or a path through every item (`*`) shows a JSON object of path -> value.
fn log_columns<'a>(rules: impl Iterator<Item = &'a Address>) -> Option<(Vec<LogSpec>, Vec<String>)> {
    let uids = LOG_UID_COLUMNS.iter().map(|n| resolve_name(n).ok()).collect::<Option<Vec<_>>>()?;
    let mut specs = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for a in uids.iter().chain(rules.collect::<Vec<_>>()) {
        if names.contains(&a.name) {
            continue;
        }
        let flat = match a.kind {
            AddressKind::Keyword | AddressKind::Tag | AddressKind::Private => true,
            AddressKind::Path => !a.name.contains('*'),
            AddressKind::Repeater | AddressKind::Regex => false,
        };
        let regex = a.steps.is_none().then(|| a.name.clone());
        specs.push(LogSpec { path: a.steps.clone(), regex, flat });
        names.push(a.name.clone());
    }
    Some((specs, names))
}

fn whole(v: Option<&Lax<i64>>, name: &str, default: i64, negative: bool, path: &[PathPart], p: &mut Problems) -> i64 {
    match v {
        None => default,
        Some(Lax::Ok(n)) if negative || *n >= 0 => *n,
        Some(_) => {
            let extra = if negative { "" } else { " of at least 0" };
            p.add("bad-type", &key(path, name), format!("{name} must be a whole number{extra}"));
            default
        }
    }
}

fn count(v: Option<&Lax<i64>>, name: &str, default: usize, path: &[PathPart], p: &mut Problems) -> usize {
    let d = i64::try_from(default).unwrap_or(i64::MAX);
    usize::try_from(whole(v, name, d, false, path, p)).unwrap_or(default)
}

fn jitter_seed(v: Option<&Lax<String>>, path: &[PathPart], p: &mut Problems) -> Option<String> {
    match v? {
        Lax::Ok(s) if s.chars().count() >= defaults::JITTER_SEED_MIN_CHARS => Some(s.clone()),
        Lax::Bad(Value::Null) => None,
        _ => {
            let n = defaults::JITTER_SEED_MIN_CHARS;
            p.add(
                "bad-value",
                &key(path, "jitter-seed"),
                format!("jitter-seed must be a secret text of at least {n} characters"),
            );
            None
        }
    }
}

fn numeric_name(v: Option<&Lax<String>>, prefix_fields: usize, path: &[PathPart], p: &mut Problems) -> Option<String> {
    let at = key(path, "uid-numeric-name");
    let text = match v? {
        Lax::Ok(s) => s,
        Lax::Bad(Value::Null) => return None,
        Lax::Bad(_) => {
            p.add("bad-value", &at, "uid-numeric-name must be a UID root such as '2.16.840.1.114570.2.2' (quoted)");
            return None;
        }
    };
    let nodes: Vec<&str> = text.split('.').collect();
    let valid = nodes
        .iter()
        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n.len() == 1 || !n.starts_with('0')));
    let root = defaults::UID_ROOT_FLYWHEEL;
    if !valid {
        p.add("bad-value", &at, "uid-numeric-name must be a UID root such as '2.16.840.1.114570.2.2' (quoted)");
    } else if nodes.len() != prefix_fields {
        p.add(
            "bad-value",
            &at,
            format!("uid-numeric-name must have exactly uid-prefix-fields ({prefix_fields}) nodes"),
        );
    } else if text.starts_with(root) && *text != format!("{root}.2.2") {
        p.add("bad-value", &at, format!("a uid-numeric-name under {root} must be {root}.2.2"));
    } else {
        return Some(text.clone());
    }
    None
}

fn patient_age(d: &Dicom, path: &[PathPart], p: &mut Problems) -> Option<AgeSpec> {
    let units = match &d.patient_age_units {
        None | Some(Lax::Bad(Value::Null)) => None,
        Some(Lax::Ok(u)) if ["D", "M", "Y"].contains(&u.as_str()) => Some(u.clone()),
        Some(_) => {
            // The reference silently treats any other value as automatic; a typo should not pass unseen.
            p.add("bad-value", &key(path, "patient-age-units"), "patient-age-units must be D, M or Y");
            None
        }
    };
    if !flag(d.patient_age_from_birthdate.as_ref(), "patient-age-from-birthdate", path, p) {
        return None;
    }
    let format = match &d.date_format {
        Some(Lax::Ok(f)) => f.clone(),
        _ => defaults::DATE_FORMAT.to_string(),
    };
    Some(AgeSpec { format, units })
}

fn filename_templates(
    raw: &Lax<Vec<Value>>,
    dates: &SectionDates<'_>,
    path: &[PathPart],
    p: &mut Problems,
) -> Vec<(FilenameTemplate, FilenameSpec)> {
    let Lax::Ok(items) = raw else {
        p.add("bad-type", path, "filenames must be a list of {output, input-regex, groups} items");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        let Value::Object(obj) = item else {
            p.add("bad-type", &at, "each filenames item needs `output:` and `input-regex:` strings");
            continue;
        };
        check_keys(obj, "filenames", &[], &at, p);
        let Ok(t) = serde_json::from_value::<FilenameItem>(item.clone()) else { continue };
        let (Some(Lax::Ok(output)), Some(Lax::Ok(regex))) = (&t.output, &t.input_regex) else {
            p.add("bad-type", &at, "each filenames item needs `output:` and `input-regex:` strings");
            continue;
        };
        let Some(captures) = capture_names(regex, "filenames", &key(&at, "input-regex"), p) else { continue };
        for name in &captures {
            if dict::keywords().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
                p.add(
                    "bad-regex",
                    &key(&at, "input-regex"),
                    format!("filenames input-regex group '{name}' is colliding with Dicom keywords"),
                );
            }
        }
        let groups: Vec<GroupSpec> =
            group_rules(t.groups.as_ref(), &captures, "filenames", dates, &key(&at, "groups"), p);
        let mut keywords = Vec::new();
        match filenames::pieces(output, &captures) {
            Err(m) => {
                p.add(
                    "bad-template",
                    &key(&at, "output"),
                    format!("filenames output '{output}' is not a valid template: {m}"),
                );
                continue;
            }
            Ok(pieces) => {
                let vars = pieces.into_iter().filter_map(|piece| match piece {
                    filenames::Piece::Value(var) => Some(var),
                    _ => None,
                });
                for var in vars {
                    if dict::tag_for_keyword(&var).is_none() {
                        let hint = did_you_mean(
                            &var,
                            captures.iter().map(String::as_str).chain(dict::keywords().map(|(k, _)| k)),
                        );
                        p.add("bad-template", &key(&at, "output"), format!("filenames output variable {{{var}}} is neither a DICOM keyword nor a group of input-regex{hint}"));
                    } else {
                        keywords.push(var);
                    }
                }
            }
        }
        let names = groups.iter().map(|g| g.name.clone()).collect();
        out.push((
            FilenameTemplate { output: output.clone(), input_regex: regex.clone(), groups: names, keywords },
            FilenameSpec { output: output.clone(), input_regex: regex.clone(), groups },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::document::problem::PathPart as P;

    fn now() -> DateTime {
        DateTime { days: 738_000, micros: 0 }
    }

    fn problems(doc: &str) -> Vec<Problem> {
        compile_document(doc, "t", now()).err().unwrap_or_default()
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let doc = r#"{"dicom": {"hash-digit": 3, "fields": [
            {"name": "PatientName", "hashuid": true},
            {"name": "PatientID", "keep": true, "remove": true},
            {"name": "StudyDate"},
            {"name": "PatientName", "increment-date": true},
            {"name": "PatientID", "hash": true, "hash-digits": 8}]}}"#;
        let codes: Vec<(&str, Vec<P>)> = problems(doc).into_iter().map(|p| (p.code, p.path)).collect();
        let k = |s: &str| P::Key(s.into());
        let f = |i: usize, s: &str| vec![k("dicom"), k("fields"), P::Index(i), k(s)];
        assert!(codes.contains(&("unknown-key", vec![k("dicom"), k("hash-digit")])), "{codes:?}");
        assert!(codes.contains(&("vr-mismatch", f(0, "hashuid"))));
        assert!(codes.contains(&("several-actions", f(1, "remove"))));
        assert!(codes.contains(&("no-action", vec![k("dicom"), k("fields"), P::Index(2)])));
        assert!(codes.contains(&("vr-mismatch", f(3, "increment-date"))));
        assert!(codes.contains(&("misplaced-key", f(4, "hash-digits"))));
    }

    #[test]
    fn a_profile_needs_a_dicom_section() {
        assert_eq!(problems(r#"{"name": "x"}"#)[0].code, "missing-key");
    }

    #[test]
    fn defaults_are_applied() {
        let c = compile_document(r#"{"dicom": {"fields": [{"name": "PatientID", "hash": true}]}}"#, "t", now())
            .ok()
            .unwrap();
        assert_eq!(c.spec.hash_digits, defaults::HASH_DIGITS);
        assert_eq!(c.spec.uid_prefix_fields, defaults::UID_PREFIX_FIELDS);
        assert_eq!(c.name, "t");
        assert!(c.profile(None).is_ok());
    }
}
