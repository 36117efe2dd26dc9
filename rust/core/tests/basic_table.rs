//! Table-driven: for every row of PS3.15 Table E.1-1, a file holding that attribute (at the top
//! level and inside a sequence item) gives the output its action requires, for the Basic Profile
//! alone and with each option that has a column in the table.

mod common;

use std::collections::BTreeMap;

use common::Ds;
use fastdeid_core::basic::config::DEFAULT_SHIFT_DAYS;
use fastdeid_core::basic::dateshift::{shift_da, shift_dt, Offset};
use fastdeid_core::basic::keyed::{date_shift_days, uid};
use fastdeid_core::basic::{action_for, attr_type, lookup, rows, Action, BasicOption, OptionSet, TagPattern};
use fastdeid_core::dicom::{dict, parse, Body, DataSet, Encoding, Limits, Tag, Vr};
use fastdeid_core::{rewrite, Profile};

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
const SOP_INSTANCE: &str = "1.2.826.0.1.3680043.99.7001";
const PATIENT: &str = "PID-TABLE-1";
/// A sequence Table E.1-1 does not name, to hold the attribute one level down.
const HOLDER: u32 = 0x0054_0016;
const PRIVATE_CREATOR: &[u8] = b"TEST CREATOR";

/// The options that have a column in Table E.1-1.
const COLUMNS: [BasicOption; 10] = [
    BasicOption::RetainSafePrivate,
    BasicOption::RetainUids,
    BasicOption::RetainDeviceIdentity,
    BasicOption::RetainInstitutionIdentity,
    BasicOption::RetainPatientCharacteristics,
    BasicOption::RetainLongitudinalFullDates,
    BasicOption::RetainLongitudinalModifiedDates,
    BasicOption::CleanDescriptors,
    BasicOption::CleanStructuredContent,
    BasicOption::CleanGraphics,
];

fn key() -> Vec<u8> {
    (0..32).collect()
}

fn profile(options: &[BasicOption]) -> Profile {
    let names: Vec<String> = options.iter().map(|o| format!("\"{}\"", o.name())).collect();
    Profile::from_json(&format!(
        r#"{{"name": "t", "fields": [], "base": {{"name": "basic", "key_hex": "{KEY_HEX}", "options": [{}]}}}}"#,
        names.join(",")
    ))
    .expect("profile")
}

/// One concrete tag for each row: the tag itself, or one member of a repeating or private group.
fn concrete(pattern: TagPattern) -> Tag {
    match pattern {
        TagPattern::Exact(t) => Tag(t),
        TagPattern::Masked { value: 0x5000_0000, .. } => Tag(0x5000_2500),
        TagPattern::Masked { value, .. } => Tag(value),
        TagPattern::Private => Tag(0x0009_1010),
    }
}

/// The VR to write: the dictionary's, else one guessed from the keyword (tags newer than it).
fn vr_of(tag: Tag, keyword: &str) -> Vr {
    match dict::lookup(tag) {
        Some((vr, _)) if tag.is_private() => vr,
        Some((vr, _)) => vr,
        None if keyword.ends_with("Sequence") => Vr::SQ,
        None if keyword.ends_with("DateTime") => Vr::DT,
        None => Vr::LO,
    }
}

/// A value valid for the VR (and distinct from every dummy the profile writes).
fn value_for(vr: Vr) -> Vec<u8> {
    let text: &[u8] = match vr {
        Vr::AE => b"CNRYAE",
        Vr::AS => b"045Y",
        Vr::CS => b"CNRYCS",
        Vr::DA => b"20200315",
        Vr::DT => b"20200315101010",
        Vr::TM => b"101010",
        Vr::DS => b"12.5",
        Vr::IS => b"12",
        Vr::UI => b"1.2.826.0.1.3680043.99.7002",
        Vr::UR => b"http://example.org/cnry",
        Vr::SQ => return Vec::new(),
        Vr::US | Vr::SS => return vec![7, 0],
        Vr::UL | Vr::SL | Vr::FL | Vr::AT | Vr::OF | Vr::OL => return vec![7, 0, 0, 0],
        Vr::FD | Vr::SV | Vr::UV | Vr::OD | Vr::OV => return vec![7, 0, 0, 0, 0, 0, 0, 0],
        Vr::OB | Vr::OW | Vr::UN => return vec![1, 2, 3, 4],
        _ => b"CNRYTEXT",
    };
    let mut v = text.to_vec();
    if v.len() % 2 == 1 {
        v.push(vr.padding());
    }
    v
}

/// Elements of one data set, written in tag order.
fn data_set(elements: &BTreeMap<u32, (Vr, Vec<u8>)>) -> Vec<u8> {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    for (&tag, (vr, value)) in elements {
        if *vr == Vr::SQ {
            let mut item = Ds::new(Encoding::EXPLICIT_LE);
            item.elem(0x0008_0100, "SH", b"CNRYCODE");
            ds.seq_defined(tag, &[item.bytes]);
        } else {
            ds.elem(tag, vr.as_str(), value);
        }
    }
    ds.bytes
}

/// A CT file with `tag` at the top level (or in an item of [`HOLDER`] when `nested`); (0002,0003)
/// goes into the file meta.
fn file_with(tag: Tag, vr: Vr, nested: bool) -> Vec<u8> {
    let value = value_for(vr);
    let mut meta = Ds::new(Encoding::EXPLICIT_LE);
    meta.elem(0x0002_0001, "OB", &[0, 1]).elem(0x0002_0002, "UI", b"1.2.840.10008.5.1.4.1.1.2\0");
    meta.elem(0x0002_0003, "UI", if tag.0 == 0x0002_0003 { &value } else { b"1.2.826.0.1.3680043.99.7001\0" });
    meta.elem(0x0002_0010, "UI", b"1.2.840.10008.1.2.1\0");
    let mut top: BTreeMap<u32, (Vr, Vec<u8>)> = BTreeMap::new();
    top.insert(0x0008_0016, (Vr::UI, b"1.2.840.10008.5.1.4.1.1.2\0".to_vec()));
    top.insert(0x0008_0018, (Vr::UI, b"1.2.826.0.1.3680043.99.7001\0".to_vec()));
    top.insert(0x0010_0020, (Vr::LO, b"PID-TABLE-1 ".to_vec()));
    let mut target = BTreeMap::new();
    if tag.0 != 0x0002_0003 {
        if tag.is_private() {
            target.insert(0x0009_0010, (Vr::LO, PRIVATE_CREATOR.to_vec()));
        }
        target.insert(tag.0, (vr, value));
    }
    let mut body = if nested {
        let mut ds = data_set(&top);
        let mut holder = Ds::new(Encoding::EXPLICIT_LE);
        holder.seq_defined(HOLDER, &[data_set(&target)]);
        // HOLDER sorts after everything in `top`.
        ds.extend(holder.bytes);
        ds
    } else {
        top.extend(target);
        data_set(&top)
    };
    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM");
    let mut gl = Ds::new(Encoding::EXPLICIT_LE);
    gl.elem(0x0002_0000, "UL", &(meta.bytes.len() as u32).to_le_bytes());
    file.extend(gl.bytes);
    file.extend(meta.bytes);
    file.append(&mut body);
    file
}

fn value_of<'a>(out: &'a [u8], ds: &DataSet, tag: Tag) -> Option<&'a [u8]> {
    ds.find(tag).map(|e| &out[e.value_start as usize..(e.value_start + u64::from(e.value_len.unwrap_or(0))) as usize])
}

/// What the output must hold for one action.
#[derive(Debug)]
enum Expect {
    Gone,
    Empty,
    Same,
    /// Non-empty and different from the input.
    Replaced,
    Exactly(Vec<u8>),
}

fn padded(mut v: Vec<u8>, vr: Vr) -> Vec<u8> {
    if v.len() % 2 == 1 {
        v.push(vr.padding());
    }
    v
}

fn expected(tag: Tag, vr: Vr, options: OptionSet, nested: bool) -> Expect {
    if tag.group() == 0 || (tag.is_private() && !options.contains(BasicOption::RetainSafePrivate)) {
        return Expect::Gone;
    }
    if tag.is_private() {
        return Expect::Gone; // the test creator is not on the safe list
    }
    if tag.0 == 0x0002_0003 && !options.contains(BasicOption::RetainUids) {
        // The meta copy follows the replaced SOP Instance UID (PS3.10 7.1), whatever it held.
        return Expect::Exactly(padded(uid(&key(), SOP_INSTANCE).into_bytes(), Vr::UI));
    }
    let action = action_for(tag, options, CT, nested).expect("a row");
    expected_for(action, tag, vr, nested)
}

fn expected_for(action: Action, tag: Tag, vr: Vr, nested: bool) -> Expect {
    let input = value_for(vr);
    match action {
        Action::X => Expect::Gone,
        Action::Z | Action::D if tag.0 == 0x0010_0020 => Expect::Replaced,
        // Content, Verifying Observer and Waveform Annotation Sequences: an empty one would be invalid.
        Action::D if [0x0040_A730, 0x0040_A073, 0x0040_B020].contains(&tag.0) => Expect::Gone,
        Action::Z | Action::D if vr == Vr::SQ => Expect::Empty,
        Action::Z => Expect::Empty,
        Action::D | Action::U if vr != Vr::SQ && vr != Vr::UI => Expect::Replaced,
        Action::D => Expect::Replaced,
        Action::K => Expect::Same,
        Action::U if vr == Vr::SQ => Expect::Same,
        Action::U if vr == Vr::UI => {
            let text = String::from_utf8_lossy(&input).trim_end_matches('\0').to_string();
            Expect::Exactly(padded(uid(&key(), &text).into_bytes(), Vr::UI))
        }
        Action::C => {
            let days = date_shift_days(&key(), PATIENT, DEFAULT_SHIFT_DAYS).unwrap();
            match vr {
                Vr::DA => Expect::Exactly(padded(shift_da("20200315", days).unwrap().into_bytes(), vr)),
                Vr::DT => {
                    Expect::Exactly(padded(shift_dt("20200315101010", Offset::days(days)).unwrap().into_bytes(), vr))
                }
                Vr::SQ | Vr::TM => Expect::Same,
                _ => {
                    let basic = lookup(tag).unwrap().basic;
                    expected_for(basic.resolve(attr_type(CT, tag, nested)), tag, vr, nested)
                }
            }
        }
        combined => panic!("{combined} left unresolved"),
    }
}

fn check(out: &[u8], tag: Tag, vr: Vr, options: OptionSet, nested: bool) -> Result<(), String> {
    let doc = parse(out, &Limits::default()).map_err(|e| format!("output does not parse: {e}"))?;
    let ds: &DataSet = if tag.0 == 0x0002_0003 {
        &doc.meta
    } else if nested {
        let holder = doc.dataset.find(Tag(HOLDER)).ok_or("the holding sequence is gone")?;
        let Body::Items(items) = &holder.body else { return Err("holder is not a sequence".into()) };
        &items[0].dataset
    } else {
        &doc.dataset
    };
    let expect = expected(tag, vr, options, nested);
    let got = value_of(out, ds, tag);
    let input = value_for(vr);
    let items = ds.find(tag).map(|e| match &e.body {
        Body::Items(items) => items.len(),
        _ => 0,
    });
    let ok = match (&expect, got) {
        (Expect::Gone, None) => true,
        (Expect::Empty, Some(v)) => v.is_empty() && items == Some(0),
        (Expect::Same, Some(v)) if vr == Vr::SQ => items == Some(1) && v.len() == 24,
        (Expect::Same, Some(v)) => v == input.as_slice(),
        (Expect::Replaced, Some(v)) if vr == Vr::SQ => items == Some(0) && v.is_empty(),
        (Expect::Replaced, Some(v)) => !v.is_empty() && v != input.as_slice(),
        (Expect::Exactly(want), Some(v)) => v == want.as_slice(),
        _ => false,
    };
    if tag.is_private() && ok && ds.find(Tag(0x0009_0010)).is_some() {
        return Err("the private creator survived".into());
    }
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expect:?}, got {:?}", got.map(String::from_utf8_lossy)))
    }
}

#[test]
fn every_row_gives_its_action_for_the_basic_column_and_each_option_column() {
    let mut columns = vec![(OptionSet::new(), profile(&[]))];
    columns.extend(COLUMNS.iter().map(|&o| (OptionSet::new().with(o), profile(&[o]))));
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows() {
        let tag = concrete(row.tag);
        let vr = vr_of(tag, row.keyword);
        for nested in [false, true] {
            if nested && tag.group() == 2 {
                continue; // file meta elements exist only in the meta
            }
            let file = file_with(tag, vr, nested);
            for (options, p) in &columns {
                let mut out = Vec::new();
                let result = rewrite(file.as_slice(), p, &Limits::default(), &mut out)
                    .map_err(|e| format!("rewrite failed: {e}"))
                    .and_then(|_| check(&out, tag, vr, *options, nested));
                checked += 1;
                if let Err(e) = result {
                    let column = options.iter().next().map_or("basic".to_string(), |o| o.name().to_string());
                    failures.push(format!("{} {tag} {vr} nested={nested} [{column}]: {e}", row.name));
                }
            }
        }
    }
    assert_eq!(rows().len(), 657);
    assert!(checked > 657 * 11 * 2 - 11 * 2, "{checked}");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn media_storage_sop_instance_uid_equals_the_new_sop_instance_uid() {
    let file = file_with(Tag(0x0010_0010), Vr::PN, false);
    let mut out = Vec::new();
    rewrite(file.as_slice(), &profile(&[]), &Limits::default(), &mut out).unwrap();
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    let meta = value_of(&out, &doc.meta, Tag(0x0002_0003)).unwrap();
    let sop = value_of(&out, &doc.dataset, Tag(0x0008_0018)).unwrap();
    assert_eq!(meta, sop);
    assert_eq!(sop, padded(uid(&key(), SOP_INSTANCE).into_bytes(), Vr::UI).as_slice());
}
