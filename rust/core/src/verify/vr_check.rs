//! Whether a value is valid for its VR (PS3.5 6.2): the syntax of dates, times, ages, UIDs and
//! code strings, the character repertoire where the VR restricts it, and the length limits.
//! Returns the rule a value breaks, never the value.

use crate::dicom::Vr;

/// The first rule `value` (the element's raw bytes) breaks for `vr`, or `None` when it is valid.
/// Text values are checked per value of a multi-valued element (separated by `\`); length limits
/// count bytes and are skipped for values with bytes past ASCII, whose characters may take
/// several bytes in the data set's character set.
#[must_use]
pub fn check(vr: Vr, value: &[u8]) -> Option<&'static str> {
    if !vr.is_text() {
        return check_length(vr, value.len() as u64);
    }
    if value.len() % 2 == 1 {
        return Some("odd value length (PS3.5 7.1.1)");
    }
    let text = trim(vr, value);
    if let Some(max) = max_total(vr) {
        if text.len() > max && text.is_ascii() {
            return Some(too_long(vr));
        }
    }
    if matches!(vr, Vr::LT | Vr::ST | Vr::UT | Vr::UR) {
        return None; // one value, any text: only the length above applies
    }
    text.split(|&b| b == b'\\').find_map(|one| check_one(vr, trim(vr, one)))
}

/// The rule a value of `len` bytes breaks for a binary `vr` (odd length, or not a whole number
/// of its numbers), without reading it.
#[must_use]
pub fn check_length(vr: Vr, len: u64) -> Option<&'static str> {
    if len % 2 == 1 {
        return Some("odd value length (PS3.5 7.1.1)");
    }
    let width = binary_width(vr)? as u64;
    (len % width != 0).then_some(match width {
        2 => "binary length not a multiple of 2",
        4 => "binary length not a multiple of 4",
        _ => "binary length not a multiple of 8",
    })
}

fn check_one(vr: Vr, v: &[u8]) -> Option<&'static str> {
    if v.is_empty() {
        return None;
    }
    let max = max_value(vr);
    if max.is_some_and(|m| v.len() > m) && v.is_ascii() {
        return Some(too_long(vr));
    }
    let ok = match vr {
        Vr::DA => date(v),
        Vr::TM => time(v),
        Vr::DT => datetime(v),
        Vr::AS => v.len() == 4 && v[..3].iter().all(u8::is_ascii_digit) && matches!(v[3], b'D' | b'W' | b'M' | b'Y'),
        Vr::UI => return uid(v),
        Vr::CS => v.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'_'),
        Vr::DS => v.iter().all(|&b| b.is_ascii_digit() || b"+-.eE ".contains(&b)) && v.iter().any(u8::is_ascii_digit),
        Vr::IS => is_integer(v),
        Vr::AE => v.iter().all(|&b| (0x20..0x7F).contains(&b) && b != b'\\'),
        _ => true,
    };
    if ok {
        None
    } else {
        Some(syntax(vr))
    }
}

/// Padding that may end a value: NUL for UI, spaces (and, leniently, NUL) for text.
fn trim(vr: Vr, v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|&b| b != b' ' && b != 0).map_or(0, |i| i + 1);
    // Leading spaces are insignificant in most string VRs (PS3.5 6.2), not in text VRs or UIDs.
    let start = if matches!(vr, Vr::LT | Vr::ST | Vr::UT | Vr::UI) {
        0
    } else {
        v[..end].iter().position(|&b| b != b' ').unwrap_or(end)
    };
    &v[start..end]
}

fn binary_width(vr: Vr) -> Option<usize> {
    match vr {
        Vr::OW => Some(2),
        Vr::OF | Vr::OL => Some(4),
        Vr::OD | Vr::OV => Some(8),
        _ => vr.numeric_width(),
    }
}

/// Largest length in bytes of one value (PS3.5 Table 6.2-1).
fn max_value(vr: Vr) -> Option<usize> {
    Some(match vr {
        Vr::AE | Vr::CS | Vr::DS | Vr::SH => 16,
        Vr::AS => 4,
        Vr::DA => 8,
        Vr::IS => 12,
        Vr::PN => 64 * 3 + 2, // three component groups of 64 each, two `=`
        Vr::TM => 14,
        Vr::DT => 26,
        Vr::LO | Vr::UI => 64,
        _ => return None,
    })
}

/// Largest length of a whole single-valued text.
fn max_total(vr: Vr) -> Option<usize> {
    match vr {
        Vr::ST => Some(1024),
        Vr::LT => Some(10240),
        _ => None,
    }
}

fn too_long(vr: Vr) -> &'static str {
    match vr {
        Vr::AE => "AE longer than 16",
        Vr::AS => "AS longer than 4",
        Vr::CS => "CS longer than 16",
        Vr::DA => "DA longer than 8",
        Vr::DS => "DS longer than 16",
        Vr::DT => "DT longer than 26",
        Vr::IS => "IS longer than 12",
        Vr::LO => "LO longer than 64",
        Vr::LT => "LT longer than 10240",
        Vr::PN => "PN component group longer than 64",
        Vr::SH => "SH longer than 16",
        Vr::ST => "ST longer than 1024",
        Vr::TM => "TM longer than 14",
        Vr::UI => "UI longer than 64",
        _ => "value too long for its VR",
    }
}

fn syntax(vr: Vr) -> &'static str {
    match vr {
        Vr::DA => "DA not YYYYMMDD",
        Vr::TM => "TM not HH[MM[SS[.F]]]",
        Vr::DT => "DT not YYYY[MM[DD[HH[MM[SS[.F]]]]]][&ZZXX]",
        Vr::AS => "AS not nnnD/W/M/Y",
        Vr::CS => "CS outside A-Z 0-9 space _",
        Vr::DS => "DS not a decimal number",
        Vr::IS => "IS not an integer",
        Vr::AE => "AE outside printable ASCII",
        _ => "invalid value for its VR",
    }
}

/// The number a run of 1 to 18 ASCII digits spells (18 digits cannot overflow a u64).
fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 18 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
}

fn date(v: &[u8]) -> bool {
    if v.len() != 8 {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&v[..4]), digits(&v[4..6]), digits(&v[6..8])) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// HH, HHMM, HHMMSS, HHMMSS.F to FFFFFF; 60 seconds allowed for a leap second.
fn time(v: &[u8]) -> bool {
    let (main, fraction) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    if !matches!(main.len(), 2 | 4 | 6) || (fraction.is_some() && main.len() != 6) {
        return false;
    }
    let limits = [23, 59, 60];
    let fields_ok = main.chunks(2).zip(limits).all(|(c, max)| digits(c).is_some_and(|n| n <= max));
    fields_ok && fraction.map_or(true, |f| (1..=6).contains(&f.len()) && digits(f).is_some())
}

fn datetime(v: &[u8]) -> bool {
    let (main, offset) = match v.iter().position(|&b| b == b'+' || b == b'-') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    if let Some(o) = offset {
        let ok = o.len() == 4 && digits(&o[..2]).is_some_and(|h| h <= 14) && digits(&o[2..]).is_some_and(|m| m <= 59);
        if !ok {
            return false;
        }
    }
    let (whole, fraction) = match main.iter().position(|&b| b == b'.') {
        Some(i) => (&main[..i], Some(&main[i + 1..])),
        None => (main, None),
    };
    if !matches!(whole.len(), 4 | 6 | 8 | 10 | 12 | 14) || (fraction.is_some() && whole.len() != 14) {
        return false;
    }
    if digits(whole).is_none() {
        return false;
    }
    let date_ok = match whole.len() {
        4 => true,
        6 => digits(&whole[4..6]).is_some_and(|m| (1..=12).contains(&m)),
        _ => date(&whole[..8]),
    };
    date_ok
        && (whole.len() <= 8 || time(&whole[8..]))
        && fraction.map_or(true, |f| (1..=6).contains(&f.len()) && digits(f).is_some())
}

/// PS3.5 9.1: digits and dots, components without leading zeros, at most 64 bytes.
fn uid(v: &[u8]) -> Option<&'static str> {
    if v.len() > 64 {
        return Some("UI longer than 64");
    }
    if !v.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        return Some("UI outside 0-9 and .");
    }
    let bad = v.split(|&b| b == b'.').any(|c| c.is_empty() || (c.len() > 1 && c[0] == b'0'));
    bad.then_some("UI component empty or with a leading zero")
}

fn is_integer(v: &[u8]) -> bool {
    let digits_part = v.strip_prefix(b"+").or_else(|| v.strip_prefix(b"-")).unwrap_or(v);
    // PS3.5 6.2: -2^31 <= n <= 2^31 - 1.
    let Some(n) = digits(digits_part) else { return false };
    if v.first() == Some(&b'-') {
        n <= 1 << 31
    } else {
        n < 1 << 31
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_datetimes() {
        assert_eq!(check(Vr::DA, b"20240229"), None);
        assert_eq!(check(Vr::DA, b"20230229"), Some("DA not YYYYMMDD"));
        assert_eq!(check(Vr::DA, b"2024.1.1"), Some("DA not YYYYMMDD"));
        assert_eq!(check(Vr::DA, b""), None);
        assert_eq!(check(Vr::DA, b"20240101\\20240102 "), None);
        assert_eq!(check(Vr::TM, b"071523.417"), None);
        assert_eq!(check(Vr::TM, b"0715"), None);
        assert_eq!(check(Vr::TM, b"2460"), Some("TM not HH[MM[SS[.F]]]"));
        assert_eq!(check(Vr::DT, b"19440613091502"), None);
        assert_eq!(check(Vr::DT, b"20010101120000.25+0100"), None);
        assert_eq!(check(Vr::DT, b"2001"), None);
        assert!(check(Vr::DT, b"200113").is_some());
    }

    #[test]
    fn uids_code_strings_ages_and_lengths() {
        assert_eq!(check(Vr::UI, b"1.2.840.10008.1.2\0"), None);
        assert_eq!(check(Vr::UI, b"1.2.03"), Some("UI component empty or with a leading zero"));
        assert_eq!(check(Vr::UI, b"1.2.ab"), Some("UI outside 0-9 and ."));
        let long = [b"2.25.".as_slice(), &[b'1'; 61]].concat();
        assert_eq!(check(Vr::UI, &long[..66]), Some("UI longer than 64"));
        assert_eq!(check(Vr::CS, b"ORIGINAL\\PRIMARY"), None);
        assert_eq!(check(Vr::CS, b"lower "), Some("CS outside A-Z 0-9 space _"));
        assert_eq!(check(Vr::AS, b"087Y"), None);
        assert_eq!(check(Vr::AS, b"87Y "), Some("AS not nnnD/W/M/Y"));
        assert_eq!(check(Vr::LO, &[b'A'; 66]), Some("LO longer than 64"));
        assert_eq!(check(Vr::SH, b"ABC"), Some("odd value length (PS3.5 7.1.1)"));
        assert_eq!(check(Vr::US, &[0; 6]), None);
        assert_eq!(check(Vr::FL, &[0; 6]), Some("binary length not a multiple of 4"));
        assert_eq!(check(Vr::IS, b"-12 "), None);
        assert_eq!(check(Vr::IS, b"1.5 "), Some("IS not an integer"));
        assert_eq!(check(Vr::DS, b"1.83917 "), None);
    }
}
