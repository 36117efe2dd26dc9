//! Moving DA, DT and TM values (PS3.5 6.2) by an offset for the Retain Longitudinal Temporal
//! Information with Modified Dates option (PS3.15 E.3.6): intervals between a patient's dates
//! stay true while the dates themselves move.
//!
//! Each value keeps the precision it was given (a DT to the hour stays to the hour, a fraction of
//! two digits keeps two) and a DT keeps its UTC offset as written, since the offset says where
//! the value was recorded, not when. A value given only to the year or month is moved as its
//! first day and cut back to its precision. The functions take one value; a multi-valued
//! element is split on `\` by the caller. Padding spaces are ignored on input and not written.

use crate::actions::date::ShiftError;
use crate::actions::strptime::{add_micros, civil_from_days, days_from_civil, DateTime};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// An amount of time to move values by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offset {
    micros: i64,
}

impl Offset {
    /// Whole days, as [`super::keyed::date_shift_days`] gives them.
    #[must_use]
    pub fn days(days: i32) -> Self {
        Offset { micros: i64::from(days) * MICROS_PER_DAY }
    }

    /// Microseconds, for shifts finer than a day.
    #[must_use]
    pub fn micros(micros: i64) -> Self {
        Offset { micros }
    }
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_da(value: &str) -> Result<i64, ShiftError> {
    if value.len() != 8 || !value.is_ascii() {
        return Err(ShiftError::Unparsable);
    }
    let field = |r: std::ops::Range<usize>| digits(&value[r]).ok_or(ShiftError::Unparsable);
    days_from_civil(field(0..4)?, field(4..6)?, field(6..8)?).ok_or(ShiftError::Unparsable)
}

fn format_da(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// Time of day of a TM value (or the time part of a DT): microseconds since midnight, and how
/// many characters of `HHMMSS.FFFFFF` the value gave.
fn parse_time(value: &str) -> Result<(i64, usize), ShiftError> {
    let n = value.len();
    let valid_length = matches!(n, 2 | 4 | 6) || (8..=13).contains(&n) && value.as_bytes()[6] == b'.';
    if !valid_length || !value.is_ascii() {
        return Err(ShiftError::Unparsable);
    }
    let field = |r: std::ops::Range<usize>, default: i64| match value.get(r) {
        Some("") | None => Ok(default),
        Some(s) => digits(s).ok_or(ShiftError::Unparsable),
    };
    let (h, mi, s) = (field(0..2, 0)?, field(2..4, 0)?, field(4..6, 0)?);
    // A leap second (SS = 60) is valid in TM and DT; it moves on as the next minute's first second.
    if h > 23 || mi > 59 || s > 60 {
        return Err(ShiftError::Unparsable);
    }
    let fraction = match value.get(7..) {
        Some(f) => digits(f).ok_or(ShiftError::Unparsable)? * 10i64.pow(6 - f.len() as u32),
        None => 0,
    };
    Ok((((h * 60 + mi) * 60 + s) * 1_000_000 + fraction, n))
}

/// `HHMMSS.FFFFFF` of a time of day, cut to the first `len` characters.
fn format_time(micros: i64, len: usize) -> String {
    let (seconds, fraction) = (micros / 1_000_000, micros % 1_000_000);
    let full = format!("{:02}{:02}{:02}.{fraction:06}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    full[..len].to_string()
}

fn moved(days: i64, micros: i64, offset: Offset) -> Result<DateTime, ShiftError> {
    add_micros(DateTime { days, micros }, offset.micros).ok_or(ShiftError::OutOfRange)
}

/// A DA value (`YYYYMMDD`) moved by whole days.
pub fn shift_da(value: &str, days: i32) -> Result<String, ShiftError> {
    let t = moved(parse_da(value.trim_end_matches(' '))?, 0, Offset::days(days))?;
    Ok(format_da(t.days))
}

/// A DT value (`YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]`) moved by `offset`, at the precision
/// it was given, with its UTC offset kept as written.
pub fn shift_dt(value: &str, offset: Offset) -> Result<String, ShiftError> {
    let value = value.trim_end_matches(' ');
    if !value.is_ascii() {
        return Err(ShiftError::Unparsable);
    }
    let (body, zone) = match value.len().checked_sub(5) {
        Some(at) if matches!(value.as_bytes()[at], b'+' | b'-') => value.split_at(at),
        _ => (value, ""),
    };
    if !zone.is_empty() && digits(&zone[1..]).is_none() {
        return Err(ShiftError::Unparsable);
    }
    let n = body.len();
    if !matches!(n, 4 | 6 | 8) && n < 10 {
        return Err(ShiftError::Unparsable);
    }
    // Missing month and day count as the first, so the date parses; they are cut again below.
    let date = format!("{}{}", &body[..n.min(8)], &"0101"[(n.min(8) - 4).min(4)..]);
    let days = parse_da(&date)?;
    let (micros, time_len) = if n > 8 { parse_time(&body[8..])? } else { (0, 0) };
    let t = moved(days, micros, offset)?;
    let out = format_da(t.days)[..n.min(8)].to_string() + &format_time(t.micros, time_len);
    Ok(out + zone)
}

/// A DA value and the TM value that goes with it (Study Date and Study Time, say) moved together
/// by `offset`, so a time pushed past midnight moves the date. The time keeps its precision.
pub fn shift_da_tm(date: &str, time: &str, offset: Offset) -> Result<(String, String), ShiftError> {
    let days = parse_da(date.trim_end_matches(' '))?;
    let (micros, len) = parse_time(time.trim_end_matches(' '))?;
    let t = moved(days, micros, offset)?;
    Ok((format_da(t.days), format_time(t.micros, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cross_month_year_and_leap_day_boundaries() {
        assert_eq!(shift_da("20200301", -1).unwrap(), "20200229");
        assert_eq!(shift_da("20190301", -1).unwrap(), "20190228");
        assert_eq!(shift_da("21000301", -1).unwrap(), "21000228", "2100 is not a leap year");
        assert_eq!(shift_da("20000301", -1).unwrap(), "20000229", "2000 is");
        assert_eq!(shift_da("20200101", -1).unwrap(), "20191231");
        assert_eq!(shift_da("20201231", 1).unwrap(), "20210101");
        assert_eq!(shift_da("20200131", 30).unwrap(), "20200301");
        assert_eq!(shift_da("20200115 ", -365).unwrap(), "20190115");
        assert_eq!(shift_da("20200315", -365).unwrap(), "20190316", "365 days across 29 February");
        assert_eq!(shift_da("00010101", -1), Err(ShiftError::OutOfRange));
        for bad in ["2020-01-01", "20200230", "2020011", "20201301", "2020.01.01", ""] {
            assert_eq!(shift_da(bad, 1), Err(ShiftError::Unparsable), "{bad}");
        }
    }

    #[test]
    fn datetimes_keep_precision_and_utc_offset() {
        let day = Offset::days(-1);
        let cases = [
            ("20200301123456.123456+0100", "20200229123456.123456+0100"),
            ("20200301123456.12-0500", "20200229123456.12-0500"),
            ("20200301123456", "20200229123456"),
            ("202003011234", "202002291234"),
            ("2020030112", "2020022912"),
            ("20200301", "20200229"),
            ("20200301+0000", "20200229+0000"),
            // Year and month precision: moved as the first day, cut back.
            ("202003", "202002"),
            ("2020", "2019"),
            ("2020+0100", "2019+0100"),
        ];
        for (input, expected) in cases {
            assert_eq!(shift_dt(input, day).unwrap(), expected, "{input}");
        }
        // Finer offsets roll over midnight and New Year.
        let ninety_minutes = Offset::micros(90 * 60 * 1_000_000);
        assert_eq!(shift_dt("20201231233000.5", ninety_minutes).unwrap(), "20210101010000.5");
        assert_eq!(shift_dt("2020123123", ninety_minutes).unwrap(), "2021010100");
        assert_eq!(shift_dt("20200101000000.000000", Offset::micros(-1)).unwrap(), "20191231235959.999999");
        for bad in ["20200301123456.1234567", "202003011", "20200301246000", "2020030112345", "2020+01a0", "20"] {
            assert_eq!(shift_dt(bad, day), Err(ShiftError::Unparsable), "{bad}");
        }
    }

    #[test]
    fn times_roll_over_into_the_date() {
        let (hour, back) = (Offset::micros(3_600_000_000), Offset::micros(-3_600_000_000));
        assert_eq!(shift_da_tm("20200228", "233000", hour).unwrap(), ("20200229".into(), "003000".into()));
        assert_eq!(shift_da_tm("20201231", "2330", hour).unwrap(), ("20210101".into(), "0030".into()));
        assert_eq!(shift_da_tm("20200301", "0030", back).unwrap(), ("20200229".into(), "2330".into()));
        assert_eq!(shift_da_tm("20200301", "00", back).unwrap(), ("20200229".into(), "23".into()));
        assert_eq!(
            shift_da_tm("20200301", "120000.25 ", Offset::days(-1)).unwrap(),
            ("20200229".into(), "120000.25".into())
        );
        assert_eq!(shift_da_tm("20200301", "235960", Offset::days(0)).unwrap(), ("20200302".into(), "000000".into()));
        for bad in ["12:00:00", "2400", "1260", "120", "120000.", "120000.1234567"] {
            assert_eq!(shift_da_tm("20200301", bad, hour), Err(ShiftError::Unparsable), "{bad}");
        }
    }
}
