//! What verify reports: one finding per problem, located by file and element path, never by value
//! (docs/verify.md, "Findings").

use std::fmt::Write as _;

use crate::dicom::Tag;

/// The kind of a finding; each has a stable name (see [`Kind::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// (a) An element the profile removes (X) is present.
    MustBeRemoved,
    /// (a) An element the profile empties (Z) has a value (checked without an input to compare).
    MustBeEmpty,
    /// (a) An element the profile removes, empties or replaces still holds its input's value.
    HoldsInputValue,
    /// (b) An identifying string of the input occurs in the output's bytes.
    IdentifyingString,
    /// (b) An identifying string or an input name occurs in an output file or folder name.
    IdentifyingName,
    /// (c) A value that is not valid for its VR.
    InvalidValue,
    /// The output does not parse, so it could not be checked.
    Unreadable,
}

/// Every kind, in report order.
pub const ALL_KINDS: [Kind; 7] = [
    Kind::MustBeRemoved,
    Kind::MustBeEmpty,
    Kind::HoldsInputValue,
    Kind::IdentifyingString,
    Kind::IdentifyingName,
    Kind::InvalidValue,
    Kind::Unreadable,
];

impl Kind {
    /// The stable name used in reports and summaries.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::MustBeRemoved => "must-be-removed",
            Kind::MustBeEmpty => "must-be-empty",
            Kind::HoldsInputValue => "holds-input-value",
            Kind::IdentifyingString => "identifying-string",
            Kind::IdentifyingName => "identifying-name",
            Kind::InvalidValue => "invalid-value",
            Kind::Unreadable => "unreadable",
        }
    }
}

/// One problem found in an output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// The output file or folder, relative to the verified root (`/`-separated).
    pub file: String,
    /// The element path such as `(0008,1115)[0].(0020,000E)`; empty for names and whole files.
    pub path: String,
    /// The element's tag as `(GGGG,EEEE)`; empty for names and whole files.
    pub tag: String,
    /// What is wrong.
    pub kind: Kind,
    /// Which rule says so: an action code and its source, a VR rule, or the input element a
    /// string came from. Never a value.
    pub rule: String,
}

/// The path of an element from the top of the data set: the sequences and item indexes above it.
#[derive(Clone, Debug, Default)]
pub struct ElementPath {
    steps: Vec<(Tag, usize)>,
}

impl ElementPath {
    /// Enters item `index` of the sequence `tag`.
    pub fn push(&mut self, tag: Tag, index: usize) {
        self.steps.push((tag, index));
    }

    /// Leaves the innermost item.
    pub fn pop(&mut self) {
        self.steps.pop();
    }

    /// Whether the element is inside a sequence item.
    #[must_use]
    pub fn nested(&self) -> bool {
        !self.steps.is_empty()
    }

    /// The path of `tag` at this level, e.g. `(0008,1115)[0].(0020,000E)`.
    #[must_use]
    pub fn render(&self, tag: Tag) -> String {
        let mut out = String::with_capacity(16 * (self.steps.len() + 1));
        for (t, i) in &self.steps {
            let _ = write!(out, "{t}[{i}].");
        }
        let _ = write!(out, "{tag}");
        out
    }
}

/// Collects the findings of one file.
#[derive(Debug)]
pub struct Sink<'a> {
    /// The file's relative path.
    pub file: &'a str,
    /// What was found so far.
    pub found: Vec<Finding>,
}

impl<'a> Sink<'a> {
    /// An empty collection for `file`.
    #[must_use]
    pub fn new(file: &'a str) -> Self {
        Sink { file, found: Vec::new() }
    }

    /// Records a finding at an element.
    pub fn element(&mut self, path: &ElementPath, tag: Tag, kind: Kind, rule: impl Into<String>) {
        self.found.push(Finding {
            file: self.file.to_string(),
            path: path.render(tag),
            tag: tag.to_string(),
            kind,
            rule: rule.into(),
        });
    }

    /// Records a finding about a whole file or folder (`file` given) rather than an element.
    pub fn whole(&mut self, file: &str, kind: Kind, rule: impl Into<String>) {
        self.found.push(Finding {
            file: file.to_string(),
            path: String::new(),
            tag: String::new(),
            kind,
            rule: rule.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_each_sequence_and_item() {
        let mut p = ElementPath::default();
        assert_eq!(p.render(Tag::new(0x0010, 0x0010)), "(0010,0010)");
        p.push(Tag::new(0x0008, 0x1115), 0);
        p.push(Tag::new(0x0008, 0x1140), 2);
        assert!(p.nested());
        assert_eq!(p.render(Tag::new(0x0020, 0x000E)), "(0008,1115)[0].(0008,1140)[2].(0020,000E)");
        p.pop();
        assert_eq!(p.render(Tag::new(0x0020, 0x000E)), "(0008,1115)[0].(0020,000E)");
    }
}
