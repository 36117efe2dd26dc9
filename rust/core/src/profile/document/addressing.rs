//! Field names to element addresses (`docs/profiles.md#addressing`): keywords (case corrected),
//! hex and `(gggg,eeee)` tags, private `(gggg,"Creator",ee)`, 50xx/60xx repeaters, dotted sequence
//! paths with item indices and `*`, and `regex:`.

use std::sync::OnceLock;

use regex::Regex;

use super::private_dict::private_vr;
use super::problem::did_you_mean;
use crate::dicom::{dict, Tag, Vr};
use crate::profile::StepSpec;

/// Which addressing form a name uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressKind {
    /// A dictionary keyword.
    Keyword,
    /// A hex or tuple tag.
    Tag,
    /// A private element by creator.
    Private,
    /// A 50xx/60xx repeating-group element.
    Repeater,
    /// A dotted path through sequences.
    Path,
    /// A regular expression.
    Regex,
}

impl AddressKind {
    /// The lower-case name of the form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::Keyword => "keyword",
            AddressKind::Tag => "tag",
            AddressKind::Private => "private",
            AddressKind::Repeater => "repeater",
            AddressKind::Path => "path",
            AddressKind::Regex => "regex",
        }
    }
}

/// Where a field rule points.
#[derive(Clone, Debug)]
pub struct Address {
    /// The name as the log shows it (keywords case-corrected).
    pub name: String,
    /// The addressing form.
    pub kind: AddressKind,
    /// The core's steps (`None` for a regex).
    pub steps: Option<Vec<StepSpec>>,
    /// The leaf element's tag when it is fixed.
    pub tag: Option<u32>,
    /// The leaf's dictionary VR, when a dictionary knows it.
    pub vr: Option<Vr>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a valid built-in pattern"))
}

fn hex_tag() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^(0x)?([0-9a-fA-F]{8})$")
}

/// The dictionary VR of a standard tag (repeating groups included); item tags have none.
fn dict_vr(tag: u32) -> Option<Vr> {
    if tag >> 16 == 0xFFFE {
        return None;
    }
    dict::lookup(Tag(tag)).map(|(vr, _)| vr)
}

fn flat(name: &str, kind: AddressKind, tag: u32) -> Address {
    Address { name: name.to_string(), kind, steps: Some(vec![StepSpec::Tag(tag)]), tag: Some(tag), vr: dict_vr(tag) }
}

fn hex(text: &str) -> u32 {
    u32::from_str_radix(text, 16).expect("matched hex digits")
}

/// A `regex:` field: the pattern is checked by the core's own regex engine, anchored at the start.
///
/// # Errors
/// The engine's message when the pattern does not compile.
pub fn regex_address(pattern: &str) -> Result<Address, String> {
    if pattern.is_empty() {
        return Err("regex must be a non-empty string".into());
    }
    Regex::new(&format!("^(?:{pattern})"))
        .map_err(|e| format!("regex {pattern:?} does not compile: {}", one_line(&e)))?;
    Ok(Address { name: pattern.to_string(), kind: AddressKind::Regex, steps: None, tag: None, vr: None })
}

/// The regex engine's multi-line message on one line.
#[must_use]
pub fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines().last().unwrap_or_default().trim().trim_start_matches("error: ").to_string()
}

/// Parses a field's `name:`.
///
/// # Panics
/// Never: the numbers parsed are the hex digits the patterns matched.
///
/// # Errors
/// A one-line message when the name addresses nothing.
pub fn resolve_name(raw: &str) -> Result<Address, String> {
    static REPEATER: OnceLock<Regex> = OnceLock::new();
    static TUPLE: OnceLock<Regex> = OnceLock::new();
    static PRIVATE: OnceLock<Regex> = OnceLock::new();
    let name = raw.trim();
    let repeater =
        re(&REPEATER, r"^(?:0x)?([56]0)[Xx]{2}([0-9a-fA-F]{4})$|^\(\s*([56]0)[Xx]{2}\s*,\s*([0-9a-fA-F]{4})\s*\)$");
    if let Some(m) = repeater.captures(name) {
        let (high, element) = match m.get(1) {
            Some(h) => (h.as_str(), &m[2]),
            None => (&m[3], &m[4]),
        };
        let value = hex(&format!("{high}00{element}"));
        return Ok(Address {
            name: name.to_string(),
            kind: AddressKind::Repeater,
            steps: Some(vec![StepSpec::Repeater(value, REPEATER_MASK)]),
            tag: None,
            vr: dict_vr(value),
        });
    }
    if let Some(m) = hex_tag().captures(name) {
        return Ok(flat(name, AddressKind::Tag, hex(&m[2])));
    }
    if let Some(m) = re(&TUPLE, r"^\(\s*([0-9a-fA-F]{4})\s*,\s*([0-9a-fA-F]{4})\s*\)$").captures(name) {
        return Ok(flat(name, AddressKind::Tag, hex(&format!("{}{}", &m[1], &m[2]))));
    }
    let private = re(&PRIVATE, r#"^\(\s*([0-9a-fA-F]{4})\s*,\s*"?([^\\"()]{0,64}?)"?\s*,\s*([0-9a-fA-F]{2})\s*\)$"#);
    if let Some(m) = private.captures(name) {
        let group = u16::try_from(hex(&m[1])).expect("four hex digits");
        let offset = u8::try_from(hex(&m[3])).expect("two hex digits");
        return private_address(name, group, &m[2], offset);
    }
    if name.contains('.') {
        return path_address(name);
    }
    let tag = keyword_tag(name)?;
    let shown = dict::keyword(Tag(tag)).unwrap_or(name);
    Ok(flat(shown, AddressKind::Keyword, tag))
}

/// The mask of a 50xx/60xx repeater: the group's low byte is free.
const REPEATER_MASK: u32 = 0xFF00_FFFF;

fn private_address(name: &str, group: u16, creator: &str, offset: u8) -> Result<Address, String> {
    if group % 2 == 0 {
        return Err(format!("Not a private tag: {name}"));
    }
    if creator.trim().is_empty() {
        return Err(format!("private creator must not be blank: {name}"));
    }
    Ok(Address {
        name: name.to_string(),
        kind: AddressKind::Private,
        steps: Some(vec![StepSpec::Private(group, creator.to_string(), offset)]),
        tag: None,
        vr: private_vr(group, creator, offset),
    })
}

fn path_address(name: &str) -> Result<Address, String> {
    static ELEMENT: OnceLock<Regex> = OnceLock::new();
    let element = re(&ELEMENT, r"^(?:[0-9a-fA-F]{8}|\w+)$");
    let parts: Vec<&str> = name.split('.').collect();
    let mut steps = Vec::new();
    let mut tag = 0;
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            if *part == "*" {
                steps.push(StepSpec::Any);
            } else if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                steps.push(StepSpec::Index(part.parse().map_err(|_| format!("{name}: {part:?} is too large"))?));
            } else {
                return Err(format!("{name}: '{part}' must be an item index or *"));
            }
            continue;
        }
        if !element.is_match(part) {
            return Err(format!("{name}: '{part}' is not a keyword or an 8-digit tag"));
        }
        tag = if hex_tag().is_match(part) { hex(part) } else { keyword_tag(part)? };
        if i < parts.len() - 1 && !matches!(dict_vr(tag), Some(Vr::SQ) | None) {
            return Err(format!("{name}: {part} is not a sequence"));
        }
        steps.push(StepSpec::Tag(tag));
    }
    if parts.len() % 2 == 0 {
        return Err(format!("{name}: a path must end on an element, not an item index"));
    }
    Ok(Address {
        name: name.to_string(),
        kind: AddressKind::Path,
        steps: Some(steps),
        tag: Some(tag),
        vr: dict_vr(tag),
    })
}

/// The tag of a keyword, exact or in another case (as the reference corrects it).
fn keyword_tag(name: &str) -> Result<u32, String> {
    if let Some(t) = dict::tag_for_keyword(name) {
        return Ok(t.0);
    }
    dict::keywords().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, t)| t.0).ok_or_else(|| {
        format!("Not in DICOM keyword list: {name}{}", did_you_mean(name, dict::keywords().map(|(k, _)| k)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_addressing_form_resolves() {
        let a = resolve_name("patientname").unwrap();
        assert_eq!(
            (a.name.as_str(), a.kind, a.tag, a.vr),
            ("PatientName", AddressKind::Keyword, Some(0x0010_0010), Some(Vr::PN))
        );
        assert_eq!(resolve_name("(0010,0020)").unwrap().tag, Some(0x0010_0020));
        assert_eq!(resolve_name("0x00100020").unwrap().kind, AddressKind::Tag);
        assert_eq!(resolve_name("60xx3000").unwrap().kind, AddressKind::Repeater);
        let p = resolve_name(r#"(0029, "SIEMENS CSA HEADER", 08)"#).unwrap();
        assert_eq!((p.kind, p.vr), (AddressKind::Private, Some(Vr::CS)));
        let s = resolve_name("OtherPatientIDsSequence.*.PatientID").unwrap();
        assert_eq!(s.steps.unwrap().len(), 3);
        assert!(resolve_name("PatientNmae").unwrap_err().contains("did you mean 'PatientName'"));
        assert!(resolve_name("PatientID.0.PatientName").unwrap_err().contains("is not a sequence"));
        assert!(regex_address("(?=x)").unwrap_err().contains("does not compile"));
    }
}
