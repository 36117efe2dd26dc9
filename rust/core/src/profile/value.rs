//! The value of an element as the reference reads it (spec 4.2): text with its padding removed and
//! multiple values joined by ",", numbers in decimal. This string is what hash and hashuid digest.

use crate::dicom::encode::number_text;
use crate::dicom::{Encoding, Vr};
use crate::error::{Error, ErrorKind, Result};

/// Renders raw value bytes of `vr` as the reference's read string.
pub fn read_string(raw: &[u8], vr: Vr, enc: Encoding) -> Result<String> {
    if vr.is_text() {
        // Text is taken as UTF-8 (ASCII is the default repertoire), else as ISO 8859-1, the most
        // common extended repertoire; other character sets are a known gap.
        let text = std::str::from_utf8(raw).map_or_else(|_| raw.iter().map(|&b| char::from(b)).collect(), str::to_string);
        let trimmed = text.trim_end_matches(['\0', ' ']);
        if matches!(vr, Vr::LT | Vr::ST | Vr::UT | Vr::UR) {
            return Ok(trimmed.to_string()); // single-valued: a backslash is just a character
        }
        // pydicom's per-value cleanup, which the reference's strings inherit.
        let values: Vec<&str> = trimmed
            .split('\\')
            .map(|v| match vr {
                Vr::AE | Vr::UI | Vr::DS | Vr::IS => v.trim_matches([' ', '\0']),
                Vr::LO | Vr::SH | Vr::UC => v.trim_end_matches(' '),
                _ => v,
            })
            .collect();
        return Ok(values.join(","));
    }
    let Some(width) = vr.numeric_width() else {
        if matches!(vr, Vr::OB | Vr::UN) {
            // Spec 4.2: bytes read as their numbers joined by ",".
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
        assert_eq!(read_string(b"Doe^John", Vr::PN, Encoding::EXPLICIT_LE).unwrap(), "Doe^John");
        assert_eq!(read_string(b"OP1\\OP2 ", Vr::LO, Encoding::EXPLICIT_LE).unwrap(), "OP1,OP2");
        assert_eq!(read_string(b"1.2.3\0", Vr::UI, Encoding::EXPLICIT_LE).unwrap(), "1.2.3");
        assert_eq!(read_string(&[1, 0, 2, 0], Vr::US, Encoding::EXPLICIT_LE).unwrap(), "1,2");
        assert_eq!(read_string(&[0, 1], Vr::US, Encoding::EXPLICIT_BE).unwrap(), "1");
        // As pydicom reads them: CS keeps inner padding, LO loses it per value, AE on both sides.
        assert_eq!(read_string(b"DERIVED \\SECONDARY ", Vr::CS, Encoding::EXPLICIT_LE).unwrap(), "DERIVED ,SECONDARY");
        assert_eq!(read_string(b" A \\ B ", Vr::LO, Encoding::EXPLICIT_LE).unwrap(), " A, B");
        assert_eq!(read_string(b" A \\ B ", Vr::AE, Encoding::EXPLICIT_LE).unwrap(), "A,B");
        assert_eq!(read_string(b"a\\b ", Vr::LT, Encoding::EXPLICIT_LE).unwrap(), "a\\b");
    }
}
