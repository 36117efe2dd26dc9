//! Rows of Table E.1-1: which row governs a tag, and the action a row takes once the enabled
//! options are applied (docs/basic-profile.md).

use super::row::{ContentRow, Row, SafePrivate, TagPattern};
use super::table::{CONTENT_ITEMS, EXACT_ROWS, ROWS, SAFE_PRIVATE};
use crate::dicom::Tag;

/// Every row of Table E.1-1: exact tags by tag, then repeating groups, then the private row.
#[must_use]
pub fn rows() -> &'static [Row] {
    ROWS
}

/// The row of Table E.1-1 that governs `tag`, or `None` when the table does not name it.
///
/// An exact tag wins; an odd group is private even where a repeating-group mask would match it
/// (`(6001,3000)` is a private element, not overlay data: overlays use even groups, PS3.5 7.6).
#[must_use]
pub fn lookup(tag: Tag) -> Option<&'static Row> {
    let exact = &ROWS[..EXACT_ROWS];
    if let Ok(i) = exact.binary_search_by_key(&tag.0, |r| match r.tag {
        TagPattern::Exact(t) => t,
        _ => u32::MAX,
    }) {
        return Some(&exact[i]);
    }
    let rest = &ROWS[EXACT_ROWS..];
    rest.iter()
        .find(|r| r.tag == TagPattern::Private && r.tag.matches(tag))
        .or_else(|| rest.iter().find(|r| r.tag.matches(tag)))
}

/// The Table E.3.4-1 row of a content item with concept name (`scheme`, `code`) and value type
/// `value_type`, or `None` when the table does not name it.
#[must_use]
pub fn content_item(scheme: &str, code: &str, value_type: &str) -> Option<&'static ContentRow> {
    CONTENT_ITEMS
        .binary_search_by(|r| (r.scheme, r.code, r.value_type).cmp(&(scheme, code, value_type)))
        .ok()
        .map(|i| &CONTENT_ITEMS[i])
}

/// Every row of Table E.3.4-1.
#[must_use]
pub fn content_items() -> &'static [ContentRow] {
    CONTENT_ITEMS
}

/// The Table E.3.10-1 entry for the private element `tag` in a block reserved by `creator`, or
/// `None` when it is not on the list. `creator` is compared without its leading and trailing
/// spaces (LO padding, PS3.5 6.2). Private creator elements themselves, `(gggg,0010-00FF)`, are
/// never on the list: the caller keeps a creator when it keeps an element of its block.
#[must_use]
pub fn safe_private(creator: &str, tag: Tag) -> Option<&'static SafePrivate> {
    if tag.group() % 2 == 0 || tag.element() < 0x1000 {
        return None;
    }
    let key = (creator.trim_matches(' '), tag.group(), tag.element() as u8);
    SAFE_PRIVATE.binary_search_by(|e| (e.creator, e.group, e.element_low).cmp(&key)).ok().map(|i| &SAFE_PRIVATE[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basic::action::Action;
    use crate::basic::options::{BasicOption, OptionSet};
    use crate::basic::table::EDITION;
    use crate::dicom::Vr;
    use Action::{C, D, K, U, X, Z, ZD};

    fn row(group: u16, element: u16) -> &'static Row {
        lookup(Tag::new(group, element)).expect("row")
    }

    #[test]
    fn the_table_has_every_row_of_edition_2026d_in_order() {
        assert_eq!(EDITION, "2026d");
        assert_eq!(rows().len(), 657);
        assert_eq!(EXACT_ROWS, 653);
        let exact: Vec<u32> = ROWS[..EXACT_ROWS]
            .iter()
            .map(|r| match r.tag {
                TagPattern::Exact(t) => t,
                other => panic!("{other:?} among the exact rows"),
            })
            .collect();
        assert!(exact.windows(2).all(|w| w[0] < w[1]), "exact rows sorted and unique");
        // No exact row lies in a repeating group or an odd group, so lookup order cannot matter.
        for &t in &exact {
            for r in &ROWS[EXACT_ROWS..] {
                assert!(!r.tag.matches(Tag(t)), "({t:08X}) also matches {:?}", r.tag);
            }
        }
        assert_eq!(ROWS.last().map(|r| r.tag), Some(TagPattern::Private));
    }

    #[test]
    fn known_rows_give_known_codes() {
        let name = row(0x0010, 0x0010);
        assert_eq!((name.keyword, name.basic), ("PatientName", Z));
        let id = row(0x0010, 0x0020);
        assert_eq!((id.keyword, id.basic), ("PatientID", ZD));
        let content = row(0x0040, 0xA730);
        assert_eq!((content.keyword, content.basic), ("ContentSequence", D));
        assert_eq!(content.option_action(BasicOption::CleanStructuredContent), Some(C));
        assert_eq!(row(0x0020, 0x000D).basic, U);
        assert_eq!(row(0x0020, 0x000D).option_action(BasicOption::RetainUids), Some(K));
        assert_eq!(row(0x0008, 0x0020).keyword, "StudyDate");
        assert!(lookup(Tag::new(0x0028, 0x0010)).is_none(), "Rows is not in the table");
    }

    #[test]
    fn repeating_groups_and_private_groups_match_by_mask() {
        let overlay = row(0x6002, 0x3000);
        assert_eq!((overlay.keyword, overlay.basic), ("OverlayData", X));
        assert_eq!(overlay.option_action(BasicOption::CleanGraphics), Some(C));
        assert_eq!(row(0x60FE, 0x4000).keyword, "OverlayComments");
        assert_eq!(row(0x5010, 0x1234).name, "Curve Data");
        assert!(lookup(Tag::new(0x6002, 0x0010)).is_none(), "overlay rows are not in the table");
        for (group, element) in [(0x0009, 0x0010), (0x0019, 0x1001), (0x6001, 0x3000), (0x7FE1, 0x0010)] {
            let private = row(group, element);
            assert_eq!((private.tag, private.basic), (TagPattern::Private, X), "({group:04X},{element:04X})");
            assert_eq!(private.option_action(BasicOption::RetainSafePrivate), Some(C));
        }
    }

    #[test]
    fn options_replace_the_basic_code_and_the_least_keeping_option_wins() {
        let basic = OptionSet::new();
        let study_uid = row(0x0020, 0x000D);
        assert_eq!(study_uid.effective_action(basic), U);
        assert_eq!(study_uid.effective_action(basic.with(BasicOption::RetainUids)), K);
        assert_eq!(study_uid.effective_action(basic.with(BasicOption::CleanDescriptors)), U);

        // Date of Last Calibration: Retain Device Identity keeps it, Modified Dates cleans it.
        let calibration = row(0x0018, 0x1200);
        assert_eq!(calibration.basic, X);
        let device = basic.with(BasicOption::RetainDeviceIdentity);
        assert_eq!(calibration.effective_action(device), K);
        assert_eq!(calibration.effective_action(device.with(BasicOption::RetainLongitudinalModifiedDates)), C);

        // StudyDate: Full Dates keeps (K), Modified Dates cleans (C); both enabled, C wins.
        let date = row(0x0008, 0x0020);
        let full = basic.with(BasicOption::RetainLongitudinalFullDates);
        let modified = basic.with(BasicOption::RetainLongitudinalModifiedDates);
        assert_eq!(date.effective_action(full), K);
        assert_eq!(date.effective_action(modified), C);
        assert_eq!(date.effective_action(full.with(BasicOption::RetainLongitudinalModifiedDates)), C);

        // Every row whose options disagree resolves to C, never K, when all options are enabled.
        let all: OptionSet = super::super::options::ALL_OPTIONS.into_iter().collect();
        for r in ROWS {
            let codes: Vec<Action> = r.options.iter().map(|(_, a)| *a).collect();
            if codes.contains(&C) {
                assert_eq!(r.effective_action(all), C, "{}", r.name);
            } else if let Some(&first) = codes.first() {
                assert_eq!(r.effective_action(all), first, "{}", r.name);
            }
        }
    }

    #[test]
    fn safe_private_entries_are_found_by_creator_group_and_low_byte() {
        assert_eq!(SAFE_PRIVATE.len(), 130);
        // (7053,xx00) SUV Factor, Philips PET Private Group, DS, reserved in block 0x10 or 0x20.
        for element in [0x1000, 0x2000] {
            let e = safe_private("Philips PET Private Group ", Tag::new(0x7053, element)).expect("listed");
            assert_eq!(e.vr, Some(Vr::DS));
        }
        assert!(safe_private("Philips PET Private Group", Tag::new(0x7053, 0x1001)).is_none());
        assert!(safe_private("SOME OTHER CREATOR", Tag::new(0x7053, 0x1000)).is_none());
        assert!(safe_private("Philips PET Private Group", Tag::new(0x7053, 0x0010)).is_none(), "creator element");
        assert_eq!(safe_private("HOLOGIC, Inc.", Tag::new(0x7E01, 0x1001)).map(|e| e.creator), Some("HOLOGIC, Inc."));
    }
}
