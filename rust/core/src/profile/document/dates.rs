//! Date options of a rule (`docs/profiles.md#dates`, `#jitter`): formats, offsets, bounds and
//! date jitter, checked and turned into the canonical shift parameters.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::defaults;
use super::problem::{key, PathPart, Problems};
use super::Lax;
use crate::actions::strptime::{self, DateTime};
use crate::profile::{DateJitterSpec, ShiftSpec};

/// Every directive Python's strptime knows; the reference accepts exactly these.
const STRPTIME_CODES: &str = "aAbBcdfGHIjmMpSUuVwWxXyYzZ%";

/// Units of `jitter-unit`, in microseconds.
const JITTER_UNITS_MICROS: &[(&str, i64)] = &[
    ("weeks", 7 * 86_400_000_000),
    ("days", 86_400_000_000),
    ("hours", 3_600_000_000),
    ("minutes", 60_000_000),
    ("seconds", 1_000_000),
    ("milliseconds", 1_000),
    ("microseconds", 1),
];

/// The date options one rule (a field or a group rule) may carry.
pub struct DateOptions<'a> {
    /// `date-format`.
    pub date_format: Option<&'a Lax<String>>,
    /// `datetime-format`.
    pub datetime_format: Option<&'a Lax<String>>,
    /// `date-increment-override`.
    pub increment_override: Option<&'a Lax<f64>>,
    /// `datetime-min`.
    pub min: Option<&'a Value>,
    /// `datetime-max`.
    pub max: Option<&'a Value>,
    /// `jitter-date`.
    pub jitter_date: Option<&'a Value>,
    /// `jitter-range`.
    pub jitter_range: Option<&'a Lax<f64>>,
    /// `jitter-unit`.
    pub jitter_unit: Option<&'a Lax<String>>,
}

/// The section-level date options that rules inherit.
pub struct SectionDates<'a> {
    /// `date-format`.
    pub date_format: Option<&'a Lax<String>>,
    /// `datetime-format`.
    pub datetime_format: Option<&'a Lax<String>>,
    /// `date-increment`.
    pub increment: Option<&'a Lax<f64>>,
    /// The moment relative bounds are taken from.
    pub now: DateTime,
}

/// Checks a strptime format; `None` (with a problem recorded) when it is not usable.
pub fn check_format(fmt: &Lax<String>, name: &str, path: &[PathPart], p: &mut Problems) -> Option<String> {
    let Lax::Ok(text) = fmt else {
        p.add("bad-type", path, format!("{name} must be a strptime format such as '%Y%m%d'"));
        return None;
    };
    if text.is_empty() {
        p.add("bad-type", path, format!("{name} must be a strptime format such as '%Y%m%d'"));
        return None;
    }
    let mut chars = text.replace("%%", "").chars().collect::<Vec<_>>().into_iter();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let Some(code) = chars.next() else { break };
        if !STRPTIME_CODES.contains(code) {
            p.add("bad-format", path, format!("%{code} is not a supported datetime format code"));
            return None;
        }
        if !strptime::DIRECTIVES.contains(&code) {
            p.add(
                "not-supported",
                path,
                format!("%{code} in {name} is not supported by this version of fastdeid yet (use %Y %m %d %H %M %S %f %y %j)"),
            );
            return None;
        }
    }
    Some(text.clone())
}

fn bound(value: Option<&Value>, name: &str, path: &[PathPart], now: DateTime, p: &mut Problems) -> Option<String> {
    static RELATIVE: OnceLock<Regex> = OnceLock::new();
    let relative = RELATIVE.get_or_init(|| Regex::new(r"^([+-]?\d+)(years|weeks|days)$").expect("valid"));
    let text = match value {
        None | Some(Value::Null) => return None,
        Some(Value::String(s)) => s.as_str(),
        Some(_) => "",
    };
    let when = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let Some(t) = strptime::parse(text, "%Y%m%d") else {
            p.add("bad-value", path, format!("{name} '{text}' is not a valid date"));
            return None;
        };
        t
    } else if let Some(m) = relative.captures(text) {
        let amount: f64 = m[1].parse::<i64>().map_or(f64::NAN, |n| n as f64);
        let per = match &m[2] {
            "years" => 365.25,
            "weeks" => 7.0,
            _ => 1.0,
        };
        let Some(t) = strptime::add_days(now, amount * per) else {
            p.add("bad-value", path, format!("{name} is outside the years 1 to 9999"));
            return None;
        };
        t
    } else {
        // An unquoted 20200301 is a YAML number: say how to write it, as the reference does.
        p.add(
            "bad-value",
            path,
            format!("{name} must be in either yyyymmdd or [+-]<amount><unit> format (quote it: '20200301')"),
        );
        return None;
    };
    strptime::format(when, defaults::DATETIME_FORMAT)
}

fn days(value: &Lax<f64>, name: &str, path: &[PathPart], p: &mut Problems) -> Option<f64> {
    match value {
        Lax::Ok(d) => Some(*d),
        Lax::Bad(_) => {
            p.add("bad-type", path, format!("{name} must be a number of days"));
            None
        }
    }
}

/// A positive range (at least 1 when `integer`).
pub fn range(value: &Lax<f64>, name: &str, path: &[PathPart], integer: bool, p: &mut Problems) -> Option<f64> {
    let Lax::Ok(v) = value else {
        p.add("bad-type", path, format!("{name} must be a number"));
        return None;
    };
    if *v <= 0.0 || (integer && *v < 1.0) {
        // The reference rejects a zero range on fields but not at profile level (E17).
        let extra = if integer { " and at least 1 for jitter-type int" } else { "" };
        p.add("bad-value", path, format!("{name} must be positive{extra}"));
        return None;
    }
    Some(*v)
}

/// `jitter-date`'s parameters; `Ok(None)` without jitter, `Err` when a problem was recorded.
fn date_jitter(o: &DateOptions<'_>, path: &[PathPart], p: &mut Problems) -> Result<Option<DateJitterSpec>, ()> {
    match o.jitter_date {
        None | Some(Value::Bool(false) | Value::Null) => return Ok(None),
        Some(Value::Bool(true)) => {}
        Some(_) => {
            p.add("bad-type", &key(path, "jitter-date"), "jitter-date must be true");
            return Err(());
        }
    }
    let unit = match o.jitter_unit {
        None => Some(defaults::JITTER_UNIT),
        Some(Lax::Ok(u)) => JITTER_UNITS_MICROS.iter().find(|(n, _)| n == u).map(|(n, _)| *n),
        Some(Lax::Bad(_)) => None,
    };
    let Some(unit) = unit else {
        let names: Vec<&str> = JITTER_UNITS_MICROS.iter().map(|(n, _)| *n).collect();
        p.add("bad-value", &key(path, "jitter-unit"), format!("jitter-unit must be one of {}", names.join(", ")));
        return Err(());
    };
    let default = Lax::Ok(defaults::DATE_JITTER_RANGE);
    let rng =
        range(o.jitter_range.unwrap_or(&default), "jitter-range", &key(path, "jitter-range"), true, p).ok_or(())?;
    let micros = JITTER_UNITS_MICROS.iter().find(|(n, _)| *n == unit).map_or(1, |(_, m)| *m);
    #[allow(clippy::cast_possible_truncation)] // whole units, as the reference takes them
    Ok(Some(DateJitterSpec { range: rng as i64, unit_micros: micros }))
}

/// The canonical shift of an `increment-date` (`datetime == false`) or `increment-datetime` rule.
pub fn shift(
    action: &str,
    o: &DateOptions<'_>,
    section: &SectionDates<'_>,
    path: &[PathPart],
    p: &mut Problems,
) -> Option<ShiftSpec> {
    let before = p.list.len();
    let (own, inherited, name, default) = if action == "increment-date" {
        (o.date_format, section.date_format, "date-format", defaults::DATE_FORMAT)
    } else {
        (o.datetime_format, section.datetime_format, "datetime-format", defaults::DATETIME_FORMAT)
    };
    let format = match (own, inherited) {
        (Some(f), _) => check_format(f, name, &key(path, name), p),
        // A bad section format is reported once, at the section.
        (None, Some(f)) => check_format(f, name, &[], &mut Problems::default()),
        (None, None) => Some(default.to_string()),
    };
    let offset = match (o.increment_override, section.increment) {
        (Some(d), _) => days(d, "date-increment-override", &key(path, "date-increment-override"), p),
        (None, Some(d)) => days(d, "date-increment", &[], &mut Problems::default()),
        (None, None) => {
            // The reference crashes at run time here; say it at load instead.
            p.add(
                "missing-key",
                path,
                format!(
                    "{action} needs `date-increment` in the dicom section or `date-increment-override` on the field"
                ),
            );
            None
        }
    };
    let min = bound(o.min, "datetime-min", &key(path, "datetime-min"), section.now, p);
    let max = bound(o.max, "datetime-max", &key(path, "datetime-max"), section.now, p);
    let jitter = date_jitter(o, path, p);
    if p.list.len() > before {
        return None;
    }
    Some(ShiftSpec { format: format?, days: offset?, min, max, jitter: jitter.ok()? })
}
