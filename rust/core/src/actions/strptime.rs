//! The subset of Python's `strptime`/`strftime` that date formats in profiles use, with Python's
//! matching rules, so dates parse and print exactly as in the reference: each directive is an
//! alternation tried in order (`%m` is `1[0-2]|0[1-9]|[1-9]`, so widths are lenient) and the first
//! match must consume the whole value.

/// A point in time with microsecond resolution, proleptic Gregorian, years 1 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// Days since 0001-01-01.
    pub days: i64,
    /// Microseconds since midnight.
    pub micros: i64,
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The directives supported in formats (besides `%%`).
pub const DIRECTIVES: &[char] = &['Y', 'm', 'd', 'H', 'M', 'S', 'f', 'y', 'j'];

/// Alternatives of one directive, tried in order, each a sequence of character classes.
fn alternatives(directive: char) -> &'static [&'static str] {
    // Each class: 'd' = any digit, 'a'..'b' ranges written as "[ab]"; see `class_matches`.
    match directive {
        'Y' => &["dddd"],
        'm' => &["1[02]", "0[19]", "[19]"],
        'd' => &["3[01]", "[12]d", "0[19]", "[19]", " [19]"],
        'H' => &["2[03]", "[01]d", "d"],
        'M' => &["[05]d", "d"],
        'S' => &["6[01]", "[05]d", "d"],
        'f' => &["dddddd", "ddddd", "dddd", "ddd", "dd", "d"],
        'y' => &["dd"],
        'j' => &["36[0-6]", "3[05]d", "[12]dd", "0[19]d", "00[19]", "[19]d", "0[19]", "[19]"],
        _ => &[],
    }
}

/// Matches one alternative at `pos` of `v`; returns the length matched. Classes: `d` any digit,
/// `[ab]` or `[a-b]` the digits a through b, any other byte itself.
fn match_alternative(alt: &[u8], v: &[u8], pos: usize) -> Option<usize> {
    let (mut i, mut at) = (0, pos);
    while i < alt.len() {
        let (lo, hi, width) = match alt[i] {
            b'd' => (b'0', b'9', 1),
            b'[' => {
                let close = i + alt[i..].iter().position(|&c| c == b']')?;
                (alt[i + 1], alt[close - 1], close + 1 - i)
            }
            c => (c, c, 1),
        };
        if !(lo..=hi).contains(v.get(at)?) {
            return None;
        }
        at += 1;
        i += width;
    }
    Some(at - pos)
}

enum Token {
    Literal(u8),
    Directive(char),
}

fn tokens(fmt: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = fmt.bytes();
    while let Some(c) = chars.next() {
        if c == b'%' {
            match chars.next()? {
                b'%' => out.push(Token::Literal(b'%')),
                d if DIRECTIVES.contains(&char::from(d)) => out.push(Token::Directive(char::from(d))),
                _ => return None,
            }
        } else {
            out.push(Token::Literal(c));
        }
    }
    Some(out)
}

/// Parses `value` with `fmt` as Python's `datetime.strptime` does; `None` when it does not match.
#[must_use]
pub fn parse(value: &str, fmt: &str) -> Option<DateTime> {
    let toks = tokens(fmt)?;
    let mut fields = [None::<(char, &str)>; 16];
    let end = search(value.as_bytes(), 0, &toks, &mut fields, 0)?;
    // Python takes the first match the regex engine finds and then requires it to be complete.
    if end != value.len() {
        return None;
    }
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut micro, mut yday) =
        (1900, 1, 1, 0, 0, 0, 0, None);
    for (d, text) in fields.iter().flatten() {
        let n: i64 = text.trim().parse().ok()?;
        match d {
            'Y' => year = n,
            'y' => year = if n <= 68 { 2000 + n } else { 1900 + n },
            'm' => month = n,
            'd' => day = n,
            'H' => hour = n,
            'M' => minute = n,
            'S' => second = n,
            'f' => micro = format!("{text:0<6}").parse().ok()?,
            'j' => yday = Some(n),
            _ => {}
        }
    }
    if second > 59 {
        return None; // Python rejects leap seconds in datetime()
    }
    let days = match yday {
        Some(j) if j >= 1 && j <= if is_leap(year) { 366 } else { 365 } => days_from_civil(year, 1, 1)? + j - 1,
        Some(_) => return None,
        None => days_from_civil(year, month, day)?,
    };
    Some(DateTime { days, micros: ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro })
}

/// Depth-first search in regex order; records matched text per directive and returns the end.
fn search<'v>(
    v: &'v [u8],
    pos: usize,
    toks: &[Token],
    fields: &mut [Option<(char, &'v str)>; 16],
    n: usize,
) -> Option<usize> {
    let Some((first, rest)) = toks.split_first() else { return Some(pos) };
    match first {
        Token::Literal(c) => (v.get(pos) == Some(c)).then_some(()).and_then(|()| search(v, pos + 1, rest, fields, n)),
        Token::Directive(d) => {
            for alt in alternatives(*d) {
                let Some(len) = match_alternative(alt.as_bytes(), v, pos) else { continue };
                if n < fields.len() {
                    fields[n] = Some((*d, std::str::from_utf8(&v[pos..pos + len]).ok()?));
                }
                if let Some(end) = search(v, pos + len, rest, fields, n + 1) {
                    return Some(end);
                }
            }
            None
        }
    }
}

/// Formats `t` with `fmt` as Python's `strftime` does on Linux for these directives.
#[must_use]
pub fn format(t: DateTime, fmt: &str) -> Option<String> {
    let (y, m, d) = civil_from_days(t.days);
    let secs = t.micros / 1_000_000;
    let mut out = String::new();
    for tok in tokens(fmt)? {
        match tok {
            Token::Literal(c) => out.push(char::from(c)),
            Token::Directive(dir) => out.push_str(&match dir {
                'Y' => y.to_string(), // glibc does not pad years below 1000
                'y' => format!("{:02}", y % 100),
                'm' => format!("{m:02}"),
                'd' => format!("{d:02}"),
                'H' => format!("{:02}", secs / 3600),
                'M' => format!("{:02}", secs / 60 % 60),
                'S' => format!("{:02}", secs % 60),
                'f' => format!("{:06}", t.micros % 1_000_000),
                'j' => format!("{:03}", t.days - days_from_civil(y, 1, 1)? + 1),
                _ => return None,
            }),
        }
    }
    Some(out)
}

/// `t` moved by `days` (fractional days allowed, rounded to the microsecond half to even as
/// Python's timedelta does); `None` past the years 1 to 9999.
#[must_use]
pub fn add_days(t: DateTime, days: f64) -> Option<DateTime> {
    let delta = (days * MICROS_PER_DAY as f64).round_ties_even();
    if !delta.is_finite() || delta.abs() > 4e18 {
        return None;
    }
    add_micros(t, delta as i64)
}

/// `t` moved by `micros` microseconds.
#[must_use]
pub fn add_micros(t: DateTime, micros: i64) -> Option<DateTime> {
    let total = i128::from(t.days) * i128::from(MICROS_PER_DAY) + i128::from(t.micros) + i128::from(micros);
    let days = total.div_euclid(i128::from(MICROS_PER_DAY));
    let max = i128::from(days_from_civil(9999, 12, 31)?);
    if !(0..=max).contains(&days) {
        return None;
    }
    Some(DateTime { days: days as i64, micros: total.rem_euclid(i128::from(MICROS_PER_DAY)) as i64 })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days since 0001-01-01 of a valid date in years 1 to 9999 (H. Hinnant's civil algorithm).
#[must_use]
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let month_len = [31, if is_leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > month_len[(m - 1) as usize] {
        return None;
    }
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // 719_162 days from 0001-01-01 to 1970-01-01; the algorithm counts from 1970-01-01.
    Some(era * 146_097 + doe - 719_468 + 719_162)
}

/// The (year, month, day) of days since 0001-01-01.
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days - 719_162 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(v: &str, fmt: &str, days: f64) -> Option<String> {
        format(add_days(parse(v, fmt)?, days)?, fmt)
    }

    #[test]
    fn dates_shift_as_in_the_reference() {
        assert_eq!(shift("20200310", "%Y%m%d", -17.0).as_deref(), Some("20200222"));
        assert_eq!(shift("20040119", "%Y%m%d", -17.0).as_deref(), Some("20040102"));
        assert_eq!(shift("20200229", "%Y%m%d", -17.0).as_deref(), Some("20200212"));
        assert_eq!(shift("20200310", "%Y%m%d", 365.0).as_deref(), Some("20210310"));
        assert_eq!(shift("2020031", "%Y%m%d", 10.0).as_deref(), Some("20200311")); // lenient widths
        assert_eq!(shift("20200310", "%Y%m%d", 1.5).as_deref(), Some("20200311"));
        for bad in ["2020-03-10", "20200230", "20200310 ", ""] {
            assert_eq!(parse(bad, "%Y%m%d"), None, "{bad:?}");
        }
        assert_eq!(shift("2020-03-10", "%Y-%m-%d", 1.0).as_deref(), Some("2020-03-11"));
    }

    #[test]
    fn datetimes_parse_fractions_and_format_six_digits() {
        let f = "%Y%m%d%H%M%S.%f";
        assert_eq!(shift("20200310123456.123456", f, -17.0).as_deref(), Some("20200222123456.123456"));
        assert_eq!(shift("20200310123456.1", f, 10.0).as_deref(), Some("20200320123456.100000"));
        assert_eq!(shift("20200310123456.0", f, 1.5).as_deref(), Some("20200312003456.000000"));
        // Spec E20: the reference reads 202003101234.0 as 12:03:04.
        assert_eq!(shift("202003101234.0", f, 10.0).as_deref(), Some("20200320120304.000000"));
    }

    #[test]
    fn civil_conversions_round_trip() {
        for days in [0, 1, 59, 60, 365, 730_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(days_from_civil(1970, 1, 1), Some(719_162));
        assert_eq!(add_days(parse("99991231", "%Y%m%d").unwrap(), 1.0), None);
    }
}
