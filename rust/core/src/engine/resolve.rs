//! From a rule's address to the concrete (level, tag) places it acts on, against the current state
//! of the document (docs/profiles.md#addressing: paths, wildcards, private blocks, repeaters, regexes, recursion).

use super::value::current_string;
use crate::dicom::{dict, Input, Tag};
use crate::edits::{Current, NewValue, Place, State, META, TOP};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::{Step, Target};

/// Where `target` points now. Paths through missing sequences give nothing; an index past the end
/// of an existing sequence is an error, as in the reference (docs/profiles.md#value-model).
pub(super) fn places<I: Input + ?Sized>(
    target: &Target,
    recurse: bool,
    state: &State<'_>,
    input: &I,
) -> Result<Vec<Place>> {
    match target {
        Target::Regex(re) => Ok(regex_places(re, state)),
        Target::Path(steps) => {
            let (leaf, walk) = steps.split_last().ok_or_else(|| Error::new(ErrorKind::Profile, "empty path"))?;
            if walk.is_empty() {
                let level = match leaf {
                    Step::Tag(t) if t.group() == 0x0002 => META,
                    _ => TOP,
                };
                let mut out = leaf_places(leaf, level, state, input)?;
                if recurse && level == TOP {
                    for l in state.nested_levels() {
                        out.extend(
                            leaf_places(leaf, l, state, input)?.into_iter().filter(|p| state.exists(p.level, p.tag)),
                        );
                    }
                }
                return Ok(out);
            }
            let mut levels = vec![TOP];
            for pair in walk.chunks(2) {
                let mut next = Vec::new();
                for &level in &levels {
                    for seq in leaf_places(&pair[0], level, state, input)? {
                        let items = state.items(seq.level, seq.tag);
                        match pair[1] {
                            Step::Index(i) if i < items.len() => next.push(items[i]),
                            Step::Index(i) if !items.is_empty() || state.exists(seq.level, seq.tag) => {
                                return Err(Error::new(
                                    ErrorKind::BadValue,
                                    format!("item index {i} is past the end of sequence {}", seq.tag),
                                ));
                            }
                            Step::AnyItem => next.extend_from_slice(items),
                            _ => {}
                        }
                    }
                }
                levels = next;
            }
            let mut out = Vec::new();
            for level in levels {
                out.extend(leaf_places(leaf, level, state, input)?);
            }
            Ok(out)
        }
    }
}

/// The places one element step names at one level.
fn leaf_places<I: Input + ?Sized>(step: &Step, level: usize, state: &State<'_>, input: &I) -> Result<Vec<Place>> {
    Ok(match step {
        Step::Tag(t) => vec![Place::at(level, *t)],
        Step::Repeater(value, mask) => {
            state.tags(level).into_iter().filter(|t| t.0 & mask == *value).map(|t| Place::at(level, t)).collect()
        }
        Step::Private(group, creator, offset) => vec![private_place(*group, creator, *offset, level, state, input)?],
        Step::Index(_) | Step::AnyItem => Vec::new(),
    })
}

/// The element of `creator`'s block in `group` (PS3.5 7.8.1); if no element reserves a block for
/// the creator, the place in the first free block, with the creator element to insert.
fn private_place<I: Input + ?Sized>(
    group: u16,
    creator: &str,
    offset: u8,
    level: usize,
    state: &State<'_>,
    input: &I,
) -> Result<Place> {
    let mut free = None;
    for block in 0x10u16..=0xFF {
        let tag = Tag::new(group, block);
        match state.current(level, tag) {
            Current::Absent => {
                free = free.or(Some(tag));
                continue;
            }
            Current::Edited(NewValue::Removed) => continue,
            _ => {}
        }
        // A creator that cannot be read as text names no block.
        let text =
            current_string(state, &Place::at(level, tag), input).ok().flatten().map(|(_, s)| s).unwrap_or_default();
        if text.trim() == creator {
            return Ok(Place::at(level, Tag::new(group, block << 8 | u16::from(offset))));
        }
    }
    let creator_tag =
        free.ok_or_else(|| Error::new(ErrorKind::BadValue, format!("no free private block in group {group:04X}")))?;
    let block = creator_tag.element();
    Ok(Place {
        creator: Some((creator_tag, creator.to_string())),
        ..Place::at(level, Tag::new(group, block << 8 | u16::from(offset)))
    })
}

/// Regex candidates (docs/profiles.md#regex-fields): keyword paths, depth first with each level's keywords sorted, for
/// elements that have keywords all the way down; then lower-case hex paths in file order, depth
/// first. The file meta is never a candidate.
fn regex_places(re: &regex::Regex, state: &State<'_>) -> Vec<Place> {
    let mut out = Vec::new();
    keyword_candidates(re, state, TOP, "", &mut out);
    hex_candidates(re, state, TOP, "", &mut out);
    out
}

fn keyword_candidates(re: &regex::Regex, state: &State<'_>, level: usize, prefix: &str, out: &mut Vec<Place>) {
    let mut named: Vec<(&str, Tag)> =
        state.tags(level).into_iter().filter_map(|t| dict::keyword(t).map(|k| (k, t))).collect();
    named.sort_unstable();
    for (keyword, tag) in named {
        let path = join(prefix, keyword);
        if re.is_match(&path) {
            out.push(Place { label: Some(path.clone()), ..Place::at(level, tag) });
        }
        for (i, &item) in state.items(level, tag).iter().enumerate() {
            keyword_candidates(re, state, item, &format!("{path}.{i}"), out);
        }
    }
}

fn hex_candidates(re: &regex::Regex, state: &State<'_>, level: usize, prefix: &str, out: &mut Vec<Place>) {
    for tag in state.tags(level) {
        let path = join(prefix, &format!("{:08x}", tag.0));
        if re.is_match(&path) {
            out.push(Place { label: Some(path.clone()), ..Place::at(level, tag) });
        }
        for (i, &item) in state.items(level, tag).iter().enumerate() {
            hex_candidates(re, state, item, &format!("{path}.{i}"), out);
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}
