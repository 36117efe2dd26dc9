//! The action codes of PS3.15 Table E.1-1 (section E.1.1) and how a combined code such as `X/Z/D`
//! becomes one action once the attribute's type in the IOD is known (docs/basic-profile.md).

use std::fmt;

/// What the profile does with an attribute, as Table E.1-1 codes it.
///
/// The combined codes name the choices the standard allows, in order from "keeps least" to
/// "keeps the IOD valid"; [`Action::resolve`] picks one from the attribute's type.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Remove the attribute.
    X,
    /// Replace with an empty value (a dummy value is also allowed).
    Z,
    /// Replace with a non-empty dummy value valid for the VR.
    D,
    /// Keep; a kept sequence still has the rules applied to its items.
    K,
    /// Clean: replace with a value of similar meaning that identifies nobody.
    C,
    /// Replace a UID with a new one, mapped the same way across the whole set of instances.
    U,
    /// `Z/D`: Z, or D when the attribute is Type 1.
    ZD,
    /// `X/Z`: X, or Z when the attribute is Type 1 or 2.
    XZ,
    /// `X/D`: X, or D when the attribute is Type 1 or 2.
    XD,
    /// `X/Z/D`: X, or Z when Type 2, or D when Type 1.
    XZD,
    /// `X/Z/U*`: X, or Z when Type 2, or for a Type 1 sequence keep it and replace the instance UIDs in it.
    XZU,
}

/// Every action code, in the order of [`Action`].
pub const ALL_ACTIONS: [Action; 11] = [
    Action::X,
    Action::Z,
    Action::D,
    Action::K,
    Action::C,
    Action::U,
    Action::ZD,
    Action::XZ,
    Action::XD,
    Action::XZD,
    Action::XZU,
];

impl Action {
    /// The code as the standard writes it (`X`, `Z/D`, `X/Z/U*`, ...).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Action::X => "X",
            Action::Z => "Z",
            Action::D => "D",
            Action::K => "K",
            Action::C => "C",
            Action::U => "U",
            Action::ZD => "Z/D",
            Action::XZ => "X/Z",
            Action::XD => "X/D",
            Action::XZD => "X/Z/D",
            Action::XZU => "X/Z/U*",
        }
    }

    /// The action for a code as the standard writes it, or `None`.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        ALL_ACTIONS.into_iter().find(|a| a.code() == code)
    }

    /// Whether the code is a choice that depends on the attribute's type in the IOD.
    #[must_use]
    pub fn is_combined(self) -> bool {
        matches!(self, Action::ZD | Action::XZ | Action::XD | Action::XZD | Action::XZU)
    }

    /// The single action a combined code stands for when the attribute has type `ty` in the IOD;
    /// a plain code is returned unchanged.
    ///
    /// PS3.15 E.1.1 takes the first choice unless a later one is "required to maintain IOD
    /// conformance": a Type 3 attribute may go, a Type 2 one must stay (empty if the code allows
    /// Z, else a dummy), a Type 1 one must stay non-empty (D if the code allows it; for `X/Z/U*`
    /// the sequence is kept and its UIDs replaced, i.e. U; for `X/Z`, Z, which the standard lets
    /// carry a dummy value). Conditional types count as their unconditional type, since fastdeid
    /// does not evaluate the conditions: an empty or dummy value never carries identity, while a
    /// missing required attribute makes the output invalid.
    #[must_use]
    pub fn resolve(self, ty: AttrType) -> Action {
        let required = match ty {
            AttrType::Type1 | AttrType::Type1C => 1,
            AttrType::Type2 | AttrType::Type2C => 2,
            AttrType::Type3 => 3,
        };
        match (self, required) {
            (Action::ZD | Action::XZD, 1) | (Action::XD, 1 | 2) => Action::D,
            (Action::ZD, _) | (Action::XZ, 1 | 2) | (Action::XZD | Action::XZU, 2) => Action::Z,
            (Action::XZU, 1) => Action::U,
            (Action::XZ | Action::XD | Action::XZD | Action::XZU, _) => Action::X,
            (plain, _) => plain,
        }
    }

    /// How much of the original an action keeps, for choosing between options that name the same
    /// row (docs/basic-profile.md, "When two options name one row"): lower keeps less.
    pub(super) fn retention(self) -> u8 {
        match self {
            Action::X | Action::XZ | Action::XD | Action::XZD | Action::XZU => 0,
            Action::Z | Action::ZD => 1,
            Action::D => 2,
            Action::U => 3,
            Action::C => 4,
            Action::K => 5,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The type of an attribute in a module of an IOD (PS3.5 section 7.4): whether it must be
/// present, and whether it may be empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttrType {
    /// Required, with a value.
    Type1,
    /// Required with a value when a condition holds.
    Type1C,
    /// Required, possibly empty.
    Type2,
    /// Required, possibly empty, when a condition holds.
    Type2C,
    /// Optional.
    Type3,
}

impl AttrType {
    /// The type as PS3.3 writes it (`1`, `1C`, `2`, `2C`, `3`), or `None`.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "1" => Some(AttrType::Type1),
            "1C" => Some(AttrType::Type1C),
            "2" => Some(AttrType::Type2),
            "2C" => Some(AttrType::Type2C),
            "3" => Some(AttrType::Type3),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for a in ALL_ACTIONS {
            assert_eq!(Action::from_code(a.code()), Some(a));
        }
        assert_eq!(Action::from_code("X/Z/U"), None);
        assert_eq!(Action::XZU.to_string(), "X/Z/U*");
    }

    #[test]
    fn combined_codes_resolve_by_type() {
        use AttrType::{Type1, Type1C, Type2, Type2C, Type3};
        let cases = [
            (Action::ZD, [Action::D, Action::D, Action::Z, Action::Z, Action::Z]),
            (Action::XZ, [Action::Z, Action::Z, Action::Z, Action::Z, Action::X]),
            (Action::XD, [Action::D, Action::D, Action::D, Action::D, Action::X]),
            (Action::XZD, [Action::D, Action::D, Action::Z, Action::Z, Action::X]),
            (Action::XZU, [Action::U, Action::U, Action::Z, Action::Z, Action::X]),
        ];
        for (action, expected) in cases {
            let got = [Type1, Type1C, Type2, Type2C, Type3].map(|t| action.resolve(t));
            assert_eq!(got, expected, "{action}");
        }
        for plain in [Action::X, Action::Z, Action::D, Action::K, Action::C, Action::U] {
            assert!(!plain.is_combined());
            assert_eq!(plain.resolve(Type1), plain);
        }
    }
}
