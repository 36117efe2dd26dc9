//! Rewriting: only changed elements are re-encoded, everything else is copied byte for byte.

mod common;

use common::*;
use fastdeid_core::dicom::{parse, Body, Encoding, FileInput, Limits, Tag};
use fastdeid_core::{rewrite, Profile};

fn profile(fields: &str) -> Profile {
    Profile::from_json(&format!(r#"{{"name": "t", "fields": [{fields}]}}"#)).unwrap()
}

const REMOVE_NAME: &str = r#"{"path": [{"tag": 1048592}], "vr": "PN", "action": "remove"}"#;

fn run(file: &[u8], p: &Profile) -> Vec<u8> {
    let mut out = Vec::new();
    rewrite(file, p, &Limits::default(), &mut out).expect("rewrite");
    out
}

fn sample(enc: Encoding) -> Vec<u8> {
    let mut inner = Ds::new(enc);
    inner.elem(0x0010_0010, "PN", b"Nested^Name ");
    let mut ds = Ds::new(enc);
    ds.elem(0x0008_0060, "CS", b"MR")
        .elem(0x0010_0010, "PN", b"Doe^John")
        .elem(0x0010_0020, "LO", b"PID1")
        .seq_defined(0x0010_1002, &[inner.bytes])
        .elem(0x7FE0_0010, "OW", &[1, 2, 3, 4]);
    ds.bytes
}

#[test]
fn remove_cuts_exactly_the_element_in_every_syntax() {
    for (ts, enc) in [
        (EXPLICIT_LE, Encoding::EXPLICIT_LE),
        (IMPLICIT_LE, Encoding::IMPLICIT_LE),
        (EXPLICIT_BE, Encoding::EXPLICIT_BE),
    ] {
        let file = part10(ts, &sample(enc));
        let out = run(&file, &profile(REMOVE_NAME));
        let before = parse(file.as_slice(), &Limits::default()).unwrap();
        let el = before.dataset.find(Tag(0x0010_0010)).unwrap();
        let mut expected = file.clone();
        expected.drain(el.start as usize..el.end as usize);
        assert_eq!(out, expected, "{ts}");
        // The nested PatientName is not addressed by a top-level rule (docs/profiles.md#top-level-only).
        assert!(out.windows(12).any(|w| w == b"Nested^Name "));
    }
}

#[test]
fn no_rules_and_same_value_replacements_copy_the_input_exactly() {
    let file = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    assert_eq!(run(&file, &Profile::identity()), file);
    let same = profile(
        r#"{"path": [{"tag": 1048592}], "vr": "PN", "action": "replace", "value": "Doe^John", "insert": true}"#,
    );
    assert_eq!(run(&file, &same), file);
}

#[test]
fn replace_reencodes_and_inserts_missing_elements_in_tag_order() {
    let file = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    let p = profile(
        r#"{"path": [{"tag": 1048608}], "vr": "LO", "action": "replace", "value": "ANON", "insert": true},
           {"path": [{"tag": 1048624}], "vr": "DA", "action": "replace", "value": "19000101", "insert": true},
           {"path": [{"tag": 524368}], "vr": "SH", "action": "replace", "value": "X", "insert": false}"#,
    );
    let out = run(&file, &p);
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    let tags: Vec<u32> = doc.dataset.elements.iter().map(|e| e.tag.0).collect();
    // PatientBirthDate inserted after PatientID; AccessionNumber (insert: false) not inserted.
    assert_eq!(tags, [0x0008_0060, 0x0010_0010, 0x0010_0020, 0x0010_0030, 0x0010_1002, 0x7FE0_0010]);
    let id = doc.dataset.find(Tag(0x0010_0020)).unwrap();
    assert_eq!(&out[id.value_start as usize..id.end as usize], b"ANON");
    let dob = doc.dataset.find(Tag(0x0010_0030)).unwrap();
    assert_eq!(&out[dob.start as usize..dob.end as usize], b"\x10\x00\x30\x00DA\x08\x0019000101");
}

#[test]
fn later_rules_see_earlier_ones() {
    // docs/profiles.md#order: remove then replace-with re-creates the element.
    let file = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    let p = profile(&format!(
        r#"{REMOVE_NAME}, {{"path": [{{"tag": 1048592}}], "vr": "PN", "action": "replace", "value": "BACK", "insert": true}}"#
    ));
    let out = run(&file, &p);
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    let name = doc.dataset.find(Tag(0x0010_0010)).unwrap();
    assert_eq!(&out[name.value_start as usize..name.end as usize], b"BACK");
}

#[test]
fn group_length_is_recomputed_when_its_group_changes() {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0010_0000, "UL", &28u32.to_le_bytes()).elem(0x0010_0010, "PN", b"Doe^John").elem(
        0x0010_0020,
        "LO",
        b"PID1",
    );
    let file = part10(EXPLICIT_LE, &ds.bytes);
    let out = run(&file, &profile(REMOVE_NAME));
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    let gl = doc.dataset.find(Tag(0x0010_0000)).unwrap();
    let value = u32::from_le_bytes(out[gl.value_start as usize..gl.end as usize].try_into().unwrap());
    assert_eq!(value, 12, "only PatientID (8 + 4 bytes) is left in group 0010");
}

#[test]
fn deflated_files_are_rewritten_and_redeflated() {
    use std::io::{Read, Write};
    let plain = sample(Encoding::EXPLICIT_LE);
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    let file = part10(DEFLATED, &enc.finish().unwrap());
    let out = run(&file, &profile(REMOVE_NAME));
    assert_eq!(out.len() % 2, 0, "PS3.5 A.5 pads the deflate stream to even length");
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    assert!(doc.dataset.find(Tag(0x0010_0010)).is_none());
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(&out[doc.meta.end as usize..]).read_to_end(&mut inflated).unwrap();
    let name = 8 + 8; // header + "Doe^John"
    assert_eq!(inflated.len(), plain.len() - name);
}

#[test]
fn large_pixel_data_streams_from_file_to_file() {
    let pixels: Vec<u8> = (0..6_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0010_0010, "PN", b"Doe^John").elem(0x7FE0_0010, "OW", &pixels);
    let file = part10(EXPLICIT_LE, &ds.bytes);
    let dir = std::env::temp_dir().join(format!("fastdeid-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("in.dcm");
    std::fs::write(&src, &file).unwrap();
    let input = FileInput::new(std::fs::File::open(&src).unwrap()).unwrap();
    let mut out = std::fs::File::create(dir.join("out.dcm")).unwrap();
    let stats = rewrite(&input, &profile(REMOVE_NAME), &Limits::default(), &mut out).unwrap();
    drop(out);
    let written = std::fs::read(dir.join("out.dcm")).unwrap();
    assert_eq!(stats.bytes_out, written.len() as u64);
    assert!(written.ends_with(&pixels));
    assert_eq!(written.len(), file.len() - 16);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn meta_rules_edit_the_meta_and_recompute_its_group_length() {
    let file = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    // MediaStorageSOPInstanceUID (0002,0003) is inserted into the meta, not the data set.
    let p =
        profile(r#"{"path": [{"tag": 131075}], "vr": "UI", "action": "replace", "value": "1.2.3.4", "insert": true}"#);
    let out = run(&file, &p);
    let doc = parse(out.as_slice(), &Limits::default()).expect("meta group length must be consistent");
    let uid = doc.meta.find(Tag(0x0002_0003)).unwrap();
    assert_eq!(&out[uid.value_start as usize..uid.end as usize], b"1.2.3.4\0");
    assert!(doc.dataset.find(Tag(0x0002_0003)).is_none());
    assert_eq!(out.len(), file.len() + 16);
}

fn nested_file(enc: Encoding, defined: bool) -> Vec<u8> {
    let item = |id: &[u8]| {
        let mut ds = Ds::new(enc);
        ds.elem(0x0010_0020, "LO", id).elem(0x0010_0021, "LO", b"ISSUER");
        ds.bytes
    };
    let items = [item(b"OTHER-1 "), item(b"OTHER-2 ")];
    let mut ds = Ds::new(enc);
    ds.elem(0x0010_0020, "LO", b"PID1");
    if defined {
        ds.seq_defined(0x0010_1002, &items);
    } else {
        ds.seq_undefined(0x0010_1002, "SQ", &items);
    }
    ds.elem(0x0020_0013, "IS", b"1 ");
    part10(if enc.explicit_vr { EXPLICIT_LE } else { IMPLICIT_LE }, &ds.bytes)
}

#[test]
fn nested_changes_fix_every_enclosing_defined_length() {
    let p = profile(
        r#"{"path": [{"tag": 1052674}, "any", {"tag": 1048608}], "vr": "LO", "action": "replace", "value": "X", "insert": true},
           {"path": [{"tag": 1052674}, {"index": 1}, {"tag": 1048609}], "vr": "LO", "action": "remove"}"#,
    );
    for enc in [Encoding::EXPLICIT_LE, Encoding::IMPLICIT_LE] {
        for defined in [true, false] {
            let out = run(&nested_file(enc, defined), &p);
            // The parser checks every item and sequence length against its contents.
            let doc =
                parse(out.as_slice(), &Limits::default()).unwrap_or_else(|e| panic!("{enc:?} defined={defined}: {e}"));
            let Body::Items(items) = &doc.dataset.find(Tag(0x0010_1002)).unwrap().body else { panic!("no sequence") };
            let value = |i: usize, t: u32| {
                items[i].dataset.find(Tag(t)).map(|e| out[e.value_start as usize..e.end as usize].to_vec())
            };
            assert_eq!(value(0, 0x0010_0020).as_deref(), Some(&b"X "[..]));
            assert_eq!(value(1, 0x0010_0020).as_deref(), Some(&b"X "[..]));
            assert_eq!(value(0, 0x0010_0021).as_deref(), Some(&b"ISSUER"[..]));
            assert_eq!(value(1, 0x0010_0021), None);
            // The top-level PatientID is not addressed by a nested path.
            let top = doc.dataset.find(Tag(0x0010_0020)).unwrap();
            assert_eq!(&out[top.value_start as usize..top.end as usize], b"PID1");
        }
    }
}

#[test]
fn an_index_past_the_end_fails_the_file() {
    let p = profile(r#"{"path": [{"tag": 1052674}, {"index": 5}, {"tag": 1048608}], "vr": "LO", "action": "remove"}"#);
    let err = rewrite(nested_file(Encoding::EXPLICIT_LE, true).as_slice(), &p, &Limits::default(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(err.kind, fastdeid_core::ErrorKind::BadValue);
}

#[test]
fn an_insertion_at_the_start_of_a_deflated_data_set_is_deflated_once() {
    // Found by the fuzz smoke test: the insertion shares its offset with the end of the meta.
    use std::io::Write;
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0020_0013, "IS", b"1 ");
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&ds.bytes).unwrap();
    let file = part10(DEFLATED, &enc.finish().unwrap());
    let out = run(
        &file,
        &profile(r#"{"path": [{"tag": 1048592}], "vr": "PN", "action": "replace", "value": "ANON", "insert": true}"#),
    );
    let doc = parse(out.as_slice(), &Limits::default()).expect("output inflates and parses");
    let tags: Vec<u32> = doc.dataset.elements.iter().map(|e| e.tag.0).collect();
    assert_eq!(tags, [0x0010_0010, 0x0020_0013]);
    assert_eq!(doc.meta.end, parse(file.as_slice(), &Limits::default()).unwrap().meta.end);
}

#[test]
fn a_full_disk_leaves_no_partial_output_and_says_so() {
    use fastdeid_core::batch::write_atomically;
    use fastdeid_core::ErrorKind;
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("fastdeid-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dst = dir.join("out.dcm");
    let err = write_atomically(&dst, true, |out| {
        out.write_all(&[0u8; 1000])?;
        Err::<(), _>(std::io::Error::from(std::io::ErrorKind::StorageFull).into())
    })
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::DiskFull);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "neither the output nor its temporary file may remain");
    std::fs::remove_dir_all(&dir).unwrap();
}
