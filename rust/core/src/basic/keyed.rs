//! Keyed primitives for the Basic Profile: patient pseudonyms, replacement UIDs (action U) and
//! per-patient date shifts (Retain Longitudinal Temporal Information with Modified Dates).
//!
//! Each is HMAC-SHA256 under the project's secret key over length-prefixed input, so outputs
//! cannot be guessed or reversed without the key (unlike an unkeyed hash of a patient ID, which
//! anyone can recompute from a list of IDs), yet are the same on every run, machine and file:
//! all instances of a patient get one pseudonym, one UID per original UID, and one date shift.
//! Each use has its own label in the HMAC input, so the same value never gives related outputs
//! in two uses (a pseudonym says nothing about the date shift of that patient).

use std::fmt;
use std::ops::RangeInclusive;

use crate::actions::jitter::hmac_sha256;

/// HMAC label of [`pseudonym`].
const PSEUDONYM_LABEL: &[u8] = b"fastdeid/basic/pseudonym/v1";
/// HMAC label of [`uid`].
const UID_LABEL: &[u8] = b"fastdeid/basic/uid/v1";
/// HMAC label of [`date_shift_days`].
const DATE_SHIFT_LABEL: &[u8] = b"fastdeid/basic/date-shift/v1";

/// HMAC-SHA256 of the label and the value, each preceded by its length as 8 bytes big endian,
/// so no two (label, value) pairs give the same input.
fn mac(key: &[u8], label: &[u8], value: &[u8]) -> [u8; 32] {
    let mut msg = Vec::with_capacity(16 + label.len() + value.len());
    for part in [label, value] {
        msg.extend_from_slice(&(part.len() as u64).to_be_bytes());
        msg.extend_from_slice(part);
    }
    hmac_sha256(key, &msg)
}

/// The first `N` bytes of a MAC.
fn leading<const N: usize>(m: &[u8; 32]) -> [u8; N] {
    std::array::from_fn(|i| m[i])
}

/// The characters of a pseudonym after its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// RFC 4648 base32 (`A`-`Z`, `2`-`7`): 5 bits a character.
    Base32,
    /// `0`-`9`: about 3.3 bits a character.
    Decimal,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Why a pseudonym format was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Fewer characters than give about 40 bits, where two patients would too often share one
    /// pseudonym (a birthday collision near a million patients), or more than the MAC supplies.
    Length,
    /// The prefix has a character a LO value may not hold (control characters, backslash), or
    /// prefix and characters together exceed the 64 characters of LO (PS3.5 6.2).
    Prefix,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormatError::Length => "pseudonym length must be 8 to 51 base32 characters or 12 to 30 decimal digits",
            FormatError::Prefix => "pseudonym prefix must be printable ASCII without a backslash, 64 characters in all",
        })
    }
}

impl std::error::Error for FormatError {}

/// How a pseudonym is written: a fixed prefix, then `length` characters of `alphabet`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PseudonymFormat {
    prefix: String,
    alphabet: Alphabet,
    length: usize,
}

impl PseudonymFormat {
    /// A checked format (see [`FormatError`] for the limits).
    pub fn new(prefix: &str, alphabet: Alphabet, length: usize) -> Result<Self, FormatError> {
        let allowed = match alphabet {
            Alphabet::Base32 => 8..=51,
            Alphabet::Decimal => 12..=30,
        };
        if !allowed.contains(&length) {
            return Err(FormatError::Length);
        }
        if prefix.len() + length > 64 || !prefix.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'\\') {
            return Err(FormatError::Prefix);
        }
        Ok(PseudonymFormat { prefix: prefix.to_string(), alphabet, length })
    }
}

impl Default for PseudonymFormat {
    /// 16 base32 characters (80 bits) and no prefix.
    fn default() -> Self {
        PseudonymFormat { prefix: String::new(), alphabet: Alphabet::Base32, length: 16 }
    }
}

/// The pseudonym of `value` (a patient ID, say) under `key`. Leading and trailing spaces are
/// not significant in the string VRs (PS3.5 6.2), so they are ignored.
#[must_use]
pub fn pseudonym(key: &[u8], value: &str, format: &PseudonymFormat) -> String {
    let m = mac(key, PSEUDONYM_LABEL, value.trim_matches(' ').as_bytes());
    let mut out = format.prefix.clone();
    match format.alphabet {
        Alphabet::Base32 => {
            // Character i is bits 5i..5i+5 of the MAC, read most significant bit first.
            for i in 0..format.length {
                let bit = 5 * i;
                let pair = u16::from(m[bit / 8]) << 8 | u16::from(*m.get(bit / 8 + 1).unwrap_or(&0));
                out.push(char::from(BASE32[usize::from(pair >> (11 - bit % 8)) & 31]));
            }
        }
        Alphabet::Decimal => {
            // 128 bits modulo 10^length (at most 10^30): the bias is below 2^-28.
            let n = u128::from_be_bytes(leading(&m));
            let digits = format!("{:0width$}", n % 10u128.pow(format.length as u32), width = format.length);
            out.push_str(&digits);
        }
    }
    out
}

/// The replacement for `uid` under `key` (action U): `2.25.` and a 128-bit number, the form
/// PS3.5 B.2 gives UIDs derived from a UUID. The number is laid out as an RFC 9562 version 8
/// (custom) UUID: 122 bits of the MAC with the version and variant bits set, so the UID is what
/// the 2.25 arc promises. At most 44 characters, with no leading zero. Trailing NUL and space
/// padding of the UI value (PS3.5 6.2) is ignored, so padded and unpadded copies map alike.
#[must_use]
pub fn uid(key: &[u8], uid: &str) -> String {
    let m = mac(key, UID_LABEL, uid.trim_end_matches(['\0', ' ']).as_bytes());
    let mut bytes: [u8; 16] = leading(&m);
    bytes[6] = (bytes[6] & 0x0F) | 0x80;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(bytes))
}

/// The number of whole days every date of the patient `patient_id` moves by under `key`:
/// uniform over `range` (for instance -365..=-1), or `None` for an empty range. Leading and
/// trailing spaces of the ID are ignored.
#[must_use]
pub fn date_shift_days(key: &[u8], patient_id: &str, range: RangeInclusive<i32>) -> Option<i32> {
    let (low, high) = (i64::from(*range.start()), i64::from(*range.end()));
    if low > high {
        return None;
    }
    let m = mac(key, DATE_SHIFT_LABEL, patient_id.trim_matches(' ').as_bytes());
    // A span of at most 2^32 taken from 64 bits: the modulo bias is below 2^-32.
    let draw = u64::from_be_bytes(leading(&m)) % (high - low + 1) as u64;
    Some((low + draw as i64) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |s, b| s + &format!("{b:02x}"))
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2, 3, 4, 6 and 7 (case 5 checks a truncated output, which we never use).
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hex(&hmac_sha256(&key, &data)), expected);
        }
    }

    #[test]
    fn pseudonyms_are_keyed_deterministic_and_formatted() {
        let f = PseudonymFormat::default();
        let p = pseudonym(KEY, "PID-001", &f);
        assert_eq!(p.len(), 16);
        assert!(p.bytes().all(|b| BASE32.contains(&b)));
        assert_eq!(p, pseudonym(KEY, " PID-001 ", &f), "padding is not significant");
        assert_ne!(p, pseudonym(KEY, "PID-002", &f));
        assert_ne!(p, pseudonym(b"another key", "PID-001", &f));

        let d = PseudonymFormat::new("SUBJ-", Alphabet::Decimal, 12).unwrap();
        let q = pseudonym(KEY, "PID-001", &d);
        assert!(q.starts_with("SUBJ-") && q.len() == 17 && q[5..].bytes().all(|b| b.is_ascii_digit()), "{q}");
        // The longest base32 form uses every MAC bit but the last.
        let long = PseudonymFormat::new("", Alphabet::Base32, 51).unwrap();
        assert_eq!(pseudonym(KEY, "PID-001", &long)[..16], p);

        assert_eq!(PseudonymFormat::new("", Alphabet::Decimal, 8), Err(FormatError::Length));
        assert_eq!(PseudonymFormat::new("", Alphabet::Base32, 52), Err(FormatError::Length));
        assert_eq!(PseudonymFormat::new("A\\B", Alphabet::Base32, 16), Err(FormatError::Prefix));
        assert_eq!(PseudonymFormat::new(&"P".repeat(20), Alphabet::Base32, 51), Err(FormatError::Prefix));
    }

    #[test]
    fn base32_characters_are_the_macs_bits_in_order() {
        let m = mac(KEY, PSEUDONYM_LABEL, b"x");
        let bits: String = m.iter().fold(String::new(), |s, b| s + &format!("{b:08b}"));
        let expected: String =
            (0..51).map(|i| char::from(BASE32[usize::from_str_radix(&bits[5 * i..5 * i + 5], 2).unwrap()])).collect();
        let long = PseudonymFormat::new("", Alphabet::Base32, 51).unwrap();
        assert_eq!(pseudonym(KEY, "x", &long), expected);
    }

    #[test]
    fn uids_are_valid_uuid_derived_uids() {
        let a = uid(KEY, "1.2.840.113619.2.55.3.1");
        assert_eq!(a, uid(KEY, "1.2.840.113619.2.55.3.1\0"));
        assert_ne!(a, uid(KEY, "1.2.840.113619.2.55.3.2"));
        assert_ne!(a, uid(b"another key", "1.2.840.113619.2.55.3.1"));
        for i in 0..2000 {
            let u = uid(KEY, &format!("1.2.3.{i}"));
            let number = u.strip_prefix("2.25.").expect("2.25 arc");
            assert!(u.len() <= 64 && !number.starts_with('0') && number.bytes().all(|b| b.is_ascii_digit()), "{u}");
            let n: u128 = number.parse().unwrap();
            assert_eq!((n >> 76) & 0xF, 8, "UUID version 8");
            assert_eq!((n >> 62) & 0x3, 2, "RFC 9562 variant");
        }
    }

    #[test]
    fn date_shifts_stay_in_range_and_spread_uniformly() {
        assert_eq!(date_shift_days(KEY, "PID", RangeInclusive::new(5, 4)), None);
        assert_eq!(date_shift_days(KEY, "PID", -7..=-7), Some(-7));
        let first = date_shift_days(KEY, "PID-1", -365..=-1).unwrap();
        assert_eq!(date_shift_days(KEY, " PID-1", -365..=-1), Some(first));

        // 100 patients: a uniform draw over 365 days gives 87.6 distinct shifts on average
        // (365 * (1 - (364/365)^100)), with a standard deviation near 2.4.
        let shifts: Vec<i32> =
            (0..100).map(|i| date_shift_days(KEY, &format!("PID-{i}"), -365..=-1).unwrap()).collect();
        assert!(shifts.iter().all(|s| (-365..=-1).contains(s)));
        let distinct = shifts.iter().collect::<HashSet<_>>().len();
        assert!(distinct >= 80, "{distinct} distinct shifts");

        // 36,500 patients, 100 expected per day: chi-square with 364 degrees of freedom has mean
        // 364 and standard deviation 27; 500 is five deviations out.
        let mut counts = [0u32; 365];
        for i in 0..36_500 {
            counts[(date_shift_days(KEY, &format!("P{i}"), -365..=-1).unwrap() + 365) as usize] += 1;
        }
        let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - 100.0).powi(2) / 100.0).sum();
        assert!(chi2 < 500.0, "chi-square {chi2}");
    }

    #[test]
    fn each_use_has_its_own_label() {
        let labels = [PSEUDONYM_LABEL, UID_LABEL, DATE_SHIFT_LABEL];
        assert_eq!(labels.iter().collect::<HashSet<_>>().len(), 3);
        let macs: HashSet<[u8; 32]> = labels.iter().map(|l| mac(KEY, l, b"PID-001")).collect();
        assert_eq!(macs.len(), 3);
        // Length prefixes: moving bytes between label and value changes the input.
        assert_ne!(mac(KEY, b"ab", b"c"), mac(KEY, b"a", b"bc"));
    }
}
