//! The de-identification log's values (docs/profiles.md#deid-log): for each log column, the value before the rules
//! ran (after the profile passes) and after. Flat names give the value; regex, repeater and
//! wildcard names give a JSON object of path -> value, as the reference writes them.

use super::resolve::places;
use super::value::current_string;
use crate::dicom::{Body, Input};
use crate::edits::{Current, Place, State};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::LogColumn;

/// The before and after rows of one file, one cell per column (`None` is an empty cell).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogRows {
    /// Values before the rules.
    pub before: Vec<Option<String>>,
    /// Values after the rules.
    pub after: Vec<Option<String>>,
}

/// Which values a rewrite reads beside its edits, chosen per call: the profile's deid log columns
/// (only when the caller keeps a log: reading them costs time), and the columns a job names its
/// outputs by.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Capture<'c> {
    /// Read the profile's log columns.
    pub(crate) log: bool,
    /// Further columns, compiled once by the job (`crate::job`).
    pub(crate) values: &'c [LogColumn],
}

impl<'c> Capture<'c> {
    /// Nothing beside the edits.
    pub(crate) fn nothing() -> Self {
        Capture::default()
    }

    /// The profile's log columns (`log`) and `values`.
    pub(crate) fn new(log: bool, values: &'c [LogColumn]) -> Self {
        Capture { log, values }
    }
}

/// What one rewrite captured: the deid log's rows when they were asked for, and the rows of the
/// job's value columns when it has any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    /// The profile's log columns.
    pub log: Option<LogRows>,
    /// The job's value columns, in its order.
    pub values: Option<LogRows>,
}

/// A rewrite that failed: the error, and the deid log's before row when a rule failed after the
/// row was read (the reference still logs a failed file's before row, docs/profiles.md#deid-log).
/// The row holds patient values: it goes to the secret log only, never into a message, which is
/// why it is kept here, beside the error, and not in it.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong (no patient value).
    pub error: Error,
    /// The log's before row, when the caller keeps a log and the rules had started.
    pub log_before: Option<Vec<Option<String>>>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, log_before: None }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Error::from(e).into()
    }
}

/// The current values of `columns`.
pub(super) fn snapshot<I: Input + ?Sized>(
    columns: &[LogColumn],
    state: &State<'_>,
    input: &I,
) -> Result<Vec<Option<String>>> {
    let mut row = Vec::with_capacity(columns.len());
    for col in columns {
        // The log shows top-level values only, even with recurse-sequence (docs/profiles.md#recurse-sequence).
        // A path past a sequence's end (or to a private block that is not there) shows as empty,
        // as in the reference's log; only the rules fail the file for it.
        let found = match places(&col.target, false, state, input) {
            Err(e) if e.kind == ErrorKind::BadValue => Vec::new(),
            found => found?,
        };
        if col.flat {
            row.push(match found.first() {
                Some(place) => cell(state, place, input)?,
                None => None,
            });
            continue;
        }
        let mut json = String::from("{");
        for (i, place) in found.iter().enumerate() {
            if i > 0 {
                json.push_str(", ");
            }
            json_string(&label(state, place), &mut json);
            json.push_str(": ");
            match cell(state, place, input)? {
                Some(v) => json_string(&v, &mut json),
                None => json.push_str("null"),
            }
        }
        json.push('}');
        row.push(Some(json));
    }
    Ok(row)
}

/// One element's log text. Sequences and bulk values are summarised rather than dumped (the
/// reference writes pydicom's multi-line dataset dumps here).
fn cell<I: Input + ?Sized>(state: &State<'_>, place: &Place, input: &I) -> Result<Option<String>> {
    if let Current::Original(e) = state.current(place.level, place.tag) {
        match (&e.body, e.value_len) {
            (Body::Items(items), _) => return Ok(Some(format!("<sequence of {} item(s)>", items.len()))),
            (Body::Fragments(n), _) => return Ok(Some(format!("<encapsulated pixel data, {n} item(s)>"))),
            (Body::Value, Some(len)) if len > 1024 && !e.vr.is_text() => return Ok(Some(format!("<{len} bytes>"))),
            _ => {}
        }
    }
    Ok(current_string(state, place, input)?.map(|(_, v)| v))
}

fn label(state: &State<'_>, place: &Place) -> String {
    if let Some(path) = &place.label {
        return path.clone();
    }
    let prefix = state.hex_path(place.level);
    let tag = format!("{:08x}", place.tag.0);
    if prefix.is_empty() {
        tag
    } else {
        format!("{prefix}.{tag}")
    }
}

/// Appends `s` as a JSON string the way Python's `json.dumps` writes it (ASCII only).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7E => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_match_python() {
        let mut out = String::new();
        json_string("a\"b\\c\né😀", &mut out);
        assert_eq!(out, r#""a\"b\\c\n\u00e9\ud83d\ude00""#);
    }
}
