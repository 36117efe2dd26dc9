//! The profile document: the Flywheel-compatible de-identification profile as the user writes it
//! (YAML or JSON, handed over as JSON), defined once by the serde types below, and its compilation
//! into the canonical specification with every problem reported at its path in the document
//! (`docs/profiles.md`).
//!
//! Every leaf is a [`Lax`] value, so that a value of the wrong type is kept and reported with the
//! others instead of stopping deserialisation at the first one.

mod addressing;
mod compile;
mod dates;
pub mod defaults;
mod keys;
mod private_dict;
mod problem;
mod rules;

pub use addressing::{resolve_name, Address, AddressKind};
pub use compile::{compile_document, Compiled, FilenameTemplate, RuleSummary};
pub use keys::known_keys;
pub use problem::{PathPart, Problem};

use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::actions::strptime::{self, DateTime};

/// Every problem as a JSON list of `{code, message, path, anchor}`.
#[must_use]
pub fn problems_json(problems: &[Problem]) -> String {
    serde_json::to_string(problems).unwrap_or_default()
}

/// The current UTC time as `YYYYMMDDHHMMSS.ffffff`: the default moment relative date bounds are
/// taken from.
#[must_use]
pub fn now_text() -> String {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0));
    let epoch = strptime::days_from_civil(1970, 1, 1).unwrap_or(0);
    let t = DateTime { days: epoch + micros.div_euclid(86_400_000_000), micros: micros.rem_euclid(86_400_000_000) };
    strptime::format(t, defaults::DATETIME_FORMAT).unwrap_or_default()
}

/// Parses a moment written as [`now_text`] writes it.
#[must_use]
pub fn parse_now(text: &str) -> Option<DateTime> {
    strptime::parse(text, defaults::DATETIME_FORMAT)
}

/// A value of the document, kept even when it does not have the type `T` the format wants, so that
/// every problem of a document is found in one pass.
#[derive(Clone, Debug)]
pub enum Lax<T> {
    /// The value, of the right type.
    Ok(T),
    /// A value of another type, as written.
    Bad(Value),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lax<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        Ok(match T::deserialize(&raw) {
            Ok(v) => Lax::Ok(v),
            Err(_) => Lax::Bad(raw),
        })
    }
}

/// The top level of a profile document.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // accepted keys that nothing reads yet are part of the definition
pub struct Document {
    /// Name shown in logs (`name:`).
    pub name: Option<Value>,
    /// Free text (`description:`).
    pub description: Option<Value>,
    /// Where the de-identification log goes (`deid-log:`).
    #[serde(rename = "deid-log")]
    pub deid_log: Option<Lax<String>>,
    /// Accepted for compatibility; not used by the DICOM section.
    #[serde(rename = "secret-key")]
    pub secret_key: Option<Value>,
    /// Accepted for compatibility (subject mapping is configured by `ingest`).
    #[serde(rename = "map-subjects")]
    pub map_subjects: Option<Value>,
    /// The DICOM section: the only file type this tool de-identifies.
    pub dicom: Option<Lax<Dicom>>,
    /// Sections for other file types of the reference: accepted and ignored.
    pub filename: Option<Value>,
    /// See `filename`.
    pub json: Option<Value>,
    /// See `filename`.
    #[serde(rename = "key-value-text-file")]
    pub key_value_text_file: Option<Value>,
    /// See `filename`.
    pub nifti: Option<Value>,
    /// See `filename`.
    pub zip: Option<Value>,
    /// See `filename`.
    pub jpg: Option<Value>,
    /// See `filename`.
    pub png: Option<Value>,
    /// See `filename`.
    pub csv: Option<Value>,
    /// See `filename`.
    pub tsv: Option<Value>,
    /// See `filename`.
    pub table: Option<Value>,
    /// See `filename`.
    pub tiff: Option<Value>,
    /// See `filename`.
    pub xml: Option<Value>,
}

/// The `dicom:` section.
#[derive(Debug, Deserialize)]
pub struct Dicom {
    /// The field rules, in order.
    pub fields: Option<Lax<Vec<Value>>>,
    /// Default of the rules' `replace-with-insert`.
    #[serde(rename = "replace-with-insert")]
    pub replace_with_insert: Option<Lax<bool>>,
    /// Prepended to every hashed value.
    pub salt: Option<Lax<String>>,
    /// Hex digits kept by `hash`.
    #[serde(rename = "hash-digits")]
    pub hash_digits: Option<Lax<i64>>,
    /// Leading UID nodes kept by `hashuid`.
    #[serde(rename = "uid-prefix-fields")]
    pub uid_prefix_fields: Option<Lax<i64>>,
    /// Trailing UID nodes kept by `hashuid`.
    #[serde(rename = "uid-suffix-fields")]
    pub uid_suffix_fields: Option<Lax<i64>>,
    /// Replaces the kept prefix of hashed UIDs.
    #[serde(rename = "uid-numeric-name")]
    pub uid_numeric_name: Option<Lax<String>>,
    /// Apply element rules inside every sequence too.
    #[serde(rename = "recurse-sequence")]
    pub recurse_sequence: Option<Lax<bool>>,
    /// Days added by `increment-date`/`increment-datetime`.
    #[serde(rename = "date-increment")]
    pub date_increment: Option<Lax<f64>>,
    /// strptime format of DA values.
    #[serde(rename = "date-format")]
    pub date_format: Option<Lax<String>>,
    /// strptime format of DT values.
    #[serde(rename = "datetime-format")]
    pub datetime_format: Option<Lax<String>>,
    /// Delete private elements no rule names.
    #[serde(rename = "remove-private-tags")]
    pub remove_private_tags: Option<Lax<bool>>,
    /// Delete elements no rule names.
    #[serde(rename = "remove-undefined")]
    pub remove_undefined: Option<Lax<bool>>,
    /// Recompute PatientAge from the birth and study dates.
    #[serde(rename = "patient-age-from-birthdate")]
    pub patient_age_from_birthdate: Option<Lax<bool>>,
    /// Smallest unit of the recomputed age.
    #[serde(rename = "patient-age-units")]
    pub patient_age_units: Option<Lax<String>>,
    /// Default `jitter-range` of numeric jitter rules.
    #[serde(rename = "jitter-range")]
    pub jitter_range: Option<Lax<f64>>,
    /// Default `jitter-type` of numeric jitter rules.
    #[serde(rename = "jitter-type")]
    pub jitter_type: Option<Lax<String>>,
    /// Output-name templates.
    pub filenames: Option<Lax<Vec<Value>>>,
    /// fastdeid's key for per-patient jitter draws.
    #[serde(rename = "jitter-seed")]
    pub jitter_seed: Option<Lax<String>>,
    /// A base profile applied before the rules: `basic`, the PS3.15 Basic Profile (stored; the
    /// front end, which reads the key, applies it: `docs/basic-profile.md`).
    pub base: Option<Lax<String>>,
    /// Options of the base profile (stored, applied by the front end).
    pub options: Option<Lax<Vec<String>>>,
    /// The file holding the base profile's key (stored, applied by the front end).
    #[serde(rename = "key-file")]
    pub key_file: Option<Lax<String>>,
    /// The base profile's pseudonym form (checked and applied by the front end).
    pub pseudonym: Option<Value>,
    /// The base profile's date shift range (checked and applied by the front end).
    #[serde(rename = "date-shift-days")]
    pub date_shift_days: Option<Value>,
    /// Keys of the reference not applied by this version: refused (ignoring them would leave
    /// identity in the output).
    pub decode: Option<Value>,
    /// See `decode`.
    pub retain: Option<Value>,
    /// See `decode`.
    #[serde(rename = "secret-key")]
    pub secret_key: Option<Value>,
    /// See `decode`.
    #[serde(rename = "asymmetric-encryption")]
    pub asymmetric_encryption: Option<Value>,
    /// See `decode`.
    #[serde(rename = "public-key")]
    pub public_key: Option<Value>,
    /// See `decode`.
    #[serde(rename = "private-key")]
    pub private_key: Option<Value>,
    /// See `decode`.
    #[serde(rename = "force-nonce")]
    pub force_nonce: Option<Value>,
    /// See `decode`.
    #[serde(rename = "file-filter")]
    pub file_filter: Option<Value>,
    /// See `decode`.
    #[serde(rename = "enforce-file-filter")]
    pub enforce_file_filter: Option<Value>,
    /// See `decode`.
    pub alter_pixels: Option<Value>,
}

/// The `dicom:` keys of the reference that this version refuses (see [`Dicom::decode`]).
pub const DICOM_KEYS_PENDING: &[&str] = &[
    "decode",
    "retain",
    "secret-key",
    "asymmetric-encryption",
    "public-key",
    "private-key",
    "force-nonce",
    "file-filter",
    "enforce-file-filter",
    "alter_pixels",
];

/// One field rule of `dicom: fields:`.
#[derive(Debug, Deserialize)]
pub struct Field {
    /// The element it addresses (`docs/profiles.md#addressing`).
    pub name: Option<Value>,
    /// A regular expression over keyword and hex paths, instead of `name:`.
    pub regex: Option<Value>,
    /// Insert the element when it is missing (replace-with).
    #[serde(rename = "replace-with-insert")]
    pub replace_with_insert: Option<Lax<bool>>,
    /// strptime format of this rule's dates.
    #[serde(rename = "date-format")]
    pub date_format: Option<Lax<String>>,
    /// strptime format of this rule's datetimes.
    #[serde(rename = "datetime-format")]
    pub datetime_format: Option<Lax<String>>,
    /// Days added instead of the section's `date-increment`.
    #[serde(rename = "date-increment-override")]
    pub date_increment_override: Option<Lax<f64>>,
    /// Lower bound of shifted dates.
    #[serde(rename = "datetime-min")]
    pub datetime_min: Option<Value>,
    /// Upper bound of shifted dates.
    #[serde(rename = "datetime-max")]
    pub datetime_max: Option<Value>,
    /// Add a random offset to shifted dates.
    #[serde(rename = "jitter-date")]
    pub jitter_date: Option<Value>,
    /// Largest jitter (units for dates, the value's unit for numbers).
    #[serde(rename = "jitter-range")]
    pub jitter_range: Option<Lax<f64>>,
    /// Unit of date jitter.
    #[serde(rename = "jitter-unit")]
    pub jitter_unit: Option<Lax<String>>,
    /// `int` or `float` numeric jitter.
    #[serde(rename = "jitter-type")]
    pub jitter_type: Option<Lax<String>>,
    /// Lower bound of jittered numbers.
    #[serde(rename = "jitter-min")]
    pub jitter_min: Option<Lax<f64>>,
    /// Upper bound of jittered numbers.
    #[serde(rename = "jitter-max")]
    pub jitter_max: Option<Lax<f64>>,
    /// Refused: not applied by this version.
    #[serde(rename = "force-nonce")]
    pub force_nonce: Option<Value>,
    /// Action: leave the element as it is (same as `keep`).
    pub identity: Option<Value>,
    /// Action: leave the element as it is.
    pub keep: Option<Value>,
    /// Action: delete the element.
    pub remove: Option<Value>,
    /// Action: set the value.
    #[serde(rename = "replace-with")]
    pub replace_with: Option<Value>,
    /// Action: salted sha256 prefix (`docs/profiles.md#hash`).
    pub hash: Option<Value>,
    /// Action: hashed UID (`docs/profiles.md#hashuid`).
    pub hashuid: Option<Value>,
    /// Action: shift a date (`docs/profiles.md#dates`).
    #[serde(rename = "increment-date")]
    pub increment_date: Option<Value>,
    /// Action: add a random offset to a number (`docs/profiles.md#jitter`).
    pub jitter: Option<Value>,
    /// Action: shift a datetime (`docs/profiles.md#dates`).
    #[serde(rename = "increment-datetime")]
    pub increment_datetime: Option<Value>,
    /// Action: rebuild the value from a pattern (`docs/profiles.md#regex-sub`).
    #[serde(rename = "regex-sub")]
    pub regex_sub: Option<Value>,
    /// Action of the reference not applied by this version: refused.
    pub encrypt: Option<Value>,
    /// See `encrypt`.
    pub decrypt: Option<Value>,
}

/// One item of a `regex-sub:` list.
#[derive(Debug, Deserialize)]
pub struct SubCase {
    /// Pattern matched at the start of the value.
    #[serde(rename = "input-regex")]
    pub input_regex: Option<Lax<String>>,
    /// Template of the new value, with `{var}` references.
    pub output: Option<Lax<String>>,
    /// Rules applied to template variables.
    pub groups: Option<Lax<Vec<Value>>>,
}

/// One item of a `filenames:` list.
#[derive(Debug, Deserialize)]
pub struct FilenameItem {
    /// Template of the output name, with `{Keyword}` and `{group}` references.
    pub output: Option<Lax<String>>,
    /// Pattern matched against the input file's name.
    #[serde(rename = "input-regex")]
    pub input_regex: Option<Lax<String>>,
    /// Rules applied to captured groups.
    pub groups: Option<Lax<Vec<Value>>>,
}

/// A group rule of `regex-sub:` or `filenames:`.
#[derive(Debug, Deserialize)]
pub struct GroupRule {
    /// The variable: a capture group or a DICOM keyword.
    pub name: Option<Value>,
    /// Action: unchanged.
    pub keep: Option<Value>,
    /// Action: a fixed text.
    #[serde(rename = "replace-with")]
    pub replace_with: Option<Value>,
    /// Action: salted hash.
    pub hash: Option<Value>,
    /// Action: hashed UID.
    pub hashuid: Option<Value>,
    /// Action: shifted date.
    #[serde(rename = "increment-date")]
    pub increment_date: Option<Value>,
    /// Action: shifted datetime.
    #[serde(rename = "increment-datetime")]
    pub increment_datetime: Option<Value>,
    /// As on a field rule.
    #[serde(rename = "date-format")]
    pub date_format: Option<Lax<String>>,
    /// As on a field rule.
    #[serde(rename = "datetime-format")]
    pub datetime_format: Option<Lax<String>>,
    /// As on a field rule.
    #[serde(rename = "date-increment-override")]
    pub date_increment_override: Option<Lax<f64>>,
    /// As on a field rule.
    #[serde(rename = "datetime-min")]
    pub datetime_min: Option<Value>,
    /// As on a field rule.
    #[serde(rename = "datetime-max")]
    pub datetime_max: Option<Value>,
    /// As on a field rule.
    #[serde(rename = "jitter-date")]
    pub jitter_date: Option<Value>,
    /// As on a field rule.
    #[serde(rename = "jitter-range")]
    pub jitter_range: Option<Lax<f64>>,
    /// As on a field rule.
    #[serde(rename = "jitter-unit")]
    pub jitter_unit: Option<Lax<String>>,
}
