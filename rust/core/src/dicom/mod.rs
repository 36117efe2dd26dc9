//! Lean DICOM Part 10 support: tags, VRs, transfer syntaxes, the tokenizer and element encoding.

pub mod charset;
pub mod dict;
mod dict_table;
pub mod dump;
pub mod encode;
pub mod gzip;
pub mod input;
pub mod open;
pub mod parse;
pub mod patched;
pub mod repair;
pub mod tag;
pub mod tree;
pub mod ts;
pub mod vr;

pub use input::{FileInput, Input, Sink};
pub use open::{open, Notes, Visit};
pub use parse::{parse, parse_or_partial, Limits, Partial};
pub use tag::Tag;
pub use tree::{Body, DataSet, Document, Element, Item};
pub use ts::{Encoding, TransferSyntax};
pub use vr::Vr;
