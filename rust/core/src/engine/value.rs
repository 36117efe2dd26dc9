//! Reading and encoding element values, the one place every part of the engine reads a value
//! from. A value is read as the reference reads it (docs/profiles.md#value-model): text with its
//! padding removed and multiple values joined by ",", numbers in decimal. This string is what
//! hash and hashuid digest, what regex-sub matches and what the log shows.

use crate::dicom::charset::CharacterSet;
use crate::dicom::encode::{self, number_text, Value};
use crate::dicom::{dict, Body, Element, Encoding, Input, Tag, Vr};
use crate::edits::{Current, NewValue, Place, State};
use crate::error::{Error, ErrorKind, Result};

/// Largest value read to be transformed; identifiers and dates are short, so anything bigger is a mistake.
const MAX_READ: u32 = 64 * 1024;

/// Renders raw value bytes of `vr`, text in `charset`, as the reference's read string.
pub fn read_string(raw: &[u8], vr: Vr, enc: Encoding, charset: &CharacterSet) -> Result<String> {
    if vr.is_text() {
        let text = charset.decode(raw, vr);
        let trimmed = text.trim_end_matches(['\0', ' ']);
        if matches!(vr, Vr::LT | Vr::ST | Vr::UT | Vr::UR) {
            return Ok(trimmed.to_string()); // single-valued: a backslash is just a character
        }
        // pydicom's per-value cleanup, which the reference's strings inherit.
        let clean = |v: &'_ str| -> String {
            match vr {
                Vr::AE | Vr::UI | Vr::DS | Vr::IS => v.trim_matches([' ', '\0']),
                Vr::LO | Vr::SH | Vr::UC => v.trim_end_matches(' '),
                // pydicom's PersonName drops empty trailing component groups.
                Vr::PN => v.trim_end_matches('='),
                _ => v,
            }
            .to_string()
        };
        if !trimmed.contains('\\') {
            return Ok(clean(trimmed)); // one value, the common case
        }
        return Ok(trimmed.split('\\').map(clean).collect::<Vec<_>>().join(","));
    }
    let Some(width) = vr.numeric_width() else {
        if matches!(vr, Vr::OB | Vr::UN) {
            // docs/profiles.md#value-model: bytes read as their numbers joined by ",".
            return Ok(raw.iter().map(u8::to_string).collect::<Vec<_>>().join(","));
        }
        return Err(Error::new(ErrorKind::BadValue, format!("a {vr} value cannot be read as text")));
    };
    let numbers: Vec<String> = raw.chunks_exact(width).map(|c| number_text(vr, c, enc)).collect();
    Ok(numbers.join(","))
}

/// The element's current value as a read string and its VR; `None` when it is absent.
pub(crate) fn current_string<I: Input + ?Sized>(
    state: &State<'_>,
    place: &Place,
    input: &I,
) -> Result<Option<(Vr, String)>> {
    let enc = state.levels[place.level].ds.encoding;
    let Some((vr, raw)) = current_bytes(state, place, input)? else { return Ok(None) };
    // Plain ASCII reads the same in every character set: skip the lookup.
    let plain = raw.is_ascii() && !raw.contains(&0x1B);
    let charset =
        if vr.is_text() && !plain { character_set(state, place.level, input)? } else { CharacterSet::default() };
    Ok(Some((vr, read_string(&raw, vr, enc, &charset)?)))
}

/// The element's current value bytes and VR; `None` when it is absent.
pub(super) fn current_bytes<I: Input + ?Sized>(
    state: &State<'_>,
    place: &Place,
    input: &I,
) -> Result<Option<(Vr, Vec<u8>)>> {
    match state.current(place.level, place.tag) {
        Current::Absent | Current::Edited(NewValue::Removed) => Ok(None),
        Current::Edited(NewValue::Set(vr, bytes)) => Ok(Some((*vr, bytes.clone()))),
        Current::Original(e) => {
            let len = match (&e.body, e.value_len) {
                (Body::Value, Some(len)) if len <= MAX_READ => len,
                _ => {
                    return Err(Error::at(
                        ErrorKind::BadValue,
                        e.start,
                        "value is a sequence or too large to transform",
                    ))
                }
            };
            let mut raw = vec![0u8; len as usize];
            input
                .read_exact_at(e.value_start, &mut raw)
                .map_err(|err| Error::at(ErrorKind::Io, e.value_start, err.to_string()))?;
            Ok(Some((effective_vr(e), raw)))
        }
    }
}

/// `value` encoded for an element of `vr` at `level`: text in the level's character set, looked
/// up only when the text is not plain ASCII (valid in every set).
pub(super) fn encode_value<I: Input + ?Sized>(
    value: &Value,
    vr: Vr,
    state: &State<'_>,
    level: usize,
    input: &I,
) -> Result<Vec<u8>> {
    let enc = state.levels[level].ds.encoding;
    if is_ascii(value) {
        return encode::value_bytes(value, vr, enc);
    }
    encode::value_bytes_in(value, vr, enc, &character_set(state, level, input)?)
}

fn is_ascii(value: &Value) -> bool {
    match value {
        Value::Text(t) => t.is_ascii(),
        Value::List(items) => items.iter().all(is_ascii),
        Value::Int(_) | Value::Float(_) => true,
    }
}

const SPECIFIC_CHARACTER_SET: Tag = Tag(0x0008_0005);

/// The character sets of `level`: its own Specific Character Set, else the nearest enclosing
/// data set's (as pydicom resolves them), else the default.
fn character_set<I: Input + ?Sized>(state: &State<'_>, mut level: usize, input: &I) -> Result<CharacterSet> {
    loop {
        if let Some((_, raw)) = current_bytes(state, &Place::at(level, SPECIFIC_CHARACTER_SET), input)? {
            return Ok(CharacterSet::from_value(&raw));
        }
        match state.levels[level].parent {
            Some((parent, _, _)) => level = parent,
            None => return Ok(CharacterSet::default()),
        }
    }
}

/// The VR a value is read and rewritten with: an explicit UN of a standard tag takes the
/// dictionary's VR, as pydicom does on read and the reference on write (docs/profiles.md#output-bytes).
pub(crate) fn effective_vr(e: &Element) -> Vr {
    if e.vr != Vr::UN {
        return e.vr; // the dictionary is searched only for UN, not for every value read
    }
    match dict::lookup(e.tag) {
        Some((vr, _)) if vr != Vr::UN && vr != Vr::SQ => vr,
        _ => Vr::UN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_unpadded_and_multi_values_join_with_commas() {
        assert_eq!(
            read_string(b"Doe^John", Vr::PN, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(),
            "Doe^John"
        );
        assert_eq!(
            read_string(b"OP1\\OP2 ", Vr::LO, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(),
            "OP1,OP2"
        );
        assert_eq!(read_string(b"1.2.3\0", Vr::UI, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(), "1.2.3");
        assert_eq!(read_string(&[1, 0, 2, 0], Vr::US, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(), "1,2");
        assert_eq!(read_string(&[0, 1], Vr::US, Encoding::EXPLICIT_BE, &CharacterSet::default()).unwrap(), "1");
        // As pydicom reads them: CS keeps inner padding, LO loses it per value, AE on both sides.
        assert_eq!(
            read_string(b"DERIVED \\SECONDARY ", Vr::CS, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(),
            "DERIVED ,SECONDARY"
        );
        assert_eq!(read_string(b" A \\ B ", Vr::LO, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(), " A, B");
        assert_eq!(read_string(b" A \\ B ", Vr::AE, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(), "A,B");
        assert_eq!(
            read_string(
                b"Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1= ",
                Vr::PN,
                Encoding::EXPLICIT_LE,
                &CharacterSet::from_value(b"ISO_IR 192")
            )
            .unwrap(),
            "Wang^XiaoDong=王^小東"
        );
        assert_eq!(read_string(b"a\\b ", Vr::LT, Encoding::EXPLICIT_LE, &CharacterSet::default()).unwrap(), "a\\b");
    }
}
