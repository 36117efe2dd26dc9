//! replace-with on a nested path whose sequence or item is missing (docs/profiles.md#value-model): the reference creates
//! the missing sequences and pads a too-short sequence with empty items up to the index
//! (SQ[2] -> SQ[4]). Created items are levels of the [`State`] like the ones read from the file,
//! so later rules see them (and fill, change or remove their elements); once the rules have run,
//! [`encode_created`] turns them into bytes. New sequences and items get defined lengths.

use crate::dicom::{encode, Body, Encoding, Tag, Vr};
use crate::edits::{Current, NewValue, State, TOP};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::Step;

/// Makes every sequence and item on `walk` (element, index, element, index, ...) exist, creating
/// and padding as needed. Stops without creating anything at a step that is not a plain
/// element-and-index pair (a wildcard) or at an element that exists but is not a sequence.
pub(super) fn create_path(state: &mut State<'_>, walk: &[Step]) {
    let mut level = TOP;
    for pair in walk.chunks(2) {
        let [Step::Tag(seq), Step::Index(index)] = pair else { return };
        if !state.is_live_sequence(level, *seq) {
            match state.current(level, *seq) {
                Current::Original(e) if !matches!(e.body, Body::Items(_)) => return,
                Current::Edited(NewValue::Set(..)) => return,
                _ => {}
            }
            // Absent or removed: a new, empty sequence.
            state.changes.insert((level, *seq), NewValue::Set(Vr::SQ, Vec::new()));
            state.clear_items(level, *seq);
            state.created_sequences.insert((level, *seq));
        }
        while state.items(level, *seq).len() <= *index {
            state.add_item(level, *seq);
        }
        level = state.items(level, *seq)[*index];
    }
}

/// Encodes the created items: a new sequence gets its whole value in [`State::changes`], an existing
/// one gets its new items in [`State::appended`]. Inner sequences first, so that an item holding a
/// new sequence encodes its final value.
pub(super) fn encode_created(state: &mut State<'_>) -> Result<()> {
    let mut sequences: Vec<(usize, Tag)> = state.created_sequences.iter().copied().collect();
    sequences.sort_by_key(|&(level, _)| std::cmp::Reverse(level));
    for (level, seq) in sequences {
        if state.is_dead(level) || !state.is_live_sequence(level, seq) {
            continue;
        }
        let enc = state.levels[level].ds.encoding;
        let mut bytes = Vec::new();
        for &item in state.items(level, seq).iter().filter(|&&item| state.levels[item].created) {
            let mut content = Vec::new();
            for (&(_, tag), value) in state.changes.range((item, Tag(0))..=(item, Tag(u32::MAX))) {
                if let NewValue::Set(vr, value) = value {
                    content.extend_from_slice(&encode::element(tag, *vr, value, enc)?);
                }
            }
            bytes.extend_from_slice(&item_header(enc, content.len())?);
            bytes.extend_from_slice(&content);
        }
        if matches!(state.current(level, seq), Current::Original(_)) {
            state.appended.push((level, seq, bytes));
        } else {
            state.changes.insert((level, seq), NewValue::Set(Vr::SQ, bytes));
        }
    }
    Ok(())
}

fn item_header(enc: Encoding, len: usize) -> Result<[u8; 8]> {
    let len =
        u32::try_from(len).map_err(|_| Error::new(ErrorKind::BadValue, "a created item would be longer than 4 GiB"))?;
    let mut h = [0u8; 8];
    h[..2].copy_from_slice(&enc.u16_bytes(0xFFFE));
    h[2..4].copy_from_slice(&enc.u16_bytes(0xE000));
    h[4..].copy_from_slice(&enc.u32_bytes(len));
    Ok(h)
}
