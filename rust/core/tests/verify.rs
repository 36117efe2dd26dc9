//! `verify` over small hand-built files: each check reports at the right element path, and an
//! input's identifying strings are found in an output's bytes and names (docs/verify.md).

use std::fs;
use std::path::{Path, PathBuf};

use fastdeid_core::verify::{verify, Kind, Settings};

/// An explicit VR little endian Part 10 file with the given (group, element, VR, value) elements.
fn file(elements: &[(u16, u16, &[u8; 2], &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    let ts = b"1.2.840.10008.1.2.1\0";
    out.extend_from_slice(&[2, 0, 0x10, 0, b'U', b'I', ts.len() as u8, 0]);
    out.extend_from_slice(ts);
    for (group, element, vr, value) in elements {
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(*vr);
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        out.extend_from_slice(value);
    }
    out
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fastdeid-verify-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn actions_and_vr_rules_without_inputs() {
    let out = folder("alone");
    let bytes = file(&[
        (0x0008, 0x0020, b"DA", b"20231341"),        // Z, and an invalid date
        (0x0010, 0x0010, b"PN", b"ANY^ONE "),        // Z with a value
        (0x0010, 0x1040, b"LO", b"SOMEWHERE "),      // X
        (0x0020, 0x000D, b"UI", b"2.25.12345678\0"), // U: not checkable alone
    ]);
    write(&out.join("a.dcm"), &bytes);
    let outcome = verify(&out, None, &Settings::default()).unwrap();
    let got: Vec<(&str, Kind, &str)> =
        outcome.findings.iter().map(|f| (f.path.as_str(), f.kind, f.rule.as_str())).collect();
    assert_eq!(
        got,
        [
            ("(0008,0020)", Kind::MustBeEmpty, "E.1-1 Z"),
            ("(0008,0020)", Kind::InvalidValue, "DA: DA not YYYYMMDD"),
            ("(0010,0010)", Kind::MustBeEmpty, "E.1-1 Z"),
            ("(0010,1040)", Kind::MustBeRemoved, "E.1-1 X"),
        ]
    );
    fs::remove_dir_all(&out).unwrap();
}

#[test]
fn input_values_are_found_in_bytes_and_names_of_renamed_outputs() {
    let base = folder("against");
    let (src, out) = (base.join("src"), base.join("out"));
    write(
        &src.join("x/in.dcm"),
        &file(&[(0x0010, 0x0010, b"PN", b"DOE^JOHNNY "), (0x0010, 0x0020, b"LO", b"MRN55501")]),
    );
    // Renamed (no input of that name), the ID moved into a kept element and into the name.
    write(&out.join("MRN55501.dcm"), &file(&[(0x0008, 0x0070, b"LO", b"johnny's scanner  ")]));
    let outcome = verify(&out, Some(&src), &Settings::default()).unwrap();
    let got: Vec<(&str, &str, Kind, &str)> =
        outcome.findings.iter().map(|f| (f.file.as_str(), f.path.as_str(), f.kind, f.rule.as_str())).collect();
    assert_eq!(
        got,
        [
            ("MRN55501.dcm", "", Kind::IdentifyingName, "value of input (0010,0020)"),
            ("MRN55501.dcm", "(0008,0070)", Kind::IdentifyingString, "value of input (0010,0010)"),
        ]
    );
    fs::remove_dir_all(&base).unwrap();
}
