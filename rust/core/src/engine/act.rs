//! What each field action does to one element: every rule's action is dispatched here, and
//! nowhere else (the text actions of group rules, which regex-sub and output names use, are in
//! `text`). The value arithmetic they use (hash, hashuid, date shifts, jitter, fitting to a VR)
//! is in [`crate::actions`], which the profile compiler and output naming share.

use super::draws::Randomness;
use super::regex_sub::substitute;
use super::value::{current_string, effective_vr, encode_value};
use crate::actions::date::{increment_date, increment_datetime, ShiftError};
use crate::actions::fit::{fit, too_long};
use crate::actions::jitter::{ds_text, jitter, Draws, Jitter};
use crate::actions::{hash::hash, uid::hashuid};
use crate::dicom::encode::{self, Value};
use crate::dicom::{dict, Input, Vr};
use crate::edits::{Current, NewValue, Place, State, TOP};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::{Action, Profile, Rule};

/// Applies `rule`'s action to the element at `place`.
pub(super) fn act<I: Input + ?Sized>(
    profile: &Profile,
    rule: &Rule,
    place: &Place,
    state: &mut State<'_>,
    input: &I,
    draws: &mut Randomness,
) -> Result<()> {
    let key = (place.level, place.tag);
    let enc = state.levels[place.level].ds.encoding;
    match &rule.action {
        Action::Keep => {}
        Action::Remove => {
            if state.exists(place.level, place.tag) {
                state.changes.insert(key, NewValue::Removed);
            }
        }
        Action::Replace { value, insert } => {
            let present = present_for_replace(state, place);
            if !present && !insert {
                return Ok(());
            }
            let vr = match state.current(place.level, place.tag) {
                Current::Edited(NewValue::Set(vr, _)) => *vr,
                Current::Original(e) => effective_vr(e),
                _ => rule.vr.unwrap_or_else(|| dict::implicit_vr(place.tag)),
            };
            // Keyword rules are checked at load; a tag, private, nested or regex name meets its
            // element's VR only here.
            if let Some((n, max)) = match value {
                Value::Text(t) => too_long(t, vr),
                _ => None,
            } {
                return Err(Error::new(
                    ErrorKind::BadValue,
                    format!("replace-with value is {n} characters; a {vr} value holds at most {max}"),
                ));
            }
            if let Some((creator_tag, creator)) = &place.creator {
                let bytes = encode::value_bytes(&Value::Text(creator.clone()), Vr::LO, enc)?;
                state.changes.insert((place.level, *creator_tag), NewValue::Set(Vr::LO, bytes));
            }
            let bytes = encode_value(value, vr, state, place.level, input)?;
            state.changes.insert(key, NewValue::Set(vr, bytes));
        }
        Action::Hash
        | Action::HashUid
        | Action::IncrementDate(_)
        | Action::IncrementDateTime(_)
        | Action::Jitter(_)
        | Action::RegexSub(_) => {
            let Some((vr, old)) = current_string(state, place, input)? else { return Ok(()) };
            // docs/profiles.md#empty-and-missing: empty values are left alone, except that regex-sub matches against "". (The
            // reference fails the whole file when jitter meets an empty value; it is skipped here.)
            if old.is_empty() && !matches!(rule.action, Action::RegexSub(_)) {
                return Ok(());
            }
            let new = match &rule.action {
                Action::Hash => Value::Text(fit(&hash(&profile.salt, &old, profile.hash_digits), vr)),
                Action::HashUid => Value::Text(fit(&hashuid(&profile.salt, &old, &profile.uid), vr)),
                Action::IncrementDate(s) => shifted(increment_date(&old, s, draws.date_jitter(s)))?,
                Action::IncrementDateTime(s) => shifted(increment_datetime(&old, s, draws.date_jitter(s)))?,
                Action::RegexSub(cases) => {
                    let snapshot: &State<'_> = state;
                    let mut field =
                        |tag| current_string(snapshot, &Place::at(TOP, tag), input).map(|v| v.map(|(_, s)| s));
                    let text = substitute(profile, cases, &old, &mut field)?;
                    // The reference writes whatever the template makes (E6); an over-long value
                    // is invalid DICOM, and cutting it could cut what the template was for.
                    if let Some((n, max)) = too_long(&text, vr) {
                        return Err(Error::new(
                            ErrorKind::BadValue,
                            format!("regex-sub result is {n} characters; a {vr} value holds at most {max}"),
                        ));
                    }
                    Value::Text(text)
                }
                Action::Jitter(j) => {
                    let mut d = draws.draws(&format!("value/{}", state.tag_path(place)));
                    jittered(&old, vr, j, &mut d)?
                }
                _ => return Ok(()),
            };
            let bytes = encode_value(&new, vr, state, place.level, input)?;
            state.changes.insert(key, NewValue::Set(vr, bytes));
        }
    }
    Ok(())
}

/// Jitters each value and fits it to the VR: whole numbers for IS and binary integers (truncated
/// toward zero and clamped to the VR's range), DS text of at most 16 characters (E6).
fn jittered(old: &str, vr: Vr, j: &Jitter, draws: &mut Draws) -> Result<Value> {
    let mut out = Vec::new();
    for part in old.split(',') {
        let original: f64 =
            part.trim().parse().map_err(|_| Error::new(ErrorKind::BadValue, "value to jitter is not a number"))?;
        let v = jitter(original, j, draws);
        let int_range = match vr {
            Vr::US => Some((0.0, 65_535.0)),
            Vr::UL => Some((0.0, 4_294_967_295.0)),
            Vr::SS => Some((-32_768.0, 32_767.0)),
            Vr::SL | Vr::IS => Some((-2_147_483_648.0, 2_147_483_647.0)),
            Vr::SV | Vr::UV => Some((i64::MIN as f64, i64::MAX as f64)),
            _ => None,
        };
        out.push(match int_range {
            Some((lo, hi)) => Value::Int(v.trunc().clamp(lo, hi) as i64),
            None if vr == Vr::DS => Value::Text(ds_text(if j.int { v.trunc() } else { v })),
            None if j.int => Value::Int(v.trunc() as i64),
            None if vr.is_text() => Value::Text(format!("{v:?}")),
            None => Value::Float(v),
        });
    }
    Ok(Value::List(out))
}

fn shifted(result: std::result::Result<Vec<String>, ShiftError>) -> Result<Value> {
    match result {
        Ok(values) => Ok(Value::List(values.into_iter().map(Value::Text).collect())),
        Err(ShiftError::Unparsable) => {
            Err(Error::new(ErrorKind::BadValue, "date value does not match the profile's date format"))
        }
        Err(ShiftError::OutOfRange) => {
            Err(Error::new(ErrorKind::BadValue, "shifted date falls outside the years 1 to 9999"))
        }
    }
}

/// Whether replace-with sees the element as present. An empty number (DS, IS or binary) reads as
/// None in the reference's value model and so counts as missing; empty text is present (docs/profiles.md#empty-and-missing).
fn present_for_replace(state: &State<'_>, place: &Place) -> bool {
    let (vr, empty) = match state.current(place.level, place.tag) {
        Current::Absent | Current::Edited(NewValue::Removed) => return false,
        Current::Edited(NewValue::Set(vr, bytes)) => (*vr, bytes.is_empty()),
        Current::Original(e) => (effective_vr(e), e.value_len == Some(0)),
    };
    !(empty && (matches!(vr, Vr::DS | Vr::IS) || vr.numeric_width().is_some()))
}
