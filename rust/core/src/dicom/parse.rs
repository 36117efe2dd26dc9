//! The tokenizer: walks a Part 10 file's headers, checks every declared length against the bytes
//! that remain, and builds the [`Document`] tree. Values are skipped, never read.

use std::io::Read;

use super::dict;
use super::input::{Input, Window};
use super::tag::Tag;
use super::tree::{Body, DataSet, Document, Element, Item};
use super::ts::{Encoding, TransferSyntax};
use super::vr::Vr;
use crate::error::{Error, ErrorKind, Result};

const UNDEFINED: u32 = 0xFFFF_FFFF;
const PREAMBLE: u64 = 128;

/// Bounds that keep hostile input from exhausting the stack or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest sequence nesting accepted.
    pub max_depth: u32,
    /// Most elements plus items accepted in one file.
    pub max_elements: u32,
    /// Largest inflated size of a deflated data set, in bytes.
    pub max_inflated: u64,
    /// Largest inflated/compressed ratio accepted once past [`Limits::inflate_floor`].
    pub max_inflate_ratio: u64,
    /// Inflated size always accepted whatever the ratio (headers of zeros compress very well).
    pub inflate_floor: u64,
    /// Accept a bare data set without preamble and file meta, when one encoding parses the whole
    /// file strictly (off by default: such files are not Part 10).
    pub accept_no_meta: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_elements: 1_000_000,
            max_inflated: 512 << 20,
            max_inflate_ratio: 100,
            inflate_floor: 16 << 20,
            accept_no_meta: false,
        }
    }
}

impl Limits {
    /// The most bytes `compressed_len` compressed bytes may inflate to: the ratio cap past the
    /// floor, and never more than [`Limits::max_inflated`]. Deflated data sets and gzip-compressed
    /// files share it.
    #[must_use]
    pub fn inflate_cap(&self, compressed_len: u64) -> u64 {
        self.max_inflated.min(self.inflate_floor.max(compressed_len.saturating_mul(self.max_inflate_ratio)))
    }
}

/// A file that did not parse: the error, and what could be parsed before the fault (the file
/// meta and the top-level elements before the failing one) when the meta itself parsed.
#[derive(Debug)]
pub struct Partial {
    /// Why parsing stopped.
    pub error: Error,
    /// The file as far as it parsed; its data set ends before the element that failed.
    pub document: Option<Box<Document>>,
}

/// Parses a Part 10 file: preamble, `DICM`, file meta, and the data set in its transfer syntax.
pub fn parse<I: Input + ?Sized>(input: &I, limits: &Limits) -> Result<Document> {
    parse_with(input, limits, true).map_err(|p| p.error)
}

/// Like [`parse`], but a failure keeps what parsed before the fault, for a listing of a damaged file.
pub fn parse_or_partial<I: Input + ?Sized>(input: &I, limits: &Limits) -> std::result::Result<Document, Partial> {
    parse_with(input, limits, true)
}

/// Like [`parse`], but elements of a data set may come in any order (duplicates still fail once
/// sorted, see `repair`): the tree keeps file order, so it is for re-ordering, not for the rules.
pub(crate) fn parse_unordered<I: Input + ?Sized>(input: &I, limits: &Limits) -> Result<Document> {
    parse_with(input, limits, false).map_err(|p| p.error)
}

fn parse_with<I: Input + ?Sized>(input: &I, limits: &Limits, ordered: bool) -> std::result::Result<Document, Partial> {
    let failed = |error| Partial { error, document: None };
    let mut p = Parser::new(input, limits, ordered);
    let (meta, transfer_syntax) = match p.meta() {
        Err(e) if e.kind == ErrorKind::NotDicom && limits.accept_no_meta && input.len() > 0 => {
            return without_meta(input, limits, e).map_err(failed);
        }
        other => other.map_err(failed)?,
    };
    if !transfer_syntax.deflated {
        return match p.dataset(meta.end, input.len(), Until::Bound, transfer_syntax.encoding, 0) {
            Ok(dataset) => Ok(Document { meta, transfer_syntax, dataset, inflated: None }),
            Err(error) => Err(partial(error, p.salvaged, meta, transfer_syntax, None)),
        };
    }
    // Deflated (PS3.5 A.5): the meta stays plain, the rest is one raw deflate stream. Inflate it
    // (bounded) behind a copy of the meta so every offset refers to one buffer.
    let buf = inflate(input, meta.end, limits).map_err(failed)?;
    let mut p = Parser::new(buf.as_slice(), limits, ordered);
    match p.dataset(meta.end, buf.len() as u64, Until::Bound, Encoding::EXPLICIT_LE, 0) {
        Ok(dataset) => Ok(Document { meta, transfer_syntax, dataset, inflated: Some(buf) }),
        Err(error) => {
            let salvaged = std::mem::take(&mut p.salvaged);
            Err(partial(error, salvaged, meta, transfer_syntax, Some(buf)))
        }
    }
}

/// The document as far as it parsed: the meta and the top-level elements before the fault.
fn partial(
    error: Error,
    elements: Vec<Element>,
    meta: DataSet,
    transfer_syntax: TransferSyntax,
    inflated: Option<Vec<u8>>,
) -> Partial {
    let encoding = if transfer_syntax.deflated { Encoding::EXPLICIT_LE } else { transfer_syntax.encoding };
    let end = elements.last().map_or(meta.end, |e| e.end);
    let dataset = DataSet { encoding, start: meta.end, end, elements };
    Partial { error, document: Some(Box::new(Document { meta, transfer_syntax, dataset, inflated })) }
}

/// What trying every encoding on a data set found.
#[derive(Debug)]
pub(crate) enum Detected {
    /// No encoding parses the whole data set strictly.
    Nothing,
    /// Exactly one does: the data set as parsed in it.
    One(Encoding, DataSet),
    /// More than one does, so which one the writer used cannot be told.
    Ambiguous,
}

/// The encoding of a data set from `start` to the end of the input that carries no (trustworthy)
/// transfer syntax: every encoding is tried, and one is taken only when it alone parses the whole
/// data set strictly, with at least one element and none of groups 0000 (commands) and 0002 (file
/// meta). The one detector for bare data sets and for files whose meta misnames the encoding.
pub(crate) fn detect<I: Input + ?Sized>(input: &I, start: u64, limits: &Limits) -> Detected {
    let mut found = Detected::Nothing;
    for encoding in [Encoding::EXPLICIT_LE, Encoding::IMPLICIT_LE, Encoding::EXPLICIT_BE] {
        let mut p = Parser::new(input, limits, true);
        let Ok(dataset) = p.dataset(start, input.len(), Until::Bound, encoding, 0) else { continue };
        let plausible =
            !dataset.elements.is_empty() && dataset.elements.iter().all(|e| !matches!(e.tag.group(), 0x0000 | 0x0002));
        if !plausible {
            continue;
        }
        if matches!(found, Detected::One(..)) {
            return Detected::Ambiguous;
        }
        found = Detected::One(encoding, dataset);
    }
    found
}

/// A file without preamble and meta, read in the one encoding [`detect`] finds; `refusal` (the
/// not-dicom error) otherwise, told apart when several encodings fit.
fn without_meta<I: Input + ?Sized>(input: &I, limits: &Limits, refusal: Error) -> Result<Document> {
    match detect(input, 0, limits) {
        Detected::One(encoding, dataset) => {
            let meta = DataSet { encoding: Encoding::EXPLICIT_LE, start: 0, end: 0, elements: Vec::new() };
            let transfer_syntax = TransferSyntax { encoding, deflated: false };
            Ok(Document { meta, transfer_syntax, dataset, inflated: None })
        }
        Detected::Ambiguous => Err(Error {
            detail: format!(
                "{}; as a bare data set it parses in more than one encoding, so none is assumed",
                refusal.detail
            ),
            ..refusal
        }),
        Detected::Nothing => Err(refusal),
    }
}

/// The file meta group of a Part 10 file and the Transfer Syntax UID it names (padding removed),
/// if any, without reading the data set: what a repair starts from.
pub(crate) fn file_meta<I: Input + ?Sized>(input: &I, limits: &Limits) -> Result<(DataSet, Option<String>)> {
    let mut p = Parser::new(input, limits, true);
    let meta = p.meta_group()?;
    let uid = match meta.find(Tag::TRANSFER_SYNTAX) {
        Some(ts) => Some(p.uid_text(ts)?.to_string()),
        None => None,
    };
    Ok((meta, uid))
}

fn inflate<I: Input + ?Sized>(input: &I, meta_end: u64, limits: &Limits) -> Result<Vec<u8>> {
    let compressed_len = input.len() - meta_end;
    let cap = limits.inflate_cap(compressed_len);
    let mut raw = vec![
        0u8;
        usize::try_from(input.len())
            .map_err(|_| Error::new(ErrorKind::Deflate, "file too large to inflate"))?
    ];
    input.read_exact_at(0, &mut raw).map_err(|e| Error::at(ErrorKind::Io, 0, e.to_string()))?;
    let mut out = raw[..meta_end as usize].to_vec();
    let decoder = flate2::read::DeflateDecoder::new(&raw[meta_end as usize..]);
    // Read one byte past the cap so that hitting it is distinguishable from ending exactly on it.
    decoder
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|_| Error::at(ErrorKind::Deflate, meta_end, "deflated data set does not inflate"))?;
    if out.len() as u64 - meta_end > cap {
        return Err(Error::at(
            ErrorKind::Deflate,
            meta_end,
            format!("deflated data set inflates past the cap of {cap} bytes"),
        ));
    }
    Ok(out)
}

fn trailing_garbage(pos: u64, bound: u64) -> Error {
    Error::at(
        ErrorKind::TrailingGarbage,
        pos,
        format!("{} bytes after the last data element do not form an element", bound - pos),
    )
}

/// What ends a data set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Its byte bound (top level, defined-length items).
    Bound,
    /// An item delimiter, before the bound (undefined-length items).
    ItemEnd,
    /// The first element outside group 0002 (the file meta).
    MetaEnd,
}

struct Parser<'a, I: Input + ?Sized> {
    win: Window<'a, I>,
    limits: Limits,
    count: u32,
    /// Tags must ascend within each data set (PS3.5 7.1); off only to read a file for re-ordering.
    ordered: bool,
    /// The top-level elements parsed before a failure, kept for a listing of a damaged file.
    salvaged: Vec<Element>,
}

impl<'a, I: Input + ?Sized> Parser<'a, I> {
    fn new(input: &'a I, limits: &Limits, ordered: bool) -> Self {
        Parser { win: Window::new(input), limits: *limits, count: 0, ordered, salvaged: Vec::new() }
    }

    fn meta(&mut self) -> Result<(DataSet, TransferSyntax)> {
        let meta = self.meta_group()?;
        let ts = meta.find(Tag::TRANSFER_SYNTAX).ok_or_else(|| {
            Error::at(ErrorKind::MissingTransferSyntax, meta.start, "file meta has no Transfer Syntax UID")
        })?;
        let syntax =
            TransferSyntax::from_uid(self.uid_text(ts)?).map_err(|e| Error { offset: Some(ts.value_start), ..e })?;
        Ok((meta, syntax))
    }

    /// A UID value as text, padding removed (at most 128 bytes are read: a UID has 64).
    fn uid_text(&mut self, e: &Element) -> Result<&str> {
        let raw = self.win.bytes(e.value_start, e.value_len.unwrap_or(0).min(128) as usize)?;
        Ok(std::str::from_utf8(raw).unwrap_or("").trim_end_matches(['\0', ' ']))
    }

    /// The preamble, `DICM` and the file meta group (PS3.10 7.1).
    fn meta_group(&mut self) -> Result<DataSet> {
        let len = self.win.input_len();
        if len == 0 {
            return Err(Error::at(ErrorKind::NotDicom, 0, "file is empty"));
        }
        if len < PREAMBLE + 4 || self.win.bytes(PREAMBLE, 4)? != b"DICM" {
            return Err(Error::at(ErrorKind::NotDicom, PREAMBLE, "no DICM prefix after the 128-byte preamble"));
        }
        let start = PREAMBLE + 4;
        // PS3.10 7.1: (0002,0000) gives the meta's length. It bounds the meta, so a data set whose
        // first bytes look like a group 0002 tag (a deflate stream can) is not read as meta.
        let meta = if len >= start + 12 && self.win.bytes(start, 8)? == [2, 0, 0, 0, b'U', b'L', 4, 0] {
            let declared = u64::from(u32::from_le_bytes(self.win.array(start + 8)?));
            let bound = start + 12 + declared;
            if bound > len {
                return Err(
                    Error::at(ErrorKind::Truncated, start, "file ends inside the file meta").within("(0002,0000)")
                );
            }
            let meta =
                self.dataset(start, bound, Until::Bound, Encoding::EXPLICIT_LE, 0).map_err(|e| match e.kind {
                    // An element crossing the declared end: the group length is what is wrong.
                    ErrorKind::LengthPastEnd | ErrorKind::Truncated | ErrorKind::TrailingGarbage => Error {
                        kind: ErrorKind::BadMeta,
                        detail: "file meta group length does not match the meta elements".into(),
                        ..e
                    },
                    _ => e,
                })?;
            if let Some(stray) = meta.elements.iter().find(|e| e.tag.group() != 0x0002) {
                return Err(Error::at(
                    ErrorKind::BadMeta,
                    stray.start,
                    "file meta group length covers elements outside group 0002",
                )
                .within(stray.tag.to_string()));
            }
            let next_is_meta = len >= bound + 2 && self.win.bytes(bound, 2)? == [2, 0];
            if next_is_meta && !self.transfer_syntax_is_deflated(&meta)? {
                return Err(Error::at(
                    ErrorKind::BadMeta,
                    bound,
                    "file meta group length does not match the meta elements",
                )
                .within("(0002,0000)"));
            }
            meta
        } else {
            self.dataset(start, len, Until::MetaEnd, Encoding::EXPLICIT_LE, 0)?
        };
        Ok(meta)
    }

    /// Whether the meta names the deflated syntax (its data set may start with any bytes).
    fn transfer_syntax_is_deflated(&mut self, meta: &DataSet) -> Result<bool> {
        let Some(ts) = meta.find(Tag::TRANSFER_SYNTAX) else { return Ok(false) };
        let raw = self.win.bytes(ts.value_start, ts.value_len.unwrap_or(0).min(128) as usize)?;
        Ok(raw.starts_with(b"1.2.840.10008.1.2.1.99"))
    }

    fn dataset(&mut self, start: u64, bound: u64, until: Until, enc: Encoding, depth: u32) -> Result<DataSet> {
        let top = depth == 0 && until == Until::Bound;
        // A top-level data set holds a hundred elements or more: start there rather than grow to it.
        let mut elements = Vec::with_capacity(if top { 128 } else { 0 });
        match self.elements(&mut elements, start, bound, until, enc, depth) {
            Ok(end) => Ok(DataSet { encoding: enc, start, end, elements }),
            Err(e) => {
                if top {
                    self.salvaged = elements;
                }
                Err(e)
            }
        }
    }

    /// Parses the elements of a data set into `elements`; returns where the data set ends.
    fn elements(
        &mut self,
        elements: &mut Vec<Element>,
        start: u64,
        bound: u64,
        until: Until,
        enc: Encoding,
        depth: u32,
    ) -> Result<u64> {
        let mut pos = start;
        loop {
            if pos == bound {
                if until == Until::ItemEnd {
                    return Err(Error::at(
                        ErrorKind::Truncated,
                        pos,
                        "item has no item delimiter before its container ends",
                    ));
                }
                break;
            }
            // Only after Pixel Data can bytes that do not form an element be told apart from a
            // file cut inside a header: elsewhere they are reported as truncation.
            let prev = elements.last().map(|e: &Element| e.tag);
            let after_pixel_data = depth == 0 && until == Until::Bound && prev >= Some(Tag::PIXEL_DATA);
            if after_pixel_data && bound - pos < 8 {
                return Err(trailing_garbage(pos, bound));
            }
            let tag = self.tag(pos, enc)?;
            if until == Until::MetaEnd && tag.group() != 0x0002 {
                break;
            }
            if tag == Tag::ITEM_END && until == Until::ItemEnd {
                let len = enc.u32(self.win.array(pos + 4)?);
                if len != 0 {
                    return Err(Error::at(ErrorKind::BadItem, pos, "item delimiter with a non-zero length"));
                }
                return Ok(pos);
            }
            if tag.is_delimiter() && after_pixel_data {
                return Err(trailing_garbage(pos, bound));
            }
            if tag.is_delimiter() {
                return Err(Error::at(ErrorKind::BadItem, pos, format!("unexpected {tag} among data elements")));
            }
            if let Some(prev) = prev {
                // Two values for one tag make "the" value ambiguous: a rule could change one and
                // leave the other. Strictly ascending tags are required (PS3.5 7.1).
                if tag == prev {
                    return Err(
                        Error::at(ErrorKind::DuplicateTag, pos, "the same tag appears twice").within(tag.to_string())
                    );
                }
                if tag < prev && after_pixel_data {
                    return Err(trailing_garbage(pos, bound));
                }
                if tag < prev && self.ordered {
                    return Err(Error::at(ErrorKind::OutOfOrder, pos, format!("tag follows {prev}: tags must ascend"))
                        .within(tag.to_string()));
                }
            }
            let element = match self.element(pos, bound, enc, depth) {
                // An element header after Pixel Data that does not parse is junk appended to a
                // complete object.
                Err(e)
                    if after_pixel_data
                        && e.offset.is_some_and(|o| o < pos + 12)
                        && e.kind != ErrorKind::TooManyElements =>
                {
                    return Err(trailing_garbage(pos, bound));
                }
                other => other.map_err(|e| e.within(tag.to_string()))?,
            };
            pos = element.end;
            elements.push(element);
        }
        Ok(pos)
    }

    fn tag(&mut self, pos: u64, enc: Encoding) -> Result<Tag> {
        let b: [u8; 4] = self.win.array(pos)?;
        Ok(Tag::new(enc.u16([b[0], b[1]]), enc.u16([b[2], b[3]])))
    }

    fn bump(&mut self, pos: u64) -> Result<()> {
        self.count += 1;
        if self.count > self.limits.max_elements {
            return Err(Error::at(
                ErrorKind::TooManyElements,
                pos,
                format!("more than {} elements and items", self.limits.max_elements),
            ));
        }
        Ok(())
    }

    fn element(&mut self, start: u64, bound: u64, enc: Encoding, depth: u32) -> Result<Element> {
        self.bump(start)?;
        let tag = self.tag(start, enc)?;
        let (vr, len, header) = if enc.explicit_vr {
            let b: [u8; 4] = self.win.array(start + 4)?;
            let vr = Vr::from_bytes([b[0], b[1]])
                .ok_or_else(|| Error::at(ErrorKind::BadVr, start + 4, "VR bytes are not a valid VR"))?;
            if vr.has_long_header() {
                (vr, enc.u32(self.win.array(start + 8)?), 12)
            } else {
                (vr, u32::from(enc.u16([b[2], b[3]])), 8)
            }
        } else {
            (dict::implicit_vr(tag), enc.u32(self.win.array(start + 4)?), 8)
        };
        let value_start = start + header;
        if len == UNDEFINED {
            let (body, end) = if tag == Tag::PIXEL_DATA {
                self.fragments(value_start, bound, enc)?
            } else if vr == Vr::SQ || vr == Vr::UN || !enc.explicit_vr {
                // PS3.5 6.2.2: a UN value of undefined length is a sequence in implicit VR little endian.
                let inner = if vr == Vr::UN { Encoding::IMPLICIT_LE } else { enc };
                let (items, end) = self.items(value_start, bound, true, inner, depth)?;
                (Body::Items(items), end)
            } else {
                return Err(Error::at(
                    ErrorKind::UndefinedLength,
                    start,
                    format!("undefined length on a {vr} element"),
                ));
            };
            return Ok(Element { tag, vr, start, value_start, value_len: None, end, body });
        }
        let end = value_start + u64::from(len);
        if end > bound {
            return Err(Error::at(
                ErrorKind::LengthPastEnd,
                start,
                format!("value length {len} runs past the end of its container at byte {bound}"),
            ));
        }
        let body = if vr == Vr::SQ {
            Body::Items(self.items(value_start, end, false, enc, depth)?.0)
        } else if vr == Vr::UN && len > 0 && dict::implicit_vr(tag) == Vr::SQ {
            // A standard sequence sent as UN is implicit VR little endian inside (PS3.5 6.2.2).
            // Parsing it keeps nested identifiers visible to the rules instead of hidden in bytes.
            Body::Items(self.items(value_start, end, false, Encoding::IMPLICIT_LE, depth)?.0)
        } else {
            Body::Value
        };
        Ok(Element { tag, vr, start, value_start, value_len: Some(len), end, body })
    }

    fn items(
        &mut self,
        start: u64,
        bound: u64,
        delimited: bool,
        enc: Encoding,
        depth: u32,
    ) -> Result<(Vec<Item>, u64)> {
        if depth + 1 > self.limits.max_depth {
            return Err(Error::at(
                ErrorKind::TooDeep,
                start,
                format!("sequences nest deeper than {}", self.limits.max_depth),
            ));
        }
        let mut items = Vec::new();
        let mut pos = start;
        loop {
            if pos == bound {
                if delimited {
                    return Err(Error::at(
                        ErrorKind::Truncated,
                        pos,
                        "sequence has no sequence delimiter before its container ends",
                    ));
                }
                return Ok((items, pos));
            }
            let tag = self.tag(pos, enc)?;
            let len = enc.u32(self.win.array(pos + 4)?);
            if tag == Tag::SEQUENCE_END && delimited {
                if len != 0 {
                    return Err(Error::at(ErrorKind::BadItem, pos, "sequence delimiter with a non-zero length"));
                }
                return Ok((items, pos + 8));
            }
            if tag != Tag::ITEM {
                return Err(Error::at(ErrorKind::BadItem, pos, format!("{tag} where a sequence item was expected")));
            }
            self.bump(pos)?;
            let index = items.len();
            let in_item = |e: Error| e.within(format!("[{index}]"));
            let item = if len == UNDEFINED {
                let dataset = self.dataset(pos + 8, bound, Until::ItemEnd, enc, depth + 1).map_err(in_item)?;
                Item { start: pos, len: None, end: dataset.end + 8, dataset }
            } else {
                let end = pos + 8 + u64::from(len);
                if end > bound {
                    return Err(Error::at(
                        ErrorKind::LengthPastEnd,
                        pos,
                        format!("item length {len} runs past the end of its sequence"),
                    ));
                }
                let dataset = self.dataset(pos + 8, end, Until::Bound, enc, depth + 1).map_err(in_item)?;
                Item { start: pos, len: Some(len), end, dataset }
            };
            pos = item.end;
            items.push(item);
        }
    }

    /// Walks encapsulated pixel data item by item using the declared lengths (PS3.5 A.4), so a
    /// delimiter byte pattern inside a fragment is just data.
    fn fragments(&mut self, start: u64, bound: u64, enc: Encoding) -> Result<(Body, u64)> {
        let mut pos = start;
        let mut count = 0u32;
        loop {
            let tag = self.tag(pos, enc)?;
            let len = enc.u32(self.win.array(pos + 4)?);
            if tag == Tag::SEQUENCE_END {
                return Ok((Body::Fragments(count), pos + 8));
            }
            if tag != Tag::ITEM || len == UNDEFINED {
                return Err(Error::at(
                    ErrorKind::BadItem,
                    pos,
                    format!("{tag} among encapsulated pixel data fragments"),
                ));
            }
            self.bump(pos)?;
            let end = pos + 8 + u64::from(len);
            if end > bound {
                return Err(Error::at(
                    ErrorKind::LengthPastEnd,
                    pos,
                    format!("fragment length {len} runs past the end of the file"),
                ));
            }
            pos = end;
            count += 1;
        }
    }
}
