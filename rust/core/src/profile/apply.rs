//! Running a profile's rules over a parsed document, producing the set of element changes.
//! Rules run in order and each sees the result of the ones before (docs/profiles.md#order).

use super::create::{create_path, encode_created};
use super::log::{snapshot, LogRows};
use super::regex_sub::substitute;
use super::resolve::{places, Place};
use super::state::{Current, State, META, TOP};
use super::value::read_string;
use super::{Action, Profile, Rule, Target};
use crate::actions::date::{increment_date, increment_datetime, DateShift, ShiftError};
use crate::actions::fit::{fit, too_long};
use crate::actions::jitter::{ds_text, jitter, Draws, Jitter};
use crate::actions::{hash::hash, uid::hashuid};
use crate::dicom::charset::CharacterSet;
use crate::dicom::encode::{self, Value};
use crate::dicom::{dict, Body, Document, Input, Tag, Vr};
use crate::error::{Error, ErrorKind, Result};

/// Largest value read to be transformed; identifiers and dates are short, so anything bigger is a mistake.
const MAX_READ: u32 = 64 * 1024;

/// The new state of one element.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// Deleted.
    Removed,
    /// Set to these (even-length, encoded) value bytes with this VR.
    Set(Vr, Vec<u8>),
}

/// Runs every rule of `profile` over `doc`, whose offsets refer to `input`; with log columns, also
/// returns the log's before and after rows.
pub fn apply<'a, I: Input + ?Sized>(
    profile: &Profile,
    doc: &'a Document,
    input: &I,
) -> Result<(State<'a>, Option<LogRows>)> {
    let mut state = State::new(doc);
    let mut draws = Randomness::new(profile, &state, input)?;
    super::passes::run(profile, &mut state, input)?;
    let before = if profile.log_columns.is_empty() { None } else { Some(snapshot(profile, &state, input)?) };
    let ruled = run_base(profile, &mut state, input).and_then(|()| run_rules(profile, &mut state, input, &mut draws));
    if let Err(mut e) = ruled {
        e.log_before = before;
        return Err(e);
    }
    sync_media_storage_uid(&mut state);
    let log = match before {
        Some(before) => Some(LogRows { after: snapshot(profile, &state, input)?, before }),
        None => None,
    };
    Ok((state, log))
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
            act(profile, rule, &place, state, input, draws).map_err(|e| e.within(path_of(state, &place)))?;
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

fn path_of(state: &State<'_>, place: &Place) -> String {
    let prefix = state.hex_path(place.level);
    if prefix.is_empty() {
        place.tag.to_string()
    } else {
        format!("{prefix}.{}", place.tag)
    }
}

/// Where jitter draws come from for one file.
struct Randomness {
    per_file: Draws,
    /// With `jitter-seed`: the key and the patient's original PatientID.
    keyed: Option<(Vec<u8>, String)>,
}

impl Randomness {
    fn new<I: Input + ?Sized>(profile: &Profile, state: &State<'_>, input: &I) -> Result<Self> {
        let keyed = match &profile.jitter_seed {
            None => None,
            Some(key) => {
                let place = Place::at(TOP, Tag(0x0010_0020));
                let patient = current_string(state, &place, input)?.map(|(_, s)| s).unwrap_or_default();
                Some((key.as_bytes().to_vec(), patient))
            }
        };
        Ok(Randomness { per_file: Draws::from_entropy(), keyed })
    }

    /// Draws for one purpose: per patient and purpose when keyed, else the file's own stream.
    fn draws(&mut self, purpose: &str) -> Draws {
        match &self.keyed {
            Some((key, patient)) => Draws::keyed(key, &[patient.as_bytes(), purpose.as_bytes()]),
            None => self.per_file.split(),
        }
    }

    fn date_jitter(&mut self, s: &DateShift) -> i64 {
        s.jitter.map_or(0, |j| {
            // Keyed by range and unit only, so every date of a patient moves together.
            self.draws(&format!("date/{}/{}", j.range, j.unit_micros)).nonzero_int(j.range) * j.unit_micros
        })
    }
}

fn act<I: Input + ?Sized>(
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
                state.changes.insert(key, super::NewValue::Removed);
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
                    let mut d = draws.draws(&format!("value/{}", path_of(state, place)));
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

/// The element's current value as a read string and its VR; `None` when it is absent.
pub(super) fn current_string<I: Input + ?Sized>(
    state: &State<'_>,
    place: &Place,
    input: &I,
) -> Result<Option<(Vr, String)>> {
    let enc = state.levels[place.level].ds.encoding;
    let Some((vr, raw)) = current_bytes(state, place, input)? else { return Ok(None) };
    // Plain ASCII reads the same in every character set: skip the lookup.
    let plain = raw.is_ascii() && !raw.contains(&0x1B);
    let charset =
        if vr.is_text() && !plain { character_set(state, place.level, input)? } else { CharacterSet::default() };
    Ok(Some((vr, read_string(&raw, vr, enc, &charset)?)))
}

/// The element's current value bytes and VR; `None` when it is absent.
fn current_bytes<I: Input + ?Sized>(state: &State<'_>, place: &Place, input: &I) -> Result<Option<(Vr, Vec<u8>)>> {
    match state.current(place.level, place.tag) {
        Current::Absent | Current::Edited(NewValue::Removed) => Ok(None),
        Current::Edited(NewValue::Set(vr, bytes)) => Ok(Some((*vr, bytes.clone()))),
        Current::Original(e) => {
            let len = match (&e.body, e.value_len) {
                (Body::Value, Some(len)) if len <= MAX_READ => len,
                _ => {
                    return Err(Error::at(
                        ErrorKind::BadValue,
                        e.start,
                        "value is a sequence or too large to transform",
                    ))
                }
            };
            let mut raw = vec![0u8; len as usize];
            input
                .read_exact_at(e.value_start, &mut raw)
                .map_err(|err| Error::at(ErrorKind::Io, e.value_start, err.to_string()))?;
            Ok(Some((effective_vr(e), raw)))
        }
    }
}

/// `value` encoded for an element of `vr` at `level`: text in the level's character set, looked
/// up only when the text is not plain ASCII (valid in every set).
fn encode_value<I: Input + ?Sized>(
    value: &Value,
    vr: Vr,
    state: &State<'_>,
    level: usize,
    input: &I,
) -> Result<Vec<u8>> {
    let enc = state.levels[level].ds.encoding;
    if is_ascii(value) {
        return encode::value_bytes(value, vr, enc);
    }
    encode::value_bytes_in(value, vr, enc, &character_set(state, level, input)?)
}

fn is_ascii(value: &Value) -> bool {
    match value {
        Value::Text(t) => t.is_ascii(),
        Value::List(items) => items.iter().all(is_ascii),
        Value::Int(_) | Value::Float(_) => true,
    }
}

const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008_0005);

/// The character sets of `level`: its own Specific Character Set, else the nearest enclosing
/// data set's (as pydicom resolves them), else the default.
fn character_set<I: Input + ?Sized>(state: &State<'_>, mut level: usize, input: &I) -> Result<CharacterSet> {
    loop {
        if let Some((_, raw)) = current_bytes(state, &Place::at(level, SPECIFIC_CHARACTER_SET), input)? {
            return Ok(CharacterSet::from_value(&raw));
        }
        match state.levels[level].parent {
            Some((parent, _, _)) => level = parent,
            None => return Ok(CharacterSet::default()),
        }
    }
}

/// The VR a value is read and rewritten with: an explicit UN of a standard tag takes the
/// dictionary's VR, as pydicom does on read and the reference on write (docs/profiles.md#output-bytes).
fn effective_vr(e: &crate::dicom::Element) -> Vr {
    match (e.vr, dict::lookup(e.tag)) {
        (Vr::UN, Some((vr, _))) if vr != Vr::UN && vr != Vr::SQ => vr,
        (vr, _) => vr,
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
