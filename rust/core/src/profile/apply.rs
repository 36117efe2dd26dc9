//! Running a profile's rules over a parsed document, producing the set of element changes.
//! Rules run in order and each sees the result of the ones before (spec section 3.2).

use std::collections::BTreeMap;

use super::value::read_string;
use super::{Action, Profile};
use crate::actions::{hash::hash, uid::hashuid};
use crate::dicom::encode::{self, Value};
use crate::dicom::{dict, Body, DataSet, Document, Input, Tag, Vr};
use crate::error::{Error, ErrorKind, Result};

/// Largest value read to be hashed; identifiers are short, so anything bigger is a mistake.
const MAX_READ: u32 = 64 * 1024;

/// The new state of one top-level element.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// Deleted.
    Removed,
    /// Set to these (even-length, encoded) value bytes with this VR.
    Set(Vr, Vec<u8>),
}

/// Changes to the elements of one level, keyed by tag (so in tag order).
pub type Changes = BTreeMap<Tag, NewValue>;

/// Element changes of one file.
#[derive(Debug, Default)]
pub struct Edits {
    /// Changes to the file meta group (rules on group 0002 keywords go there, spec 4.1).
    pub meta: Changes,
    /// Changes to top-level data set elements.
    pub dataset: Changes,
}

impl Edits {
    /// True when no rule changed anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty() && self.dataset.is_empty()
    }
}

/// Runs every rule of `profile` over `doc`, whose offsets refer to `input`.
pub fn apply<I: Input + ?Sized>(profile: &Profile, doc: &Document, input: &I) -> Result<Edits> {
    let mut edits = Edits::default();
    for rule in &profile.rules {
        let (ds, changes) = if rule.tag.group() == 0x0002 { (&doc.meta, &mut edits.meta) } else { (&doc.dataset, &mut edits.dataset) };
        let enc = ds.encoding;
        let existing = ds.find(rule.tag);
        let present = match changes.get(&rule.tag) {
            Some(NewValue::Removed) => false,
            Some(NewValue::Set(..)) => true,
            None => existing.is_some(),
        };
        match &rule.action {
            Action::Keep => {}
            Action::Remove => {
                if present {
                    changes.insert(rule.tag, NewValue::Removed);
                }
            }
            Action::Replace { value, insert } => {
                if !present && !insert {
                    continue;
                }
                let vr = current_vr(rule.tag, rule.vr, existing.map(|e| e.vr), changes.get(&rule.tag));
                let bytes = encode::value_bytes(value, vr, enc).map_err(|e| e.within(rule.tag.to_string()))?;
                changes.insert(rule.tag, NewValue::Set(vr, bytes));
            }
            Action::Hash | Action::HashUid => {
                let Some((vr, old)) = current_string(ds, rule.tag, changes.get(&rule.tag), input)? else { continue };
                // Spec 5: empty values are left alone.
                if old.is_empty() {
                    continue;
                }
                let new = match rule.action {
                    Action::Hash => hash(&profile.salt, &old, profile.hash_digits),
                    _ => hashuid(&profile.salt, &old, &profile.uid),
                };
                let bytes = encode::value_bytes(&Value::Text(new), vr, enc).map_err(|e| e.within(rule.tag.to_string()))?;
                changes.insert(rule.tag, NewValue::Set(vr, bytes));
            }
        }
    }
    Ok(edits)
}

/// The element's current value as a read string and its VR; `None` when it is absent.
fn current_string<I: Input + ?Sized>(ds: &DataSet, tag: Tag, edited: Option<&NewValue>, input: &I) -> Result<Option<(Vr, String)>> {
    let enc = ds.encoding;
    match edited {
        Some(NewValue::Removed) => Ok(None),
        Some(NewValue::Set(vr, bytes)) => Ok(Some((*vr, read_string(bytes, *vr, enc)?))),
        None => {
            let Some(e) = ds.find(tag) else { return Ok(None) };
            let too_big = || Error::at(ErrorKind::BadValue, e.start, "value is a sequence or too large to hash").within(tag.to_string());
            let len = match (&e.body, e.value_len) {
                (Body::Value, Some(len)) if len <= MAX_READ => len,
                _ => return Err(too_big()),
            };
            let mut raw = vec![0u8; len as usize];
            input.read_exact_at(e.value_start, &mut raw).map_err(|err| Error::at(ErrorKind::Io, e.value_start, err.to_string()))?;
            Ok(Some((e.vr, read_string(&raw, e.vr, enc).map_err(|err| err.within(tag.to_string()))?)))
        }
    }
}

/// The VR a replacement is written with: the element's own if it is (or was) there, else the
/// dictionary VR the compiler resolved, else the dictionary's (UN for unknown tags, which the
/// encoder then refuses rather than guess a VR).
fn current_vr(tag: Tag, rule_vr: Option<Vr>, file_vr: Option<Vr>, edited: Option<&NewValue>) -> Vr {
    if let Some(NewValue::Set(vr, _)) = edited {
        return *vr;
    }
    file_vr.or(rule_vr).unwrap_or_else(|| dict::implicit_vr(tag))
}
