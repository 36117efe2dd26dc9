//! Text in the character sets named by Specific Character Set (0008,0005), PS3.5 section 6.1 and
//! PS3.3 C.12.1.1.2, decoded as pydicom 3 decodes it, because the reference hashes and matches the
//! decoded text: the same name must give the same hash in both tools.
//!
//! What pydicom does, and so what this does: no Specific Character Set means ISO 8859-1 (its
//! default codec); a value without ESC is decoded whole with the first character set; a value
//! with ESC is cut before each ESC, and each piece is decoded with the set its escape sequence
//! designates, if the element's data set declares that set (else with the first one). After a
//! delimiter (`^` in names, CR/LF/TAB/FF in text) a single-byte G1 set falls back to the first
//! set. Bytes a set does not map become U+FFFD. Only PN, SH, LO, UC, LT, ST and UT use the
//! declared sets; other text VRs are read as ISO 8859-1.
//!
//! Writing: ASCII is written as is (it is valid in every set). Other text is encoded in the first
//! declared set when that set can represent it; text that would need ISO 2022 code extensions,
//! or a data set whose first set is ASCII (or absent), cannot take it and the value is refused
//! (the reference writes ISO 8859-1 bytes that the file does not declare).

use std::borrow::Cow;

use encoding_rs::Encoding as Codepage;

use super::vr::Vr;
use crate::error::{Error, ErrorKind, Result};

const ESC: u8 = 0x1B;

/// One character set, as pydicom maps a Specific Character Set term to a codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    /// ISO 8859-1 (also pydicom's default when nothing is declared).
    Latin1,
    /// An ISO 8859 part with a WHATWG table identical to it (2, 3, 4, 5, 6, 7, 8).
    Table(&'static Codepage),
    /// ISO 8859-9: Latin-1 with six Turkish letters.
    Turkish,
    /// TIS 620 (Thai).
    Thai,
    /// JIS X 0201 (ISO_IR 13), read with Shift_JIS.
    ShiftJis,
    /// JIS X 0208 designated by `ESC $ B`.
    Jis0208,
    /// JIS X 0212 designated by `ESC $ ( D`.
    Jis0212,
    /// KS X 1001 as G1 (`ESC $ ) C`), i.e. EUC-KR bytes.
    EucKr,
    /// GB 2312 as G1 (`ESC $ ) A`); pydicom keeps the escape sequence in the decoded text.
    Gb2312,
    /// UTF-8 (ISO_IR 192).
    Utf8,
    /// GB 18030.
    Gb18030,
    /// GBK.
    Gbk,
}

impl Codec {
    /// The codec of a defined term, with pydicom's corrections of common misspellings; `None`
    /// for an unknown term (pydicom then uses its default).
    fn from_term(term: &str) -> Option<Codec> {
        // Byte tests and `get`: a term read from a file may hold any bytes.
        let b = term.as_bytes();
        let fixed;
        let term = match (term.get(6..), term.get(12..)) {
            (Some(rest), _) if b.starts_with(b"ISO") && !b.starts_with(b"ISO_IR") && b[4..].starts_with(b"IR") => {
                fixed = format!("ISO_IR{rest}");
                fixed.as_str()
            }
            (_, Some(rest))
                if b.starts_with(b"ISO")
                    && b[4..].starts_with(b"2022")
                    && b[9..].starts_with(b"IR")
                    && !b.starts_with(b"ISO 2022 IR ") =>
            {
                fixed = format!("ISO 2022 IR {rest}");
                fixed.as_str()
            }
            _ => term,
        };
        let number = term.strip_prefix("ISO_IR ").or_else(|| term.strip_prefix("ISO 2022 IR "));
        Some(match (term, number) {
            (_, Some("6" | "100")) | ("", _) => Codec::Latin1,
            (_, Some("13")) => Codec::ShiftJis,
            (_, Some("101")) => Codec::Table(encoding_rs::ISO_8859_2),
            (_, Some("109")) => Codec::Table(encoding_rs::ISO_8859_3),
            (_, Some("110")) => Codec::Table(encoding_rs::ISO_8859_4),
            (_, Some("126")) => Codec::Table(encoding_rs::ISO_8859_7),
            (_, Some("127")) => Codec::Table(encoding_rs::ISO_8859_6),
            (_, Some("138")) => Codec::Table(encoding_rs::ISO_8859_8),
            (_, Some("144")) => Codec::Table(encoding_rs::ISO_8859_5),
            (_, Some("148")) => Codec::Turkish,
            (_, Some("166")) => Codec::Thai,
            ("ISO 2022 IR 87", _) => Codec::Jis0208,
            ("ISO 2022 IR 159", _) => Codec::Jis0212,
            ("ISO 2022 IR 149", _) => Codec::EucKr,
            ("ISO 2022 IR 58" | "ISO 2022 58", _) => Codec::Gb2312,
            ("ISO_IR 192", _) => Codec::Utf8,
            ("GB18030", _) => Codec::Gb18030,
            ("GBK" | "ISO 2022 GBK", _) => Codec::Gbk,
            _ => return None,
        })
    }

    /// The set an ISO 2022 escape sequence designates, and the sequence's length.
    fn from_escape(bytes: &[u8]) -> Option<(Codec, usize)> {
        let four = bytes.starts_with(b"\x1b$(") || bytes.starts_with(b"\x1b$)");
        let len = if four { 4 } else { 3 };
        let codec = match bytes.get(..len)? {
            b"\x1b(B" | b"\x1b-A" => Codec::Latin1,
            b"\x1b)I" | b"\x1b(J" => Codec::ShiftJis,
            b"\x1b$B" => Codec::Jis0208,
            b"\x1b-B" => Codec::Table(encoding_rs::ISO_8859_2),
            b"\x1b-C" => Codec::Table(encoding_rs::ISO_8859_3),
            b"\x1b-D" => Codec::Table(encoding_rs::ISO_8859_4),
            b"\x1b-F" => Codec::Table(encoding_rs::ISO_8859_7),
            b"\x1b-G" => Codec::Table(encoding_rs::ISO_8859_6),
            b"\x1b-H" => Codec::Table(encoding_rs::ISO_8859_8),
            b"\x1b-L" => Codec::Table(encoding_rs::ISO_8859_5),
            b"\x1b-M" => Codec::Turkish,
            b"\x1b-T" => Codec::Thai,
            b"\x1b$)C" => Codec::EucKr,
            b"\x1b$(D" => Codec::Jis0212,
            b"\x1b$)A" => Codec::Gb2312,
            _ => return None,
        };
        Some((codec, len))
    }

    /// Stand-alone sets cannot be combined with code extensions (PS3.3 C.12.1.1.2).
    fn is_stand_alone(self) -> bool {
        matches!(self, Codec::Utf8 | Codec::Gb18030 | Codec::Gbk)
    }

    /// Decodes bytes in this set; `None` when some byte is not valid in it.
    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Codec::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
            Codec::Turkish => Some(bytes.iter().map(|&b| turkish(b)).collect()),
            Codec::Thai => bytes.iter().map(|&b| thai(b)).collect(),
            Codec::Table(page) => strict(page, bytes),
            Codec::ShiftJis => strict(encoding_rs::SHIFT_JIS, bytes),
            Codec::EucKr => strict(encoding_rs::EUC_KR, bytes),
            Codec::Gb2312 | Codec::Gbk => strict(encoding_rs::GBK, bytes),
            Codec::Gb18030 => strict(encoding_rs::GB18030, bytes),
            Codec::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_string),
            Codec::Jis0208 | Codec::Jis0212 => jis(self, bytes),
        }
    }

    /// Decodes with U+FFFD for what does not map (Python's `errors="replace"`).
    fn decode_lossy(self, bytes: &[u8]) -> String {
        if let Some(s) = self.decode(bytes) {
            return s;
        }
        match self {
            Codec::Thai => bytes.iter().map(|&b| thai(b).unwrap_or('\u{FFFD}')).collect(),
            Codec::Table(page) => page.decode_without_bom_handling(bytes).0.into_owned(),
            Codec::ShiftJis => encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0.into_owned(),
            Codec::EucKr => encoding_rs::EUC_KR.decode_without_bom_handling(bytes).0.into_owned(),
            Codec::Gb2312 | Codec::Gbk => encoding_rs::GBK.decode_without_bom_handling(bytes).0.into_owned(),
            Codec::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
            Codec::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Codec::Latin1 | Codec::Turkish | Codec::Jis0208 | Codec::Jis0212 => {
                bytes.iter().map(|&b| if b < 0x80 { char::from(b) } else { '\u{FFFD}' }).collect()
            }
        }
    }

    /// Encodes text in this set alone (no escape sequences); `None` if a character has no code.
    fn encode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Codec::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect(),
            Codec::Turkish => text.chars().map(|c| (0..=255u8).find(|&b| turkish(b) == c)).collect(),
            Codec::Thai => text.chars().map(|c| (0..=255u8).find(|&b| thai(b) == Some(c))).collect(),
            Codec::Utf8 => Some(text.as_bytes().to_vec()),
            Codec::Table(page) => encode_strict(page, text),
            Codec::Gbk => encode_strict(encoding_rs::GBK, text),
            Codec::Gb18030 => encode_strict(encoding_rs::GB18030, text),
            // JIS X 0201 only: ASCII and half-width katakana, one byte each.
            Codec::ShiftJis => text
                .chars()
                .map(|c| match u32::from(c) {
                    0..=0x7F => u8::try_from(u32::from(c)).ok(),
                    k @ 0xFF61..=0xFF9F => u8::try_from(k - 0xFF61 + 0xA1).ok(),
                    _ => None,
                })
                .collect(),
            // These need escape sequences around every run, which is not written here.
            Codec::Jis0208 | Codec::Jis0212 | Codec::EucKr | Codec::Gb2312 => None,
        }
    }
}

fn strict(page: &'static Codepage, bytes: &[u8]) -> Option<String> {
    page.decode_without_bom_handling_and_without_replacement(bytes).map(std::borrow::Cow::into_owned)
}

fn encode_strict(page: &'static Codepage, text: &str) -> Option<Vec<u8>> {
    let (bytes, _, unmappable) = page.encode(text);
    (!unmappable).then(|| bytes.into_owned())
}

fn turkish(b: u8) -> char {
    match b {
        0xD0 => '\u{011E}',
        0xDD => '\u{0130}',
        0xDE => '\u{015E}',
        0xF0 => '\u{011F}',
        0xFD => '\u{0131}',
        0xFE => '\u{015F}',
        _ => char::from(b),
    }
}

fn thai(b: u8) -> Option<char> {
    match b {
        0x00..=0x9F => Some(char::from(b)),
        0xA1..=0xDA => char::from_u32(0x0E01 + u32::from(b - 0xA1)),
        0xDF..=0xFB => char::from_u32(0x0E3F + u32::from(b - 0xDF)),
        _ => None,
    }
}

/// JIS X 0208 or 0212 in 7-bit ISO 2022 form (after its escape sequence): byte pairs in
/// 0x21..=0x7E, control characters passing through, decoded through the EUC-JP tables.
fn jis(codec: Codec, bytes: &[u8]) -> Option<String> {
    let mut euc = Vec::with_capacity(bytes.len() * 3 / 2);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            c @ 0x00..=0x20 => {
                euc.push(c);
                i += 1;
            }
            a @ 0x21..=0x7E => {
                let b = *bytes.get(i + 1).filter(|b| (0x21..=0x7E).contains(*b))?;
                if codec == Codec::Jis0212 {
                    euc.push(0x8F);
                }
                euc.extend_from_slice(&[a | 0x80, b | 0x80]);
                i += 2;
            }
            _ => return None,
        }
    }
    strict(encoding_rs::EUC_JP, &euc)
}

/// The character sets of one data set: the values of its (or its nearest parent's) Specific
/// Character Set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharacterSet {
    /// The first is the default for text without escape sequences (Latin-1 when empty, which
    /// costs no allocation: most values read are in the default set); the rest are extensions.
    codecs: Vec<Codec>,
    /// Whether the first set holds more than ASCII, so non-ASCII text can be written in it (not
    /// when nothing, an empty value, ISO_IR 6 or an unknown term is declared).
    writable: bool,
}

impl Default for CharacterSet {
    /// Nothing declared: ISO 8859-1 for reading (pydicom's default), ASCII only for writing.
    fn default() -> Self {
        CharacterSet { codecs: Vec::new(), writable: false }
    }
}

impl CharacterSet {
    /// From the raw value of Specific Character Set (backslash-separated defined terms).
    #[must_use]
    pub fn from_value(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let terms: Vec<&str> =
            text.trim_end_matches(['\0', ' ']).split('\\').map(|t| t.trim_matches([' ', '\0'])).collect();
        let known: Vec<Option<Codec>> = terms.iter().map(|t| Codec::from_term(t)).collect();
        let ascii_only = matches!(terms.first().copied(), None | Some("" | "ISO_IR 6" | "ISO 2022 IR 6"));
        let writable = !ascii_only && known.first().is_some_and(Option::is_some);
        let mut codecs: Vec<Codec> = known.into_iter().map(|c| c.unwrap_or(Codec::Latin1)).collect();
        if codecs.first().is_some_and(|c| c.is_stand_alone()) {
            codecs.truncate(1); // a stand-alone set ignores code extensions
        } else if codecs.len() > 1 {
            let first = codecs[0];
            codecs.retain(|c| !c.is_stand_alone());
            if codecs.is_empty() {
                codecs.push(first);
            }
        }
        CharacterSet { codecs, writable }
    }

    /// The set for text without escape sequences.
    fn first(&self) -> Codec {
        self.codecs.first().copied().unwrap_or(Codec::Latin1)
    }

    /// Whether `vr` holds text in the declared character sets (the others are ASCII, PS3.5 6.2).
    #[must_use]
    pub fn applies_to(vr: Vr) -> bool {
        matches!(vr, Vr::PN | Vr::SH | Vr::LO | Vr::UC | Vr::LT | Vr::ST | Vr::UT)
    }

    /// Decodes the bytes of a text value of `vr` as pydicom does.
    #[must_use]
    pub fn decode(&self, raw: &[u8], vr: Vr) -> String {
        if raw.is_ascii() && !raw.contains(&ESC) {
            return raw.iter().map(|&b| char::from(b)).collect();
        }
        if !Self::applies_to(vr) {
            return Codec::Latin1.decode_lossy(raw);
        }
        let first = self.first();
        if !raw.contains(&ESC) {
            return first.decode_lossy(raw);
        }
        // pydicom decodes names whole with the text delimiters too, before splitting components.
        let delimiters: &[u8] = b"\r\n\t\x0c";
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while !rest.is_empty() {
            let end = rest[1..].iter().position(|&b| b == ESC).map_or(rest.len(), |p| p + 1);
            out.push_str(&self.decode_piece(&rest[..end], delimiters));
            rest = &rest[end..];
        }
        out
    }

    /// One piece: bytes before the first ESC, or an ESC and what follows up to the next one.
    fn decode_piece(&self, piece: &[u8], delimiters: &[u8]) -> String {
        let first = self.first();
        let decoded = if piece.first() == Some(&ESC) {
            match Codec::from_escape(piece) {
                Some((codec, len)) if codec == Codec::Latin1 || self.codecs.contains(&codec) => {
                    if codec == Codec::Gb2312 {
                        // pydicom hands this piece, escape sequence included, to Python's gb2312.
                        codec.decode(piece)
                    } else {
                        let body = &piece[len..];
                        let multi_byte = matches!(codec, Codec::Jis0208 | Codec::Jis0212);
                        match body.iter().position(|b| delimiters.contains(b)).filter(|_| !multi_byte) {
                            Some(at) => {
                                codec.decode(&body[..at]).and_then(|a| first.decode(&body[at..]).map(|b| a + &b))
                            }
                            None => codec.decode(body),
                        }
                    }
                }
                _ => None, // an escape sequence for a set the data set does not declare
            }
        } else {
            first.decode(piece)
        };
        decoded.unwrap_or_else(|| first.decode_lossy(piece))
    }

    /// Encodes new text for an element: ASCII as is, anything else in the first declared set.
    ///
    /// # Errors
    /// `BadValue` when the text cannot be written in this data set's character set.
    pub fn encode<'t>(&self, text: &'t str) -> Result<Cow<'t, [u8]>> {
        if text.is_ascii() {
            return Ok(Cow::Borrowed(text.as_bytes()));
        }
        if !self.writable {
            return Err(Error::new(ErrorKind::BadValue, "non-ASCII text cannot be written: the data set's Specific Character Set is ASCII (or absent or unknown)"));
        }
        self.first().encode(text).map(Cow::Owned).ok_or_else(|| {
            Error::new(
                ErrorKind::BadValue,
                "text has characters the data set's Specific Character Set cannot encode without code extensions",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(term: &str) -> CharacterSet {
        CharacterSet::from_value(term.as_bytes())
    }

    #[test]
    fn single_byte_sets_decode_and_encode_round_trip() {
        assert_eq!(cs("").decode(b"Buc\xe9ph\xe2le", Vr::PN), "Bucéphâle");
        assert_eq!(cs("ISO_IR 100").decode(b"Buc\xe9ph\xe2le", Vr::PN), "Bucéphâle");
        assert_eq!(cs("ISO_IR 144").decode(b"\xb8\xd2\xd0\xdd\xde\xd2", Vr::PN), "Иванов");
        assert_eq!(cs("ISO_IR 148").decode(b"\xdeahin", Vr::LO), "Şahin");
        assert_eq!(cs("ISO_IR 166").decode(b"\xb9\xd2\xc2", Vr::LO), "นาย");
        for term in ["ISO_IR 100", "ISO_IR 101", "ISO_IR 144", "ISO_IR 148", "ISO_IR 166", "ISO_IR 192", "GB18030"] {
            let set = cs(term);
            let text = set.decode(&set.encode(&set.decode(b"\xc0\xc1\xc2\xc3", Vr::LO)).unwrap(), Vr::LO);
            assert_eq!(set.decode(&set.encode(&text).unwrap(), Vr::LO), text, "{term}");
        }
    }

    #[test]
    fn misspelt_terms_are_corrected_and_unknown_ones_read_as_latin1() {
        assert_eq!(cs("ISO IR 192").decode("Wang^XiaoDong=王^小東".as_bytes(), Vr::PN), "Wang^XiaoDong=王^小東");
        assert_eq!(cs("ISO-2022-IR 100").decode(b"\xe9", Vr::LO), "é");
        assert_eq!(cs("KLINGON").decode(b"\xe9", Vr::LO), "é");
    }

    #[test]
    fn iso_2022_pieces_use_the_designated_sets() {
        // PS3.5 Annex H: Yamada^Tarou=山田^太郎=やまだ^たろう.
        let raw = b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
        assert_eq!(cs("\\ISO 2022 IR 87").decode(raw, Vr::PN), "Yamada^Tarou=山田^太郎=やまだ^たろう");
        // PS3.5 Annex I: Korean in G1.
        let raw = b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf";
        assert_eq!(cs("\\ISO 2022 IR 149").decode(raw, Vr::PN), "Hong^Gildong=洪^吉洞=홍^길동");
        // A set the data set does not declare: the piece is read with the first set.
        assert_eq!(cs("ISO_IR 100").decode(b"a\x1b$B;3", Vr::PN), "a\u{1b}$B;3");
        // After a delimiter a single-byte G1 set falls back to the first set.
        assert_eq!(cs("ISO 2022 IR 6\\ISO 2022 IR 126").decode(b"\x1b-F\xe1^\xe1", Vr::PN), "α^α");
        assert_eq!(cs("ISO 2022 IR 6\\ISO 2022 IR 126").decode(b"\x1b-F\xe1\r\n\xe1", Vr::LT), "α\r\ná");
    }

    #[test]
    fn any_bytes_decode_without_panic() {
        for term in ["ISO\u{e9}IR 100", "ISO 2022\u{e9}IR 87", "ISO", "ISO 2022", "\u{1b}$B"] {
            let set = CharacterSet::from_value(format!("{term}\\ISO 2022 IR 87\\ISO 2022 IR 149").as_bytes());
            for raw in [&b"\x1b"[..], b"\x1b$", b"\x1b$B\x21", b"\x1b$B\xff", b"\x1b$)C\xff\xff\x1b", b"\xff\xfe\x1b(J"]
            {
                let _ = set.decode(raw, Vr::PN);
            }
        }
    }

    #[test]
    fn writing_refuses_what_the_set_cannot_hold() {
        assert_eq!(cs("").encode("Doe^John").unwrap().as_ref(), b"Doe^John");
        assert!(cs("").encode("Anonymisé").is_err());
        assert_eq!(cs("ISO_IR 100").encode("Anonymisé").unwrap().as_ref(), b"Anonymis\xe9");
        assert!(cs("ISO_IR 100").encode("山田").is_err());
        assert_eq!(cs("ISO_IR 192").encode("山田").unwrap().as_ref(), "山田".as_bytes());
        assert!(cs("\\ISO 2022 IR 87").encode("山田").is_err());
    }
}
