//! One field rule of `dicom: fields:` (`docs/profiles.md#addressing` and the action sections):
//! its address, exactly one action, the action's options and whether they fit the element's VR,
//! turned into the canonical rule.

use serde_json::{Map, Value};

use super::addressing::{one_line, regex_address, resolve_name, Address, AddressKind};
use super::dates::{self, DateOptions, SectionDates};
use super::keys::level_keys;
use super::problem::{did_you_mean, index, key, PathPart, Problems};
use super::{defaults, Field, GroupRule, Lax, SubCase};
use crate::actions::fit::max_len;
use crate::dicom::{dict, Tag, Vr};
use crate::profile::{CaseSpec, FieldSpec, GroupSpec, JitterSpec};

/// The action keys of a field rule, in the order the reference picks the first one present.
pub const ACTIONS: &[&str] = &[
    "identity",
    "keep",
    "remove",
    "replace-with",
    "hash",
    "hashuid",
    "increment-date",
    "jitter",
    "increment-datetime",
    "regex-sub",
    "encrypt",
    "decrypt",
];
/// Actions of the reference not applied by this version.
const PENDING_ACTIONS: &[&str] = &["encrypt", "decrypt"];
/// Field keys of the reference not applied by this version.
const PENDING_FIELD_KEYS: &[&str] = &["force-nonce"];
/// The actions of a `regex-sub` or `filenames` group rule.
pub const GROUP_ACTIONS: &[&str] = &["keep", "replace-with", "hash", "hashuid", "increment-date", "increment-datetime"];
/// Options that only a date action reads, and the actions that read them.
const DATE_OPTIONS: &[(&str, &[&str])] = &[
    ("date-format", &["increment-date"]),
    ("datetime-format", &["increment-datetime"]),
    ("date-increment-override", &["increment-date", "increment-datetime"]),
    ("datetime-min", &["increment-date", "increment-datetime"]),
    ("datetime-max", &["increment-date", "increment-datetime"]),
    ("jitter-date", &["increment-date", "increment-datetime"]),
    ("jitter-unit", &["increment-date", "increment-datetime"]),
    ("jitter-range", &["increment-date", "increment-datetime", "jitter"]),
    ("jitter-type", &["jitter"]),
    ("jitter-min", &["jitter"]),
    ("jitter-max", &["jitter"]),
];

/// VRs whose values are binary numbers.
const BINARY_NUMBER_VRS: &[Vr] = &[Vr::US, Vr::SS, Vr::UL, Vr::SL, Vr::FL, Vr::FD, Vr::SV, Vr::UV];
/// VRs no text can be written into.
const UNWRITABLE_VRS: &[Vr] = &[Vr::SQ, Vr::AT, Vr::OB, Vr::OW, Vr::OF, Vr::OD, Vr::OL, Vr::OV, Vr::UN];
/// `hash` is refused for these VRs (`docs/profiles.md#hash`); DS and IS too, because a hex digest
/// is not a number and the reference crashes writing it (E14).
const UNHASHABLE_VRS: &[Vr] = &[
    Vr::AT,
    Vr::FL,
    Vr::FD,
    Vr::OB,
    Vr::OW,
    Vr::OF,
    Vr::OD,
    Vr::OL,
    Vr::OV,
    Vr::SL,
    Vr::SQ,
    Vr::SS,
    Vr::UL,
    Vr::UN,
    Vr::US,
    Vr::UI,
    Vr::SV,
    Vr::UV,
    Vr::DS,
    Vr::IS,
];
/// Study/Series/SOP Instance UID: `hashuid`, never `hash`.
const UNHASHABLE_TAGS: &[u32] = &[0x0020_000D, 0x0020_000E, 0x0008_0018];
/// VRs a date shift can read (`docs/profiles.md#dates`): dates, datetimes, and free text that may
/// hold a date in the rule's format.
const DATE_VRS: &[Vr] = &[Vr::DA, Vr::DT, Vr::LO, Vr::SH, Vr::CS, Vr::ST, Vr::LT, Vr::UT, Vr::UC];
/// VRs numeric jitter cannot change (`docs/profiles.md#jitter`).
const NOT_JITTERABLE_VRS: &[Vr] = &[
    Vr::SQ,
    Vr::AT,
    Vr::OB,
    Vr::OW,
    Vr::OF,
    Vr::OD,
    Vr::OL,
    Vr::OV,
    Vr::UN,
    Vr::UI,
    Vr::DA,
    Vr::DT,
    Vr::TM,
    Vr::PN,
    Vr::AS,
];

/// What a field rule inherits from its `dicom:` section.
pub struct Section<'a> {
    /// `replace-with-insert`.
    pub insert: bool,
    /// `recurse-sequence`.
    pub recurse: bool,
    /// `jitter-type`.
    pub jitter_type: Option<&'a str>,
    /// `jitter-range`.
    pub jitter_range: Option<f64>,
    /// Date defaults.
    pub dates: SectionDates<'a>,
}

/// A compiled field rule and what the front end shows of it.
pub struct CompiledRule {
    /// The canonical rule.
    pub spec: FieldSpec,
    /// Its address.
    pub address: Address,
}

/// Refuses unknown keys (with a suggestion) and keys not applied yet, at one level.
pub fn check_keys(obj: &Map<String, Value>, level: &str, pending: &[&str], path: &[PathPart], p: &mut Problems) {
    let known = level_keys(level);
    let label = if level == "document" { "top-level" } else { level };
    for k in obj.keys() {
        let at = key(path, k);
        if pending.contains(&k.as_str()) {
            p.add_key(
                "not-supported",
                &at,
                format!("{label} key '{k}' is not supported by this version of fastdeid yet"),
            );
        } else if !known.contains(&k.as_str()) {
            let elsewhere = if level == "document" {
                None
            } else {
                ["dicom", "document"].into_iter().find(|l| level_keys(l).contains(&k.as_str()))
            };
            match elsewhere {
                Some(l) if l != level => {
                    let home = if l == "dicom" { "the `dicom:` level" } else { "the top level" };
                    p.add_key("misplaced-key", &at, format!("'{k}' is not a {label} key: it belongs at {home}"));
                }
                _ => p.add_key(
                    "unknown-key",
                    &at,
                    format!("unknown {label} key '{k}'{}", did_you_mean(k, known.iter().copied())),
                ),
            }
        }
    }
}

fn type_name(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn is_structural(tag: u32) -> bool {
    tag == 0x0002_0010 || tag.trailing_zeros() >= 16 || tag >> 16 == 0xFFFE
}

/// The action keys present in a rule, in the reference's order.
fn present<'a>(obj: &Map<String, Value>, actions: &[&'a str]) -> Vec<&'a str> {
    actions.iter().copied().filter(|a| obj.contains_key(*a)).collect()
}

/// Compiles one field rule; `None` when it has problems (all recorded).
pub fn field_rule(raw: &Value, s: &Section<'_>, path: &[PathPart], p: &mut Problems) -> Option<CompiledRule> {
    let Value::Object(obj) = raw else {
        p.add("bad-type", path, "each field must be a mapping such as {name: PatientID, remove: true}");
        return None;
    };
    let before = p.list.len();
    check_keys(obj, "field", PENDING_FIELD_KEYS, path, p);
    let f: Field = serde_json::from_value(raw.clone()).ok()?;
    let address = rule_address(&f, path, p);
    let shown = address.as_ref().map_or_else(|| "this rule".to_string(), |a| a.name.clone());
    if let Some(a) = &address {
        if s.recurse && matches!(a.kind, AddressKind::Path | AddressKind::Regex) {
            p.add(
                "bad-combination",
                path,
                format!("recurse-sequence cannot be combined with sequence paths or regex fields ({})", a.name),
            );
        }
    }
    let action = rule_action(obj, &shown, path, p)?;
    let insert = match &f.replace_with_insert {
        None => s.insert,
        Some(Lax::Ok(b)) => *b,
        Some(Lax::Bad(_)) => {
            p.add(
                "bad-type",
                &key(path, "replace-with-insert"),
                format!("replace-with-insert on {shown} must be true or false"),
            );
            s.insert
        }
    };
    let address = address?;
    if action != "keep" && address.tag.is_some_and(is_structural) {
        p.add(
            "structural",
            path,
            format!(
                "{shown} defines the file's structure (transfer syntax, group length or item) and cannot be changed"
            ),
        );
    }
    let spec = action_spec(&f, &obj[action_key(obj, action)], action, &address, insert, s, path, p);
    (p.list.len() == before).then_some(CompiledRule { spec, address })
}

/// The key a canonical action was written with (`keep` may have been written `identity`).
fn action_key<'a>(obj: &Map<String, Value>, action: &'a str) -> &'a str {
    if action == "keep" && !obj.contains_key("keep") {
        "identity"
    } else {
        action
    }
}

/// The element a rule addresses, from `name:` or `regex:`.
fn rule_address(f: &Field, path: &[PathPart], p: &mut Problems) -> Option<Address> {
    match (&f.name, &f.regex) {
        // YAML turns unquoted all-digit names into numbers, which the reference then applies to
        // the wrong tag: refuse them.
        (Some(Value::String(text)), None) => {
            resolve_name(text).map_err(|m| p.add("bad-name", &key(path, "name"), m)).ok()
        }
        (Some(other), None) => {
            let shown = type_name(other);
            let message = format!("field name {shown} is not a string; quote tag numbers, e.g. name: '00100030'");
            p.add("bad-name", &key(path, "name"), message);
            None
        }
        (None, Some(Value::String(text))) => {
            regex_address(text).map_err(|m| p.add("bad-regex", &key(path, "regex"), m)).ok()
        }
        (None, Some(_)) => {
            p.add("bad-regex", &key(path, "regex"), "regex must be a non-empty string");
            None
        }
        _ => {
            p.add("bad-name", path, "a field needs exactly one of `name:` or `regex:`");
            None
        }
    }
}

/// The rule's one action (`identity` read as `keep`), and whether its options fit it.
fn rule_action(obj: &Map<String, Value>, shown: &str, path: &[PathPart], p: &mut Problems) -> Option<&'static str> {
    let actions = present(obj, ACTIONS);
    let action = match actions.as_slice() {
        [] => {
            let message = format!("the rule for {shown} has no action; give one of {}", ACTIONS[..10].join(", "));
            p.add("no-action", path, message);
            None
        }
        [one] => Some(*one),
        several => {
            let (n, all) = (several.len(), several.join(", "));
            let message = format!("the rule for {shown} has {n} actions ({all}); give exactly one");
            p.add_key("several-actions", &key(path, several[1]), message);
            None
        }
    };
    for (option, users) in DATE_OPTIONS {
        if obj.contains_key(*option) && action.is_some_and(|a| !users.contains(&a)) {
            let message = format!("{option} on {shown} only applies to {}", users.join(" or "));
            p.add_key("bad-option", &key(path, option), message);
        }
    }
    let action = action?;
    if PENDING_ACTIONS.contains(&action) {
        let message = format!("action '{action}' on {shown} is not supported by this version of fastdeid yet");
        p.add_key("not-supported", &key(path, action), message);
        return None;
    }
    if !matches!(action, "replace-with" | "regex-sub") && obj[action] != Value::Bool(true) {
        p.add("bad-value", &key(path, action), format!("{action} on {shown} must be `true`"));
    }
    Some(if action == "identity" { "keep" } else { action })
}

/// The canonical rule for one action, with the checks of the action against the element's VR.
#[allow(clippy::too_many_arguments)]
fn action_spec(
    f: &Field,
    value: &Value,
    action: &str,
    address: &Address,
    insert: bool,
    s: &Section<'_>,
    path: &[PathPart],
    p: &mut Problems,
) -> FieldSpec {
    let shown = &address.name;
    let vr = address.vr;
    let vr_text = vr.map_or_else(|| "unknown".to_string(), |v| v.as_str().to_string());
    let here = key(path, action);
    let mut spec = FieldSpec::new(address, action);
    match action {
        "hash"
            if vr.is_some_and(|v| UNHASHABLE_VRS.contains(&v))
                || address.tag.is_some_and(|t| UNHASHABLE_TAGS.contains(&t)) =>
        {
            let hint = if vr == Some(Vr::UI) { "; use hashuid for UIDs" } else { "" };
            p.add("vr-mismatch", &here, format!("hash cannot be applied to {shown} (VR {vr_text}){hint}"));
        }
        "hashuid" if vr.is_some_and(|v| v != Vr::UI) => {
            let message =
                format!("hashuid needs a UID (VR UI); {shown} has VR {vr_text}: use hash, replace-with or remove");
            p.add("vr-mismatch", &here, message);
        }
        "increment-date" | "increment-datetime" => {
            if vr.is_some_and(|v| !DATE_VRS.contains(&v)) {
                p.add("vr-mismatch", &here, format!("{action} needs a date (VR DA or DT); {shown} has VR {vr_text}"));
            }
            spec.shift = dates::shift(action, &date_options(f), &s.dates, path, p);
        }
        "jitter" => {
            if vr.is_some_and(|v| NOT_JITTERABLE_VRS.contains(&v)) {
                p.add("vr-mismatch", &here, format!("jitter cannot be applied to {shown} (VR {vr_text})"));
            }
            spec.jitter = jitter(f, s, path, p);
        }
        "regex-sub" => spec.cases = regex_sub(value, &s.dates, &here, p),
        // The reference does nothing for `replace-with: null`.
        "replace-with" if value.is_null() => spec.action = "keep".into(),
        "replace-with" => {
            check_replacement(address, value, insert, &here, p);
            spec.action = "replace".into();
            spec.value = Some(value.clone());
            spec.insert = insert;
        }
        _ => {}
    }
    spec
}

fn date_options(f: &Field) -> DateOptions<'_> {
    DateOptions {
        date_format: f.date_format.as_ref(),
        datetime_format: f.datetime_format.as_ref(),
        increment_override: f.date_increment_override.as_ref(),
        min: f.datetime_min.as_ref(),
        max: f.datetime_max.as_ref(),
        jitter_date: f.jitter_date.as_ref(),
        jitter_range: f.jitter_range.as_ref(),
        jitter_unit: f.jitter_unit.as_ref(),
    }
}

/// Numeric jitter: the rule's options, else the section's (E16: the reference ignores the
/// section's `jitter-type`), else the defaults.
fn jitter(f: &Field, s: &Section<'_>, path: &[PathPart], p: &mut Problems) -> Option<JitterSpec> {
    let jtype = match &f.jitter_type {
        None => Some(s.jitter_type.unwrap_or(defaults::JITTER_TYPE)),
        Some(Lax::Ok(t)) if t == "int" || t == "float" => Some(t.as_str()),
        Some(_) => {
            p.add("bad-value", &key(path, "jitter-type"), "jitter-type must be int or float");
            None
        }
    };
    let default = Lax::Ok(s.jitter_range.unwrap_or(defaults::JITTER_RANGE));
    let integer = jtype == Some("int");
    let range = dates::range(
        f.jitter_range.as_ref().unwrap_or(&default),
        "jitter-range",
        &key(path, "jitter-range"),
        integer,
        p,
    );
    let mut bound = |v: &Option<Lax<f64>>, name: &str| match v {
        None => Some(None),
        Some(Lax::Ok(x)) => Some(Some(*x)),
        Some(Lax::Bad(_)) => {
            p.add("bad-type", &key(path, name), format!("{name} must be a number"));
            None
        }
    };
    let min = bound(&f.jitter_min, "jitter-min");
    let max = bound(&f.jitter_max, "jitter-max");
    Some(JitterSpec { range: range?, int: integer, min: min?, max: max? })
}

fn is_number(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::String(s) => {
            let t = s.trim().to_ascii_lowercase();
            // As Python's float(): also inf and nan, with an optional sign.
            t.parse::<f64>().is_ok() || matches!(t.trim_start_matches(['+', '-']), "inf" | "infinity" | "nan")
        }
        _ => false,
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn check_replacement(address: &Address, value: &Value, insert: bool, path: &[PathPart], p: &mut Problems) {
    let name = &address.name;
    let values: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    if values.iter().any(|v| !matches!(v, Value::String(_) | Value::Number(_))) {
        p.add("bad-type", path, format!("replace-with on {name} must be text, a number or a list of them"));
        return;
    }
    let Some(vr) = address.vr else {
        // Regex and repeater rules only ever act on elements that exist, whose VR the file gives.
        if insert && !matches!(address.kind, AddressKind::Regex | AddressKind::Repeater) {
            p.add("unknown-vr", path, format!("replace-with on {name}: the dictionaries do not give this element's VR, so a missing element cannot be inserted; add `replace-with-insert: false` to this rule"));
        }
        return;
    };
    if UNWRITABLE_VRS.contains(&vr) {
        p.add("vr-mismatch", path, format!("replace-with on {name} (VR {vr}) is not supported", vr = vr.as_str()));
    } else if BINARY_NUMBER_VRS.contains(&vr) && !values.iter().all(|v| is_number(v)) {
        p.add(
            "vr-mismatch",
            path,
            format!("Incorrect value type for Dicom element {name} (VR={}): needs a number", vr.as_str()),
        );
    } else if let Some(limit) = max_len(vr) {
        // The reference writes such values with a warning only; they make the file invalid (E6).
        if values.iter().any(|v| value_text(v).chars().count() > limit) {
            p.add(
                "too-long",
                path,
                format!("replace-with on {name}: a {} value is at most {limit} characters", vr.as_str()),
            );
        }
    }
}

/// The `{var}` names of a Python format template (`{{`/`}}` are literal braces), without their
/// conversions and format specs.
pub fn template_vars(output: &str) -> Result<Vec<String>, String> {
    Ok(crate::profile::regex_sub::pieces(output)?
        .into_iter()
        .filter_map(|piece| match piece {
            crate::profile::regex_sub::Piece::Var(field) => {
                Some(field.split(['!', ':']).next().unwrap_or_default().to_string())
            }
            crate::profile::regex_sub::Piece::Literal(_) => None,
        })
        .collect())
}

/// Names of the capture groups of a pattern, anchored at the start as the core runs it.
pub fn capture_names(pattern: &str, what: &str, path: &[PathPart], p: &mut Problems) -> Option<Vec<String>> {
    match regex::Regex::new(&format!("^(?:{pattern})")) {
        Ok(re) => Some(re.capture_names().flatten().map(String::from).collect()),
        Err(e) => {
            p.add("bad-regex", path, format!("{what} input-regex does not compile: {}", one_line(&e)));
            None
        }
    }
}

fn regex_sub(raw: &Value, dates: &SectionDates<'_>, path: &[PathPart], p: &mut Problems) -> Option<Vec<CaseSpec>> {
    let Value::Array(items) = raw else {
        p.add("bad-type", path, "regex-sub must be a list of {input-regex, output, groups} items");
        return None;
    };
    if items.is_empty() {
        p.add("bad-type", path, "regex-sub must be a list of {input-regex, output, groups} items");
        return None;
    }
    let before = p.list.len();
    let mut cases = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        let Value::Object(obj) = item else {
            p.add("bad-type", &at, "each regex-sub item needs `input-regex:` and `output:` strings");
            continue;
        };
        check_keys(obj, "regex-sub", &[], &at, p);
        let Ok(case) = serde_json::from_value::<SubCase>(item.clone()) else { continue };
        let (Some(Lax::Ok(regex)), Some(Lax::Ok(output))) = (&case.input_regex, &case.output) else {
            p.add("bad-type", &at, "each regex-sub item needs `input-regex:` and `output:` strings");
            continue;
        };
        let Some(captures) = capture_names(regex, "regex-sub", &key(&at, "input-regex"), p) else { continue };
        let groups = group_rules(case.groups.as_ref(), &captures, "regex-sub", dates, &key(&at, "groups"), p);
        let rule_names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        match template_vars(output) {
            Err(m) => p.add(
                "bad-template",
                &key(&at, "output"),
                format!("regex-sub output '{output}' is not a valid template: {m}"),
            ),
            Ok(vars) => {
                for var in vars {
                    if !captures.contains(&var) && !rule_names.contains(&var.as_str()) {
                        p.add(
                            "bad-template",
                            &key(&at, "output"),
                            format!("regex-sub output variable {{{var}}} is neither a named group nor a group rule"),
                        );
                    }
                }
            }
        }
        cases.push(CaseSpec { regex: regex.clone(), output: output.clone(), groups });
    }
    (p.list.len() == before).then_some(cases)
}

/// The group rules of a `regex-sub` item or a `filenames` item.
pub fn group_rules(
    raw: Option<&Lax<Vec<Value>>>,
    captures: &[String],
    what: &str,
    dates: &SectionDates<'_>,
    path: &[PathPart],
    p: &mut Problems,
) -> Vec<GroupSpec> {
    let items = match raw {
        None => return Vec::new(),
        Some(Lax::Ok(items)) => items,
        Some(Lax::Bad(v)) if v.is_null() => return Vec::new(),
        Some(Lax::Bad(_)) => {
            p.add("bad-type", path, format!("{what} groups must be a list of group rules"));
            return Vec::new();
        }
    };
    items.iter().enumerate().filter_map(|(i, g)| group_rule(g, captures, what, dates, &index(path, i), p)).collect()
}

fn group_rule(
    raw: &Value,
    captures: &[String],
    what: &str,
    dates: &SectionDates<'_>,
    path: &[PathPart],
    p: &mut Problems,
) -> Option<GroupSpec> {
    let rule: Option<GroupRule> = match raw {
        Value::Object(obj) => {
            check_keys(obj, "group", &[], path, p);
            serde_json::from_value(raw.clone()).ok()
        }
        _ => None,
    };
    let Some((rule, Value::String(name))) = rule.as_ref().and_then(|r| Some((r, r.name.clone()?))) else {
        p.add("bad-type", path, format!("each {what} group rule needs a `name:`"));
        return None;
    };
    let obj = raw.as_object()?;
    let actions = present(obj, GROUP_ACTIONS);
    let action = match actions.as_slice() {
        [one] => *one,
        [] => {
            p.add("no-action", path, format!("{what} group '{name}' needs one of {}", GROUP_ACTIONS.join(", ")));
            return None;
        }
        several => {
            p.add_key(
                "several-actions",
                &key(path, several[1]),
                format!(
                    "{what} group '{name}' has {} actions ({}); give exactly one",
                    several.len(),
                    several.join(", ")
                ),
            );
            return None;
        }
    };
    let value = &obj[action];
    if action != "replace-with" && value != &Value::Bool(true) {
        p.add("bad-value", &key(path, action), format!("{action} on {what} group '{name}' must be `true`"));
        return None;
    }
    let mut spec = GroupSpec { name: name.clone(), field: None, action: action.to_string(), value: None, shift: None };
    if !captures.contains(&name) {
        // Not a capture group: the rule reads the record's field of that name (a dry run).
        spec.field = dict::tag_for_keyword(&name).map(|t: Tag| t.0);
        if spec.field.is_none() {
            p.add(
                "bad-name",
                &key(path, "name"),
                format!(
                    "{what} group '{name}' is neither a named group of input-regex nor a DICOM keyword{}",
                    did_you_mean(&name, captures.iter().map(String::as_str).chain(dict::keywords().map(|(k, _)| k)))
                ),
            );
            return None;
        }
    }
    match action {
        "replace-with" => match value {
            Value::String(s) => spec.value = Some(s.clone()),
            Value::Number(n) => spec.value = Some(n.to_string()),
            _ => {
                p.add(
                    "bad-type",
                    &key(path, action),
                    format!("replace-with on {what} group '{name}' must be text or a number"),
                );
                return None;
            }
        },
        "increment-date" | "increment-datetime" => {
            let o = DateOptions {
                date_format: rule.date_format.as_ref(),
                datetime_format: rule.datetime_format.as_ref(),
                increment_override: rule.date_increment_override.as_ref(),
                min: rule.datetime_min.as_ref(),
                max: rule.datetime_max.as_ref(),
                jitter_date: rule.jitter_date.as_ref(),
                jitter_range: rule.jitter_range.as_ref(),
                jitter_unit: rule.jitter_unit.as_ref(),
            };
            spec.shift = Some(dates::shift(action, &o, dates, path, p)?);
        }
        _ => {}
    }
    if action == "replace-with" {
        spec.action = "replace".into();
    }
    Some(spec)
}
