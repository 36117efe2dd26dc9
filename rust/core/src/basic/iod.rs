//! The type (PS3.5 7.4) of an attribute in the IOD of a SOP class, which decides what a combined
//! action code such as `X/Z/D` does (docs/basic-profile.md, "Combined codes"). Only the
//! attributes that have a combined code in Table E.1-1 are covered.

use super::action::{Action, AttrType};
use super::iod_table::{IODS, NESTED, SOP_CLASS_IOD, STRICTEST_TOP_LEVEL, TOP_LEVEL};
use super::options::OptionSet;
use super::rows::lookup;
use crate::dicom::Tag;

/// The IOD of a SOP class (highdicom's key, e.g. `ct-image`), or `None` for a SOP class the
/// tables do not know. Trailing NUL and space padding of the UID is ignored.
#[must_use]
pub fn iod_of(sop_class_uid: &str) -> Option<&'static str> {
    iod_index(sop_class_uid).map(|i| IODS[usize::from(i)])
}

fn iod_index(sop_class_uid: &str) -> Option<u16> {
    let uid = sop_class_uid.trim_end_matches(['\0', ' ']);
    SOP_CLASS_IOD.binary_search_by(|(u, _)| u.cmp(&uid)).ok().map(|i| SOP_CLASS_IOD[i].1)
}

fn find(table: &'static [(u32, AttrType)], tag: Tag) -> Option<AttrType> {
    table.binary_search_by_key(&tag.0, |(t, _)| *t).ok().map(|i| table[i].1)
}

/// The type of `tag` in an object of `sop_class_uid`; `nested` when the element is inside a
/// sequence item rather than at the top level of the data set.
///
/// - At the top level of a known SOP class: the strictest type any module of its IOD gives the
///   attribute, whatever the module's usage (a module that is present must be complete).
/// - At the top level of an unknown SOP class: the strictest type over every IOD, so the
///   output stays valid whatever the object is.
/// - Inside a sequence: the strictest type over every sequence of every module, since the type
///   depends on the enclosing sequence, which this lookup does not follow.
///
/// An attribute the tables do not give (never Type 1 or 2 there, or not a combined-code
/// attribute) is Type 3, for which every combined code takes its first choice.
#[must_use]
pub fn attr_type(sop_class_uid: &str, tag: Tag, nested: bool) -> AttrType {
    let found = if nested {
        find(NESTED, tag)
    } else if let Some(index) = iod_index(sop_class_uid) {
        TOP_LEVEL.binary_search_by_key(&(tag.0, index), |(t, i, _)| (*t, *i)).ok().map(|i| TOP_LEVEL[i].2)
    } else {
        find(STRICTEST_TOP_LEVEL, tag)
    };
    found.unwrap_or(AttrType::Type3)
}

/// The single action the Basic Profile with `options` takes on `tag` in an object of
/// `sop_class_uid` (`nested` as for [`attr_type`]): the row's code after the options
/// ([`super::Row::effective_action`]), with a combined code resolved by the attribute's type
/// ([`Action::resolve`]). `None` when Table E.1-1 does not name the tag.
#[must_use]
pub fn action_for(tag: Tag, options: OptionSet, sop_class_uid: &str, nested: bool) -> Option<Action> {
    let action = lookup(tag)?.effective_action(options);
    Some(if action.is_combined() { action.resolve(attr_type(sop_class_uid, tag, nested)) } else { action })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basic::rows::rows;
    use crate::basic::BasicOption;

    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
    const ENHANCED_CT: &str = "1.2.840.10008.5.1.4.1.1.2.1";

    #[test]
    fn tables_are_sorted_for_binary_search_and_cover_only_combined_codes() {
        assert!(IODS.windows(2).all(|w| w[0] < w[1]));
        assert!(SOP_CLASS_IOD.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(TOP_LEVEL.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        assert!(STRICTEST_TOP_LEVEL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(NESTED.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(TOP_LEVEL.iter().all(|(_, _, t)| *t != AttrType::Type3));
        for &(tag, ..) in TOP_LEVEL {
            assert!(lookup(Tag(tag)).is_some_and(|r| r.basic.is_combined()), "({tag:08X})");
        }
        let combined = rows().iter().filter(|r| r.basic.is_combined()).count();
        assert_eq!(combined, 50);
    }

    #[test]
    fn sop_classes_map_to_their_iod() {
        assert_eq!(iod_of(CT), Some("ct-image"));
        assert_eq!(iod_of("1.2.840.10008.5.1.4.1.1.2\0"), Some("ct-image"));
        assert_eq!(iod_of(ENHANCED_CT), Some("enhanced-ct-image"));
        assert_eq!(iod_of("1.2.3.4"), None);
    }

    #[test]
    fn types_come_from_the_iod_then_the_strictest_fallback() {
        let patient_id = Tag::new(0x0010, 0x0020);
        let serial = Tag::new(0x0018, 0x1000);
        // Patient ID is Type 2 in the Patient Module; Device Serial Number is Type 3 in General
        // Equipment (CT) but Type 1 in Enhanced General Equipment (Enhanced CT).
        assert_eq!(attr_type(CT, patient_id, false), AttrType::Type2);
        assert_eq!(attr_type(CT, serial, false), AttrType::Type3);
        assert_eq!(attr_type(ENHANCED_CT, serial, false), AttrType::Type1);
        assert_eq!(attr_type("1.2.3.4", serial, false), AttrType::Type1, "unknown: strictest of all IODs");
        assert_eq!(attr_type(CT, Tag::new(0x3008, 0x0054), false), AttrType::Type3, "not in the CT IOD");
        assert_eq!(attr_type(CT, patient_id, true), AttrType::Type1, "Type 1 inside some sequence");
        assert_eq!(attr_type(CT, Tag::new(0x0028, 0x0010), false), AttrType::Type3, "no combined code");
    }

    #[test]
    fn action_for_applies_options_then_resolves_combined_codes() {
        let basic = OptionSet::new();
        let patient_id = Tag::new(0x0010, 0x0020);
        let serial = Tag::new(0x0018, 0x1000);
        assert_eq!(action_for(patient_id, basic, CT, false), Some(Action::Z));
        assert_eq!(action_for(patient_id, basic, CT, true), Some(Action::D));
        assert_eq!(action_for(serial, basic, CT, false), Some(Action::X));
        assert_eq!(action_for(serial, basic, ENHANCED_CT, false), Some(Action::D));
        // Retain Device Identity replaces X/Z/D with K before any type is looked at.
        assert_eq!(action_for(serial, basic.with(BasicOption::RetainDeviceIdentity), CT, false), Some(Action::K));
        assert_eq!(action_for(Tag::new(0x0010, 0x0010), basic, CT, false), Some(Action::Z));
        assert_eq!(action_for(Tag::new(0x0028, 0x0010), basic, CT, false), None);
    }
}
