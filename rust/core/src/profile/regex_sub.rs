//! The compiled form of `regex-sub` (docs/profiles.md#regex-sub) and of group rules: cases, output
//! templates split into literals and `{var}` references, and the text actions of group rules.
//! The engine's `regex_sub` runs them.

use regex::Regex;

use crate::actions::date::DateShift;
use crate::dicom::Tag;
use crate::error::{Error, ErrorKind, Result};

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
///
/// # Errors
/// A template [`pieces`] refuses.
pub fn template(output: &str) -> Result<Vec<Piece>> {
    pieces(output).map_err(|m| Error::new(ErrorKind::Profile, format!("regex-sub output {output:?}: {m}")))
}

/// Splits a Python format template (`regex-sub:` and `filenames:` outputs) into literal text and
/// `{field}` references, the field as written (a conversion or format spec included): the one
/// reader of these templates, for the document's checks and both compilers.
///
/// # Errors
/// A lone `}`, a `{` without its `}`, or an empty `{}`, in the words Python uses.
pub(crate) fn pieces(output: &str) -> std::result::Result<Vec<Piece>, String> {
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
            '}' => return Err("Single '}' encountered in format string".into()),
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => name.push(ch),
                        None => return Err("expected '}' before end of string".into()),
                    }
                }
                if name.is_empty() {
                    return Err("empty {} (fields are named)".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_variables() {
        assert_eq!(
            template("{a}_x{{}}{b.c}").unwrap(),
            vec![Piece::Var("a".into()), Piece::Literal("_x{}".into()), Piece::Var("b.c".into())]
        );
        for bad in ["a}b", "{a", "x{}"] {
            assert!(template(bad).is_err(), "{bad}");
        }
    }
}
