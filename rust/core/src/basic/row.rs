//! One row of Table E.1-1 and one safe private attribute (Table E.3.10-1): the types the generated
//! tables are made of, and the action a row takes once the enabled options are applied.

use super::action::Action;
use super::options::{BasicOption, OptionSet};
use crate::dicom::{Tag, Vr};

/// The tags one row of Table E.1-1 covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagPattern {
    /// One tag.
    Exact(u32),
    /// A repeating group such as `(60xx,3000)`: a tag `t` matches when `t & mask == value`.
    Masked {
        /// The tag with every `x` digit zero.
        value: u32,
        /// `F` for each fixed hex digit, `0` for each `x`.
        mask: u32,
    },
    /// `(gggg,eeee) where gggg is odd`: every element of an odd group, private creators included.
    Private,
}

impl TagPattern {
    /// Whether `tag` is one of the tags this pattern covers.
    #[must_use]
    pub fn matches(self, tag: Tag) -> bool {
        match self {
            TagPattern::Exact(t) => tag.0 == t,
            TagPattern::Masked { value, mask } => tag.0 & mask == value,
            TagPattern::Private => tag.group() % 2 == 1,
        }
    }
}

/// One row of Table E.1-1.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The tag, repeating group or private group the row covers.
    pub tag: TagPattern,
    /// The PS3.6 keyword; empty for the curve-data and private rows.
    pub keyword: &'static str,
    /// The attribute name as Table E.1-1 writes it.
    pub name: &'static str,
    /// Retired in PS3.6.
    pub retired: bool,
    /// Used in a standard composite IOD (PS3.3).
    pub in_std_comp_iod: bool,
    /// The Basic Profile's action ("Basic Prof." column).
    pub basic: Action,
    /// The options whose column names this row, each with its code (only K and C occur).
    pub options: &'static [(BasicOption, Action)],
}

impl Row {
    /// The code an option's column gives this row, if any.
    #[must_use]
    pub fn option_action(&self, option: BasicOption) -> Option<Action> {
        self.options.iter().find(|(o, _)| *o == option).map(|(_, a)| *a)
    }

    /// The action this row takes with `options` enabled (PS3.15 E.3: an option's code replaces
    /// the Basic Profile's). When several enabled options name the row, the code that keeps the
    /// least wins (C before K), so enabling one more option never undoes what another cleans:
    /// Retain Device Identity keeps (0018,1200) Date of Last Calibration (K) while Retain
    /// Longitudinal Modified Dates shifts it (C); with both, the date is shifted, since a true
    /// calibration date would give away the real dates the other option hides.
    #[must_use]
    pub fn effective_action(&self, options: OptionSet) -> Action {
        effective(self.basic, self.options, options)
    }
}

/// `basic`, or the code of the enabled option that keeps the least (see [`Row::effective_action`]).
fn effective(basic: Action, cells: &[(BasicOption, Action)], options: OptionSet) -> Action {
    cells.iter().filter(|(o, _)| options.contains(*o)).map(|(_, a)| *a).min_by_key(|a| a.retention()).unwrap_or(basic)
}

/// One row of Table E.3.4-1: a content item, by its concept name and value type, that the Clean
/// Structured Content option acts on.
#[derive(Clone, Copy, Debug)]
pub struct ContentRow {
    /// Coding Scheme Designator of the concept name.
    pub scheme: &'static str,
    /// Code Value of the concept name.
    pub code: &'static str,
    /// Code Meaning, as the table writes it.
    pub meaning: &'static str,
    /// The content item's Value Type (TEXT, PNAME, DATE, ...).
    pub value_type: &'static str,
    /// The Basic Profile's action on the item.
    pub basic: Action,
    /// The options whose column names this row, each with its code (only K and C occur).
    pub options: &'static [(BasicOption, Action)],
}

impl ContentRow {
    /// The action this row takes with `options` enabled, as for [`Row::effective_action`].
    #[must_use]
    pub fn effective_action(&self, options: OptionSet) -> Action {
        effective(self.basic, self.options, options)
    }
}

/// One entry of Table E.3.10-1, a private attribute the standard lists as safe to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafePrivate {
    /// The private creator string reserving the block.
    pub creator: &'static str,
    /// The (odd) group.
    pub group: u16,
    /// The low byte of the element number (its place within the reserved block).
    pub element_low: u8,
    /// The VR, when the table gives one.
    pub vr: Option<Vr>,
}
