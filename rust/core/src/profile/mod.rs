//! Profiles: the canonical JSON specification that the Python layer sends (already validated and
//! with keywords resolved to tags) and its compiled, immutable form.

mod apply;
mod value;

pub use apply::{apply, Changes, Edits, NewValue};
pub use value::read_string;

use serde::Deserialize;

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
}

/// One field rule.
#[derive(Debug)]
pub struct Rule {
    /// The addressed top-level element.
    pub tag: Tag,
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
    /// Replace a non-empty value by its salted sha256 hex prefix (spec 6.4).
    Hash,
    /// Replace a non-empty value by a hashed UID (spec 6.5).
    HashUid,
    /// Set its value; insert it when missing if `insert`.
    Replace {
        /// The new value.
        value: Value,
        /// Insert the element when it is missing.
        insert: bool,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileSpec {
    name: String,
    fields: Vec<FieldSpec>,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default = "default_hash_digits")]
    hash_digits: i64,
    #[serde(default = "default_prefix_fields")]
    uid_prefix_fields: usize,
    #[serde(default = "default_suffix_fields")]
    uid_suffix_fields: usize,
    #[serde(default)]
    uid_numeric_name: Option<String>,
}

fn default_hash_digits() -> i64 {
    16
}

fn default_prefix_fields() -> usize {
    4
}

fn default_suffix_fields() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    tag: u32,
    vr: Option<String>,
    action: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    insert: bool,
}

impl Profile {
    /// Compiles the JSON specification produced by `fastdeid.profile`.
    pub fn from_json(json: &str) -> Result<Self> {
        let spec: ProfileSpec = serde_json::from_str(json)
            .map_err(|e| Error::new(ErrorKind::Profile, format!("invalid compiled profile: {e}")))?;
        let rules = spec.fields.into_iter().map(compile_field).collect::<Result<_>>()?;
        let uid = UidOptions {
            prefix_fields: spec.uid_prefix_fields,
            suffix_fields: spec.uid_suffix_fields,
            numeric_name: spec.uid_numeric_name,
        };
        Ok(Profile { name: spec.name, rules, salt: spec.salt.unwrap_or_default(), hash_digits: spec.hash_digits, uid })
    }

    /// A profile that changes nothing.
    #[must_use]
    pub fn identity() -> Self {
        Profile { name: "none".into(), rules: Vec::new(), salt: String::new(), hash_digits: 16, uid: UidOptions::default() }
    }
}

fn compile_field(f: FieldSpec) -> Result<Rule> {
    let bad = |msg: String| Error::new(ErrorKind::Profile, msg);
    let tag = Tag(f.tag);
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
        "replace" => {
            let raw = f.value.ok_or_else(|| bad(format!("rule for {tag}: replace without a value")))?;
            Action::Replace { value: json_value(&raw).ok_or_else(|| bad(format!("rule for {tag}: value must be text, a number or a list")))?, insert: f.insert }
        }
        other => return Err(bad(format!("rule for {tag}: unknown action {other:?}"))),
    };
    Ok(Rule { tag, vr, action })
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
