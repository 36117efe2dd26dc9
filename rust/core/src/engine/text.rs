//! The text actions of group rules (regex-sub `groups:` and `filenames:`): what each does to a
//! piece of text, with the profile's salt and UID options.

use crate::actions::date::{increment_date, increment_datetime};
use crate::actions::{hash::hash, uid::hashuid};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::regex_sub::TextAction;
use crate::profile::Profile;

/// Applies a group rule's text action (regex-sub `groups:`, record-field lookups and the groups
/// of `filenames:` templates) to `text`, with `profile`'s salt and UID options.
///
/// # Errors
/// A date does not match its format.
pub(crate) fn apply_text(profile: &Profile, action: &TextAction, text: &str) -> Result<String> {
    let date_err = || Error::new(ErrorKind::BadValue, "regex-sub group value does not match its date format");
    // As for fields (docs/profiles.md#empty-and-missing), empty text is left alone by every action but replace.
    if text.is_empty() && !matches!(action, TextAction::Replace(_)) {
        return Ok(String::new());
    }
    Ok(match action {
        TextAction::Keep => text.to_string(),
        TextAction::Replace(v) => v.clone(),
        TextAction::Hash => hash(&profile.salt, text, profile.hash_digits),
        TextAction::HashUid => hashuid(&profile.salt, text, &profile.uid),
        TextAction::IncrementDate(s) => increment_date(text, s, 0).map_err(|_| date_err())?.join("\\"),
        TextAction::IncrementDateTime(s) => increment_datetime(text, s, 0).map_err(|_| date_err())?.join("\\"),
    })
}
