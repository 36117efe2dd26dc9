//! The Clean Structured Content option's Table E.3.4-1: content items named by their concept
//! (Concept Name Code Sequence) and value type get the row's action on their value, whatever
//! the row of the value's element in Table E.1-1 says (docs/basic-profile.md, "Structured
//! content").
//!
//! A content item is never taken out of its sequence: an SR template can require it, and a
//! missing item can leave the document invalid. X, D and X/D therefore all replace the value
//! with a dummy (a numeric measurement is emptied, a coded value gets dummy codes), which
//! removes what identified someone as surely as removing the item; K keeps the value; C shifts
//! a date or date-time by the patient's shift and replaces anything else, as free text cannot
//! be cleaned without reading it.

use std::collections::HashMap;

use super::action::Action;
use super::options::{BasicOption, OptionSet};
use super::rows::content_item;
use super::values::text;
use crate::dicom::{Input, Tag};
use crate::edits::State;
use crate::error::Result;

const CONTENT_SEQUENCE: Tag = Tag(0x0040_A730);
const CONCEPT_NAME_CODE_SEQUENCE: Tag = Tag(0x0040_A043);
const CONCEPT_CODE_SEQUENCE: Tag = Tag(0x0040_A168);
const VALUE_TYPE: Tag = Tag(0x0040_A040);
const CODE_VALUE: Tag = Tag(0x0008_0100);
const CODING_SCHEME_DESIGNATOR: Tag = Tag(0x0008_0102);
const CODE_MEANING: Tag = Tag(0x0008_0104);
const LONG_CODE_VALUE: Tag = Tag(0x0008_0119);
const URN_CODE_VALUE: Tag = Tag(0x0008_0120);

/// What happens to one element of a content item the table names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemAction {
    /// Kept as it is (an option's K).
    Keep,
    /// A date or date-time moved by the patient's shift (an option's C); other values: [`ItemAction::Dummy`].
    Shift,
    /// The dummy of its VR.
    Dummy,
    /// Emptied (a numeric item's Measured Value Sequence, Type 2).
    Empty,
}

/// The element holding the value of a content item of each value type (PS3.3 C.17.3.2.1), or
/// `None` when the value is elsewhere: references (IMAGE, COMPOSITE, WAVEFORM) are UIDs that
/// Table E.1-1 already replaces, a CONTAINER's value is its children, a CODE's is an item.
fn value_element(value_type: &str) -> Option<Tag> {
    Some(Tag(match value_type {
        "TEXT" => 0x0040_A160,
        "PNAME" => 0x0040_A123,
        "DATE" => 0x0040_A121,
        "TIME" => 0x0040_A122,
        "DATETIME" => 0x0040_A120,
        "UIDREF" => 0x0040_A124,
        "NUM" => 0x0040_A300,
        _ => return None,
    }))
}

/// (level, tag) -> what the option does there, for every content item (an item of a Content
/// Sequence, at any depth) whose concept and value type Table E.3.4-1 names. Empty unless the
/// Clean Structured Content option is on.
///
/// # Errors
/// `io` when the input cannot be read.
pub fn item_actions<I: Input + ?Sized>(
    options: OptionSet,
    state: &State<'_>,
    input: &I,
) -> Result<HashMap<(usize, Tag), ItemAction>> {
    let mut found = HashMap::new();
    if !options.contains(BasicOption::CleanStructuredContent) {
        return Ok(found);
    }
    for level in state.nested_levels() {
        if !matches!(state.levels[level].parent, Some((_, CONTENT_SEQUENCE, _))) {
            continue;
        }
        let ds = state.levels[level].ds;
        let read =
            |ds: &crate::dicom::DataSet, tag| ds.find(tag).map(|e| text(e, input)).transpose().map(Option::flatten);
        let Some(value_type) = read(ds, VALUE_TYPE)? else { continue };
        let Some(&concept) = state.items(level, CONCEPT_NAME_CODE_SEQUENCE).first() else { continue };
        let concept_ds = state.levels[concept].ds;
        let code = match read(concept_ds, CODE_VALUE)? {
            Some(code) => Some(code),
            None => read(concept_ds, LONG_CODE_VALUE)?,
        };
        let (Some(code), Some(scheme)) = (code, read(concept_ds, CODING_SCHEME_DESIGNATOR)?) else { continue };
        let Some(row) = content_item(&scheme, &code, &value_type) else { continue };
        let action = match row.effective_action(options) {
            Action::K => ItemAction::Keep,
            Action::C => ItemAction::Shift,
            _ => ItemAction::Dummy,
        };
        if let Some(tag) = value_element(&value_type) {
            let action = if value_type == "NUM" && action == ItemAction::Dummy { ItemAction::Empty } else { action };
            found.insert((level, tag), action);
        } else if value_type == "CODE" {
            for &item in state.items(level, CONCEPT_CODE_SEQUENCE) {
                for tag in [CODE_VALUE, CODING_SCHEME_DESIGNATOR, CODE_MEANING, LONG_CODE_VALUE, URN_CODE_VALUE] {
                    if state.levels[item].ds.find(tag).is_some() {
                        found.insert((item, tag), if action == ItemAction::Keep { action } else { ItemAction::Dummy });
                    }
                }
            }
        }
    }
    Ok(found)
}
