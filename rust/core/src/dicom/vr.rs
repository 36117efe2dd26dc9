//! Value representations (PS3.5 section 6.2) and the encoding facts the tokenizer and writer need.

use std::fmt;

/// A DICOM value representation.
#[allow(missing_docs, clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vr {
    AE,
    AS,
    AT,
    CS,
    DA,
    DS,
    DT,
    FD,
    FL,
    IS,
    LO,
    LT,
    OB,
    OD,
    OF,
    OL,
    OV,
    OW,
    PN,
    SH,
    SL,
    SQ,
    SS,
    ST,
    SV,
    TM,
    UC,
    UI,
    UL,
    UN,
    UR,
    US,
    UT,
    UV,
}

impl Vr {
    /// Parses the two VR bytes of an explicit-VR element header; `None` for bytes that are no VR.
    #[must_use]
    pub fn from_bytes(b: [u8; 2]) -> Option<Self> {
        Some(match &b {
            b"AE" => Vr::AE,
            b"AS" => Vr::AS,
            b"AT" => Vr::AT,
            b"CS" => Vr::CS,
            b"DA" => Vr::DA,
            b"DS" => Vr::DS,
            b"DT" => Vr::DT,
            b"FD" => Vr::FD,
            b"FL" => Vr::FL,
            b"IS" => Vr::IS,
            b"LO" => Vr::LO,
            b"LT" => Vr::LT,
            b"OB" => Vr::OB,
            b"OD" => Vr::OD,
            b"OF" => Vr::OF,
            b"OL" => Vr::OL,
            b"OV" => Vr::OV,
            b"OW" => Vr::OW,
            b"PN" => Vr::PN,
            b"SH" => Vr::SH,
            b"SL" => Vr::SL,
            b"SQ" => Vr::SQ,
            b"SS" => Vr::SS,
            b"ST" => Vr::ST,
            b"SV" => Vr::SV,
            b"TM" => Vr::TM,
            b"UC" => Vr::UC,
            b"UI" => Vr::UI,
            b"UL" => Vr::UL,
            b"UN" => Vr::UN,
            b"UR" => Vr::UR,
            b"US" => Vr::US,
            b"UT" => Vr::UT,
            b"UV" => Vr::UV,
            _ => return None,
        })
    }

    /// The two characters of the VR.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Vr::AE => "AE",
            Vr::AS => "AS",
            Vr::AT => "AT",
            Vr::CS => "CS",
            Vr::DA => "DA",
            Vr::DS => "DS",
            Vr::DT => "DT",
            Vr::FD => "FD",
            Vr::FL => "FL",
            Vr::IS => "IS",
            Vr::LO => "LO",
            Vr::LT => "LT",
            Vr::OB => "OB",
            Vr::OD => "OD",
            Vr::OF => "OF",
            Vr::OL => "OL",
            Vr::OV => "OV",
            Vr::OW => "OW",
            Vr::PN => "PN",
            Vr::SH => "SH",
            Vr::SL => "SL",
            Vr::SQ => "SQ",
            Vr::SS => "SS",
            Vr::ST => "ST",
            Vr::SV => "SV",
            Vr::TM => "TM",
            Vr::UC => "UC",
            Vr::UI => "UI",
            Vr::UL => "UL",
            Vr::UN => "UN",
            Vr::UR => "UR",
            Vr::US => "US",
            Vr::UT => "UT",
            Vr::UV => "UV",
        }
    }

    /// Explicit-VR headers of these VRs have two reserved bytes and a 32-bit length (PS3.5 7.1.2).
    #[must_use]
    pub fn has_long_header(self) -> bool {
        matches!(
            self,
            Vr::OB
                | Vr::OD
                | Vr::OF
                | Vr::OL
                | Vr::OV
                | Vr::OW
                | Vr::SQ
                | Vr::SV
                | Vr::UC
                | Vr::UN
                | Vr::UR
                | Vr::UT
                | Vr::UV
        )
    }

    /// Values of these VRs are character strings (PS3.5 6.2).
    #[must_use]
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Vr::AE
                | Vr::AS
                | Vr::CS
                | Vr::DA
                | Vr::DS
                | Vr::DT
                | Vr::IS
                | Vr::LO
                | Vr::LT
                | Vr::PN
                | Vr::SH
                | Vr::ST
                | Vr::TM
                | Vr::UC
                | Vr::UI
                | Vr::UR
                | Vr::UT
        )
    }

    /// The byte that pads a value to even length: NUL for UI and binary VRs, space for text (PS3.5 6.2).
    #[must_use]
    pub fn padding(self) -> u8 {
        if self.is_text() && self != Vr::UI {
            b' '
        } else {
            0
        }
    }

    /// Size of one binary number for fixed-width numeric VRs; `None` for text and byte strings.
    #[must_use]
    pub fn numeric_width(self) -> Option<usize> {
        match self {
            Vr::US | Vr::SS => Some(2),
            Vr::UL | Vr::SL | Vr::FL | Vr::AT => Some(4),
            Vr::FD | Vr::SV | Vr::UV => Some(8),
            _ => None,
        }
    }
}

impl fmt::Display for Vr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
