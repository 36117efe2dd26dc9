//! The attributes that record what de-identification was done (PS3.15 E.1.1, PS3.3 C.7.1.1):
//! Patient Identity Removed, De-identification Method, its code sequence (CID 7050) and
//! Longitudinal Temporal Information Modified.

use super::named::Named;
use super::options::{BasicOption, OptionSet, BASIC_PROFILE_CODE};
use super::table::EDITION;
use crate::dicom::encode::{element, value_bytes, Value};
use crate::dicom::{Encoding, Tag, Vr};
use crate::edits::NewValue;
use crate::edits::{State, TOP};
use crate::error::Result;

const PATIENT_IDENTITY_REMOVED: Tag = Tag(0x0012_0062);
const DEIDENTIFICATION_METHOD: Tag = Tag(0x0012_0063);
const DEIDENTIFICATION_METHOD_CODE_SEQUENCE: Tag = Tag(0x0012_0064);
const LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED: Tag = Tag(0x0028_0303);
const CODE_VALUE: Tag = Tag(0x0008_0100);
const CODING_SCHEME_DESIGNATOR: Tag = Tag(0x0008_0102);
const CODE_MEANING: Tag = Tag(0x0008_0104);

/// The (0028,0303) value for `options`: dates kept, shifted, or removed.
#[must_use]
pub fn longitudinal(options: OptionSet) -> &'static str {
    if options.contains(BasicOption::RetainLongitudinalFullDates) {
        "UNMODIFIED"
    } else if options.contains(BasicOption::RetainLongitudinalModifiedDates) {
        "MODIFIED"
    } else {
        "REMOVED"
    }
}

/// The (0012,0063) values: the profile and edition, then each option's name (each within the 64
/// characters of LO).
#[must_use]
pub fn method(options: OptionSet) -> Vec<String> {
    let mut out = vec![format!("fastdeid: DICOM PS3.15 Basic Profile, edition {EDITION}")];
    out.extend(options.iter().map(|o| format!("option {}", o.name())));
    out
}

/// Writes the four attributes at the top level, except those a profile rule names.
///
/// # Errors
/// Only if an encoding limit is hit, which the fixed values here never reach.
pub fn write(options: OptionSet, state: &mut State<'_>, named: &Named) -> Result<()> {
    let enc = state.levels[TOP].ds.encoding;
    let text = |v: Vec<String>, vr| value_bytes(&Value::List(v.into_iter().map(Value::Text).collect()), vr, enc);
    let values = [
        (PATIENT_IDENTITY_REMOVED, Vr::CS, text(vec!["YES".into()], Vr::CS)?),
        (DEIDENTIFICATION_METHOD, Vr::LO, text(method(options), Vr::LO)?),
        (DEIDENTIFICATION_METHOD_CODE_SEQUENCE, Vr::SQ, code_items(options, enc)?),
        (LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED, Vr::CS, text(vec![longitudinal(options).into()], Vr::CS)?),
    ];
    for (tag, vr, bytes) in values {
        if !named.contains(TOP, tag) {
            state.changes.insert((TOP, tag), NewValue::Set(vr, bytes));
        }
    }
    Ok(())
}

/// One item per CID 7050 code applied: the profile (113100), then each enabled option.
fn code_items(options: OptionSet, enc: Encoding) -> Result<Vec<u8>> {
    let profile = (BASIC_PROFILE_CODE, "Basic Application Confidentiality Profile");
    let mut out = Vec::new();
    for (code, meaning) in std::iter::once(profile).chain(options.iter().map(|o| (o.code(), o.meaning()))) {
        let mut item = Vec::new();
        for (tag, vr, value) in
            [(CODE_VALUE, Vr::SH, code), (CODING_SCHEME_DESIGNATOR, Vr::SH, "DCM"), (CODE_MEANING, Vr::LO, meaning)]
        {
            item.extend(element(tag, vr, &value_bytes(&Value::Text(value.into()), vr, enc)?, enc)?);
        }
        out.extend_from_slice(&enc.u16_bytes(0xFFFE));
        out.extend_from_slice(&enc.u16_bytes(0xE000));
        out.extend_from_slice(&enc.u32_bytes(u32::try_from(item.len()).unwrap_or(u32::MAX)));
        out.extend(item);
    }
    Ok(out)
}
