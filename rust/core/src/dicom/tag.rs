//! Data element tags.

use std::fmt;

/// A (group, element) tag packed as `group << 16 | element`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u32);

impl Tag {
    /// (0002,0000) File Meta Information Group Length.
    pub const META_GROUP_LENGTH: Tag = Tag(0x0002_0000);
    /// (0002,0010) Transfer Syntax UID.
    pub const TRANSFER_SYNTAX: Tag = Tag(0x0002_0010);
    /// (7FE0,0010) Pixel Data.
    pub const PIXEL_DATA: Tag = Tag(0x7FE0_0010);
    /// (FFFE,E000) Item.
    pub const ITEM: Tag = Tag(0xFFFE_E000);
    /// (FFFE,E00D) Item Delimitation Item.
    pub const ITEM_END: Tag = Tag(0xFFFE_E00D);
    /// (FFFE,E0DD) Sequence Delimitation Item.
    pub const SEQUENCE_END: Tag = Tag(0xFFFE_E0DD);

    /// Builds a tag from its group and element numbers.
    #[must_use]
    pub fn new(group: u16, element: u16) -> Self {
        Tag(u32::from(group) << 16 | u32::from(element))
    }

    /// The group number.
    #[must_use]
    pub fn group(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The element number.
    #[must_use]
    pub fn element(self) -> u16 {
        self.0 as u16
    }

    /// Private tags have an odd group number (PS3.5 7.8.1). Groups 1, 3, 5 and 7 may not be used
    /// at all; they count as private here too, so remove-private-tags clears them, as pydicom does.
    #[must_use]
    pub fn is_private(self) -> bool {
        self.group() % 2 == 1
    }

    /// (gggg,0000) group length elements, deprecated outside the file meta (PS3.5 7.2).
    #[must_use]
    pub fn is_group_length(self) -> bool {
        self.element() == 0
    }

    /// Item, item delimiter or sequence delimiter.
    #[must_use]
    pub fn is_delimiter(self) -> bool {
        self.group() == 0xFFFE
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:04X},{:04X})", self.group(), self.element())
    }
}
