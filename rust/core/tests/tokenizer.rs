//! The tokenizer on each transfer syntax, nesting, encapsulated pixel data and malformed input.

mod common;

use common::*;
use fastdeid_core::dicom::{parse, Body, Encoding, Limits, Tag, Vr};
use fastdeid_core::ErrorKind;

fn parse_ok(file: &[u8]) -> fastdeid_core::dicom::Document {
    parse(file, &Limits::default()).expect("valid file must parse")
}

fn parse_err(file: &[u8]) -> fastdeid_core::Error {
    parse(file, &Limits::default()).expect_err("malformed file must be rejected")
}

fn nested_dataset(enc: Encoding) -> Vec<u8> {
    let mut inner = Ds::new(enc);
    inner.elem(0x0010_0020, "LO", b"INNER1");
    let mut deeper = Ds::new(enc);
    deeper.elem(0x0008_1155, "UI", b"1.2.3\0");
    let mut item2 = Ds::new(enc);
    item2.seq_undefined(0x0008_1115, "SQ", &[deeper.bytes.clone()]);
    let mut ds = Ds::new(enc);
    ds.elem(0x0008_0060, "CS", b"MR")
        .elem(0x0010_0010, "PN", b"Doe^John")
        .seq_defined(0x0010_1002, &[inner.bytes, item2.bytes])
        .elem(0x0020_0013, "IS", b"1 ");
    ds.bytes
}

#[test]
fn each_transfer_syntax_yields_the_same_tree() {
    for (ts, enc) in [
        (EXPLICIT_LE, Encoding::EXPLICIT_LE),
        (IMPLICIT_LE, Encoding::IMPLICIT_LE),
        (EXPLICIT_BE, Encoding::EXPLICIT_BE),
    ] {
        let file = part10(ts, &nested_dataset(enc));
        let doc = parse_ok(&file);
        assert_eq!(doc.transfer_syntax.encoding, enc, "{ts}");
        let tags: Vec<u32> = doc.dataset.elements.iter().map(|e| e.tag.0).collect();
        assert_eq!(tags, [0x0008_0060, 0x0010_0010, 0x0010_1002, 0x0020_0013], "{ts}");
        let seq = doc.dataset.find(Tag(0x0010_1002)).unwrap();
        assert_eq!(seq.vr, Vr::SQ, "{ts}: implicit VR must get SQ from the dictionary");
        let Body::Items(items) = &seq.body else { panic!("{ts}: sequence not parsed") };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].dataset.elements[0].tag, Tag(0x0010_0020));
        let Body::Items(deeper) = &items[1].dataset.elements[0].body else { panic!("nested sequence not parsed") };
        assert_eq!(deeper[0].dataset.elements[0].tag, Tag(0x0008_1155));
        assert_eq!(doc.dataset.end, file.len() as u64);
    }
}

#[test]
fn deflated_data_set_is_inflated_and_parsed() {
    use std::io::Write;
    let plain = nested_dataset(Encoding::EXPLICIT_LE);
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    let file = part10(DEFLATED, &enc.finish().unwrap());
    let doc = parse_ok(&file);
    assert!(doc.transfer_syntax.deflated);
    assert_eq!(doc.dataset.elements.len(), 4);
    assert_eq!(doc.inflated.as_ref().unwrap().len() as u64, doc.meta.end + plain.len() as u64);
}

#[test]
fn un_of_undefined_length_is_an_implicit_vr_sequence() {
    // PS3.5 6.2.2: inside, headers are implicit VR little endian whatever the file's syntax.
    let mut inner = Ds::new(Encoding::IMPLICIT_LE);
    inner.elem(0x0010_0010, "PN", b"Hidden^Name ");
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.seq_undefined(0x0009_1010, "UN", &[inner.bytes]);
    let doc = parse_ok(&part10(EXPLICIT_LE, &ds.bytes));
    let Body::Items(items) = &doc.dataset.elements[0].body else { panic!("UN sequence not parsed") };
    assert_eq!(items[0].dataset.encoding, Encoding::IMPLICIT_LE);
    assert_eq!(items[0].dataset.elements[0].tag, Tag(0x0010_0010));
}

fn encapsulated(fragment: &[u8]) -> Vec<u8> {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0028_0010, "US", &[4, 0]).header(0x7FE0_0010, "OB", UNDEFINED);
    ds.item_header(0xFFFE_E000, 0);
    ds.item_header(0xFFFE_E000, fragment.len() as u32);
    ds.bytes.extend_from_slice(fragment);
    ds.item_header(0xFFFE_E0DD, 0);
    ds.elem(0xFFFC_FFFC, "OB", &[0, 0]);
    ds.bytes
}

#[test]
fn encapsulated_fragments_are_walked_by_length_and_elements_after_pixel_data_kept() {
    // A sequence delimiter byte pattern inside the fragment is data, not the end of pixel data.
    let fragment = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0, 1, 2];
    let doc = parse_ok(&part10(JPEG_BASELINE, &encapsulated(&fragment)));
    let pixel = doc.dataset.find(Tag::PIXEL_DATA).unwrap();
    assert!(matches!(pixel.body, Body::Fragments(2)));
    assert_eq!(doc.dataset.elements.last().unwrap().tag, Tag(0xFFFC_FFFC));
}

#[test]
fn encapsulated_fragment_past_eof_is_rejected() {
    let mut file = part10(JPEG_BASELINE, &encapsulated(&[1, 2, 3, 4]));
    file.truncate(file.len() - 20);
    assert!(matches!(parse_err(&file).kind, ErrorKind::LengthPastEnd | ErrorKind::Truncated));
}

#[test]
fn malformed_files_get_specific_codes_and_offsets() {
    assert_eq!(parse_err(b"").kind, ErrorKind::NotDicom);
    assert_eq!(parse_err(&[0u8; 200]).kind, ErrorKind::NotDicom);

    let good = part10(EXPLICIT_LE, &nested_dataset(Encoding::EXPLICIT_LE));
    let cut = parse_err(&good[..good.len() - 3]);
    assert!(matches!(cut.kind, ErrorKind::Truncated | ErrorKind::LengthPastEnd), "{cut}");
    assert!(cut.offset.is_some());

    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0010_0010, "PN", b"AB");
    ds.bytes[4..6].copy_from_slice(b"Q!");
    let err = parse_err(&part10(EXPLICIT_LE, &ds.bytes));
    assert_eq!(err.kind, ErrorKind::BadVr);
    assert_eq!(err.tag_path, "(0010,0010)");

    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.header(0x0010_0010, "UT", UNDEFINED);
    assert_eq!(parse_err(&part10(EXPLICIT_LE, &ds.bytes)).kind, ErrorKind::UndefinedLength);

    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.header(0x7FE0_0010, "OW", 0xFFFF_FFF0);
    assert_eq!(parse_err(&part10(EXPLICIT_LE, &ds.bytes)).kind, ErrorKind::LengthPastEnd);

    assert_eq!(parse_err(&part10("1.2.3.4", &[])).kind, ErrorKind::UnknownTransferSyntax);
}

#[test]
fn nested_errors_carry_the_tag_path() {
    let mut inner = Ds::new(Encoding::EXPLICIT_LE);
    inner.elem(0x0010_0020, "LO", b"ID");
    inner.bytes[4..6].copy_from_slice(b"zz");
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.seq_defined(0x0010_1002, &[inner.bytes]);
    let err = parse_err(&part10(EXPLICIT_LE, &ds.bytes));
    assert_eq!(err.tag_path, "(0010,1002)[0](0010,0020)");
}

#[test]
fn nesting_deeper_than_the_cap_is_rejected() {
    let mut body = Vec::new();
    for _ in 0..70 {
        let mut ds = Ds::new(Encoding::EXPLICIT_LE);
        ds.seq_undefined(0x0008_1115, "SQ", &[body]);
        body = ds.bytes;
    }
    assert_eq!(parse_err(&part10(EXPLICIT_LE, &body)).kind, ErrorKind::TooDeep);
}

#[test]
fn wrong_meta_group_length_is_rejected() {
    let mut file = part10(EXPLICIT_LE, &nested_dataset(Encoding::EXPLICIT_LE));
    file[140] += 2;
    assert_eq!(parse_err(&file).kind, ErrorKind::BadMeta);
    // Past the end of the file, it is a cut file.
    let mut file = part10(EXPLICIT_LE, &[]);
    file[140] += 2;
    assert_eq!(parse_err(&file).kind, ErrorKind::Truncated);
}

#[test]
fn bytes_after_pixel_data_are_trailing_garbage_but_a_padding_element_is_not() {
    let mut ds = Ds::new(Encoding::EXPLICIT_LE);
    ds.elem(0x0010_0010, "PN", b"AB").elem(0x7FE0_0010, "OW", &[1, 2, 3, 4]);
    let with_pixels = part10(EXPLICIT_LE, &ds.bytes);
    for junk in
        [&b"\x01\x02\x03"[..], b"some text appended by a script", &[0u8; 16], &[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]]
    {
        let mut file = with_pixels.clone();
        file.extend_from_slice(junk);
        let err = parse_err(&file);
        assert_eq!(err.kind, ErrorKind::TrailingGarbage, "{err}");
        assert_eq!(err.offset, Some(with_pixels.len() as u64));
    }
    ds.elem(0xFFFC_FFFC, "OB", &[0; 8]);
    parse_ok(&part10(EXPLICIT_LE, &ds.bytes));
}
