//! The value of an element as the reference reads it (docs/profiles.md#value-model): text with its padding removed and
//! multiple values joined by ",", numbers in decimal. This string is what hash and hashuid digest.

use crate::dicom::charset::CharacterSet;
use crate::dicom::encode::number_text;
use crate::dicom::{Encoding, Vr};
use crate::error::{Error, ErrorKind, Result};

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
