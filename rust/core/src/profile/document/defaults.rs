//! Every default of the profile format, written once, each citing the section of
//! `docs/profiles.md` that documents it. Nothing else in the project repeats these values.

/// Hex digits `hash` keeps when `hash-digits` is not set (`docs/profiles.md#hash`).
pub const HASH_DIGITS: i64 = 16;
/// Leading UID nodes `hashuid` keeps (`uid-prefix-fields`, `docs/profiles.md#hashuid`).
pub const UID_PREFIX_FIELDS: usize = 4;
/// Trailing UID nodes `hashuid` keeps (`uid-suffix-fields`, `docs/profiles.md#hashuid`).
pub const UID_SUFFIX_FIELDS: usize = 1;
/// The UID root of the reference: a `uid-numeric-name` under it must be exactly
/// `<root>.2.2` (`docs/profiles.md#hashuid`).
pub const UID_ROOT_FLYWHEEL: &str = "2.16.840.1.114570";
/// strptime format of DA values (`date-format`, `docs/profiles.md#dates`).
pub const DATE_FORMAT: &str = "%Y%m%d";
/// strptime format of DT values (`datetime-format`, `docs/profiles.md#dates`); also the form in
/// which `datetime-min`/`datetime-max` bounds are stored in the compiled profile.
pub const DATETIME_FORMAT: &str = "%Y%m%d%H%M%S.%f";
/// `jitter-range` of numeric jitter (`docs/profiles.md#jitter`).
pub const JITTER_RANGE: f64 = 2.0;
/// `jitter-type` of numeric jitter (`docs/profiles.md#jitter`).
pub const JITTER_TYPE: &str = "float";
/// `jitter-range` of `jitter-date`, in `jitter-unit`s (`docs/profiles.md#jitter`).
pub const DATE_JITTER_RANGE: f64 = 10.0;
/// `jitter-unit` of `jitter-date` (`docs/profiles.md#jitter`).
pub const JITTER_UNIT: &str = "days";
/// `replace-with-insert`: a missing element is inserted (`docs/profiles.md#defaults`).
pub const REPLACE_WITH_INSERT: bool = true;
/// `recurse-sequence`, `remove-private-tags`, `remove-undefined`, `patient-age-from-birthdate`
/// are all off unless set (`docs/profiles.md#defaults`).
pub const PASSES: bool = false;
/// Shortest accepted `jitter-seed`, in characters (`docs/profiles.md#jitter`).
pub const JITTER_SEED_MIN_CHARS: usize = 8;
