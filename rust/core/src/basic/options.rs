//! The options of the Basic Application Level Confidentiality Profile (PS3.15 E.3), their
//! CID 7050 codes, and sets of enabled options.

use std::fmt;

/// CID 7050 code of the Basic Application Confidentiality Profile itself (PS3.15 E.2).
pub const BASIC_PROFILE_CODE: &str = "113100";

/// An option of the Basic Profile (PS3.15 E.3.1 to E.3.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BasicOption {
    /// E.3.1: remove identity burned into the pixel data (no column in Table E.1-1).
    CleanPixelData,
    /// E.3.2: remove recognizable visual features such as faces (no column in Table E.1-1).
    CleanRecognizableVisualFeatures,
    /// E.3.3: clean graphics (overlays, curves, presentation annotations).
    CleanGraphics,
    /// E.3.4: clean structured content (SR content items, Table E.3.4-1).
    CleanStructuredContent,
    /// E.3.5: clean free-text descriptions instead of removing them.
    CleanDescriptors,
    /// E.3.6: keep dates and times unchanged.
    RetainLongitudinalFullDates,
    /// E.3.6: keep intervals but move dates and times.
    RetainLongitudinalModifiedDates,
    /// E.3.7: keep sex, age, size, weight and similar.
    RetainPatientCharacteristics,
    /// E.3.8: keep device identifiers (serial numbers, station names).
    RetainDeviceIdentity,
    /// E.3.9: keep UIDs instead of replacing them.
    RetainUids,
    /// E.3.10: keep the private attributes known to be safe (Table E.3.10-1).
    RetainSafePrivate,
    /// E.3.11: keep institution names and addresses.
    RetainInstitutionIdentity,
}

/// Every option, in the order of PS3.15 E.3.
pub const ALL_OPTIONS: [BasicOption; 12] = [
    BasicOption::CleanPixelData,
    BasicOption::CleanRecognizableVisualFeatures,
    BasicOption::CleanGraphics,
    BasicOption::CleanStructuredContent,
    BasicOption::CleanDescriptors,
    BasicOption::RetainLongitudinalFullDates,
    BasicOption::RetainLongitudinalModifiedDates,
    BasicOption::RetainPatientCharacteristics,
    BasicOption::RetainDeviceIdentity,
    BasicOption::RetainUids,
    BasicOption::RetainSafePrivate,
    BasicOption::RetainInstitutionIdentity,
];

impl BasicOption {
    /// The option's code in PS3.16 CID 7050 (coding scheme DCM), for the De-identification
    /// Method Code Sequence (0012,0064).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            BasicOption::CleanPixelData => "113101",
            BasicOption::CleanRecognizableVisualFeatures => "113102",
            BasicOption::CleanGraphics => "113103",
            BasicOption::CleanStructuredContent => "113104",
            BasicOption::CleanDescriptors => "113105",
            BasicOption::RetainLongitudinalFullDates => "113106",
            BasicOption::RetainLongitudinalModifiedDates => "113107",
            BasicOption::RetainPatientCharacteristics => "113108",
            BasicOption::RetainDeviceIdentity => "113109",
            BasicOption::RetainUids => "113110",
            BasicOption::RetainSafePrivate => "113111",
            BasicOption::RetainInstitutionIdentity => "113112",
        }
    }

    /// The code meaning in CID 7050 (from the generated table).
    #[must_use]
    pub fn meaning(self) -> &'static str {
        super::cid7050::CID_7050.iter().find(|(code, _)| *code == self.code()).map_or("", |(_, meaning)| meaning)
    }

    /// The PS3.15 section that defines the option.
    #[must_use]
    pub fn section(self) -> &'static str {
        match self {
            BasicOption::CleanPixelData => "E.3.1",
            BasicOption::CleanRecognizableVisualFeatures => "E.3.2",
            BasicOption::CleanGraphics => "E.3.3",
            BasicOption::CleanStructuredContent => "E.3.4",
            BasicOption::CleanDescriptors => "E.3.5",
            BasicOption::RetainLongitudinalFullDates | BasicOption::RetainLongitudinalModifiedDates => "E.3.6",
            BasicOption::RetainPatientCharacteristics => "E.3.7",
            BasicOption::RetainDeviceIdentity => "E.3.8",
            BasicOption::RetainUids => "E.3.9",
            BasicOption::RetainSafePrivate => "E.3.10",
            BasicOption::RetainInstitutionIdentity => "E.3.11",
        }
    }

    /// The option's name on the command line and in profiles (`retain-uids`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            BasicOption::CleanPixelData => "clean-pixel-data",
            BasicOption::CleanRecognizableVisualFeatures => "clean-recognizable-visual-features",
            BasicOption::CleanGraphics => "clean-graphics",
            BasicOption::CleanStructuredContent => "clean-structured-content",
            BasicOption::CleanDescriptors => "clean-descriptors",
            BasicOption::RetainLongitudinalFullDates => "retain-longitudinal-full-dates",
            BasicOption::RetainLongitudinalModifiedDates => "retain-longitudinal-modified-dates",
            BasicOption::RetainPatientCharacteristics => "retain-patient-characteristics",
            BasicOption::RetainDeviceIdentity => "retain-device-identity",
            BasicOption::RetainUids => "retain-uids",
            BasicOption::RetainSafePrivate => "retain-safe-private",
            BasicOption::RetainInstitutionIdentity => "retain-institution-identity",
        }
    }

    /// The option with this [`name`](Self::name) or CID 7050 code, or `None`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        ALL_OPTIONS.into_iter().find(|o| o.name() == name || o.code() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for BasicOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of enabled options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OptionSet(u16);

impl OptionSet {
    /// No option: the Basic Profile alone.
    #[must_use]
    pub fn new() -> Self {
        OptionSet(0)
    }

    /// This set with `option` added.
    #[must_use]
    pub fn with(self, option: BasicOption) -> Self {
        OptionSet(self.0 | option.bit())
    }

    /// Whether `option` is enabled.
    #[must_use]
    pub fn contains(self, option: BasicOption) -> bool {
        self.0 & option.bit() != 0
    }

    /// The enabled options, in the order of PS3.15 E.3.
    pub fn iter(self) -> impl Iterator<Item = BasicOption> {
        ALL_OPTIONS.into_iter().filter(move |o| self.contains(*o))
    }

    /// Two enabled options the standard offers as alternatives, if any. The two Retain
    /// Longitudinal options (E.3.6) each set (0028,0303) Longitudinal Temporal Information
    /// Modified to a different value, so a profile must choose one; callers should refuse the set.
    #[must_use]
    pub fn conflict(self) -> Option<(BasicOption, BasicOption)> {
        let pair = (BasicOption::RetainLongitudinalFullDates, BasicOption::RetainLongitudinalModifiedDates);
        (self.contains(pair.0) && self.contains(pair.1)).then_some(pair)
    }
}

impl FromIterator<BasicOption> for OptionSet {
    fn from_iter<I: IntoIterator<Item = BasicOption>>(iter: I) -> Self {
        iter.into_iter().fold(OptionSet::new(), OptionSet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_meanings_agree_with_cid_7050() {
        let cid = super::super::cid7050::CID_7050;
        assert_eq!(cid.len(), 13);
        assert_eq!(cid[0], (BASIC_PROFILE_CODE, "Basic Application Confidentiality Profile"));
        for option in ALL_OPTIONS {
            assert!(option.meaning().ends_with("Option"), "{option}: {}", option.meaning());
        }
        assert_eq!(BasicOption::RetainUids.meaning(), "Retain UIDs Option");
        assert_eq!(BasicOption::CleanGraphics.section(), "E.3.3");
        let codes: std::collections::BTreeSet<_> = ALL_OPTIONS.iter().map(|o| o.code()).collect();
        assert_eq!(codes.len(), 12);
    }

    #[test]
    fn names_round_trip_and_sets_hold_options() {
        for option in ALL_OPTIONS {
            assert_eq!(BasicOption::from_name(option.name()), Some(option));
            assert_eq!(BasicOption::from_name(option.code()), Some(option));
        }
        assert_eq!(BasicOption::from_name("retain-everything"), None);
        let set: OptionSet = [BasicOption::RetainUids, BasicOption::CleanDescriptors].into_iter().collect();
        assert!(set.contains(BasicOption::RetainUids) && !set.contains(BasicOption::RetainSafePrivate));
        assert_eq!(set.iter().collect::<Vec<_>>(), [BasicOption::CleanDescriptors, BasicOption::RetainUids]);
        assert_eq!(set.conflict(), None);
        let both =
            set.with(BasicOption::RetainLongitudinalFullDates).with(BasicOption::RetainLongitudinalModifiedDates);
        assert!(both.conflict().is_some());
    }
}
