//! The `base` object of a compiled profile: the Basic Profile, its options and the key its
//! keyed actions need (docs/basic-profile.md, "Using the Basic Profile").

use std::fmt;
use std::ops::RangeInclusive;

use serde::Deserialize;

use super::keyed::{Alphabet, PseudonymFormat};
use super::options::{BasicOption, OptionSet};
use crate::error::{Error, ErrorKind, Result};

/// The default range of the per-patient date shift, in days: about three years back, never 0 and
/// never into the future. 1095 values give 100 patients about 95.6 distinct shifts on average.
pub const DEFAULT_SHIFT_DAYS: RangeInclusive<i32> = -1095..=-1;

/// The Basic Profile as a profile's base, ready to run.
pub struct BasicConfig {
    /// The enabled options.
    pub options: OptionSet,
    /// The project's secret key (HMAC-SHA256 key of pseudonyms, UIDs and date shifts); empty
    /// when none was given, and then every file fails (see [`BasicConfig::require_key`]).
    pub key: Vec<u8>,
    /// How PatientID pseudonyms are written.
    pub pseudonym: PseudonymFormat,
    /// The range the per-patient date shift is drawn from (whole days).
    pub shift_days: RangeInclusive<i32>,
    /// Write files whose pixel data may show identifying text instead of failing them.
    pub allow_burned_in: bool,
}

impl fmt::Debug for BasicConfig {
    // The key is a secret: never in a debug print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicConfig")
            .field("options", &self.options)
            .field("pseudonym", &self.pseudonym)
            .field("shift_days", &self.shift_days)
            .field("allow_burned_in", &self.allow_burned_in)
            .finish_non_exhaustive()
    }
}

impl BasicConfig {
    /// The key, or the error that names where a key comes from. A profile without a key still
    /// loads (so it can be listed and validated), but writes nothing: no output may carry a
    /// pseudonym, UID or date shift that anyone could recompute.
    ///
    /// # Errors
    /// `profile` when no key was given.
    pub fn require_key(&self) -> Result<&[u8]> {
        if self.key.is_empty() {
            return Err(Error::new(ErrorKind::Profile, NO_KEY));
        }
        Ok(&self.key)
    }
}

/// The JSON form: `{"name": "basic", "options": [...], "key_hex": "...", ...}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseSpec {
    name: String,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    key_hex: Option<String>,
    #[serde(default)]
    pseudonym: Option<PseudonymSpec>,
    #[serde(default)]
    date_shift_days: Option<(i32, i32)>,
    #[serde(default)]
    allow_burned_in: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PseudonymSpec {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    alphabet: Option<String>,
    #[serde(default)]
    length: Option<usize>,
}

/// Where the key comes from, for the message when it is missing.
const NO_KEY: &str = "the basic profile needs a secret key for its pseudonyms, UIDs and date shifts: give \
                      --key-file PATH, set FASTDEID_KEY_FILE, or add key-file: to the profile \
                      (`fastdeid key new PATH` makes one)";

impl BaseSpec {
    /// Checks the spec and builds the configuration.
    ///
    /// # Errors
    /// `profile` for an unknown base or option, options the standard offers as alternatives, a
    /// missing or malformed key, a bad pseudonym format or an empty date-shift range.
    pub fn compile(self) -> Result<BasicConfig> {
        let bad = |msg: String| Error::new(ErrorKind::Profile, msg);
        if self.name != "basic" {
            return Err(bad(format!("base {:?} is not known; the one base is \"basic\"", self.name)));
        }
        let mut options = OptionSet::new();
        for name in &self.options {
            let option = BasicOption::from_name(name).ok_or_else(|| bad(format!("unknown basic option {name:?}")))?;
            if matches!(option, BasicOption::CleanPixelData | BasicOption::CleanRecognizableVisualFeatures) {
                // Claiming them in (0012,0064) would be false: pixel data is copied, never changed.
                return Err(bad(format!("option {option} is not supported: fastdeid never changes pixel data")));
            }
            options = options.with(option);
        }
        if let Some((a, b)) = options.conflict() {
            return Err(bad(format!("options {a} and {b} are alternatives: choose one")));
        }
        let key = match self.key_hex.as_deref() {
            None | Some("") => Vec::new(),
            Some(hex) => unhex(hex)
                .filter(|k| k.len() >= 16)
                .ok_or_else(|| bad("the basic profile's key is not 16 to 64 bytes of hex".into()))?,
        };
        let pseudonym = match self.pseudonym {
            None => PseudonymFormat::default(),
            Some(p) => {
                let alphabet = match p.alphabet.as_deref() {
                    None | Some("base32") => Alphabet::Base32,
                    Some("decimal") => Alphabet::Decimal,
                    Some(other) => return Err(bad(format!("pseudonym alphabet {other:?}: use base32 or decimal"))),
                };
                let length = p.length.unwrap_or(if alphabet == Alphabet::Base32 { 16 } else { 20 });
                PseudonymFormat::new(&p.prefix, alphabet, length).map_err(|e| bad(e.to_string()))?
            }
        };
        let shift_days = match self.date_shift_days {
            None => DEFAULT_SHIFT_DAYS,
            Some((low, high)) if low <= high && !(low..=high).eq(0..=0) => low..=high,
            Some(_) => return Err(bad("date-shift-days must be a range low..high other than 0..0".into())),
        };
        Ok(BasicConfig { options, key, pseudonym, shift_days, allow_burned_in: self.allow_burned_in })
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.len() > 128 || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<BasicConfig> {
        serde_json::from_str::<BaseSpec>(json).expect("json").compile()
    }

    #[test]
    fn a_key_is_required_and_options_are_checked() {
        let key = "00".repeat(32);
        let e = spec(r#"{"name": "basic"}"#).unwrap().require_key().unwrap_err();
        assert!(e.detail.contains("--key-file") && e.detail.contains("FASTDEID_KEY_FILE"), "{e}");
        let ok =
            spec(&format!(r#"{{"name": "basic", "key_hex": "{key}", "options": ["retain-uids", "113108"]}}"#)).unwrap();
        assert!(ok.options.contains(BasicOption::RetainUids));
        assert!(ok.options.contains(BasicOption::RetainPatientCharacteristics));
        assert_eq!(ok.shift_days, DEFAULT_SHIFT_DAYS);
        assert!(!format!("{ok:?}").contains(&key), "the key never shows in a debug print");
        assert!(spec(&format!(r#"{{"name": "basic", "key_hex": "{key}", "options": ["retain-all"]}}"#)).is_err());
        let both = r#"["retain-longitudinal-full-dates", "retain-longitudinal-modified-dates"]"#;
        assert!(spec(&format!(r#"{{"name": "basic", "key_hex": "{key}", "options": {both}}}"#)).is_err());
        assert!(spec(&format!(r#"{{"name": "other", "key_hex": "{key}"}}"#)).is_err());
        assert!(spec(r#"{"name": "basic", "key_hex": "abcd"}"#).is_err(), "too short");
    }
}
