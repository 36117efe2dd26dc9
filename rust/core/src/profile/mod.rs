//! Profiles: the document and its compiler ([`document`]), the canonical specification it compiles
//! to, and the compiled, immutable model the rule engine (`engine`) runs.

pub mod document;
pub(crate) mod filenames;
pub(crate) mod regex_sub;

use serde::{Deserialize, Serialize};

use crate::actions::age::AgeUnit;
use crate::actions::date::{DateJitter, DateShift};
use crate::actions::jitter::Jitter;
use crate::actions::strptime;
use crate::actions::uid::UidOptions;
use crate::dicom::encode::Value;
use crate::dicom::{Tag, Vr};
use crate::error::{Error, ErrorKind, Result};

/// A compiled profile: the rules in the order they run.
#[derive(Debug)]
pub struct Profile {
    /// The profile's name (informational).
    pub name: String,
    /// Rules in processing order.
    pub rules: Vec<Rule>,
    /// Prepended to every hashed value (`salt`).
    pub salt: String,
    /// Hex digits kept by `hash` (`hash-digits`; 0 or less keeps 64).
    pub hash_digits: i64,
    /// How `hashuid` builds UIDs.
    pub uid: UidOptions,
    /// Apply tag, private and repeater rules inside every sequence too (docs/profiles.md#recurse-sequence).
    pub recurse_sequence: bool,
    /// Delete private elements not named by a rule, at every level (docs/profiles.md#remove-private-tags).
    pub remove_private_tags: bool,
    /// Delete elements no rule addresses (docs/profiles.md#remove-undefined).
    pub remove_undefined: bool,
    /// Recompute PatientAge from the birth and study dates (docs/profiles.md#patient-age).
    pub patient_age: Option<AgeOptions>,
    /// Key that makes jitter draws a function of the patient (fastdeid's `jitter-seed`).
    pub jitter_seed: Option<String>,
    /// Columns of the de-identification log (docs/profiles.md#deid-log): the profile always
    /// carries them; each rewrite says whether it reads them.
    pub(crate) log_columns: Vec<LogColumn>,
    /// `filenames:` output-name templates, compiled (docs/profiles.md#filenames).
    pub(crate) filenames: Vec<filenames::NameTemplate>,
    /// The PS3.15 Basic Profile applied before the rules (`base`); the rules override it for the
    /// elements they name.
    pub base: Option<crate::basic::BasicConfig>,
}

/// Parameters of the patient age pass.
#[derive(Clone, Debug)]
pub struct AgeOptions {
    /// strptime format of `PatientBirthDate` and `StudyDate` (the profile's date-format).
    pub format: String,
    /// The smallest unit used; `None` is automatic (from days up).
    pub units: Option<AgeUnit>,
}

/// One log column.
#[derive(Debug)]
pub(crate) struct LogColumn {
    /// The elements it shows.
    pub(crate) target: Target,
    /// One value (keyword, tag, private or indexed path) rather than a JSON object.
    pub(crate) flat: bool,
}

impl LogColumn {
    /// The column of one header keyword (the values a naming policy reads).
    pub(crate) fn keyword(name: &str) -> Result<Self> {
        let address = document::resolve_name(name).map_err(|m| Error::new(ErrorKind::Profile, m))?;
        Ok(LogColumn { target: compile_target(address.steps, None)?, flat: true })
    }
}

/// One step of an element address (docs/profiles.md#addressing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A tag (from a keyword, a hex tag or a `(gggg,eeee)` tuple).
    Tag(Tag),
    /// A private element: group, private creator, element offset within the creator's block.
    Private(u16, String, u8),
    /// Every element whose tag matches `tag & mask == value` (50xx/60xx repeating groups).
    Repeater(u32, u32),
    /// One item of the sequence named by the previous step.
    Index(usize),
    /// Every item of the sequence named by the previous step.
    AnyItem,
}

/// What a rule addresses.
#[derive(Debug)]
pub enum Target {
    /// An explicit path: element steps alternating with item steps, ending on an element.
    Path(Vec<Step>),
    /// A regular expression over keyword and hex paths, anchored at the start (docs/profiles.md#regex-fields).
    Regex(regex::Regex),
}

/// One field rule.
#[derive(Debug)]
pub struct Rule {
    /// What it addresses.
    pub target: Target,
    /// The dictionary VR, used when the rule inserts a missing element.
    pub vr: Option<Vr>,
    /// What to do.
    pub action: Action,
}

/// What a rule does to its element.
#[derive(Debug)]
pub enum Action {
    /// Leave it as it is.
    Keep,
    /// Delete it if present.
    Remove,
    /// Replace a non-empty value by its salted sha256 hex prefix (docs/profiles.md#hash).
    Hash,
    /// Replace a non-empty value by a hashed UID (docs/profiles.md#hashuid).
    HashUid,
    /// Shift a non-empty DA value (docs/profiles.md#increment-date).
    IncrementDate(DateShift),
    /// Shift a non-empty DT value (docs/profiles.md#increment-datetime).
    IncrementDateTime(DateShift),
    /// Add a random offset to a number (docs/profiles.md#jitter).
    Jitter(Jitter),
    /// Rebuild the value from a pattern's groups (docs/profiles.md#regex-sub).
    RegexSub(Vec<regex_sub::SubCase>),
    /// Set its value; insert it when missing if `insert`.
    Replace {
        /// The new value.
        value: Value,
        /// Insert the element when it is missing.
        insert: bool,
    },
}

/// The canonical specification: the compiled document, in the form the rule engine is built from
/// (also what a profile's digest is computed over).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileSpec {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) salt: Option<String>,
    #[serde(default = "default_hash_digits")]
    pub(crate) hash_digits: i64,
    #[serde(default = "default_prefix_fields")]
    pub(crate) uid_prefix_fields: usize,
    #[serde(default = "default_suffix_fields")]
    pub(crate) uid_suffix_fields: usize,
    #[serde(default)]
    pub(crate) uid_numeric_name: Option<String>,
    #[serde(default)]
    pub(crate) recurse_sequence: bool,
    #[serde(default)]
    pub(crate) jitter_seed: Option<String>,
    #[serde(default)]
    pub(crate) remove_private_tags: bool,
    #[serde(default)]
    pub(crate) remove_undefined: bool,
    #[serde(default)]
    pub(crate) patient_age: Option<AgeSpec>,
    pub(crate) fields: Vec<FieldSpec>,
    /// The deid log's columns, made by the document compiler from the rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) log: Vec<LogSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) filenames: Vec<filenames::FilenameSpec>,
    /// Set by the front end, which reads the key (`docs/basic-profile.md`); never serialised.
    #[serde(default, skip_serializing)]
    pub(crate) base: Option<crate::basic::BaseSpec>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogSpec {
    #[serde(default)]
    pub(crate) path: Option<Vec<StepSpec>>,
    #[serde(default)]
    pub(crate) regex: Option<String>,
    pub(crate) flat: bool,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgeSpec {
    pub(crate) format: String,
    pub(crate) units: Option<String>,
}

/// One step of an address in the canonical specification.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum StepSpec {
    /// A tag.
    Tag(u32),
    /// A private element: group, creator, offset.
    Private(u16, String, u8),
    /// A repeating-group element: value and mask.
    Repeater(u32, u32),
    /// One item.
    Index(usize),
    /// Every item.
    Any,
}

fn default_hash_digits() -> i64 {
    document::defaults::HASH_DIGITS
}

fn default_prefix_fields() -> usize {
    document::defaults::UID_PREFIX_FIELDS
}

fn default_suffix_fields() -> usize {
    document::defaults::UID_SUFFIX_FIELDS
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<Vec<StepSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) regex: Option<String>,
    pub(crate) vr: Option<String>,
    pub(crate) action: String,
    #[serde(default)]
    pub(crate) value: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) insert: bool,
    #[serde(default)]
    pub(crate) shift: Option<ShiftSpec>,
    #[serde(default)]
    pub(crate) jitter: Option<JitterSpec>,
    #[serde(default)]
    pub(crate) cases: Option<Vec<CaseSpec>>,
}

impl FieldSpec {
    /// A rule for `address` doing `action`, without options: the form of keep, remove, hash and
    /// hashuid rules (whose `insert` is always true, as the reference's default).
    pub(crate) fn new(address: &document::Address, action: &str) -> Self {
        FieldSpec {
            path: address.steps.clone(),
            regex: address.steps.is_none().then(|| address.name.clone()),
            vr: address.vr.map(|v| v.as_str().to_string()),
            action: action.to_string(),
            value: None,
            insert: true,
            shift: None,
            jitter: None,
            cases: None,
        }
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseSpec {
    pub(crate) regex: String,
    pub(crate) output: String,
    pub(crate) groups: Vec<GroupSpec>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupSpec {
    pub(crate) name: String,
    pub(crate) field: Option<u32>,
    pub(crate) action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shift: Option<ShiftSpec>,
}

impl CaseSpec {
    fn compile(self) -> Result<regex_sub::SubCase> {
        let regex = regex::Regex::new(&format!("^(?:{})", self.regex))
            .map_err(|e| Error::new(ErrorKind::Profile, format!("regex-sub input-regex does not compile: {e}")))?;
        let groups = self
            .groups
            .into_iter()
            .map(|g| Ok(regex_sub::GroupRule { name: g.name.clone(), field: g.field.map(Tag), action: g.compile()? }))
            .collect::<Result<_>>()?;
        Ok(regex_sub::SubCase { regex, output: regex_sub::template(&self.output)?, groups })
    }
}

impl GroupSpec {
    /// What the rule does to a piece of text.
    pub(crate) fn compile(self) -> Result<regex_sub::TextAction> {
        use regex_sub::TextAction;
        let bad = |msg: String| Error::new(ErrorKind::Profile, msg);
        Ok(match self.action.as_str() {
            "keep" => TextAction::Keep,
            "replace" => TextAction::Replace(self.value.unwrap_or_default()),
            "hash" => TextAction::Hash,
            "hashuid" => TextAction::HashUid,
            "increment-date" | "increment-datetime" => {
                let s = self.shift.ok_or_else(|| bad("group date rule without its parameters".into()))?.compile()?;
                if self.action == "increment-date" {
                    TextAction::IncrementDate(s)
                } else {
                    TextAction::IncrementDateTime(s)
                }
            }
            other => return Err(bad(format!("group action {other:?} is not supported"))),
        })
    }
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JitterSpec {
    pub(crate) range: f64,
    pub(crate) int: bool,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DateJitterSpec {
    pub(crate) range: i64,
    pub(crate) unit_micros: i64,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShiftSpec {
    pub(crate) format: String,
    pub(crate) days: f64,
    #[serde(default)]
    pub(crate) min: Option<String>,
    #[serde(default)]
    pub(crate) max: Option<String>,
    #[serde(default)]
    pub(crate) jitter: Option<DateJitterSpec>,
}

impl ShiftSpec {
    fn compile(self) -> Result<DateShift> {
        // Bounds arrive as absolute datetimes in the reference's default DT format.
        let bound = |b: Option<String>| match b {
            None => Ok(None),
            Some(text) => strptime::parse(&text, document::defaults::DATETIME_FORMAT).map(Some).ok_or_else(|| {
                Error::new(ErrorKind::Profile, "datetime-min/max must be YYYYMMDDHHMMSS.ffffff in the compiled profile")
            }),
        };
        if !self.days.is_finite() {
            return Err(Error::new(ErrorKind::Profile, "date increment must be a finite number of days"));
        }
        let jitter = self.jitter.map(|j| DateJitter { range: j.range.max(1), unit_micros: j.unit_micros });
        Ok(DateShift { min: bound(self.min)?, max: bound(self.max)?, format: self.format, days: self.days, jitter })
    }
}

impl Profile {
    /// Compiles the JSON specification produced by `fastdeid.profile`.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: ProfileSpec = serde_json::from_str(json)
            .map_err(|e| Error::new(ErrorKind::Profile, format!("invalid compiled profile: {e}")))?;
        Self::from_spec(spec)
    }

    /// Builds the rule engine's form of a canonical specification.
    pub(crate) fn from_spec(spec: ProfileSpec) -> Result<Self> {
        let rules = spec.fields.into_iter().map(compile_field).collect::<Result<_>>()?;
        let uid = UidOptions {
            prefix_fields: spec.uid_prefix_fields,
            suffix_fields: spec.uid_suffix_fields,
            numeric_name: spec.uid_numeric_name,
        };
        Ok(Profile {
            name: spec.name,
            rules,
            salt: spec.salt.unwrap_or_default(),
            hash_digits: spec.hash_digits,
            uid,
            recurse_sequence: spec.recurse_sequence,
            remove_private_tags: spec.remove_private_tags,
            remove_undefined: spec.remove_undefined,
            patient_age: spec.patient_age.map(|a| AgeOptions {
                format: a.format,
                // docs/profiles.md#patient-age: D and anything unknown behave as automatic.
                units: match a.units.as_deref() {
                    Some("M") => Some(AgeUnit::Months),
                    Some("Y") => Some(AgeUnit::Years),
                    _ => None,
                },
            }),
            jitter_seed: spec.jitter_seed,
            log_columns: spec
                .log
                .into_iter()
                .map(|c| Ok(LogColumn { target: compile_target(c.path, c.regex)?, flat: c.flat }))
                .collect::<Result<_>>()?,
            filenames: spec.filenames.into_iter().map(filenames::NameTemplate::compile).collect::<Result<_>>()?,
            base: spec.base.map(crate::basic::BaseSpec::compile).transpose()?,
        })
    }

    /// A profile that changes nothing.
    #[must_use]
    pub fn identity() -> Self {
        Profile {
            name: "none".into(),
            rules: Vec::new(),
            salt: String::new(),
            hash_digits: document::defaults::HASH_DIGITS,
            uid: UidOptions::default(),
            recurse_sequence: false,
            remove_private_tags: false,
            remove_undefined: false,
            patient_age: None,
            jitter_seed: None,
            log_columns: Vec::new(),
            filenames: Vec::new(),
            base: None,
        }
    }
}

fn compile_field(f: FieldSpec) -> Result<Rule> {
    let bad = |msg: String| Error::new(ErrorKind::Profile, msg);
    let target = compile_target(f.path, f.regex)?;
    let tag = match &target {
        Target::Path(steps) => steps.last().map_or(Tag(0), |s| if let Step::Tag(t) = s { *t } else { Tag(0) }),
        Target::Regex(_) => Tag(0),
    };
    let vr = match f.vr.as_deref() {
        None => None,
        Some(s) => Some(
            s.as_bytes()
                .try_into()
                .ok()
                .and_then(Vr::from_bytes)
                .ok_or_else(|| bad(format!("rule for {tag}: unknown VR")))?,
        ),
    };
    let action = match f.action.as_str() {
        "keep" => Action::Keep,
        "remove" => Action::Remove,
        "hash" => Action::Hash,
        "hashuid" => Action::HashUid,
        "increment-date" | "increment-datetime" => {
            let shift =
                f.shift.ok_or_else(|| bad(format!("rule for {tag}: date shift without its parameters")))?.compile()?;
            if f.action == "increment-date" {
                Action::IncrementDate(shift)
            } else {
                Action::IncrementDateTime(shift)
            }
        }
        "regex-sub" => {
            let cases = f.cases.ok_or_else(|| bad(format!("rule for {tag}: regex-sub without cases")))?;
            Action::RegexSub(cases.into_iter().map(CaseSpec::compile).collect::<Result<_>>()?)
        }
        "jitter" => {
            let j = f.jitter.ok_or_else(|| bad(format!("rule for {tag}: jitter without its parameters")))?;
            if !(j.range.is_finite() && j.range > 0.0) || (j.int && j.range < 1.0) {
                return Err(bad(format!("rule for {tag}: jitter range must be positive (at least 1 for int)")));
            }
            Action::Jitter(Jitter { range: j.range, int: j.int, min: j.min, max: j.max })
        }
        "replace" => {
            let raw = f.value.ok_or_else(|| bad(format!("rule for {tag}: replace without a value")))?;
            Action::Replace {
                value: json_value(&raw)
                    .ok_or_else(|| bad(format!("rule for {tag}: value must be text, a number or a list")))?,
                insert: f.insert,
            }
        }
        other => return Err(bad(format!("rule for {tag}: unknown action {other:?}"))),
    };
    Ok(Rule { target, vr, action })
}

fn compile_target(path: Option<Vec<StepSpec>>, regex: Option<String>) -> Result<Target> {
    let bad = |msg: String| Error::new(ErrorKind::Profile, msg);
    match (path, regex) {
        (Some(steps), None) => Ok(Target::Path(compile_path(steps)?)),
        (None, Some(pattern)) => Ok(Target::Regex(
            regex::Regex::new(&format!("^(?:{pattern})"))
                .map_err(|e| bad(format!("regex {pattern:?} does not compile: {e}")))?,
        )),
        _ => Err(bad("a rule needs exactly one of path and regex".into())),
    }
}

/// Checks the element/item alternation of a path and converts it.
fn compile_path(steps: Vec<StepSpec>) -> Result<Vec<Step>> {
    let bad = || Error::new(ErrorKind::Profile, "a path alternates elements and item indices and ends on an element");
    let out: Vec<Step> = steps
        .into_iter()
        .map(|s| match s {
            StepSpec::Tag(t) => Step::Tag(Tag(t)),
            StepSpec::Private(g, c, e) => Step::Private(g, c, e),
            StepSpec::Repeater(v, m) => Step::Repeater(v, m),
            StepSpec::Index(i) => Step::Index(i),
            StepSpec::Any => Step::AnyItem,
        })
        .collect();
    let well_formed = out.len() % 2 == 1
        && out.iter().enumerate().all(|(i, s)| (i % 2 == 1) == matches!(s, Step::Index(_) | Step::AnyItem));
    if well_formed {
        Ok(out)
    } else {
        Err(bad())
    }
}

fn json_value(v: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::String(s) => Value::Text(s.clone()),
        J::Number(n) => n.as_i64().map_or_else(|| n.as_f64().map(Value::Float), |i| Some(Value::Int(i)))?,
        J::Array(items) => Value::List(items.iter().map(json_value).collect::<Option<_>>()?),
        J::Bool(_) | J::Null | J::Object(_) => return None,
    })
}
