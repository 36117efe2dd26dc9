//! Files real archives hold that are not quite Part 10, read when there is exactly one way to read
//! them: a file meta that misnames or lacks the data set's encoding, and data elements out of tag
//! order. The repaired file is a [`Patched`] input (a corrected meta, re-ordered or re-encoded
//! headers, the values still read from the original), so the rest of the core sees a valid file;
//! each repair comes with a [`Warning`]. Anything ambiguous (several encodings fit, a tag twice)
//! stays refused.

use super::parse::{self, Detected, Limits};
use super::patched::Patched;
use super::tag::Tag;
use super::tree::{Body, DataSet, Element};
use super::ts::{Encoding, TransferSyntax};
use super::vr::Vr;
use super::Input;
use crate::error::{Error, ErrorKind, Result, Warning};

const UNDEFINED: u32 = 0xFFFF_FFFF;

/// The transfer syntaxes whose pixel data is native, one per encoding (PS3.5 A.1, A.2, A.3).
const IMPLICIT_LE_UID: &str = "1.2.840.10008.1.2";
const EXPLICIT_LE_UID: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_BE_UID: &str = "1.2.840.10008.1.2.2";

/// A repaired file and what was done to it.
pub struct Repaired<'a, I: Input + ?Sized> {
    /// The file as it should have been.
    pub input: Patched<'a, I>,
    /// One per repair.
    pub warnings: Vec<Warning>,
}

/// A repaired reading of `input`, which failed to parse with `failure`; `None` when no repair
/// applies (the original error stands), an error when the file is refused for a clearer reason
/// (a duplicate tag once sorted, or a data set that fits several encodings).
///
/// # Errors
/// The data set is ambiguous or holds a tag twice, or reading the input failed.
pub fn repair<'a, I: Input + ?Sized>(
    input: &'a I,
    limits: &Limits,
    failure: &Error,
) -> Result<Option<Repaired<'a, I>>> {
    // Only faults the data set's encoding or order explain; limits and meta faults stand.
    if !matches!(
        failure.kind,
        ErrorKind::BadVr
            | ErrorKind::BadItem
            | ErrorKind::Truncated
            | ErrorKind::LengthPastEnd
            | ErrorKind::UndefinedLength
            | ErrorKind::OutOfOrder
            | ErrorKind::TrailingGarbage
            | ErrorKind::MissingTransferSyntax
    ) {
        return Ok(None);
    }
    let Ok((meta, declared)) = parse::file_meta(input, limits) else { return Ok(None) };
    let named = match declared.as_deref().map(|uid| (uid, TransferSyntax::from_uid(uid))) {
        None => None,
        Some((uid, Ok(ts))) if !ts.deflated => Some(uid),
        Some(_) => return Ok(None), // an unknown syntax may be anything; deflated ones are not re-read
    };
    if failure.kind == ErrorKind::OutOfOrder {
        if let Some(sorted) = sorted(input, limits)? {
            return Ok(Some(sorted));
        }
    }
    match parse::detect(input, meta.end, limits) {
        Detected::Nothing => Ok(None),
        Detected::Ambiguous => Err(Error {
            detail: format!("{}; the data set parses in more than one encoding, so none is assumed", failure.detail),
            tag_path: failure.tag_path.clone(),
            ..*failure
        }),
        Detected::One(found, dataset) => relabelled(input, &meta, named, found, &dataset),
    }
}

/// The file with its data elements in tag order at every level, read in the meta's encoding.
fn sorted<'a, I: Input + ?Sized>(input: &'a I, limits: &Limits) -> Result<Option<Repaired<'a, I>>> {
    let Ok(doc) = parse::parse_unordered(input, limits) else { return Ok(None) };
    if doc.inflated.is_some() || doc.meta.elements.is_empty() {
        return Ok(None);
    }
    let mut out = Patched::new(input);
    out.push_original(0, doc.dataset.start)?;
    Rebuild { out: &mut out, explicit: false }.dataset(&doc.dataset)?;
    let warning = Warning::new(
        "tags-sorted",
        "data elements were not in ascending tag order (PS3.5 7.1); they were written sorted, none dropped",
    );
    Ok(Some(Repaired { input: out, warnings: vec![warning] }))
}

/// The file with a meta that names `found`, the one encoding the data set parses in. Compressed
/// pixel data keeps the meta's syntax, which alone says how it is compressed, so an implicit VR
/// data set is re-encoded as the explicit VR little endian those syntaxes require (PS3.5 A.4).
fn relabelled<'a, I: Input + ?Sized>(
    input: &'a I,
    meta: &DataSet,
    named: Option<&str>,
    found: Encoding,
    dataset: &DataSet,
) -> Result<Option<Repaired<'a, I>>> {
    let compressed = dataset.elements.iter().any(|e| matches!(e.body, Body::Fragments(_)));
    let named_native = named.is_some_and(|uid| [IMPLICIT_LE_UID, EXPLICIT_LE_UID, EXPLICIT_BE_UID].contains(&uid));
    let mut out = Patched::new(input);
    let shown =
        |uid: &str| if uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') { uid.to_string() } else { "?".into() };
    let warning = match named {
        Some(uid) if compressed && !named_native && found == Encoding::IMPLICIT_LE => {
            push_meta(&mut out, input, meta, uid)?;
            Rebuild { out: &mut out, explicit: true }.dataset(dataset)?;
            Warning::new(
                "data-set-reencoded",
                format!(
                    "the file meta names transfer syntax {}, whose data set is explicit VR little endian, but the data \
                     set is implicit VR little endian; it was re-encoded as explicit VR little endian, values unchanged",
                    shown(uid)
                ),
            )
        }
        // Compressed pixel data whose compression no meta names cannot be labelled.
        _ if compressed => return Ok(None),
        _ => {
            let uid = native_uid(found);
            push_meta(&mut out, input, meta, uid)?;
            out.push_original(meta.end, input.len())?;
            match named {
                None => Warning::new(
                    "transfer-syntax-added",
                    format!(
                        "the file meta has no Transfer Syntax UID; the data set parses only as {}, which the output's \
                         meta names ({uid})",
                        describe(found)
                    ),
                ),
                Some(old) => Warning::new(
                    "transfer-syntax-corrected",
                    format!(
                        "the file meta names transfer syntax {} but the data set parses only as {}; the output's meta \
                         names {uid}",
                        shown(old),
                        describe(found)
                    ),
                ),
            }
        }
    };
    Ok(Some(Repaired { input: out, warnings: vec![warning] }))
}

fn native_uid(encoding: Encoding) -> &'static str {
    match (encoding.explicit_vr, encoding.big_endian) {
        (false, _) => IMPLICIT_LE_UID,
        (true, false) => EXPLICIT_LE_UID,
        (true, true) => EXPLICIT_BE_UID,
    }
}

fn describe(encoding: Encoding) -> &'static str {
    match (encoding.explicit_vr, encoding.big_endian) {
        (false, _) => "implicit VR little endian",
        (true, false) => "explicit VR little endian",
        (true, true) => "explicit VR big endian",
    }
}

/// Preamble, `DICM` and the meta elements as they were, with (0002,0010) set to `uid` and the
/// group length (0002,0000) computed for the new content (PS3.10 7.1).
fn push_meta<I: Input + ?Sized>(out: &mut Patched<'_, I>, input: &I, meta: &DataSet, uid: &str) -> Result<()> {
    out.push_original(0, meta.start)?;
    let mut value = uid.as_bytes().to_vec();
    if value.len() % 2 == 1 {
        value.push(0); // UI values are padded with NUL (PS3.5 6.2)
    }
    let ts = super::encode::element(Tag::TRANSFER_SYNTAX, Vr::UI, &value, Encoding::EXPLICIT_LE)?;
    let mut body = Vec::new();
    let mut placed = false;
    for e in &meta.elements {
        if e.tag >= Tag::TRANSFER_SYNTAX && !placed {
            body.extend_from_slice(&ts);
            placed = true;
        }
        if e.tag != Tag::META_GROUP_LENGTH && e.tag != Tag::TRANSFER_SYNTAX {
            body.extend_from_slice(&input.read_vec(e.start, e.end - e.start)?);
        }
    }
    if !placed {
        body.extend_from_slice(&ts);
    }
    let len = u32::try_from(body.len()).map_err(|_| Error::at(ErrorKind::BadMeta, meta.start, "file meta too long"))?;
    out.push_bytes(&super::encode::element(Tag::META_GROUP_LENGTH, Vr::UL, &len.to_le_bytes(), Encoding::EXPLICIT_LE)?);
    out.push_bytes(&body);
    Ok(())
}

/// Writes a parsed data set again: elements in tag order at every level and, with `explicit`,
/// implicit VR headers as explicit VR little endian ones (values are the same bytes in both).
struct Rebuild<'o, 'a, I: Input + ?Sized> {
    out: &'o mut Patched<'a, I>,
    explicit: bool,
}

impl<I: Input + ?Sized> Rebuild<'_, '_, I> {
    fn dataset(&mut self, ds: &DataSet) -> Result<()> {
        let mut order: Vec<&Element> = ds.elements.iter().collect();
        order.sort_by_key(|e| e.tag);
        if let Some(pair) = order.windows(2).find(|w| w[0].tag == w[1].tag) {
            let second = pair[0].start.max(pair[1].start);
            return Err(Error::at(ErrorKind::DuplicateTag, second, "the same tag appears twice")
                .within(pair[0].tag.to_string()));
        }
        // A (gggg,0000) group length (PS3.5 7.2) counts the bytes of its group that follow it;
        // re-ordering or re-encoding changes that, so it is computed again as the group is written.
        let mut group_length: Option<(u16, u64, u64)> = None;
        for e in order {
            if let Some((group, at, from)) = group_length {
                if e.tag.group() != group {
                    self.set_group_length(at, from, ds.encoding)?;
                    group_length = None;
                }
            }
            self.element(e)?;
            if e.tag.is_group_length() && e.value_len == Some(4) && matches!(e.body, Body::Value) {
                group_length = Some((e.tag.group(), self.out.len() - 4, self.out.len()));
            }
        }
        if let Some((_, at, from)) = group_length {
            self.set_group_length(at, from, ds.encoding)?;
        }
        Ok(())
    }

    fn set_group_length(&mut self, at: u64, from: u64, encoding: Encoding) -> Result<()> {
        let encoding = if self.explicit { Encoding::EXPLICIT_LE } else { encoding };
        let len = u32::try_from(self.out.len() - from)
            .map_err(|_| Error::at(ErrorKind::BadValue, at, "a group length cannot be recomputed"))?;
        if self.out.overwrite(at, &encoding.u32_bytes(len)) {
            Ok(())
        } else {
            Err(Error::at(ErrorKind::BadValue, at, "a group length cannot be recomputed"))
        }
    }

    fn element(&mut self, e: &Element) -> Result<()> {
        match (&e.body, self.explicit) {
            (Body::Items(items), _) => {
                self.head(e.start, e.value_start, e.tag, Vr::SQ, UNDEFINED)?;
                for item in items {
                    self.head(item.start, item.dataset.start, Tag::ITEM, Vr::UN, UNDEFINED)?;
                    self.dataset(&item.dataset)?;
                    self.head(item.dataset.end, item.end, Tag::ITEM_END, Vr::UN, 0)?;
                }
                let after_items = items.last().map_or(e.value_start, |i| i.end);
                self.head(after_items, e.end, Tag::SEQUENCE_END, Vr::UN, 0)
            }
            (Body::Fragments(_), true) => {
                // The items of encapsulated pixel data are the same bytes in either encoding.
                self.head(e.start, e.value_start, e.tag, Vr::OB, UNDEFINED)?;
                Ok(self.out.push_original(e.value_start, e.end)?)
            }
            (Body::Value, true) => {
                let len = e.value_len.unwrap_or(0);
                // A value too long for a 16-bit length goes as UN (PS3.5 6.2.2).
                let vr = if e.vr.has_long_header() || len <= 0xFFFF { e.vr } else { Vr::UN };
                self.head(e.start, e.value_start, e.tag, vr, len)?;
                Ok(self.out.push_original(e.value_start, e.end)?)
            }
            _ => Ok(self.out.push_original(e.start, e.end)?),
        }
    }

    /// A header: the original bytes `start..end` when only re-ordering, else a new explicit VR
    /// little endian header (items and delimiters have no VR; lengths of sequences and items
    /// become undefined, so nothing needs counting). An absent delimiter stays absent.
    fn head(&mut self, start: u64, end: u64, tag: Tag, vr: Vr, len: u32) -> Result<()> {
        if !self.explicit {
            return Ok(self.out.push_original(start, end)?);
        }
        let mut h = Vec::with_capacity(12);
        h.extend_from_slice(&tag.group().to_le_bytes());
        h.extend_from_slice(&tag.element().to_le_bytes());
        if tag.is_delimiter() {
            h.extend_from_slice(&len.to_le_bytes());
        } else if vr.has_long_header() {
            h.extend_from_slice(vr.as_str().as_bytes());
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&len.to_le_bytes());
        } else {
            h.extend_from_slice(vr.as_str().as_bytes());
            h.extend_from_slice(&(len as u16).to_le_bytes());
        }
        self.out.push_bytes(&h);
        Ok(())
    }
}
