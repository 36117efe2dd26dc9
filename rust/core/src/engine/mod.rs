//! The rule engine: runs a compiled [`Profile`] over a parsed document and produces the set of
//! element changes the rewriter turns into bytes. Rules run in order and each sees the result of
//! the ones before (docs/profiles.md#order).
//!
//! One job per module (the document they edit is [`crate::edits`]): `value` reads and encodes
//! element values, `resolve` turns addresses into places, `passes` runs the profile-level
//! passes, `act` applies each rule's action (all of them, in one place; the value arithmetic is
//! in [`crate::actions`], which the compiler and naming share), `text` applies group-rule text
//! actions, `regex_sub` substitutes templates, `create` builds missing sequences, `draws` feeds
//! jitter, and `log` reads the log's cells.

mod act;
mod create;
mod draws;
mod log;
mod passes;
mod regex_sub;
mod resolve;
mod text;
mod value;

pub(crate) use log::Capture;
pub use log::{Captured, Failure, LogRows};
pub(crate) use text::apply_text;
pub(crate) use value::effective_vr;

use crate::dicom::{Document, Input, Tag, Vr};
use crate::edits::{NewValue, State, META, TOP};
use crate::error::Result;
use crate::profile::{Action, Profile, Target};
use act::act;
use create::{create_path, encode_created};
use draws::Randomness;
use log::snapshot;
use resolve::places;

/// Runs every rule of `profile` over `doc`, whose offsets refer to `input`, and reads the values
/// `capture` asks for before and after the rules. When a rule fails, the log's before row comes
/// back beside the error.
pub(crate) fn apply<'a, I: Input + ?Sized>(
    profile: &Profile,
    doc: &'a Document,
    input: &I,
    capture: &Capture<'_>,
) -> std::result::Result<(State<'a>, Captured), Failure> {
    let mut state = State::new(doc);
    let mut draws = Randomness::new(profile, &state, input)?;
    passes::run(profile, &mut state, input)?;
    let read = |columns, state: &State<'_>| snapshot(columns, state, input);
    let log_before = if capture.log { Some(read(&profile.log_columns, &state)?) } else { None };
    let values_before = if capture.values.is_empty() { None } else { Some(read(capture.values, &state)?) };
    let ruled = run_base(profile, &mut state, input).and_then(|()| run_rules(profile, &mut state, input, &mut draws));
    if let Err(error) = ruled {
        return Err(Failure { error, log_before });
    }
    sync_media_storage_uid(&mut state);
    let rows = |before: Option<_>, columns| -> Result<Option<LogRows>> {
        before.map(|before| Ok(LogRows { after: read(columns, &state)?, before })).transpose()
    };
    let captured =
        Captured { log: rows(log_before, &profile.log_columns)?, values: rows(values_before, capture.values)? };
    Ok((state, captured))
}

/// The Basic Profile (`base`), before the rules: it leaves alone every element a rule addresses,
/// so the rules override it there.
fn run_base<I: Input + ?Sized>(profile: &Profile, state: &mut State<'_>, input: &I) -> Result<()> {
    let Some(base) = &profile.base else { return Ok(()) };
    let mut named = crate::basic::named::Named::default();
    for rule in &profile.rules {
        for place in places(&rule.target, profile.recurse_sequence, state, input)? {
            named.insert(place.level, place.tag);
        }
    }
    crate::basic::engine::run(base, state, input, &named)
}

fn run_rules<I: Input + ?Sized>(
    profile: &Profile,
    state: &mut State<'_>,
    input: &I,
    draws: &mut Randomness,
) -> Result<()> {
    for rule in &profile.rules {
        if matches!(rule.action, Action::Keep) {
            continue; // keep rules only matter to the passes above
        }
        if let (Action::Replace { insert: true, .. }, Target::Path(steps)) = (&rule.action, &rule.target) {
            if steps.len() > 1 && rule.vr.is_some_and(|vr| vr != Vr::UN) {
                create_path(state, &steps[..steps.len() - 1]);
            }
        }
        // Places are resolved before the rule acts, so a rule never sees its own changes.
        for place in places(&rule.target, profile.recurse_sequence, state, input)? {
            act(profile, rule, &place, state, input, draws).map_err(|e| e.within(state.tag_path(&place)))?;
        }
    }
    encode_created(state)
}

const SOP_INSTANCE_UID: Tag = Tag(0x0008_0018);
const MEDIA_STORAGE_SOP_INSTANCE_UID: Tag = Tag(0x0002_0003);

/// The file meta repeats SOPInstanceUID (PS3.10 7.1); when a rule changed it, the meta copy must
/// follow or the original UID stays in the file (E7). A rule on the meta element itself wins.
fn sync_media_storage_uid(state: &mut State<'_>) {
    if state.changes.contains_key(&(META, MEDIA_STORAGE_SOP_INSTANCE_UID))
        || !state.exists(META, MEDIA_STORAGE_SOP_INSTANCE_UID)
    {
        return;
    }
    let synced = match state.changes.get(&(TOP, SOP_INSTANCE_UID)) {
        None => return,
        Some(NewValue::Removed) => NewValue::Removed,
        // The meta is always explicit VR little endian: re-encoding UID text needs no byte swap.
        Some(NewValue::Set(_, bytes)) => NewValue::Set(Vr::UI, bytes.clone()),
    };
    state.changes.insert((META, MEDIA_STORAGE_SOP_INSTANCE_UID), synced);
}
