//! Reading what verify needs from a parsed file: element values (borrowed when the bytes are in
//! memory), the SOP class, private creators, and which element holds a byte offset.

use std::borrow::Cow;

use super::findings::ElementPath;
use super::rules::Creator;
use crate::dicom::{Body, DataSet, Document, Element, Input, Tag};

/// Largest value read for a check; longer values (a long UT, an embedded document) are only
/// searched as bytes.
const MAX_VALUE: u32 = 1 << 20;

/// The value bytes of a plain element, or `None` for sequences, undefined lengths, values past
/// [`MAX_VALUE`] and read errors.
pub fn value<'a, I: Input + ?Sized>(data: &'a I, e: &Element) -> Option<Cow<'a, [u8]>> {
    let (Body::Value, Some(len)) = (&e.body, e.value_len) else { return None };
    if len > MAX_VALUE {
        return None;
    }
    match data.held(e.value_start, u64::from(len)) {
        Some(bytes) => Some(Cow::Borrowed(bytes)),
        None => data.read_vec(e.value_start, u64::from(len)).ok().filter(|v| v.len() == len as usize).map(Cow::Owned),
    }
}

/// The SOP Class UID (0008,0016) of the data set, padding removed; empty when absent.
pub fn sop_class<I: Input + ?Sized>(doc: &Document, data: &I) -> String {
    doc.dataset
        .find(Tag::new(0x0008, 0x0016))
        .and_then(|e| value(data, e))
        .map(|v| String::from_utf8_lossy(&v).trim_end_matches(['\0', ' ']).to_string())
        .unwrap_or_default()
}

/// One level of a data set with the bytes its values are in: where private creators are found.
pub struct Levels<'a, I: Input + ?Sized> {
    /// The data set holding the element.
    pub ds: &'a DataSet,
    /// The bytes its offsets refer to.
    pub data: &'a I,
}

impl<I: Input + ?Sized> Creator for Levels<'_, I> {
    fn creator(&self, tag: Tag) -> Option<String> {
        creator_of(self.ds, self.data, tag)
    }
}

/// The creator (gggg,00xx) of the block of private element `tag` at level `ds` (PS3.5 7.8.1).
pub fn creator_of<I: Input + ?Sized>(ds: &DataSet, data: &I, tag: Tag) -> Option<String> {
    let block = tag.element() >> 8;
    if block < 0x10 {
        return None;
    }
    let e = ds.find(Tag::new(tag.group(), block))?;
    let v = value(data, e)?;
    Some(String::from_utf8_lossy(&v).trim_matches(['\0', ' ']).to_string())
}

/// The innermost element of `doc` whose bytes hold `offset` (its header or value), with the
/// path to it; `None` for the preamble and bytes between elements.
#[must_use]
pub fn locate(doc: &Document, offset: u64) -> Option<(ElementPath, Tag)> {
    let mut path = ElementPath::default();
    let ds = if offset < doc.meta.end && offset >= doc.meta.start { &doc.meta } else { &doc.dataset };
    let tag = locate_in(ds, offset, &mut path)?;
    Some((path, tag))
}

fn locate_in(ds: &DataSet, offset: u64, path: &mut ElementPath) -> Option<Tag> {
    let i = ds.elements.partition_point(|e| e.end <= offset);
    let e = ds.elements.get(i).filter(|e| e.start <= offset)?;
    if let Body::Items(items) = &e.body {
        let j = items.partition_point(|it| it.end <= offset);
        if let Some(item) = items.get(j).filter(|it| it.start <= offset) {
            path.push(e.tag, j);
            if let Some(inner) = locate_in(&item.dataset, offset, path) {
                return Some(inner);
            }
            path.pop();
        }
    }
    Some(e.tag)
}
