//! The Basic Profile pass on whole files: a profile's own rules override it, safe private
//! attributes are kept by creator in any block at any depth, group 0000 and the private and AE
//! title meta elements go, and the file-level hazards are refused with their codes.

mod common;

use common::{Ds, EXPLICIT_BE, IMPLICIT_LE};
use fastdeid_core::dicom::{parse, Body, DataSet, Encoding, Limits, Tag};
use fastdeid_core::{rewrite, ErrorKind, Profile};

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CT: &[u8] = b"1.2.840.10008.5.1.4.1.1.2\0";
const US: &[u8] = b"1.2.840.10008.5.1.4.1.1.6.1\0";

fn profile(options: &str, fields: &str) -> Profile {
    Profile::from_json(&format!(
        r#"{{"name": "t", "fields": [{fields}], "base": {{"name": "basic", "key_hex": "{KEY_HEX}", "options": [{options}]}}}}"#
    ))
    .expect("profile")
}

/// Preamble, DICM and a meta group with source AE title and private meta information.
fn file(ts: &str, class: &[u8], dataset: &[u8]) -> Vec<u8> {
    let mut ts_uid = ts.as_bytes().to_vec();
    if ts_uid.len() % 2 == 1 {
        ts_uid.push(0);
    }
    let mut meta = Ds::new(Encoding::EXPLICIT_LE);
    meta.elem(0x0002_0001, "OB", &[0, 1])
        .elem(0x0002_0002, "UI", class)
        .elem(0x0002_0003, "UI", b"1.2.826.0.1.3680043.99.42\0")
        .elem(0x0002_0010, "UI", &ts_uid)
        .elem(0x0002_0016, "AE", b"SOURCE_AE_CNRY ")
        .elem(0x0002_0100, "UI", b"1.2.826.0.1.3680043.99.43\0")
        .elem(0x0002_0102, "OB", b"CNRYPRIV");
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    let mut gl = Ds::new(Encoding::EXPLICIT_LE);
    gl.elem(0x0002_0000, "UL", &(meta.bytes.len() as u32).to_le_bytes());
    out.extend(gl.bytes);
    out.extend(meta.bytes);
    out.extend_from_slice(dataset);
    out
}

fn run(file: &[u8], p: &Profile) -> fastdeid_core::Result<Vec<u8>> {
    let mut out = Vec::new();
    rewrite(file, p, &Limits::default(), &mut out)?;
    Ok(out)
}

fn value<'a>(out: &'a [u8], ds: &DataSet, tag: u32) -> Option<&'a [u8]> {
    ds.find(Tag(tag))
        .map(|e| &out[e.value_start as usize..(e.value_start + u64::from(e.value_len.unwrap_or(0))) as usize])
}

fn first_item(ds: &DataSet, tag: u32) -> &DataSet {
    match &ds.find(Tag(tag)).expect("sequence").body {
        Body::Items(items) => &items[0].dataset,
        _ => panic!("not a sequence"),
    }
}

/// A CT data set with a name, an ID, a command element, and a safe private element (Philips PET
/// SUV factor, reserved in block 0x20 rather than 0x10) next to an unsafe one, at the top level
/// and inside a sequence item.
fn ct(enc: Encoding) -> Vec<u8> {
    let private = |ds: &mut Ds| {
        ds.elem(0x7053_0020, "LO", b"Philips PET Private Group ")
            .elem(0x7053_0030, "LO", b"CNRY CREATOR")
            .elem(0x7053_2000, "DS", b"1.5 ")
            .elem(0x7053_2001, "LO", b"CNRYPRIVATE ")
            .elem(0x7053_3000, "LO", b"CNRYOTHER ");
    };
    let mut item = Ds::new(enc);
    item.elem(0x0010_0010, "PN", b"Nested^Name ");
    private(&mut item);
    let mut ds = Ds::new(enc);
    ds.elem(0x0000_1000, "UI", b"1.2.826.0.1.3680043.99.44\0")
        .elem(0x0008_0016, "UI", CT)
        .elem(0x0008_0018, "UI", b"1.2.826.0.1.3680043.99.42\0")
        .elem(0x0008_1030, "LO", b"CNRY STUDY")
        .elem(0x0010_0010, "PN", b"Doe^John")
        .elem(0x0010_0020, "LO", b"MRN12345")
        .seq_defined(0x0054_0016, &[item.bytes]);
    private(&mut ds);
    ds.bytes
}

#[test]
fn group_0000_private_data_and_identifying_meta_go_in_every_encoding() {
    for (ts, enc) in [(IMPLICIT_LE, Encoding::IMPLICIT_LE), (EXPLICIT_BE, Encoding::EXPLICIT_BE)] {
        let out = run(&file(ts, CT, &ct(enc)), &profile("", "")).unwrap();
        let doc = parse(out.as_slice(), &Limits::default()).unwrap();
        let meta: Vec<u32> = doc.meta.elements.iter().map(|e| e.tag.0).collect();
        assert_eq!(meta, [0x0002_0000, 0x0002_0001, 0x0002_0002, 0x0002_0003, 0x0002_0010], "{ts}");
        assert!(doc.dataset.find(Tag(0x0000_1000)).is_none());
        assert!(doc.dataset.elements.iter().all(|e| !e.tag.is_private()));
        assert!(first_item(&doc.dataset, 0x0054_0016).elements.iter().all(|e| !e.tag.is_private()));
        assert!(!out.windows(4).any(|w| w == b"CNRY"), "{ts}: a marker survived");
        assert_eq!(value(&out, &doc.dataset, 0x0012_0062), Some(&b"YES "[..]));
    }
}

#[test]
fn safe_private_attributes_are_kept_by_creator_in_any_block_at_any_depth() {
    let out =
        run(&file(IMPLICIT_LE, CT, &ct(Encoding::IMPLICIT_LE)), &profile(r#""retain-safe-private""#, "")).unwrap();
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    for ds in [&doc.dataset, first_item(&doc.dataset, 0x0054_0016)] {
        let private: Vec<u32> = ds.elements.iter().filter(|e| e.tag.is_private()).map(|e| e.tag.0).collect();
        // The SUV factor (7053,xx00) and its creator stay; the other creator's block and the
        // unlisted element of the safe block go.
        assert_eq!(private, [0x7053_0020, 0x7053_2000]);
        assert_eq!(value(&out, ds, 0x7053_2000), Some(&b"1.5 "[..]));
    }
}

#[test]
fn the_profiles_own_rules_override_the_table_for_the_elements_they_name() {
    let keep_description = r#"{"path": [{"tag": 528432}], "vr": "LO", "action": "keep"}"#;
    let name =
        r#"{"path": [{"tag": 1048592}], "vr": "PN", "action": "replace", "value": "Subject^One", "insert": true}"#;
    let out =
        run(&file(IMPLICIT_LE, CT, &ct(Encoding::IMPLICIT_LE)), &profile("", &format!("{keep_description}, {name}")))
            .unwrap();
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    assert_eq!(value(&out, &doc.dataset, 0x0008_1030), Some(&b"CNRY STUDY"[..]), "kept by its rule, not removed (X)");
    assert_eq!(value(&out, &doc.dataset, 0x0010_0010), Some(&b"Subject^One "[..]));
    // Elements no rule names still follow the table: the ID is a pseudonym, the nested name empty.
    let id = value(&out, &doc.dataset, 0x0010_0020).unwrap();
    assert!(id.len() == 16 && id != b"MRN12345", "{id:?}");
    assert_eq!(value(&out, first_item(&doc.dataset, 0x0054_0016), 0x0010_0010).map(<[u8]>::len), Some(0));
}

#[test]
fn burned_in_annotation_and_classes_decide_which_images_are_refused() {
    let with_annotation = |class: &[u8], said: Option<&[u8]>| {
        let mut ds = Ds::new(Encoding::IMPLICIT_LE);
        ds.elem(0x0008_0016, "UI", class);
        if let Some(said) = said {
            ds.elem(0x0028_0301, "CS", said);
        }
        file(IMPLICIT_LE, class, &ds.bytes)
    };
    let basic = profile("", "");
    let code = |f: &[u8]| run(f, &basic).err().map(|e| e.kind);
    assert_eq!(code(&with_annotation(CT, Some(b"YES "))), Some(ErrorKind::BurnedIn));
    assert_eq!(code(&with_annotation(CT, None)), None);
    assert_eq!(code(&with_annotation(US, None)), Some(ErrorKind::BurnedIn));
    assert_eq!(code(&with_annotation(US, Some(b"YES "))), Some(ErrorKind::BurnedIn));
    assert_eq!(code(&with_annotation(US, Some(b"NO"))), None);
    let e = run(&with_annotation(US, None), &basic).unwrap_err();
    assert_eq!(e.kind.code(), "burned-in");
    let allowed = Profile::from_json(&format!(
        r#"{{"name": "t", "fields": [], "base": {{"name": "basic", "key_hex": "{KEY_HEX}", "allow_burned_in": true}}}}"#
    ))
    .unwrap();
    assert!(run(&with_annotation(US, Some(b"YES ")), &allowed).is_ok());
    let dicomdir = with_annotation(b"1.2.840.10008.1.3.10\0", None);
    assert_eq!(run(&dicomdir, &allowed).unwrap_err().kind.code(), "dicomdir");
}

#[test]
fn without_a_key_every_file_fails_and_nothing_is_written() {
    let keyless = Profile::from_json(r#"{"name": "t", "fields": [], "base": {"name": "basic"}}"#).unwrap();
    let mut out = Vec::new();
    let e =
        rewrite(file(IMPLICIT_LE, CT, &ct(Encoding::IMPLICIT_LE)).as_slice(), &keyless, &Limits::default(), &mut out)
            .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Profile);
    assert!(out.is_empty());
}

#[test]
fn the_meta_instance_uid_never_keeps_the_original() {
    let meta_uid = b"1.2.826.0.1.3680043.99.42\0";
    // No SOP Instance UID in the data set: the meta's own value is replaced.
    let mut bare = Ds::new(Encoding::IMPLICIT_LE);
    bare.elem(0x0008_0016, "UI", CT);
    let out = run(&file(IMPLICIT_LE, CT, &bare.bytes), &profile("", "")).unwrap();
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    let replaced = value(&out, &doc.meta, 0x0002_0003).unwrap();
    assert!(replaced.starts_with(b"2.25.") && replaced != meta_uid);
    // A rule on SOPInstanceUID wins, and the meta follows the rule.
    let rule = r#"{"path": [{"tag": 524312}], "vr": "UI", "action": "replace", "value": "1.2.3.4", "insert": true}"#;
    let out = run(&file(IMPLICIT_LE, CT, &ct(Encoding::IMPLICIT_LE)), &profile("", rule)).unwrap();
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    assert_eq!(value(&out, &doc.meta, 0x0002_0003), Some(&b"1.2.3.4\0"[..]));
    assert_eq!(value(&out, &doc.dataset, 0x0008_0018), Some(&b"1.2.3.4\0"[..]));
}
