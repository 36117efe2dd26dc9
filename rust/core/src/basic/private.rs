//! Private data under the Basic Profile (PS3.15 E.1.1 private row, E.3.10): every private
//! element goes, except, with Retain Safe Private, those Table E.3.10-1 lists, matched by their
//! block's private creator and their place in the block, whatever block the creator reserved.

use std::collections::{HashMap, HashSet};

use super::options::{BasicOption, OptionSet};
use super::rows::safe_private;
use super::values::text;
use crate::dicom::{DataSet, Input, Tag};
use crate::error::Result;

/// The private elements of `ds` to keep: the safe ones when `options` retains them, and the
/// creator element of each block one of them sits in. Empty without Retain Safe Private.
///
/// # Errors
/// `io` when a creator cannot be read.
pub fn kept<I: Input + ?Sized>(options: OptionSet, ds: &DataSet, input: &I) -> Result<HashSet<Tag>> {
    let mut keep = HashSet::new();
    if !options.contains(BasicOption::RetainSafePrivate) {
        return Ok(keep);
    }
    let mut creators: HashMap<(u16, u16), (Tag, String)> = HashMap::new();
    for e in ds.elements.iter().filter(|e| e.tag.is_private() && (0x10..=0xFF).contains(&e.tag.element())) {
        if let Some(name) = text(e, input)? {
            creators.insert((e.tag.group(), e.tag.element()), (e.tag, name));
        }
    }
    for e in ds.elements.iter().filter(|e| e.tag.is_private() && e.tag.element() >= 0x1000) {
        let block = (e.tag.group(), e.tag.element() >> 8);
        if let Some((creator_tag, creator)) = creators.get(&block) {
            if safe_private(creator, e.tag).is_some() {
                keep.insert(e.tag);
                keep.insert(*creator_tag);
            }
        }
    }
    Ok(keep)
}
