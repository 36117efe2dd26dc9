//! The rule engine on minimal hand-built data sets: rule order, each action, recurse-sequence,
//! regex targets, private and repeater addressing, remove-undefined, and replace-with creating a
//! missing path. Each test states the input bytes and reads the output back with the parser.

mod common;

use std::collections::BTreeMap;

use common::{part10, Ds, EXPLICIT_LE};
use fastdeid_core::dicom::{parse, Body, DataSet, Encoding, Limits};
use fastdeid_core::{rewrite, ErrorKind, Profile};

const SPECIFIC_CHARACTER_SET: u32 = 0x0008_0005;
const SOP_CLASS_UID: u32 = 0x0008_0016;
const STUDY_DATE: u32 = 0x0008_0020;
const ACQUISITION_DATE_TIME: u32 = 0x0008_002A;
const INSTITUTION_NAME: u32 = 0x0008_0080;
const PATIENT_NAME: u32 = 0x0010_0010;
const PATIENT_ID: u32 = 0x0010_0020;
const OTHER_PATIENT_IDS_SEQUENCE: u32 = 0x0010_1002;
const STUDY_INSTANCE_UID: u32 = 0x0020_000D;
const INSTANCE_NUMBER: u32 = 0x0020_0013;

/// A profile of `fields` (the canonical JSON form) with `extra` top-level settings.
fn profile_with(extra: &str, fields: &[String]) -> Profile {
    let json = format!(r#"{{"name": "t", {extra} "fields": [{}]}}"#, fields.join(", "));
    Profile::from_json(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn profile(fields: &[String]) -> Profile {
    profile_with("", fields)
}

/// A rule on the top-level element `tag`.
fn rule(tag: u32, vr: &str, action: &str, more: &str) -> String {
    format!(r#"{{"path": [{{"tag": {tag}}}], "vr": "{vr}", "action": "{action}"{more}}}"#)
}

fn replace(tag: u32, vr: &str, value: &str, insert: bool) -> String {
    rule(tag, vr, "replace", &format!(r#", "value": "{value}", "insert": {insert}"#))
}

/// A small explicit VR little endian file: a charset, SOP class, dates, names and an
/// OtherPatientIDsSequence of two items, each with a PatientName and a PatientID.
fn sample() -> Vec<u8> {
    let item = |name: &[u8], id: &[u8]| {
        let mut ds = Ds::new(Encoding::EXPLICIT_LE);
        ds.elem(PATIENT_NAME, "PN", name).elem(PATIENT_ID, "LO", id);
        ds.bytes
    };
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(SPECIFIC_CHARACTER_SET, "CS", b"ISO_IR 100")
        .elem(SOP_CLASS_UID, "UI", b"1.2.840.10008.5.1.4.1.1.7\0")
        .elem(STUDY_DATE, "DA", b"20200131")
        .elem(ACQUISITION_DATE_TIME, "DT", b"20200131235959")
        .elem(INSTITUTION_NAME, "LO", b"General Hospital")
        .elem(PATIENT_NAME, "PN", b"Doe^John")
        .elem(PATIENT_ID, "LO", b"PID1")
        .seq_defined(OTHER_PATIENT_IDS_SEQUENCE, &[item(b"Inner^One ", b"ID-A"), item(b"Inner^Two ", b"ID-B")])
        .elem(STUDY_INSTANCE_UID, "UI", b"1.2.3.4\0")
        .elem(INSTANCE_NUMBER, "IS", b"7 ");
    part10(EXPLICIT_LE, &ds.bytes)
}

fn run(file: &[u8], p: &Profile) -> Vec<u8> {
    let mut out = Vec::new();
    rewrite(file, p, &Limits::default(), &mut out).expect("rewrite");
    out
}

/// Every element of the output's data set by path (`00100010`, `00101002.1.00100020`), with its
/// value bytes as text, padding removed; sequences map to `<n items>`.
fn elements(out: &[u8]) -> BTreeMap<String, String> {
    fn walk(ds: &DataSet, out: &[u8], prefix: &str, map: &mut BTreeMap<String, String>) {
        for e in &ds.elements {
            let path = format!("{prefix}{:08x}", e.tag.0);
            if let Body::Items(items) = &e.body {
                map.insert(path.clone(), format!("<{} items>", items.len()));
                for (i, item) in items.iter().enumerate() {
                    walk(&item.dataset, out, &format!("{path}.{i}."), map);
                }
                continue;
            }
            let raw = &out[e.value_start as usize..e.end as usize];
            let text = String::from_utf8_lossy(raw).trim_end_matches(['\0', ' ']).to_string();
            map.insert(path, text);
        }
    }
    let doc = parse(out, &Limits::default()).expect("the output parses");
    let mut map = BTreeMap::new();
    walk(&doc.dataset, out, "", &mut map);
    map
}

fn value(map: &BTreeMap<String, String>, path: &str) -> Option<String> {
    map.get(path).cloned()
}

#[test]
fn keep_alone_copies_the_file_byte_for_byte() {
    let file = sample();
    assert_eq!(run(&file, &profile(&[rule(PATIENT_NAME, "PN", "keep", "")])), file);
}

#[test]
fn rules_run_in_order_and_each_sees_the_ones_before() {
    let file = sample();
    // replace then hash digests the replaced value: the same as hashing a file that held it.
    let replaced_then_hashed =
        elements(&run(&file, &profile(&[replace(PATIENT_ID, "LO", "A", true), rule(PATIENT_ID, "LO", "hash", "")])));
    let with_a = run(&file, &profile(&[replace(PATIENT_ID, "LO", "A", true)]));
    let hashed_a = elements(&run(&with_a, &profile(&[rule(PATIENT_ID, "LO", "hash", "")])));
    assert_eq!(value(&replaced_then_hashed, "00100020"), value(&hashed_a, "00100020"));
    assert_ne!(value(&replaced_then_hashed, "00100020").as_deref(), Some("A"));
    // replace then remove: removed; remove then replace: back with the new value.
    let gone =
        elements(&run(&file, &profile(&[replace(PATIENT_ID, "LO", "A", true), rule(PATIENT_ID, "LO", "remove", "")])));
    assert_eq!(value(&gone, "00100020"), None);
    let back =
        elements(&run(&file, &profile(&[rule(PATIENT_ID, "LO", "remove", ""), replace(PATIENT_ID, "LO", "B", true)])));
    assert_eq!(value(&back, "00100020").as_deref(), Some("B"));
    // A later replace wins over an earlier one.
    let last =
        elements(&run(&file, &profile(&[replace(PATIENT_ID, "LO", "A", true), replace(PATIENT_ID, "LO", "B", true)])));
    assert_eq!(value(&last, "00100020").as_deref(), Some("B"));
}

#[test]
fn remove_deletes_only_the_addressed_element() {
    let before = elements(&sample());
    let after = elements(&run(&sample(), &profile(&[rule(PATIENT_NAME, "PN", "remove", "")])));
    let mut expected = before.clone();
    expected.remove("00100010");
    assert_eq!(after, expected);
}

#[test]
fn replace_sets_and_inserts_only_when_asked() {
    let out = elements(&run(
        &sample(),
        &profile(&[
            replace(PATIENT_NAME, "PN", "Anon", false),
            replace(0x0010_0030, "DA", "19000101", true),
            replace(0x0008_0050, "SH", "X", false),
        ]),
    ));
    assert_eq!(value(&out, "00100010").as_deref(), Some("Anon"));
    assert_eq!(value(&out, "00100030").as_deref(), Some("19000101"));
    assert_eq!(value(&out, "00080050"), None);
}

#[test]
fn replace_refuses_a_value_too_long_for_the_vr() {
    let long = "X".repeat(70);
    let err = rewrite(
        sample().as_slice(),
        &profile(&[replace(PATIENT_ID, "LO", &long, true)]),
        &Limits::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadValue);
    // The message names the limit, never the value.
    assert!(!err.to_string().contains(&long));
}

#[test]
fn hash_keeps_hash_digits_hex_digits_and_depends_on_salt_and_value() {
    let hashed = |extra: &str, file: &[u8]| {
        value(&elements(&run(file, &profile_with(extra, &[rule(PATIENT_ID, "LO", "hash", "")]))), "00100020").unwrap()
    };
    let plain = hashed(r#""hash_digits": 16,"#, &sample());
    assert_eq!(plain.len(), 16);
    assert!(plain.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(plain, hashed(r#""hash_digits": 16,"#, &sample()), "deterministic");
    assert_ne!(plain, hashed(r#""hash_digits": 16, "salt": "pepper","#, &sample()));
    let other = run(&sample(), &profile(&[replace(PATIENT_ID, "LO", "PID2", true)]));
    assert_ne!(plain, hashed(r#""hash_digits": 16,"#, &other));
}

#[test]
fn hashuid_makes_a_valid_uid_that_differs_from_the_input() {
    let out = elements(&run(&sample(), &profile(&[rule(STUDY_INSTANCE_UID, "UI", "hashuid", "")])));
    let uid = value(&out, "0020000d").unwrap();
    assert_ne!(uid, "1.2.3.4");
    assert!(uid.len() <= 64, "{uid}");
    assert!(uid.split('.').all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit())), "{uid}");
}

#[test]
fn increment_date_and_datetime_shift_across_month_and_year_ends() {
    let shift = |days: i32, format: &str| format!(r#", "shift": {{"format": "{format}", "days": {days}}}"#);
    let out = elements(&run(
        &sample(),
        &profile(&[
            rule(STUDY_DATE, "DA", "increment-date", &shift(1, "%Y%m%d")),
            rule(ACQUISITION_DATE_TIME, "DT", "increment-datetime", &shift(-366, "%Y%m%d%H%M%S")),
        ]),
    ));
    assert_eq!(value(&out, "00080020").as_deref(), Some("20200201"));
    assert_eq!(value(&out, "0008002a").as_deref(), Some("20190130235959"));
}

#[test]
fn a_date_that_does_not_match_its_format_fails_the_file() {
    let p = profile(&[rule(INSTITUTION_NAME, "LO", "increment-date", r#", "shift": {"format": "%Y%m%d", "days": 1}"#)]);
    let err = rewrite(sample().as_slice(), &p, &Limits::default(), &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadValue);
}

#[test]
fn jitter_moves_a_whole_number_within_its_range() {
    let p = profile(&[rule(INSTANCE_NUMBER, "IS", "jitter", r#", "jitter": {"range": 3, "int": true}"#)]);
    for _ in 0..20 {
        let n: i64 = value(&elements(&run(&sample(), &p)), "00200013").unwrap().trim().parse().unwrap();
        assert!((4..=10).contains(&n), "{n}");
    }
}

#[test]
fn jitter_with_a_seed_is_the_same_for_the_same_patient() {
    let p = profile_with(
        r#""jitter_seed": "k","#,
        &[rule(INSTANCE_NUMBER, "IS", "jitter", r#", "jitter": {"range": 1000, "int": true}"#)],
    );
    let first = value(&elements(&run(&sample(), &p)), "00200013");
    for _ in 0..5 {
        assert_eq!(value(&elements(&run(&sample(), &p)), "00200013"), first);
    }
}

#[test]
fn regex_sub_rebuilds_the_value_from_its_groups() {
    let cases = r#", "cases": [{"regex": "(?P<a>\\w+) (?P<b>\\w+)", "output": "{b}-{a}", "groups": []}]"#;
    let out = elements(&run(&sample(), &profile(&[rule(INSTITUTION_NAME, "LO", "regex-sub", cases)])));
    assert_eq!(value(&out, "00080080").as_deref(), Some("Hospital-General"));
    let no_match = r#", "cases": [{"regex": "\\d+", "output": "x", "groups": []}]"#;
    let p = profile(&[rule(INSTITUTION_NAME, "LO", "regex-sub", no_match)]);
    assert_eq!(
        rewrite(sample().as_slice(), &p, &Limits::default(), &mut Vec::new()).unwrap_err().kind,
        ErrorKind::BadValue
    );
}

#[test]
fn empty_values_are_left_alone_by_hash() {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(PATIENT_ID, "LO", b"");
    let file = part10(EXPLICIT_LE, &ds.bytes);
    assert_eq!(run(&file, &profile(&[rule(PATIENT_ID, "LO", "hash", "")])), file);
}

#[test]
fn top_level_rules_reach_into_sequences_only_with_recurse_sequence() {
    let fields = [replace(PATIENT_NAME, "PN", "Anon", false)];
    let flat = elements(&run(&sample(), &profile(&fields)));
    assert_eq!(value(&flat, "00100010").as_deref(), Some("Anon"));
    assert_eq!(value(&flat, "00101002.0.00100010").as_deref(), Some("Inner^One"));
    let deep = elements(&run(&sample(), &profile_with(r#""recurse_sequence": true,"#, &fields)));
    assert_eq!(value(&deep, "00100010").as_deref(), Some("Anon"));
    assert_eq!(value(&deep, "00101002.0.00100010").as_deref(), Some("Anon"));
    assert_eq!(value(&deep, "00101002.1.00100010").as_deref(), Some("Anon"));
}

#[test]
fn paths_address_one_item_or_every_item() {
    let path = |step: &str| {
        format!(
            r#"{{"path": [{{"tag": {OTHER_PATIENT_IDS_SEQUENCE}}}, {step}, {{"tag": {PATIENT_ID}}}], "vr": "LO", "action": "remove"}}"#
        )
    };
    let one = elements(&run(&sample(), &profile(&[path(r#"{"index": 1}"#)])));
    assert_eq!(value(&one, "00101002.0.00100020").as_deref(), Some("ID-A"));
    assert_eq!(value(&one, "00101002.1.00100020"), None);
    assert_eq!(value(&one, "00100020").as_deref(), Some("PID1"));
    let every = elements(&run(&sample(), &profile(&[path(r#""any""#)])));
    assert_eq!(value(&every, "00101002.0.00100020"), None);
    assert_eq!(value(&every, "00101002.1.00100020"), None);
}

#[test]
fn regex_targets_match_keyword_and_hex_paths_from_the_start() {
    let regex = |pattern: &str| format!(r#"{{"regex": "{pattern}", "action": "remove"}}"#);
    let out = elements(&run(&sample(), &profile(&[regex("PatientN")])));
    assert_eq!(value(&out, "00100010"), None);
    assert_eq!(value(&out, "00100020").as_deref(), Some("PID1"));
    // Keyword paths into items name the nested elements too.
    assert_eq!(value(&out, "00101002.0.00100010").as_deref(), Some("Inner^One"));
    let nested = elements(&run(&sample(), &profile(&[regex(r"OtherPatientIDsSequence\\.1\\.PatientID")])));
    assert_eq!(value(&nested, "00101002.0.00100020").as_deref(), Some("ID-A"));
    assert_eq!(value(&nested, "00101002.1.00100020"), None);
    // Hex paths are lower case, anchored at the start: "0020" does not match 00100020.
    let hex = elements(&run(&sample(), &profile(&[regex("0020")])));
    assert_eq!(value(&hex, "00100020").as_deref(), Some("PID1"));
    assert_eq!(value(&hex, "0020000d"), None);
    assert_eq!(value(&hex, "00200013"), None);
}

/// A file with a private block of "ACME" at (0009,0010) holding (0009,1001) and (0009,1002).
fn private_sample() -> Vec<u8> {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0009_0010, "LO", b"ACME")
        .elem(0x0009_1001, "LO", b"secret")
        .elem(0x0009_1002, "LO", b"other ")
        .elem(PATIENT_NAME, "PN", b"Doe^John")
        .elem(0x6000_3000, "OW", &[1, 2])
        .elem(0x6002_3000, "OW", &[3, 4]);
    part10(EXPLICIT_LE, &ds.bytes)
}

fn private(creator: &str, offset: u8, action: &str, more: &str) -> String {
    format!(r#"{{"path": [{{"private": [9, "{creator}", {offset}]}}], "vr": "LO", "action": "{action}"{more}}}"#)
}

#[test]
fn private_elements_are_addressed_through_their_creator_block() {
    let out = elements(&run(&private_sample(), &profile(&[private("ACME", 1, "remove", "")])));
    assert_eq!(value(&out, "00091001"), None);
    assert_eq!(value(&out, "00091002").as_deref(), Some("other"));
    assert_eq!(value(&out, "00090010").as_deref(), Some("ACME"));
    // An unknown creator gets the first free block, its creator element written with the value.
    let insert = private("NEWCO", 5, "replace", r#", "value": "v", "insert": true"#);
    let out = elements(&run(&private_sample(), &profile(&[insert])));
    assert_eq!(value(&out, "00090011").as_deref(), Some("NEWCO"));
    assert_eq!(value(&out, "00091105").as_deref(), Some("v"));
    assert_eq!(value(&out, "00091001").as_deref(), Some("secret"));
}

#[test]
fn remove_private_tags_keeps_the_blocks_rules_name() {
    let p = profile_with(r#""remove_private_tags": true,"#, &[private("ACME", 2, "keep", "")]);
    let out = elements(&run(&private_sample(), &p));
    assert_eq!(value(&out, "00091001"), None);
    assert_eq!(value(&out, "00091002").as_deref(), Some("other"));
    assert_eq!(value(&out, "00090010").as_deref(), Some("ACME"));
    let all = elements(&run(&private_sample(), &profile_with(r#""remove_private_tags": true,"#, &[])));
    assert!(all.keys().all(|k| !k.starts_with("0009")), "{all:?}");
}

#[test]
fn repeater_rules_address_every_repeating_group() {
    let rule = format!(r#"{{"path": [{{"repeater": [{}, {}]}}], "action": "remove"}}"#, 0x6000_3000u32, 0xFF01_FFFFu32);
    let out = elements(&run(&private_sample(), &profile(&[rule])));
    assert_eq!(value(&out, "60003000"), None);
    assert_eq!(value(&out, "60023000"), None);
    assert_eq!(value(&out, "00100010").as_deref(), Some("Doe^John"));
}

#[test]
fn remove_undefined_keeps_addressed_elements_their_sequences_and_what_decoding_needs() {
    let nested = format!(
        r#"{{"path": [{{"tag": {OTHER_PATIENT_IDS_SEQUENCE}}}, {{"index": 0}}, {{"tag": {PATIENT_ID}}}], "vr": "LO", "action": "keep"}}"#
    );
    let p = profile_with(r#""remove_undefined": true,"#, &[rule(PATIENT_NAME, "PN", "keep", ""), nested]);
    let out = elements(&run(&sample(), &p));
    let kept: Vec<&str> = out.keys().map(String::as_str).collect();
    assert_eq!(kept, ["00080005", "00080016", "00100010", "00101002", "00101002.0.00100020"]);
}

#[test]
fn replace_with_insert_creates_missing_sequences_and_pads_items() {
    let seq = 0x0040_0275u32; // RequestAttributesSequence, absent from the sample
    let rule = format!(
        r#"{{"path": [{{"tag": {seq}}}, {{"index": 1}}, {{"tag": {PATIENT_ID}}}], "vr": "LO", "action": "replace", "value": "NEW", "insert": true}}"#
    );
    let out = elements(&run(&sample(), &profile(&[rule])));
    assert_eq!(value(&out, "00400275").as_deref(), Some("<2 items>"));
    assert_eq!(value(&out, "00400275.1.00100020").as_deref(), Some("NEW"));
    assert!(out.keys().all(|k| !k.starts_with("00400275.0.")), "item 0 is an empty padding item");
    // An existing sequence is extended past its end.
    let grow = format!(
        r#"{{"path": [{{"tag": {OTHER_PATIENT_IDS_SEQUENCE}}}, {{"index": 2}}, {{"tag": {PATIENT_ID}}}], "vr": "LO", "action": "replace", "value": "ID-C", "insert": true}}"#
    );
    let out = elements(&run(&sample(), &profile(&[grow])));
    assert_eq!(value(&out, "00101002").as_deref(), Some("<3 items>"));
    assert_eq!(value(&out, "00101002.0.00100020").as_deref(), Some("ID-A"));
    assert_eq!(value(&out, "00101002.2.00100020").as_deref(), Some("ID-C"));
}
