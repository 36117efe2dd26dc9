//! Profiles: the canonical JSON specification that the Python layer sends (already validated and
//! with keywords resolved to tags) and its compiled, immutable form.

mod apply;

pub use apply::{apply, Changes, Edits, NewValue};

use serde::Deserialize;

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
        Ok(Profile { name: spec.name, rules })
    }

    /// A profile that changes nothing.
    #[must_use]
    pub fn identity() -> Self {
        Profile { name: "none".into(), rules: Vec::new() }
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
