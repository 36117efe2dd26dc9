//! The profile-level passes that run before any rule, in the reference's order (docs/profiles.md#order):
//! remove-private-tags (6.13), patient age from birth date (6.12), remove-undefined (6.14).

use std::collections::HashSet;

use super::resolve::places;
use super::value::current_string;
use crate::actions::age::patient_age;
use crate::actions::strptime;
use crate::dicom::encode::{self, Value};
use crate::dicom::{Input, Tag, Vr};
use crate::edits::{Current, NewValue, Place, State, TOP};
use crate::error::Result;
use crate::profile::{AgeOptions, Profile, Step, Target};

const PATIENT_AGE: Tag = Tag(0x0010_1010);
const PATIENT_BIRTH_DATE: Tag = Tag(0x0010_0030);
const STUDY_DATE: Tag = Tag(0x0008_0020);
const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008_0005);
const SOP_CLASS_UID: Tag = Tag(0x0008_0016);

/// Runs the passes the profile enables.
pub(super) fn run<I: Input + ?Sized>(profile: &Profile, state: &mut State<'_>, input: &I) -> Result<()> {
    if profile.remove_private_tags {
        remove_private_tags(profile, state, input)?;
    }
    if let Some(age) = &profile.patient_age {
        set_patient_age(age, state, input)?;
    }
    if profile.remove_undefined {
        remove_undefined(profile, state, input)?;
    }
    Ok(())
}

fn text<I: Input + ?Sized>(state: &State<'_>, level: usize, tag: Tag, input: &I) -> Result<Option<String>> {
    Ok(current_string(state, &Place::at(level, tag), input)?.map(|(_, s)| s))
}

/// Every private element at every level goes, except those named by private-notation fields and
/// the creator elements of their blocks (PS3.5 7.8.1).
fn remove_private_tags<I: Input + ?Sized>(profile: &Profile, state: &mut State<'_>, input: &I) -> Result<()> {
    let kept: Vec<(u16, &str, u8)> = profile
        .rules
        .iter()
        .filter_map(|r| match &r.target {
            Target::Path(steps) => Some(steps.iter().filter_map(|s| {
                if let Step::Private(g, c, o) = s {
                    Some((*g, c.as_str(), *o))
                } else {
                    None
                }
            })),
            Target::Regex(_) => None,
        })
        .flatten()
        .collect();
    let levels: Vec<usize> = std::iter::once(TOP).chain(state.nested_levels()).collect();
    for level in levels {
        // This pass runs first, so a level's elements are still those of the input.
        if !state.levels[level].ds.elements.iter().any(|e| e.tag.is_private()) {
            continue;
        }
        let mut creators: Vec<(Tag, String)> = Vec::new();
        if !kept.is_empty() {
            for tag in state.tags(level).into_iter().filter(|t| t.is_private() && (0x10..=0xFF).contains(&t.element()))
            {
                creators.push((tag, text(state, level, tag, input)?.unwrap_or_default()));
            }
        }
        let keep = |tag: Tag| -> bool {
            let block_creator = |block: u16| {
                creators.iter().find(|(t, _)| t.group() == tag.group() && t.element() == block).map(|(_, c)| c.trim())
            };
            if (0x10..=0xFF).contains(&tag.element()) {
                let own = block_creator(tag.element());
                return kept.iter().any(|(g, c, _)| *g == tag.group() && Some(*c) == own);
            }
            let own = block_creator(tag.element() >> 8);
            kept.iter().any(|(g, c, o)| *g == tag.group() && Some(*c) == own && u16::from(*o) == tag.element() & 0xFF)
        };
        for tag in state.tags(level) {
            if tag.is_private() && !keep(tag) {
                state.changes.insert((level, tag), NewValue::Removed);
            }
        }
    }
    Ok(())
}

/// PatientAge from the original PatientBirthDate and StudyDate; silently skipped when either is
/// missing, empty or unparsable, as in the reference.
fn set_patient_age<I: Input + ?Sized>(age: &AgeOptions, state: &mut State<'_>, input: &I) -> Result<()> {
    let date = |tag| -> Result<Option<strptime::DateTime>> {
        Ok(text(state, TOP, tag, input)?.filter(|s| !s.is_empty()).and_then(|s| strptime::parse(&s, &age.format)))
    };
    let (Some(birth), Some(study)) = (date(PATIENT_BIRTH_DATE)?, date(STUDY_DATE)?) else { return Ok(()) };
    let value = patient_age(birth, study, age.units);
    let vr = match state.current(TOP, PATIENT_AGE) {
        Current::Original(e) => e.vr,
        _ => Vr::AS,
    };
    let bytes = encode::value_bytes(&Value::Text(value), vr, state.levels[TOP].ds.encoding)?;
    state.changes.insert((TOP, PATIENT_AGE), NewValue::Set(vr, bytes));
    Ok(())
}

/// Removes every element no rule addresses. Unlike the reference (E22), the sequences and items
/// that lead to an addressed element are kept for every address form, a kept private element keeps
/// its creator, and SpecificCharacterSet and SOPClassUID stay so that the file still decodes.
fn remove_undefined<I: Input + ?Sized>(profile: &Profile, state: &mut State<'_>, input: &I) -> Result<()> {
    let mut keep: HashSet<(usize, Tag)> = HashSet::from([(TOP, SPECIFIC_CHARACTER_SET), (TOP, SOP_CLASS_UID)]);
    for rule in &profile.rules {
        for place in places(&rule.target, profile.recurse_sequence, state, input)? {
            keep.insert((place.level, place.tag));
            if place.tag.is_private() {
                keep.insert((place.level, Tag::new(place.tag.group(), place.tag.element() >> 8)));
            }
            let mut level = place.level;
            while let Some((parent, tag, _)) = state.levels[level].parent {
                keep.insert((parent, tag));
                level = parent;
            }
        }
    }
    let levels: Vec<usize> = std::iter::once(TOP).chain(state.nested_levels()).collect();
    for level in levels {
        for tag in state.tags(level) {
            if !keep.contains(&(level, tag)) {
                state.changes.insert((level, tag), NewValue::Removed);
            }
        }
    }
    Ok(())
}
