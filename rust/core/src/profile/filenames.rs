//! The compiled form of `filenames:` (docs/profiles.md#filenames): each item's input-regex, its
//! output split into pieces, and its group rules as typed text actions, built once with the
//! profile. The naming policy (`naming.rs`) renders them; nothing is parsed per file.

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::regex_sub::{self, TextAction};
use super::GroupSpec;
use crate::error::{Error, ErrorKind, Result};

/// One `filenames:` item in the canonical specification.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilenameSpec {
    pub(crate) output: String,
    pub(crate) input_regex: String,
    #[serde(default)]
    pub(crate) groups: Vec<GroupSpec>,
}

/// One compiled `filenames:` item: the first whose input-regex matches the input's file name
/// (from its start, as Python's `re.match`) names the output.
#[derive(Debug)]
pub struct NameTemplate {
    regex: Regex,
    pieces: Vec<Piece>,
    /// Group name -> what its rule does to the captured text.
    groups: HashMap<String, TextAction>,
}

/// A piece of a template's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A named group of the input-regex (passed through its rule, if it has one).
    Group(String),
    /// A header keyword's de-identified value.
    Value(String),
}

impl NameTemplate {
    /// Compiles one item of the specification.
    pub(crate) fn compile(spec: FilenameSpec) -> Result<Self> {
        let bad = |m: String| Error::new(ErrorKind::Profile, m);
        let regex =
            Regex::new(&spec.input_regex).map_err(|e| bad(format!("filenames input-regex does not compile: {e}")))?;
        let captures: Vec<String> = regex.capture_names().flatten().map(String::from).collect();
        let pieces = pieces(&spec.output, &captures)
            .map_err(|m| bad(format!("filenames output {:?} is not a valid template: {m}", spec.output)))?;
        let groups = spec.groups.into_iter().map(|g| Ok((g.name.clone(), g.compile()?))).collect::<Result<_>>()?;
        Ok(NameTemplate { regex, pieces, groups })
    }

    /// The output's pieces, in order.
    #[must_use]
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The rule of a group, when it has one.
    #[must_use]
    pub fn group_rule(&self, group: &str) -> Option<&TextAction> {
        self.groups.get(group)
    }

    /// The header keywords the output uses.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Value(k) if !k.is_empty() => Some(k.as_str()),
            _ => None,
        })
    }

    /// The captures when the regex matches at the start of `name`. Leftmost-first matching finds a
    /// match starting at 0 whenever one exists, and then the same one as Python's `re.match`.
    #[must_use]
    pub fn matches<'n>(&self, name: &'n str) -> Option<regex::Captures<'n>> {
        self.regex.captures(name).filter(|c| c.get(0).is_some_and(|m| m.start() == 0))
    }
}

/// Splits an output template as Python's `string.Formatter` reads it: `{{` and `}}` are braces,
/// `{name}` is a group of the input-regex when `captures` holds it, else a header keyword. Format
/// specs and conversions (`{x:>4}`, `{x!r}`) are refused: names are made without Python.
///
/// # Errors
/// What is wrong with the template, in one line.
pub(crate) fn pieces(output: &str, captures: &[String]) -> std::result::Result<Vec<Piece>, String> {
    regex_sub::pieces(output)?
        .into_iter()
        .map(|piece| match piece {
            regex_sub::Piece::Literal(text) => Ok(Piece::Text(text)),
            regex_sub::Piece::Var(field) if field.contains(['!', ':']) => {
                Err("format specs and conversions are not supported".into())
            }
            regex_sub::Piece::Var(field) if captures.contains(&field) => Ok(Piece::Group(field)),
            regex_sub::Piece::Var(field) => Ok(Piece::Value(field)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_split_into_text_groups_and_values() {
        let captures = ["stem".to_string()];
        assert_eq!(
            pieces("{PatientID}_{stem}{{x}}.dcm", &captures).unwrap(),
            vec![
                Piece::Value("PatientID".into()),
                Piece::Text("_".into()),
                Piece::Group("stem".into()),
                Piece::Text("{x}.dcm".into()),
            ]
        );
        assert!(pieces("{stem:>4}", &captures).unwrap_err().contains("not supported"));
        assert!(pieces("{stem!r}", &captures).is_err());
        assert!(pieces("{stem", &captures).is_err());
        assert!(pieces("a}b", &captures).is_err());
    }
}
