//! What the profile requires of an element: the Table E.1-1 action (with the options), plus the
//! file-level rules the table does not list (docs/verify.md, "What (a) checks").

use crate::basic::engine::PATIENT_ID;
use crate::basic::{attr_type, lookup, safe_private, Action, AttrType, BasicOption, OptionSet};
use crate::dicom::Tag;

/// Where a required action comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A row of Table E.1-1 (its code before the type resolved a combined code).
    Table(Action),
    /// A private element not on the safe list (or the safe-private option off).
    Private,
    /// A file meta element that names the sender or carries private data (PS3.10 7.1).
    FileMeta,
    /// A command element (group 0000) in a stored data set: dropped.
    CommandGroup,
    /// Free text the table does not name that can name a patient (overlay description and label).
    UnlistedText,
}

/// The action an element must have undergone, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The single action (combined codes resolved).
    pub action: Action,
    /// Its source.
    pub source: Source,
    /// Z was chosen for a Type 1 attribute, which the standard lets carry a dummy value.
    pub dummy_allowed: bool,
}

impl Expected {
    /// The rule as reports show it, e.g. `E.1-1 X/Z/D -> X`, `private X`.
    #[must_use]
    pub fn rule(&self) -> String {
        match self.source {
            Source::Table(code) if code == self.action => format!("E.1-1 {code}"),
            Source::Table(code) => format!("E.1-1 {code} -> {}", self.action),
            Source::Private => format!("private {}", self.action),
            Source::FileMeta => format!("file meta {}", self.action),
            Source::CommandGroup => format!("group 0000 {}", self.action),
            Source::UnlistedText => format!("unlisted free text {}", self.action),
        }
    }

    /// Whether the element's original content must be gone: anything but K.
    #[must_use]
    pub fn changes(&self) -> bool {
        self.action != Action::K
    }

    /// Whether a sequence with this action keeps none of its items' original content.
    #[must_use]
    pub fn clears_items(&self) -> bool {
        matches!(self.action, Action::X | Action::Z | Action::D)
    }
}

/// The private creator of a private element's block, read by the caller only when needed.
pub trait Creator {
    /// The creator string of the block of `tag` at this level, without padding.
    fn creator(&self, tag: Tag) -> Option<String>;
}

/// What `options` require of `tag` in an object of `sop_class`; `nested` inside a sequence,
/// `in_meta` in the file meta group. `None` when nothing is required (the element is not named).
#[must_use]
pub fn expected(
    tag: Tag,
    options: OptionSet,
    sop_class: &str,
    nested: bool,
    in_meta: bool,
    creator: &dyn Creator,
) -> Option<Expected> {
    let make = |action, source| Some(Expected { action, source, dummy_allowed: false });
    if in_meta {
        return match tag.element() {
            // Media Storage SOP Instance UID equals the SOP Instance UID, which is U.
            0x0003 => {
                make(if options.contains(BasicOption::RetainUids) { Action::K } else { Action::U }, Source::FileMeta)
            }
            // Source, Sending and Receiving AE Titles; Private Information Creator UID and Private Information.
            0x0016..=0x0018 | 0x0100 | 0x0102 => make(Action::X, Source::FileMeta),
            _ => None,
        };
    }
    if tag.group() == 0x0000 {
        return make(Action::X, Source::CommandGroup);
    }
    if tag.is_private() {
        if tag.is_group_length() {
            return None;
        }
        let row = lookup(tag)?.effective_action(options);
        if row == Action::C {
            // Retain Safe Private: creators are kept with their blocks; listed elements are kept.
            let element = tag.element();
            let safe = (0x0010..=0x00FF).contains(&element)
                || creator.creator(tag).is_some_and(|c| safe_private(&c, tag).is_some());
            return if safe { None } else { make(Action::X, Source::Private) };
        }
        return make(row, Source::Private);
    }
    if let Some(row) = lookup(tag) {
        // `action_for`'s two steps, done here with the row already found and the type looked up once.
        let code = row.effective_action(options);
        // The keyed pseudonym stands in for an emptied Patient ID: a dummy that links a patient's files.
        let pseudonym = tag == PATIENT_ID;
        if !code.is_combined() {
            let dummy_allowed = code == Action::Z && pseudonym;
            return Some(Expected { action: code, source: Source::Table(code), dummy_allowed });
        }
        let ty = attr_type(sop_class, tag, nested);
        let action = code.resolve(ty);
        let dummy_allowed = action == Action::Z && (pseudonym || matches!(ty, AttrType::Type1 | AttrType::Type1C));
        return Some(Expected { action, source: Source::Table(code), dummy_allowed });
    }
    // Overlay Description (60xx,0022) and Overlay Label (60xx,1500): free text the table misses.
    if tag.group() & 0xFF01 == 0x6000 && matches!(tag.element(), 0x0022 | 0x1500) {
        return make(Action::X, Source::UnlistedText);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoCreator;
    impl Creator for NoCreator {
        fn creator(&self, _: Tag) -> Option<String> {
            None
        }
    }

    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";

    #[test]
    fn the_table_rows_give_what_action_for_gives() {
        let all: OptionSet = crate::basic::ALL_OPTIONS.into_iter().collect();
        for options in [OptionSet::new(), all] {
            for row in crate::basic::rows() {
                let crate::basic::TagPattern::Exact(t) = row.tag else { continue };
                if t >> 16 == 0 {
                    continue; // command elements: dropped whatever their row (issue 12 item 7)
                }
                for nested in [false, true] {
                    let tag = Tag(t);
                    let got = expected(tag, options, CT, nested, false, &NoCreator).map(|e| e.action);
                    let want = crate::basic::action_for(tag, options, CT, nested);
                    assert_eq!(got, want, "{tag}");
                }
            }
        }
    }

    #[test]
    fn table_meta_private_and_additions() {
        let basic = OptionSet::new();
        let name = expected(Tag::new(0x0010, 0x0010), basic, CT, false, false, &NoCreator).unwrap();
        assert_eq!((name.action, name.rule()), (Action::Z, "E.1-1 Z".to_string()));
        let size = expected(Tag::new(0x0010, 0x1020), basic, CT, false, false, &NoCreator).unwrap();
        assert_eq!(size.action, Action::X);
        let kept = basic.with(BasicOption::RetainPatientCharacteristics);
        assert_eq!(expected(Tag::new(0x0010, 0x1020), kept, CT, false, false, &NoCreator).unwrap().action, Action::K);
        assert_eq!(
            expected(Tag::new(0x0002, 0x0016), basic, CT, false, true, &NoCreator).unwrap().rule(),
            "file meta X"
        );
        assert_eq!(expected(Tag::new(0x0002, 0x0010), basic, CT, false, true, &NoCreator), None);
        assert_eq!(
            expected(Tag::new(0x0009, 0x1010), basic, CT, false, false, &NoCreator).unwrap().rule(),
            "private X"
        );
        assert_eq!(expected(Tag::new(0x6002, 0x0022), basic, CT, false, false, &NoCreator).unwrap().action, Action::X);
        assert_eq!(expected(Tag::new(0x0028, 0x0010), basic, CT, false, false, &NoCreator), None);
        assert_eq!(expected(Tag::new(0x0000, 0x1000), basic, CT, false, false, &NoCreator).unwrap().action, Action::X);
        let id = expected(PATIENT_ID, basic, CT, false, false, &NoCreator).unwrap();
        assert!(id.action == Action::Z && id.dummy_allowed, "the keyed pseudonym is not a finding");
        assert!(!name.dummy_allowed);
    }
}
