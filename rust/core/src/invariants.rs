//! The properties the fuzz targets check, shared with the stable-Rust smoke test so that both
//! exercise the same code. Each function panics when its property fails, and only then.

use crate::dicom::{parse, Limits};
use crate::profile::Profile;
use crate::rewrite::rewrite;

/// Any bytes: parsing never panics and never reports an error without a kind and a place.
pub fn tokenizer(data: &[u8]) {
    if let Err(e) = parse(data, &Limits::default()) {
        assert!(e.offset.is_some(), "parse errors carry a byte offset: {e}");
    }
}

/// Any bytes that parse: the keep-everything profile writes them back unchanged.
pub fn identity(data: &[u8]) {
    if parse(data, &Limits::default()).is_err() {
        return;
    }
    let mut out = Vec::new();
    rewrite(data, &Profile::identity(), &Limits::default(), &mut out).expect("a parsed file rewrites");
    assert!(out == data, "identity profile changed the bytes");
}

/// A profile using every kind of action, address and pass.
pub const FULL_PROFILE: &str = r#"{
  "name": "fuzz", "salt": "s", "recurse_sequence": false, "remove_private_tags": true,
  "patient_age": {"format": "%Y%m%d", "units": null},
  "fields": [
    {"path": [{"tag": 1048592}], "vr": "PN", "action": "replace", "value": "ANON", "insert": true},
    {"path": [{"tag": 1048608}], "vr": "LO", "action": "hash"},
    {"path": [{"tag": 2097165}], "vr": "UI", "action": "hashuid"},
    {"path": [{"tag": 524312}], "vr": "UI", "action": "hashuid"},
    {"path": [{"tag": 524320}], "vr": "DA", "action": "increment-date", "shift": {"format": "%Y%m%d", "days": -17.0}},
    {"path": [{"tag": 1052674}, "any", {"tag": 1048608}], "vr": "LO", "action": "remove"},
    {"path": [{"repeater": [1610612770, 4278255615]}], "vr": "LO", "action": "remove"},
    {"regex": ".*InstitutionName", "vr": null, "action": "replace", "value": "X", "insert": false}
  ]
}"#;

/// Any bytes: the full profile never panics, and whatever it writes parses strictly again.
pub fn full_profile(data: &[u8]) {
    static PROFILE: std::sync::OnceLock<Profile> = std::sync::OnceLock::new();
    let profile = PROFILE.get_or_init(|| Profile::from_json(FULL_PROFILE).expect("the fuzz profile compiles"));
    let mut out = Vec::new();
    if rewrite(data, profile, &Limits::default(), &mut out).is_ok() {
        if let Err(e) = parse(out.as_slice(), &Limits::default()) {
            panic!("output of a successful rewrite does not parse: {e}");
        }
    }
}
