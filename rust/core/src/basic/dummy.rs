//! The values the Basic Profile writes for `Z` (empty) and `D` (a dummy valid for the VR), as
//! encoded value bytes (docs/basic-profile.md, "Dummy values").

use crate::dicom::Vr;

/// The text dummy of the string VRs that hold names and free text.
pub const DUMMY_TEXT: &str = "ANONYMIZED";

/// The dummy value bytes (even length, padded as the VR requires) of a `D` action on an element
/// of `vr`, or `None` for a sequence or a UID (a sequence is emptied, a UID gets a keyed UID).
/// Binary values are zeros, which read the same in either byte order.
#[must_use]
pub fn dummy(vr: Vr) -> Option<Vec<u8>> {
    let text: &[u8] = match vr {
        Vr::SQ | Vr::UI => return None,
        Vr::AE | Vr::CS => b"ANONYMIZED",
        Vr::AS => b"000Y",
        Vr::DA => b"19000101",
        Vr::DT => b"19000101000000",
        Vr::TM => b"000000",
        Vr::DS | Vr::IS => b"0",
        Vr::UR => b"urn:x-fastdeid:anonymized",
        Vr::LO | Vr::LT | Vr::PN | Vr::SH | Vr::ST | Vr::UC | Vr::UT => DUMMY_TEXT.as_bytes(),
        Vr::US | Vr::SS | Vr::OB | Vr::OW | Vr::UN => return Some(vec![0; 2]),
        Vr::UL | Vr::SL | Vr::FL | Vr::OF | Vr::OL | Vr::AT => return Some(vec![0; 4]),
        Vr::FD | Vr::SV | Vr::UV | Vr::OD | Vr::OV => return Some(vec![0; 8]),
    };
    let mut out = text.to_vec();
    if out.len() % 2 == 1 {
        out.push(vr.padding());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummies_are_even_non_empty_and_fit_their_vr() {
        for vr in [Vr::AE, Vr::AS, Vr::CS, Vr::DA, Vr::DT, Vr::TM, Vr::DS, Vr::IS, Vr::LO, Vr::PN, Vr::SH, Vr::UT] {
            let d = dummy(vr).unwrap();
            assert!(!d.is_empty() && d.len() % 2 == 0, "{vr}");
            assert!(d.len() <= 16 || !matches!(vr, Vr::AE | Vr::CS | Vr::SH | Vr::DS | Vr::IS), "{vr}");
        }
        assert_eq!(dummy(Vr::DS).unwrap(), b"0 ");
        assert_eq!(dummy(Vr::FD).unwrap(), [0; 8]);
        assert_eq!(dummy(Vr::SQ), None);
        assert_eq!(dummy(Vr::UI), None);
    }
}
