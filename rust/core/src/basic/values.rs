//! Reading the small values the Basic Profile transforms (UIDs, dates, IDs, ages, creators)
//! straight from the input, and the VR an element is rewritten with.

use crate::dicom::{Body, Element, Input, Vr};
use crate::error::{Error, ErrorKind, Result};

/// Largest value read to be transformed: UIDs, dates and IDs are short. A larger value is not
/// read; the action falls back to removing or emptying it.
const MAX_READ: u32 = 64 * 1024;

/// The value bytes of a plain element, or `None` for a sequence, fragments or an over-long value.
///
/// # Errors
/// `io` when the input cannot be read.
pub fn raw<I: Input + ?Sized>(e: &Element, input: &I) -> Result<Option<Vec<u8>>> {
    let (Body::Value, Some(len)) = (&e.body, e.value_len) else { return Ok(None) };
    if len > MAX_READ {
        return Ok(None);
    }
    let mut out = vec![0u8; len as usize];
    input
        .read_exact_at(e.value_start, &mut out)
        .map_err(|err| Error::at(ErrorKind::Io, e.value_start, err.to_string()))?;
    Ok(Some(out))
}

/// The value as text without its padding (trailing NULs and spaces, leading spaces), lossily
/// decoded: only used for ASCII VRs and as keyed-hash input, where the same bytes give the same
/// text in every file.
///
/// # Errors
/// `io` when the input cannot be read.
pub fn text<I: Input + ?Sized>(e: &Element, input: &I) -> Result<Option<String>> {
    Ok(raw(e, input)?
        .map(|b| String::from_utf8_lossy(&b).trim_end_matches(['\0', ' ']).trim_start_matches(' ').to_string()))
}

/// The VR the element is rewritten with: a sequence is SQ whatever its header says (a UN of
/// undefined length holds items, PS3.5 6.2.2), and an explicit UN of a standard tag takes the
/// dictionary's VR, as the profile engine does.
#[must_use]
pub fn effective_vr(e: &Element) -> Vr {
    if matches!(e.body, Body::Items(_)) {
        return Vr::SQ;
    }
    crate::engine::effective_vr(e)
}
