//! replace-with on a nested path whose sequence or item is missing (spec 4.2): the reference creates
//! the missing sequences and pads a too-short sequence with empty items up to the index
//! (SQ[2] -> SQ[4]). New sequences and items are written with defined lengths.

use super::state::{Current, State, TOP};
use super::{NewValue, Step};
use crate::dicom::encode::{self, Value};
use crate::dicom::{Encoding, Tag, Vr};
use crate::error::Result;

/// Items appended to an existing sequence: (level of the sequence element, its tag, item bytes).
pub type Appended = (usize, Tag, Vec<u8>);

/// If `steps` (element, index, element, ..., leaf) leads through a missing sequence or item,
/// records what creates it with the leaf set to `value` and returns true; returns false when the
/// whole path exists (the normal rule handling applies).
pub fn create_missing(state: &mut State<'_>, steps: &[Step], vr: Vr, value: &Value) -> Result<bool> {
    let Some((Step::Tag(leaf), walk)) = steps.split_last() else { return Ok(false) };
    let mut level = TOP;
    for (i, pair) in walk.chunks(2).enumerate() {
        let (Step::Tag(seq), Step::Index(index)) = (&pair[0], &pair[1]) else { return Ok(false) };
        let enc = state.levels[level].ds.encoding;
        let rest = &walk[(i + 1) * 2..];
        let items = state.items(level, *seq).to_vec();
        if let Some(&item) = items.get(*index) {
            level = item;
            continue;
        }
        let existing_sequence = matches!(state.current(level, *seq), Current::Original(_)) && !state.changes.contains_key(&(level, *seq));
        let body = nested_items(*index - items.len().min(*index), rest, *leaf, vr, value, enc)?;
        if existing_sequence {
            state.appended.push((level, *seq, body));
        } else {
            let full = nested_items(*index, rest, *leaf, vr, value, enc)?;
            state.changes.insert((level, *seq), NewValue::Set(Vr::SQ, full));
        }
        return Ok(true);
    }
    Ok(false)
}

/// `pad` empty items then one item holding the rest of the path, as sequence value bytes.
fn nested_items(pad: usize, rest: &[Step], leaf: Tag, vr: Vr, value: &Value, enc: Encoding) -> Result<Vec<u8>> {
    let content = match rest.split_first() {
        None => encode::element(leaf, vr, &encode::value_bytes(value, vr, enc)?, enc)?,
        Some((Step::Tag(seq), tail)) => {
            let Some(Step::Index(index)) = tail.first() else { return Ok(Vec::new()) };
            let inner = nested_items(*index, &tail[1..], leaf, vr, value, enc)?;
            encode::element(*seq, Vr::SQ, &inner, enc)?
        }
        Some(_) => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for _ in 0..pad {
        out.extend_from_slice(&item_header(enc, 0));
    }
    out.extend_from_slice(&item_header(enc, content.len() as u32));
    out.extend_from_slice(&content);
    Ok(out)
}

fn item_header(enc: Encoding, len: u32) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[..2].copy_from_slice(&enc.u16_bytes(0xFFFE));
    h[2..4].copy_from_slice(&enc.u16_bytes(0xE000));
    h[4..].copy_from_slice(&enc.u32_bytes(len));
    h
}
