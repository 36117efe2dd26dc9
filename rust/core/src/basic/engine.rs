//! The Basic Profile pass: Table E.1-1 (with the enabled options) applied to every element at
//! every depth of one object, as edits in the profile engine's [`State`]. It runs before a
//! profile's own rules, which then override it for the elements they name
//! (docs/basic-profile.md, "How fastdeid applies the table").

use std::collections::HashSet;

use super::action::Action;
use super::config::BasicConfig;
use super::dateshift::{shift_da, shift_dt, Offset};
use super::dummy::dummy;
use super::iod::{action_for, attr_type};
use super::keyed::{date_shift_days, pseudonym, uid};
use super::named::Named;
use super::rows::lookup;
use super::structured::{self, ItemAction};
use super::values::{effective_vr, raw, text};
use super::{conformance, hazards, private};
use crate::actions::age::{patient_age, AgeUnit};
use crate::actions::strptime;
use crate::dicom::{Element, Input, Tag, Vr};
use crate::edits::NewValue;
use crate::edits::{State, META, TOP};
use crate::error::Result;

/// Patient ID: under `basic` its Z and D give the keyed pseudonym (docs/basic-profile.md, "Keys").
pub const PATIENT_ID: Tag = Tag(0x0010_0020);
const PATIENT_AGE: Tag = Tag(0x0010_1010);
const PATIENT_BIRTH_DATE: Tag = Tag(0x0010_0030);
const STUDY_DATE: Tag = Tag(0x0008_0020);
const SOP_INSTANCE_UID: Tag = Tag(0x0008_0018);

/// Attributes Table E.1-1 does not name that can hold free text naming a patient, with the
/// action taken and why (listed in docs/basic-profile.md, "Additions to the table"): a tag
/// matches when `tag & mask == value`.
pub const ADDITIONS: &[(u32, u32, Action, &str)] = &[
    // Overlay groups, every element: Overlay Data (60xx,3000) goes by its row under every option
    // (Clean Graphics cannot be done without reading pixels), and a plane without its data is
    // invalid; its Description (60xx,0022) and Label (60xx,1500) are free text.
    (0x6000_0000, 0xFF01_0000, Action::X, "Overlay groups (60xx,eeee): the plane is invalid without its data"),
    (
        0x0040_A160,
        0xFFFF_FFFF,
        Action::D,
        "Text Value (0040,A160): free text of content items outside Content Sequence",
    ),
];

/// Sequences whose D is written as removal rather than as an empty sequence, which their type
/// forbids (docs/basic-profile.md, "What each action writes"): each is present only under a
/// condition the removal ends, or is the only attribute of an optional module.
pub const REMOVED_FOR_D: &[(Tag, &str)] = &[
    (CONTENT_SEQUENCE, "Content Sequence (0040,A730): Type 1C, required only while a content item has children"),
    (
        VERIFYING_OBSERVER_SEQUENCE,
        "Verifying Observer Sequence (0040,A073): Type 1C, required only while Verification Flag is VERIFIED, which becomes UNVERIFIED",
    ),
    (
        Tag(0x0040_B020),
        "Waveform Annotation Sequence (0040,B020): Type 1, the only attribute of the optional Waveform Annotation Module",
    ),
];
const CONTENT_SEQUENCE: Tag = Tag(0x0040_A730);
const VERIFYING_OBSERVER_SEQUENCE: Tag = Tag(0x0040_A073);
const VERIFICATION_FLAG: Tag = Tag(0x0040_A493);

/// What the pass needs to know about the object as a whole.
struct Context {
    sop_class: String,
    /// The per-patient shift, from the original top-level PatientID.
    shift_days: Option<i32>,
    /// PatientAge recomputed from the original birth and study dates, when both parse.
    age: Option<String>,
}

/// Applies the Basic Profile to `state`, leaving alone every (level, tag) in `named` (the
/// elements the profile's own rules address).
///
/// # Errors
/// `dicomdir` and `burned-in` for the refused objects (see [`hazards::check`]); `io` when the
/// input cannot be read.
pub fn run<I: Input + ?Sized>(cfg: &BasicConfig, state: &mut State<'_>, input: &I, named: &Named) -> Result<()> {
    cfg.require_key()?;
    let sop_class = hazards::sop_class(state, input)?;
    hazards::check(state, &sop_class, cfg.allow_burned_in, input)?;
    let top = state.levels[TOP].ds;
    let top_text = |tag| top.find(tag).map(|e| text(e, input)).transpose().map(Option::flatten);
    let patient = top_text(PATIENT_ID)?.unwrap_or_default();
    let date =
        |tag| -> Result<Option<strptime::DateTime>> { Ok(top_text(tag)?.and_then(|s| strptime::parse(&s, "%Y%m%d"))) };
    let age = match (date(PATIENT_BIRTH_DATE)?, date(STUDY_DATE)?) {
        (Some(birth), Some(study)) => Some(age_string(birth, study)),
        _ => None,
    };
    let ctx = Context { sop_class, shift_days: date_shift_days(&cfg.key, &patient, cfg.shift_days.clone()), age };
    hazards::rebuild_meta(state, named);
    media_storage_instance(cfg, state, input, named)?;
    let items = structured::item_actions(cfg.options, state, input)?;
    for level in TOP..state.levels.len() {
        // Parents come before their items: an item under a sequence just removed or emptied is skipped.
        if state.is_dead(level) {
            continue;
        }
        let ds = state.levels[level].ds;
        let keep_private = private::kept(cfg.options, ds, input)?;
        for e in &ds.elements {
            if named.contains(level, e.tag) {
                continue;
            }
            let change = match items.get(&(level, e.tag)) {
                Some(&action) => item_change(cfg, &ctx, e, action, input)?,
                None => element_change(cfg, &ctx, e, level, &keep_private, input)?,
            };
            if let Some(new) = change {
                state.changes.insert((level, e.tag), new);
            }
        }
    }
    unverified(state, named);
    conformance::write(cfg.options, state, named)
}

/// A document whose verifying observers were removed says it is UNVERIFIED: VERIFIED requires
/// them (PS3.3, SR Document General Module).
fn unverified(state: &mut State<'_>, named: &Named) {
    let removed = matches!(state.changes.get(&(TOP, VERIFYING_OBSERVER_SEQUENCE)), Some(NewValue::Removed));
    if removed && !named.contains(TOP, VERIFICATION_FLAG) && state.levels[TOP].ds.find(VERIFICATION_FLAG).is_some() {
        state.changes.insert((TOP, VERIFICATION_FLAG), NewValue::Set(Vr::CS, b"UNVERIFIED".to_vec()));
    }
}

/// (0002,0003) Media Storage SOP Instance UID gets U like (0008,0018): the keyed UID of the
/// data set's SOP Instance UID when there is one, so the two stay equal (PS3.10 7.1) even when
/// the input's differed, else of its own value. When a rule addresses (0008,0018), the profile
/// engine copies the rule's result into the meta instead.
fn media_storage_instance<I: Input + ?Sized>(
    cfg: &BasicConfig,
    state: &mut State<'_>,
    input: &I,
    named: &Named,
) -> Result<()> {
    let tag = Tag(0x0002_0003);
    let Some(meta) = state.levels[META].ds.find(tag) else { return Ok(()) };
    let ruled = named.contains(META, tag) || named.contains(TOP, SOP_INSTANCE_UID);
    if ruled || action_for(tag, cfg.options, "", false) != Some(Action::U) {
        return Ok(());
    }
    let source = state.levels[TOP].ds.find(SOP_INSTANCE_UID).unwrap_or(meta);
    if let Some(bytes) = mapped_uids(cfg, source, input)? {
        state.changes.insert((META, tag), NewValue::Set(Vr::UI, bytes));
    }
    Ok(())
}

/// The age as PS3.5 AS: years from two years on, else months or days.
fn age_string(birth: strptime::DateTime, study: strptime::DateTime) -> String {
    let years = patient_age(birth, study, Some(AgeUnit::Years));
    if years.as_str() >= "002Y" {
        return years;
    }
    let months = patient_age(birth, study, Some(AgeUnit::Months));
    if months == "000M" {
        patient_age(birth, study, None)
    } else {
        months
    }
}

/// An age over 89 years is written as `090Y` (HIPAA Safe Harbor groups all such ages).
fn capped_age(age: &str) -> String {
    match age.strip_suffix('Y').and_then(|n| n.parse::<u32>().ok()) {
        Some(years) if years > 89 => "090Y".into(),
        _ => age.to_string(),
    }
}

fn element_change<I: Input + ?Sized>(
    cfg: &BasicConfig,
    ctx: &Context,
    e: &Element,
    level: usize,
    keep_private: &HashSet<Tag>,
    input: &I,
) -> Result<Option<NewValue>> {
    let tag = e.tag;
    // Command elements (group 0000) never belong in a stored object (PS3.5 7.1).
    if tag.group() == 0 {
        return Ok(Some(NewValue::Removed));
    }
    if tag.is_private() {
        return Ok((!keep_private.contains(&tag)).then_some(NewValue::Removed));
    }
    let nested = level != TOP;
    let action = match ADDITIONS.iter().find(|(value, mask, ..)| tag.0 & mask == *value) {
        Some(&(_, _, action, _)) => action,
        None => match action_for(tag, cfg.options, &ctx.sop_class, nested) {
            Some(action) => action,
            None => return Ok(None), // not in the table: kept, as the standard does
        },
    };
    act(cfg, ctx, e, nested, action, input)
}

fn act<I: Input + ?Sized>(
    cfg: &BasicConfig,
    ctx: &Context,
    e: &Element,
    nested: bool,
    action: Action,
    input: &I,
) -> Result<Option<NewValue>> {
    let vr = effective_vr(e);
    let set = |bytes: Vec<u8>| Ok(Some(NewValue::Set(vr, bytes)));
    match action {
        Action::X => Ok(Some(NewValue::Removed)),
        // A patient ID gets the keyed pseudonym for Z and D: a dummy that still links a patient's files.
        Action::Z | Action::D if e.tag == PATIENT_ID && vr != Vr::SQ => {
            let id = text(e, input)?.unwrap_or_default();
            set(padded(pseudonym(&cfg.key, &id, &cfg.pseudonym).into_bytes(), vr))
        }
        // A sequence is emptied for Z and D: none of its items' content is kept; removed where
        // an empty one would be invalid.
        Action::D if vr == Vr::SQ && REMOVED_FOR_D.iter().any(|(t, _)| *t == e.tag) => Ok(Some(NewValue::Removed)),
        Action::Z | Action::D if vr == Vr::SQ => Ok(Some(NewValue::Set(Vr::SQ, Vec::new()))),
        Action::Z => set(Vec::new()),
        Action::D if vr == Vr::UI => {
            set(mapped_uids(cfg, e, input)?.unwrap_or_else(|| padded(uid(&cfg.key, "").into_bytes(), vr)))
        }
        Action::D => set(dummy(vr).unwrap_or_default()),
        Action::K if e.tag == PATIENT_AGE => {
            let age = match (&ctx.age, nested) {
                (Some(age), false) => Some(age.clone()),
                _ => text(e, input)?,
            };
            match age {
                Some(age) => set(padded(capped_age(&age).into_bytes(), vr)),
                None => Ok(None),
            }
        }
        Action::K => Ok(None),
        Action::U if vr == Vr::SQ => Ok(None), // X/Z/U* on a Type 1 sequence: kept, its UIDs replaced
        Action::U if vr == Vr::UI => match mapped_uids(cfg, e, input)? {
            Some(bytes) => set(bytes),
            None => Ok(Some(NewValue::Removed)),
        },
        Action::U => act(cfg, ctx, e, nested, Action::D, input),
        Action::C => clean(cfg, ctx, e, nested, vr, input),
        combined => act(cfg, ctx, e, nested, combined.resolve(attr_type(&ctx.sop_class, e.tag, nested)), input),
    }
}

/// The change Table E.3.4-1 asks for on a content item's value (see [`structured`]).
fn item_change<I: Input + ?Sized>(
    cfg: &BasicConfig,
    ctx: &Context,
    e: &Element,
    action: ItemAction,
    input: &I,
) -> Result<Option<NewValue>> {
    let vr = effective_vr(e);
    match action {
        ItemAction::Keep => Ok(None),
        ItemAction::Shift if matches!(vr, Vr::DA | Vr::DT | Vr::TM) => clean(cfg, ctx, e, true, vr, input),
        ItemAction::Empty => Ok(Some(NewValue::Set(vr, Vec::new()))),
        ItemAction::Shift | ItemAction::Dummy => act(cfg, ctx, e, true, Action::D, input),
    }
}

/// C: dates and date-times move by the patient's shift; a sequence is kept and its items
/// processed; a time is kept (the shift is whole days, so no time of day moves). Anything else
/// would need the text understood: the row's Basic Profile action applies instead.
fn clean<I: Input + ?Sized>(
    cfg: &BasicConfig,
    ctx: &Context,
    e: &Element,
    nested: bool,
    vr: Vr,
    input: &I,
) -> Result<Option<NewValue>> {
    if matches!(vr, Vr::SQ | Vr::TM) {
        return Ok(None);
    }
    if let (Vr::DA | Vr::DT, Some(days)) = (vr, ctx.shift_days) {
        if let Some(value) = text(e, input)? {
            let moved: std::result::Result<Vec<String>, _> = value
                .split('\\')
                .map(|v| match (v.trim(), vr) {
                    ("", _) => Ok(String::new()),
                    (v, Vr::DA) => shift_da(v, days),
                    (v, _) => shift_dt(v, Offset::days(days)),
                })
                .collect();
            if let Ok(moved) = moved {
                return Ok(Some(NewValue::Set(vr, padded(moved.join("\\").into_bytes(), vr))));
            }
        }
    }
    let basic = lookup(e.tag).map_or(Action::X, |row| row.basic);
    act(cfg, ctx, e, nested, basic, input)
}

/// Each UID of a UI value replaced by its keyed UID; `None` when the value cannot be read.
fn mapped_uids<I: Input + ?Sized>(cfg: &BasicConfig, e: &Element, input: &I) -> Result<Option<Vec<u8>>> {
    let Some(bytes) = raw(e, input)? else { return Ok(None) };
    let value = String::from_utf8_lossy(&bytes);
    let value = value.trim_end_matches(['\0', ' ']);
    if value.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mapped: Vec<String> = value.split('\\').map(|u| uid(&cfg.key, u.trim())).collect();
    Ok(Some(padded(mapped.join("\\").into_bytes(), Vr::UI)))
}

fn padded(mut bytes: Vec<u8>, vr: Vr) -> Vec<u8> {
    if bytes.len() % 2 == 1 {
        bytes.push(vr.padding());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_over_89_are_grouped() {
        assert_eq!(capped_age("090Y"), "090Y");
        assert_eq!(capped_age("104Y"), "090Y");
        assert_eq!(capped_age("089Y"), "089Y");
        assert_eq!(capped_age("011M"), "011M");
        let d = |s| strptime::parse(s, "%Y%m%d").unwrap();
        assert_eq!(age_string(d("19500310"), d("20200309")), "069Y");
        assert_eq!(age_string(d("20190101"), d("20200301")), "014M");
    }

    #[test]
    fn additions_are_even_group_masks_the_table_does_not_name() {
        let mask_matches = |t: u32| ADDITIONS.iter().any(|(v, m, ..)| t & m == *v);
        for tag in [0x6000_0010, 0x6002_0022, 0x60FE_1500, 0x6000_3000, 0x0040_A160] {
            assert!(mask_matches(tag), "({tag:08X})");
        }
        assert!(lookup(Tag(0x0040_A160)).is_none() && lookup(Tag(0x6000_0022)).is_none());
        assert!(!mask_matches(0x6001_0022), "odd groups are private");
        assert!(!mask_matches(0x6100_0022) && !mask_matches(0x5000_0022));
    }
}
