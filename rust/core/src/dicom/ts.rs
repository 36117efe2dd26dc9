//! Transfer syntaxes and the byte-level encoding they give a data set (PS3.5 section 10).

use crate::error::{Error, ErrorKind, Result};

/// How a data set's element headers and binary numbers are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// Explicit VR (the VR is in each header) or implicit VR (the dictionary gives it).
    pub explicit_vr: bool,
    /// Big-endian byte order (only the retired Explicit VR Big Endian syntax).
    pub big_endian: bool,
}

impl Encoding {
    /// Implicit VR Little Endian, also the encoding inside UN values of undefined length (PS3.5 6.2.2).
    pub const IMPLICIT_LE: Encoding = Encoding { explicit_vr: false, big_endian: false };
    /// Explicit VR Little Endian, also the file meta encoding (PS3.10 7.1).
    pub const EXPLICIT_LE: Encoding = Encoding { explicit_vr: true, big_endian: false };
    /// Explicit VR Big Endian (retired).
    pub const EXPLICIT_BE: Encoding = Encoding { explicit_vr: true, big_endian: true };

    /// Reads a 16-bit number in this encoding's byte order.
    #[must_use]
    pub fn u16(self, b: [u8; 2]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    /// Reads a 32-bit number in this encoding's byte order.
    #[must_use]
    pub fn u32(self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// Writes a 16-bit number in this encoding's byte order.
    #[must_use]
    pub fn u16_bytes(self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Writes a 32-bit number in this encoding's byte order.
    #[must_use]
    pub fn u32_bytes(self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

/// A transfer syntax this tool can read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferSyntax {
    /// Encoding of the data set after the file meta.
    pub encoding: Encoding,
    /// The data set after the file meta is a raw deflate stream (PS3.5 A.5).
    pub deflated: bool,
}

impl TransferSyntax {
    /// Looks up a Transfer Syntax UID (trailing NUL or space padding already removed).
    pub fn from_uid(uid: &str) -> Result<Self> {
        let plain = |encoding| Ok(TransferSyntax { encoding, deflated: false });
        match uid {
            "1.2.840.10008.1.2" => plain(Encoding::IMPLICIT_LE),
            "1.2.840.10008.1.2.2" => plain(Encoding::EXPLICIT_BE),
            "1.2.840.10008.1.2.1.99" => Ok(TransferSyntax { encoding: Encoding::EXPLICIT_LE, deflated: true }),
            // Explicit VR Little Endian, and every encapsulated syntax (JPEG family 1.2.4.x, RLE 1.2.5,
            // MPEG/HEVC, HTJ2K, encapsulated uncompressed 1.2.1.98, deflated image frames 1.2.8.1):
            // their data sets are all explicit VR little endian (PS3.5 A.4).
            "1.2.840.10008.1.2.1"
            | "1.2.840.10008.1.2.1.98"
            | "1.2.840.10008.1.2.5"
            | "1.2.840.10008.1.2.6.1"
            | "1.2.840.10008.1.2.8.1" => plain(Encoding::EXPLICIT_LE),
            _ if uid.starts_with("1.2.840.10008.1.2.4.") && uid.len() <= 64 => plain(Encoding::EXPLICIT_LE),
            _ => {
                Err(Error::new(ErrorKind::UnknownTransferSyntax, "transfer syntax UID is not a known standard syntax"))
            }
        }
    }
}
