//! `regex-sub` (docs/profiles.md#regex-sub): the first case whose start-anchored pattern matches the value builds
//! the new value from its output template; `{var}` is a capture group, optionally passed through
//! a group rule, or the value of a record field passed through its group rule (a dry run).

use super::text::apply_text;
use crate::dicom::Tag;
use crate::error::{Error, ErrorKind, Result};
use crate::profile::regex_sub::{Piece, SubCase};
use crate::profile::Profile;

/// The substituted value. `field` reads the current value of a record field for variables that are
/// not capture groups.
pub(super) fn substitute(
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
    use crate::profile::regex_sub::template;
    use regex::Regex;

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
