//! The PS3.6 data dictionary: keyword and VR of a standard tag.

use super::dict_table::{ENTRIES, REPEATERS};
use super::tag::Tag;
use super::vr::Vr;

/// The dictionary entry of a standard tag: its VR (ambiguous VRs resolved as PS3.5 A.1) and keyword.
#[must_use]
pub fn lookup(tag: Tag) -> Option<(Vr, &'static str)> {
    if let Ok(i) = ENTRIES.binary_search_by_key(&tag.0, |e| e.0) {
        let (_, vr, kw) = ENTRIES[i];
        return Some((vr, kw));
    }
    REPEATERS.iter().find(|(value, mask, _, _)| tag.0 & mask == *value).map(|&(_, _, vr, kw)| (vr, kw))
}

/// The VR an implicit-VR element of this tag has: the dictionary's, `UL` for group lengths
/// (PS3.5 7.2), and `UN` for private and unknown tags.
#[must_use]
pub fn implicit_vr(tag: Tag) -> Vr {
    if tag.is_group_length() {
        return Vr::UL;
    }
    if tag.is_private() && (0x10..=0xFF).contains(&tag.element()) {
        return Vr::LO; // private creator (PS3.5 7.8.1)
    }
    lookup(tag).map_or(Vr::UN, |(vr, _)| vr)
}

/// The keyword of a standard tag, if it has one.
#[must_use]
pub fn keyword(tag: Tag) -> Option<&'static str> {
    lookup(tag).map(|(_, kw)| kw)
}

/// The tag of a keyword (repeating-group keywords excluded, as in pydicom's `tag_for_keyword`).
#[must_use]
pub fn tag_for_keyword(keyword: &str) -> Option<Tag> {
    static BY_KEYWORD: std::sync::OnceLock<std::collections::HashMap<&'static str, u32>> = std::sync::OnceLock::new();
    BY_KEYWORD.get_or_init(|| ENTRIES.iter().map(|&(tag, _, kw)| (kw, tag)).collect()).get(keyword).map(|&t| Tag(t))
}

/// Every keyword with its tag, in tag order (repeating groups excluded).
pub fn keywords() -> impl Iterator<Item = (&'static str, Tag)> {
    ENTRIES.iter().map(|&(tag, _, kw)| (kw, Tag(tag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_standard_and_repeating_tags() {
        assert_eq!(lookup(Tag(0x0010_0010)), Some((Vr::PN, "PatientName")));
        assert_eq!(lookup(Tag(0x6002_3000)), Some((Vr::OW, "OverlayData")));
        assert_eq!(implicit_vr(Tag(0x0009_1001)), Vr::UN);
        assert_eq!(implicit_vr(Tag(0x0008_1115)), Vr::SQ);
        assert_eq!(implicit_vr(Tag(0x0010_0000)), Vr::UL);
    }

    #[test]
    fn keywords_map_back_to_tags() {
        assert_eq!(tag_for_keyword("PatientName"), Some(Tag(0x0010_0010)));
        assert_eq!(tag_for_keyword("OverlayData"), None);
        assert_eq!(tag_for_keyword("patientname"), None);
        assert!(keywords().all(|(kw, tag)| keyword(tag) == Some(kw)));
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(ENTRIES.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
