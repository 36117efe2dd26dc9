//! `regex-sub` (docs/profiles.md#regex-sub): the first case whose start-anchored pattern matches the value builds
//! the new value from its output template; `{var}` is a capture group, optionally passed through
//! a group rule, or the value of a record field passed through its group rule (a dry run).

use regex::Regex;

use crate::actions::date::{increment_date, increment_datetime, DateShift};
use crate::actions::{hash::hash, uid::hashuid};
use crate::dicom::Tag;
use crate::error::{Error, ErrorKind, Result};

use super::Profile;

/// One `regex-sub` item.
#[derive(Debug)]
pub struct SubCase {
    /// `input-regex`, anchored at the start.
    pub regex: Regex,
    /// `output`, split into literal text and `{var}` references.
    pub output: Vec<Piece>,
    /// `groups:` rules by variable name.
    pub groups: Vec<GroupRule>,
}

/// Part of an output template.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Literal(String),
    /// A `{var}` reference.
    Var(String),
}

/// A rule applied to one variable of the template.
#[derive(Debug)]
pub struct GroupRule {
    /// The variable (capture group or field keyword).
    pub name: String,
    /// The record field it reads when it is not a capture group.
    pub field: Option<Tag>,
    /// What it does to the text.
    pub action: TextAction,
}

/// The actions a group rule can take on a piece of text.
#[derive(Debug)]
pub enum TextAction {
    /// Unchanged.
    Keep,
    /// A fixed text.
    Replace(String),
    /// Salted sha256 prefix.
    Hash,
    /// Hashed UID.
    HashUid,
    /// Shifted date.
    IncrementDate(DateShift),
    /// Shifted datetime.
    IncrementDateTime(DateShift),
}

/// Parses `{var}` references; `{{` and `}}` stand for braces as in Python's str.format.
pub fn template(output: &str) -> Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if name.is_empty() {
                    return Err(Error::new(ErrorKind::Profile, "empty {} in a regex-sub output"));
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Var(name));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Applies a text action (group rules and record-field lookups).
pub fn apply_text(profile: &Profile, action: &TextAction, text: &str) -> Result<String> {
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

/// The substituted value. `field` reads the current value of a record field for variables that are
/// not capture groups.
pub fn substitute(
    profile: &Profile,
    cases: &[SubCase],
    value: &str,
    field: &mut dyn FnMut(Tag) -> Result<Option<String>>,
) -> Result<String> {
    let Some((case, caps)) = cases.iter().find_map(|c| c.regex.captures(value).map(|caps| (c, caps))) else {
        // docs/profiles.md#regex-sub: no match fails the file, as in the reference.
        return Err(Error::new(ErrorKind::BadValue, "no regex-sub input-regex matches the value"));
    };
    let mut out = String::new();
    for piece in &case.output {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            Piece::Var(name) => {
                let rule = case.groups.iter().find(|g| &g.name == name);
                let captured = caps.name(name).map(|m| m.as_str().to_string());
                let text = match (rule, captured) {
                    (Some(rule), Some(text)) => apply_text(profile, &rule.action, &text)?,
                    (Some(rule), None) => match rule.field {
                        Some(tag) => match field(tag)? {
                            Some(v) => apply_text(profile, &rule.action, &v)?,
                            None => String::new(),
                        },
                        None => String::new(),
                    },
                    (None, Some(text)) => text,
                    // A group that exists in the pattern but did not take part in the match.
                    (None, None) if case.regex.capture_names().flatten().any(|n| n == name) => String::new(),
                    (None, None) => {
                        return Err(Error::new(
                            ErrorKind::Profile,
                            format!("regex-sub output variable {{{name}}} is neither a group nor a group rule"),
                        ))
                    }
                };
                out.push_str(&text);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_variables() {
        assert_eq!(
            template("{a}_x{{}}{b.c}").unwrap(),
            vec![Piece::Var("a".into()), Piece::Literal("_x{}".into()), Piece::Var("b.c".into())]
        );
    }

    #[test]
    fn swaps_words() {
        let case = SubCase {
            regex: Regex::new(r"^(?:(?P<w1>\w+) (?P<w2>\w+))").unwrap(),
            output: template("{w2} {w1}").unwrap(),
            groups: vec![],
        };
        let out = substitute(&Profile::identity(), &[case], "General Hospital", &mut |_| Ok(None)).unwrap();
        assert_eq!(out, "Hospital General");
    }
}
