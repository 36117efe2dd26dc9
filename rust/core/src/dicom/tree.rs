//! The parsed shape of a Part 10 file: where every element, item and fragment list starts and ends.
//! Values are not held; they stay in the input and are read or copied on demand.

use super::tag::Tag;
use super::ts::{Encoding, TransferSyntax};
use super::vr::Vr;

/// One data element, located in the input.
#[derive(Debug)]
pub struct Element {
    /// The element's tag.
    pub tag: Tag,
    /// Its VR: from the header (explicit VR) or the dictionary (implicit VR).
    pub vr: Vr,
    /// Offset of the first header byte.
    pub start: u64,
    /// Offset of the first value byte.
    pub value_start: u64,
    /// Declared value length; `None` for undefined length (FFFFFFFFH).
    pub value_len: Option<u32>,
    /// Offset just past the element (past its sequence delimiter for undefined lengths).
    pub end: u64,
    /// What the value holds.
    pub body: Body,
}

/// The value of an element as the tokenizer understood it.
#[derive(Debug)]
pub enum Body {
    /// Plain value bytes, left in the input.
    Value,
    /// A sequence of items (SQ, or UN of undefined length read as implicit VR, PS3.5 6.2.2).
    Items(Vec<Item>),
    /// Encapsulated pixel data: this many items (offset table and fragments), walked by their lengths.
    Fragments(u32),
}

/// One sequence item.
#[derive(Debug)]
pub struct Item {
    /// Offset of the item header.
    pub start: u64,
    /// Declared item length; `None` for undefined length.
    pub len: Option<u32>,
    /// Offset just past the item (past its delimiter for undefined lengths).
    pub end: u64,
    /// The item's data set.
    pub dataset: DataSet,
}

/// A list of elements at one level, with the encoding they use.
#[derive(Debug)]
pub struct DataSet {
    /// Encoding of the element headers at this level.
    pub encoding: Encoding,
    /// Offset of the first element (or where it would go).
    pub start: u64,
    /// Offset just past the last element: where an element appended at this level would go.
    pub end: u64,
    /// The elements in file order, which the parser guarantees is strictly ascending tag order.
    pub elements: Vec<Element>,
}

impl DataSet {
    /// The element with this tag at this level, if present. A binary search: the cost of a rule
    /// that matches nothing does not grow with the size of the header.
    #[must_use]
    pub fn find(&self, tag: Tag) -> Option<&Element> {
        self.elements.binary_search_by_key(&tag, |e| e.tag).ok().map(|i| &self.elements[i])
    }

    /// Where a new element with `tag` belongs: before the first element with a larger tag.
    #[must_use]
    pub fn insertion_point(&self, tag: Tag) -> u64 {
        let i = self.elements.partition_point(|e| e.tag < tag);
        self.elements.get(i).map_or(self.end, |e| e.start)
    }
}

/// A parsed Part 10 file.
#[derive(Debug)]
pub struct Document {
    /// The file meta group (always explicit VR little endian), after the preamble and `DICM`.
    pub meta: DataSet,
    /// The transfer syntax named in the meta.
    pub transfer_syntax: TransferSyntax,
    /// The data set after the meta. For a deflated file, offsets are into [`Document::inflated`].
    pub dataset: DataSet,
    /// For deflated files: the meta bytes followed by the inflated data set, the bytes all offsets refer to.
    pub inflated: Option<Vec<u8>>,
}
