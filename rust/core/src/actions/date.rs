//! `increment-date` and `increment-datetime` (docs/profiles.md#increment-date, #increment-datetime): parse with the profile's format,
//! move by the offset, clamp to `datetime-min`/`datetime-max`, format again.

use super::strptime::{add_days, add_micros, days_from_civil, format, parse, DateTime};

/// How one rule shifts dates.
#[derive(Clone, Debug)]
pub struct DateShift {
    /// strptime format of the values.
    pub format: String,
    /// Offset in days (fractions allowed).
    pub days: f64,
    /// Results earlier than this are raised to it.
    pub min: Option<DateTime>,
    /// Results later than this are lowered to it.
    pub max: Option<DateTime>,
    /// `jitter-date`: a random non-zero whole number of units in [-range, range] added as well.
    pub jitter: Option<DateJitter>,
}

/// `jitter-date` parameters.
#[derive(Clone, Copy, Debug)]
pub struct DateJitter {
    /// Largest number of units.
    pub range: i64,
    /// Length of one unit in microseconds (weeks down to microseconds).
    pub unit_micros: i64,
}

/// Why a value could not be shifted (the value itself is never included).
#[derive(Debug, PartialEq, Eq)]
pub enum ShiftError {
    /// The value does not match the format.
    Unparsable,
    /// The result falls outside the years 1 to 9999.
    OutOfRange,
}

fn shift_one(value: &str, fmt: &str, s: &DateShift, jitter_micros: i64) -> Result<String, ShiftError> {
    let t = parse(value, fmt).ok_or(ShiftError::Unparsable)?;
    let mut moved = add_days(t, s.days).and_then(|m| add_micros(m, jitter_micros)).ok_or(ShiftError::OutOfRange)?;
    if let Some(min) = s.min {
        moved = moved.max(min);
    }
    if let Some(max) = s.max {
        moved = moved.min(max);
    }
    format(moved, fmt).ok_or(ShiftError::Unparsable)
}

/// Shifts a DA read string; several values (joined by ",") are shifted one by one.
pub fn increment_date(value: &str, s: &DateShift, jitter_micros: i64) -> Result<Vec<String>, ShiftError> {
    value.split(',').map(|v| shift_one(v, &s.format, s, jitter_micros)).collect()
}

/// Shifts a DT read string. A trailing UTC offset (`+0100`, `-05:00`) is kept as it is, and a
/// value without a fraction gets `.0` when the format ends in `.%f`, as in the reference.
pub fn increment_datetime(value: &str, s: &DateShift, jitter_micros: i64) -> Result<Vec<String>, ShiftError> {
    value
        .split(',')
        .map(|v| {
            let (body, zone) = split_zone(v);
            if s.format == DEFAULT_DATETIME_FORMAT {
                if let Some(out) = shift_reduced_precision(body, s, jitter_micros) {
                    return out.map(|o| o + zone);
                }
            }
            let mut body = body.to_string();
            if s.format.ends_with(".%f") && !body.contains('.') {
                body.push_str(".0");
            }
            shift_one(&body, &s.format, s, jitter_micros).map(|out| out + zone)
        })
        .collect()
}

/// The reference's default DT format.
pub use crate::profile::document::defaults::DATETIME_FORMAT as DEFAULT_DATETIME_FORMAT;

/// DT values with less than second precision (PS3.5 6.2: YYYY, YYYYMM, YYYYMMDD, YYYYMMDDHH,
/// YYYYMMDDHHMM) are valid, but strptime with the default format misreads them (E20: 12:34
/// became 12:03:04) or rejects them. They are shifted here and written at their own precision.
fn shift_reduced_precision(body: &str, s: &DateShift, jitter_micros: i64) -> Option<Result<String, ShiftError>> {
    const LAYOUT: &str = "%Y%m%d%H%M";
    let n = body.len();
    if !matches!(n, 4 | 6 | 8 | 10 | 12) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Fill the missing parts with their first value (month 01, day 01, 00:00) to parse, then cut
    // the result back to the input's length.
    let full = format!("{body}{}", &"01010000"[n - 4..]);
    let field = |r: std::ops::Range<usize>| full[r].parse::<i64>().ok();
    let t = match (field(0..4), field(4..6), field(6..8), field(8..10), field(10..12)) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi)) if h < 24 && mi < 60 => {
            days_from_civil(y, mo, d).map(|days| DateTime { days, micros: (h * 60 + mi) * 60_000_000 })
        }
        _ => None,
    };
    Some(match t {
        None => Err(ShiftError::Unparsable),
        Some(t) => add_days(t, s.days)
            .and_then(|m| add_micros(m, jitter_micros))
            .ok_or(ShiftError::OutOfRange)
            .map(|m| s.min.map_or(m, |min| m.max(min)))
            .map(|m| s.max.map_or(m, |max| m.min(max)))
            .and_then(|m| format(m, LAYOUT).ok_or(ShiftError::OutOfRange))
            .map(|out| format!("{out:0>12}")[..n].to_string()),
    })
}

fn split_zone(v: &str) -> (&str, &str) {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let n = b.len();
    if n >= 5 && matches!(b[n - 5], b'+' | b'-') && digits(n - 4..n) {
        return v.split_at(n - 5);
    }
    if n >= 6 && matches!(b[n - 6], b'+' | b'-') && b[n - 3] == b':' && digits(n - 5..n - 3) && digits(n - 2..n) {
        return v.split_at(n - 6);
    }
    (v, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(days: f64, fmt: &str) -> DateShift {
        DateShift { format: fmt.into(), days, min: None, max: None, jitter: None }
    }

    #[test]
    fn multi_valued_dates_shift_each_value() {
        assert_eq!(
            increment_date("20200101,20200201", &shift(-17.0, "%Y%m%d"), 0),
            Ok(vec!["20191215".into(), "20200115".into()])
        );
        assert_eq!(increment_date("2020-03-10", &shift(1.0, "%Y%m%d"), 0), Err(ShiftError::Unparsable));
    }

    #[test]
    fn datetimes_match_the_verified_table() {
        let f = "%Y%m%d%H%M%S.%f";
        let cases = [
            ("20200310123456.123456+0100", -17.0, "20200222123456.123456+0100"),
            ("20200310123456", -17.0, "20200222123456.000000"),
            ("20200310123456.1", 10.0, "20200320123456.100000"),
            ("20200310123456.123+01:00", 10.0, "20200320123456.123000+01:00"),
            ("20200310123456-0500", 10.0, "20200320123456.000000-0500"),
        ];
        for (input, days, out) in cases {
            assert_eq!(increment_datetime(input, &shift(days, f), 0), Ok(vec![out.to_string()]), "{input}");
        }
        // E20: reduced precision is kept instead of misread.
        assert_eq!(increment_datetime("202003101234", &shift(10.0, f), 0), Ok(vec!["202003201234".into()]));
        assert_eq!(increment_datetime("20200310+0100", &shift(-17.0, f), 0), Ok(vec!["20200222+0100".into()]));
        assert_eq!(increment_datetime("2020", &shift(-17.0, f), 0), Ok(vec!["2019".into()]));
        assert_eq!(increment_datetime("202013", &shift(1.0, f), 0), Err(ShiftError::Unparsable));
    }

    #[test]
    fn min_and_max_clamp() {
        let f = "%Y%m%d%H%M%S.%f";
        let min = parse("20200301", "%Y%m%d");
        let s = DateShift { format: f.into(), days: -17.0, min, max: None, jitter: None };
        assert_eq!(increment_datetime("20200310123456", &s, 0), Ok(vec!["20200301000000.000000".into()]));
    }
}
