//! The elements a profile's own rules address, which the Basic Profile pass leaves to them.

use std::collections::HashSet;

use crate::dicom::Tag;

/// The elements a profile's own rules address, (level, tag) in the engine's [`State`]: the
/// Basic Profile leaves them to the rules.
#[derive(Debug, Default)]
pub struct Named(HashSet<(usize, Tag)>);

impl Named {
    /// Adds one element.
    pub fn insert(&mut self, level: usize, tag: Tag) {
        self.0.insert((level, tag));
    }

    /// Whether a rule addresses the element.
    #[must_use]
    pub fn contains(&self, level: usize, tag: Tag) -> bool {
        self.0.contains(&(level, tag))
    }
}
