//! Files real archives hold: a meta that misnames or lacks the encoding, tags out of order, gzip.
//! Each is read when exactly one reading exists, written as a valid file, and warned about.

mod common;

use std::io::Write;

use common::*;
use fastdeid_core::dicom::dump::{dump_input, DumpOptions};
use fastdeid_core::dicom::{parse, Body, DataSet, Document, Encoding, Limits, Tag};
use fastdeid_core::{rewrite, ErrorKind, Profile, Rewritten};

fn none() -> Profile {
    Profile::from_json(r#"{"name": "none", "fields": []}"#).unwrap()
}

fn run(file: &[u8]) -> (Vec<u8>, Rewritten) {
    let mut out = Vec::new();
    let done = rewrite(file, &none(), &Limits::default(), &mut out).expect("rewrite");
    (out, done)
}

fn refused(file: &[u8], limits: &Limits) -> fastdeid_core::Error {
    rewrite(file, &none(), limits, &mut Vec::new()).expect_err("must be refused")
}

fn codes(done: &Rewritten) -> Vec<&'static str> {
    done.warnings.iter().map(|w| w.code).collect()
}

fn uid(doc: &Document, file: &[u8]) -> String {
    let ts = doc.meta.find(Tag::TRANSFER_SYNTAX).expect("a transfer syntax");
    let raw = &file[ts.value_start as usize..ts.end as usize];
    String::from_utf8_lossy(raw).trim_end_matches('\0').to_string()
}

/// Every value at every depth as (tag path, value bytes), sequences by item.
fn values(ds: &DataSet, bytes: &[u8], prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    for e in &ds.elements {
        let path = format!("{prefix}{}", e.tag);
        match &e.body {
            Body::Items(items) => {
                for (i, item) in items.iter().enumerate() {
                    values(&item.dataset, bytes, &format!("{path}[{i}]"), out);
                }
            }
            _ if e.tag.is_group_length() => {} // recomputed
            _ => out.push((path, bytes[e.value_start as usize..e.end as usize].to_vec())),
        }
    }
}

fn all_values(file: &[u8]) -> Vec<(String, Vec<u8>)> {
    let doc = parse(file, &Limits::default()).expect("parses strictly");
    let mut out = Vec::new();
    values(&doc.dataset, file, "", &mut out);
    out
}

/// Preamble, DICM and a meta group without Transfer Syntax UID.
fn part10_without_syntax(dataset: &[u8]) -> Vec<u8> {
    let mut meta = Ds::new(Encoding::EXPLICIT_LE);
    meta.elem(0x0002_0001, "OB", &[0, 1]).elem(0x0002_0012, "UI", b"1.2.3.4\0");
    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM");
    let mut gl = Ds::new(Encoding::EXPLICIT_LE);
    gl.elem(0x0002_0000, "UL", &(meta.bytes.len() as u32).to_le_bytes());
    file.extend_from_slice(&gl.bytes);
    file.extend_from_slice(&meta.bytes);
    file.extend_from_slice(dataset);
    file
}

fn sample(enc: Encoding) -> Vec<u8> {
    let mut inner = Ds::new(enc);
    inner.elem(0x0008_1150, "UI", b"1.2.840.10008.5.1.4.1.1.7\0").elem(0x0008_1155, "UI", b"1.2.3.4\0");
    let mut ds = Ds::new(enc);
    ds.elem(0x0008_0060, "CS", b"MR")
        .seq_defined(0x0008_1115, &[inner.bytes])
        .elem(0x0010_0010, "PN", b"Doe^John")
        .elem(0x0010_0020, "LO", b"PID1")
        .elem(0x7FE0_0010, "OW", &[1, 2, 3, 4]);
    ds.bytes
}

#[test]
fn a_meta_naming_the_wrong_native_syntax_is_corrected() {
    let data = sample(Encoding::IMPLICIT_LE);
    let file = part10(EXPLICIT_LE, &data);
    assert_eq!(parse(file.as_slice(), &Limits::default()).unwrap_err().kind, ErrorKind::BadVr);
    let (out, done) = run(&file);
    assert_eq!(codes(&done), ["transfer-syntax-corrected"]);
    assert!(done.changed);
    // The meta names implicit VR (its group length checked by the strict parse); the data set is
    // copied as it was.
    let doc = parse(out.as_slice(), &Limits::default()).expect("the output parses strictly");
    assert_eq!(uid(&doc, &out), IMPLICIT_LE);
    assert_eq!(&out[doc.meta.end as usize..], data.as_slice());
    assert_eq!(out, part10(IMPLICIT_LE, &data));
}

#[test]
fn a_missing_syntax_is_added() {
    let data = sample(Encoding::EXPLICIT_BE);
    let (out, done) = run(&part10_without_syntax(&data));
    assert_eq!(codes(&done), ["transfer-syntax-added"]);
    let doc = parse(out.as_slice(), &Limits::default()).unwrap();
    assert_eq!(uid(&doc, &out), EXPLICIT_BE);
    // In tag order, between (0002,0001) and (0002,0012).
    let tags: Vec<u32> = doc.meta.elements.iter().map(|e| e.tag.0).collect();
    assert_eq!(tags, [0x0002_0000, 0x0002_0001, 0x0002_0010, 0x0002_0012]);
    assert!(out.ends_with(&data));
}

fn implicit_with_fragments() -> Vec<u8> {
    let mut inner = Ds::new(Encoding::IMPLICIT_LE);
    inner.elem(0x0008_1155, "UI", b"1.2.3.4\0");
    let mut ds = Ds::new(Encoding::IMPLICIT_LE);
    ds.elem(0x0008_0000, "UL", &999u32.to_le_bytes())
        .elem(0x0008_0060, "CS", b"SC")
        .seq_defined(0x0008_1115, &[inner.bytes])
        .elem(0x0009_0010, "LO", b"ACME 1.0")
        .elem(0x0009_1001, "UN", b"private!")
        .elem(0x0010_0010, "PN", b"Doe^John");
    ds.header(0x7FE0_0010, "OB", UNDEFINED).item_header(0xFFFE_E000, 0).item_header(0xFFFE_E000, 4);
    ds.bytes.extend_from_slice(b"\xFF\xD8\xFF\xD9");
    ds.item_header(0xFFFE_E0DD, 0);
    ds.bytes
}

#[test]
fn compressed_pixel_data_under_an_implicit_data_set_is_reencoded_and_keeps_its_syntax() {
    let data = implicit_with_fragments();
    let (out, done) = run(&part10(JPEG_BASELINE, &data));
    assert_eq!(codes(&done), ["data-set-reencoded"]);
    let doc = parse(out.as_slice(), &Limits::default()).expect("the output parses strictly");
    assert_eq!(uid(&doc, &out), JPEG_BASELINE);
    assert_eq!(doc.transfer_syntax.encoding, Encoding::EXPLICIT_LE);
    let vrs: Vec<&str> = doc.dataset.elements.iter().map(|e| e.vr.as_str()).collect();
    assert_eq!(vrs, ["UL", "CS", "SQ", "LO", "UN", "PN", "OB"]);
    assert!(matches!(doc.dataset.elements[6].body, Body::Fragments(2)));
    // Same values as the input read in its real encoding.
    assert_eq!(all_values(&out), all_values(&part10(IMPLICIT_LE, &data)));
    // (0008,0000) counts the group's new explicit VR bytes: CS 8+2, SQ 12 + item 8 + UI 8+8 + delimiters 16.
    let gl = &doc.dataset.elements[0];
    assert_eq!(out[gl.value_start as usize..gl.end as usize], (10u32 + 12 + 8 + 16 + 16).to_le_bytes());
}

#[test]
fn out_of_order_tags_are_sorted_at_every_level() {
    let sorted = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    // The same elements, the item's and the top level's reversed (Pixel Data stays last: what
    // follows it with a lower tag is trailing garbage).
    let mut inner = Ds::new(Encoding::EXPLICIT_LE);
    inner.elem(0x0008_1155, "UI", b"1.2.3.4\0").elem(0x0008_1150, "UI", b"1.2.840.10008.5.1.4.1.1.7\0");
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0010_0020, "LO", b"PID1")
        .elem(0x0010_0010, "PN", b"Doe^John")
        .seq_defined(0x0008_1115, &[inner.bytes])
        .elem(0x0008_0060, "CS", b"MR")
        .elem(0x7FE0_0010, "OW", &[1, 2, 3, 4]);
    let (out, done) = run(&part10(EXPLICIT_LE, &ds.bytes));
    assert_eq!(codes(&done), ["tags-sorted"]);
    assert_eq!(out, sorted);
}

#[test]
fn a_tag_twice_is_refused_even_when_apart_or_nested() {
    let mut apart = Ds::new(Encoding::EXPLICIT_LE);
    apart.elem(0x0010_0020, "LO", b"PID1").elem(0x0010_0010, "PN", b"A^B").elem(0x0010_0020, "LO", b"PID2");
    let e = refused(&part10(EXPLICIT_LE, &apart.bytes), &Limits::default());
    assert_eq!((e.kind, e.tag_path.as_str()), (ErrorKind::DuplicateTag, "(0010,0020)"));
    let mut nested = Ds::new(Encoding::EXPLICIT_LE);
    nested.seq_undefined(0x0008_1115, "SQ", &[apart.bytes]);
    let e = refused(&part10(EXPLICIT_LE, &nested.bytes), &Limits::default());
    assert_eq!(e.kind, ErrorKind::DuplicateTag);
}

/// One element that is (0010,0010) PN in explicit VR big endian and (1000,1000) PN in little endian.
const AMBIGUOUS: &[u8] = b"\x00\x10\x00\x10PN\x00\x00";

#[test]
fn a_data_set_that_fits_several_encodings_is_refused() {
    let opted = Limits { accept_no_meta: true, ..Limits::default() };
    let bare = refused(AMBIGUOUS, &opted);
    assert_eq!(bare.kind, ErrorKind::NotDicom);
    assert!(bare.detail.contains("more than one encoding"));
    let meta = refused(&part10_without_syntax(AMBIGUOUS), &Limits::default());
    assert_eq!(meta.kind, ErrorKind::MissingTransferSyntax);
    // A bare data set one encoding fits is still read, as it is.
    let one = sample(Encoding::EXPLICIT_BE);
    let mut out = Vec::new();
    rewrite(one.as_slice(), &none(), &opted, &mut out).unwrap();
    assert_eq!(out, one);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn a_gzipped_file_is_written_as_the_plain_file_would_be() {
    let remove_name = || {
        Profile::from_json(r#"{"name": "t", "fields": [{"path": [{"tag": 1048592}], "vr": "PN", "action": "remove"}]}"#)
            .unwrap()
    };
    for file in
        [part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE)), part10(EXPLICIT_LE, &sample(Encoding::IMPLICIT_LE))]
    {
        let packed = gzip(&file);
        for profile in [none(), remove_name()] {
            let (mut plain, mut inflated) = (Vec::new(), Vec::new());
            let a = rewrite(file.as_slice(), &profile, &Limits::default(), &mut plain).unwrap();
            let b = rewrite(packed.as_slice(), &profile, &Limits::default(), &mut inflated).unwrap();
            assert_eq!(inflated, plain);
            assert_eq!((b.bytes_in, b.changed, &b.warnings), (packed.len() as u64, true, &a.warnings));
        }
    }
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_cap() {
    let bomb = gzip(&vec![0u8; 20 << 20]);
    let e = refused(&bomb, &Limits::default());
    assert_eq!(e.kind, ErrorKind::Deflate);
    assert!(e.detail.contains("past the cap of 16777216 bytes"));
}

#[test]
fn dump_lists_a_damaged_file_up_to_the_fault() {
    let mut file = part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE));
    file.truncate(file.len() - 2); // inside the pixel data value
    let (text, error) = dump_input(file.as_slice(), &Limits::default(), &DumpOptions::default());
    let error = error.expect("an error");
    assert_eq!((error.kind, error.tag_path.as_str()), (ErrorKind::LengthPastEnd, "(7FE0,0010)"));
    assert!(text.contains("(0010,0020) LO PatientID"));
    assert!(text.contains("    (0008,1155) UI ReferencedSOPInstanceUID"));
    assert!(!text.contains("(7FE0,0010)"));
    assert!(text.trim_end().ends_with(&format!("does not parse past byte {}", file.len() - 14)));
}

#[test]
fn dump_shows_repairs_and_private_creators() {
    let (text, error) = dump_input(
        part10(JPEG_BASELINE, &implicit_with_fragments()).as_slice(),
        &Limits::default(),
        &DumpOptions::default(),
    );
    assert!(error.is_none());
    assert!(text.starts_with("# warning: data-set-reencoded: "));
    assert!(text.contains("(0009,0010) LO (private creator)"));
    assert!(text.contains("(0009,1001) UN [ACME 1.0]"));
    let packed = gzip(&part10(EXPLICIT_LE, &sample(Encoding::EXPLICIT_LE)));
    let (text, error) = dump_input(packed.as_slice(), &Limits::default(), &DumpOptions::default());
    assert!(error.is_none() && text.starts_with("# gzip-compressed file"));
}
