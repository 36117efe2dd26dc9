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
        let values: Vec<&str> = trimmed.split('\\').map(|v| if strips_both(vr) { v.trim_matches(' ') } else { v }).collect();
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

/// VRs whose values lose leading spaces too when read (PS3.5 6.2: they are insignificant there).
fn strips_both(vr: Vr) -> bool {
    matches!(vr, Vr::AE | Vr::CS | Vr::DA | Vr::DS | Vr::DT | Vr::IS | Vr::TM | Vr::UI | Vr::AS)
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
    }
}
