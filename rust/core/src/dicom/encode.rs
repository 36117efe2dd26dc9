//! Encoding new element values and headers (PS3.5 sections 6.2 and 7.1).

use super::charset::CharacterSet;
use super::tag::Tag;
use super::ts::Encoding;
use super::vr::Vr;
use crate::error::{Error, ErrorKind, Result};

/// A value as a profile gives it: text, a number, or several values.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A character string (one value; `\` inside it separates values as in DICOM).
    Text(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Several values (value multiplicity > 1).
    List(Vec<Value>),
}

/// Encodes `value` as the value bytes of an element with `vr`, padded to even length; text must
/// be ASCII (see [`value_bytes_in`]).
pub fn value_bytes(value: &Value, vr: Vr, enc: Encoding) -> Result<Vec<u8>> {
    value_bytes_in(value, vr, enc, &CharacterSet::default())
}

/// Like [`value_bytes`], with text of PN, SH, LO, UC, LT, ST and UT in `charset`.
pub fn value_bytes_in(value: &Value, vr: Vr, enc: Encoding, charset: &CharacterSet) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if vr.is_text() {
        let text = if let Value::Text(one) = value {
            std::borrow::Cow::Borrowed(one.as_str()) // the common case: no copies
        } else {
            let mut parts = Vec::new();
            flatten(value, &mut parts);
            std::borrow::Cow::Owned(parts.iter().map(|v| text_of(v, vr)).collect::<Vec<_>>().join("\\"))
        };
        if !text.is_ascii() && !CharacterSet::applies_to(vr) {
            return Err(Error::new(ErrorKind::BadValue, format!("a {vr} value must be ASCII")));
        }
        out.extend_from_slice(&charset.encode(&text)?);
    } else if vr.numeric_width().is_some() && vr != Vr::AT {
        let mut parts = Vec::new();
        flatten(value, &mut parts);
        for part in parts {
            push_number(part, vr, enc, &mut out)?;
        }
    } else {
        return Err(Error::new(ErrorKind::BadValue, format!("cannot write a profile value into a {vr} element")));
    }
    if out.len() % 2 == 1 {
        out.push(vr.padding());
    }
    Ok(out)
}

fn flatten<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::List(items) => items.iter().for_each(|v| flatten(v, out)),
        other => out.push(other),
    }
}

fn text_of(value: &Value, vr: Vr) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::Int(i) if vr == Vr::DS => format!("{i}.0"),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.is_finite() => format!("{f:.1}"),
        Value::Float(f) => f.to_string(),
        Value::List(_) => String::new(),
    }
}

fn push_number(value: &Value, vr: Vr, enc: Encoding, out: &mut Vec<u8>) -> Result<()> {
    let bad = || Error::new(ErrorKind::BadValue, format!("value is not a number that fits a {vr} element"));
    let as_f64 = match value {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Text(s) => s.trim().parse::<f64>().map_err(|_| bad())?,
        Value::List(_) => return Err(bad()),
    };
    let as_i128 = match value {
        Value::Int(i) => Some(i128::from(*i)),
        _ if as_f64.fract() == 0.0 && as_f64.is_finite() => Some(as_f64 as i128),
        _ => None,
    };
    let int = |lo: i128, hi: i128| as_i128.filter(|v| (lo..=hi).contains(v)).ok_or_else(bad);
    let be = enc.big_endian;
    macro_rules! put {
        ($v:expr) => {
            if be {
                out.extend_from_slice(&$v.to_be_bytes())
            } else {
                out.extend_from_slice(&$v.to_le_bytes())
            }
        };
    }
    match vr {
        Vr::US => put!(int(0, 0xFFFF)? as u16),
        Vr::SS => put!(int(-0x8000, 0x7FFF)? as i16),
        Vr::UL => put!(int(0, 0xFFFF_FFFF)? as u32),
        Vr::SL => put!(int(-0x8000_0000, 0x7FFF_FFFF)? as i32),
        Vr::UV => put!(int(0, i128::from(u64::MAX))? as u64),
        Vr::SV => put!(int(i128::from(i64::MIN), i128::from(i64::MAX))? as i64),
        Vr::FL => put!(as_f64 as f32),
        Vr::FD => put!(as_f64),
        _ => return Err(bad()),
    }
    Ok(())
}

/// Decodes one binary number of a fixed-width numeric VR (or an AT tag) as text: integers in
/// decimal, floats in their shortest round-trip form, tags as `(gggg,eeee)`.
#[must_use]
pub fn number_text(vr: Vr, b: &[u8], enc: Encoding) -> String {
    let mut a = [0u8; 8];
    let n = b.len().min(8);
    a[..n].copy_from_slice(&b[..n]);
    if enc.big_endian && vr != Vr::AT {
        a[..n].reverse();
    }
    let u = u64::from_le_bytes(a);
    match vr {
        Vr::SS => (u as u16 as i16).to_string(),
        Vr::SL => (u as u32 as i32).to_string(),
        Vr::SV => (u as i64).to_string(),
        Vr::FL => format!("{:?}", f32::from_bits(u as u32)),
        Vr::FD => format!("{:?}", f64::from_bits(u)),
        // AT: group then element, each in the data set's byte order.
        Vr::AT => format!("({:04X},{:04X})", enc.u16([a[0], a[1]]), enc.u16([a[2], a[3]])),
        _ => u.to_string(),
    }
}

/// Encodes a whole element: header in `enc` followed by `value` (already even-length).
pub fn element(tag: Tag, vr: Vr, value: &[u8], enc: Encoding) -> Result<Vec<u8>> {
    let len = u32::try_from(value.len()).map_err(|_| Error::new(ErrorKind::BadValue, "value longer than 4 GiB"))?;
    let mut out = Vec::with_capacity(12 + value.len());
    out.extend_from_slice(&enc.u16_bytes(tag.group()));
    out.extend_from_slice(&enc.u16_bytes(tag.element()));
    if enc.explicit_vr {
        out.extend_from_slice(vr.as_str().as_bytes());
        if vr.has_long_header() {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&enc.u32_bytes(len));
        } else {
            let short = u16::try_from(len).map_err(|_| {
                Error::new(ErrorKind::BadValue, format!("value too long for the 16-bit length of a {vr} element"))
            })?;
            out.extend_from_slice(&enc.u16_bytes(short));
        }
    } else {
        out.extend_from_slice(&enc.u32_bytes(len));
    }
    out.extend_from_slice(value);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_joined_and_padded() {
        let v = Value::List(vec![Value::Text("A".into()), Value::Text("BC".into())]);
        assert_eq!(value_bytes(&v, Vr::CS, Encoding::EXPLICIT_LE).unwrap(), b"A\\BC");
        assert_eq!(value_bytes(&Value::Text("1.2.3".into()), Vr::UI, Encoding::EXPLICIT_LE).unwrap(), b"1.2.3\0");
        assert_eq!(value_bytes(&Value::Int(80), Vr::DS, Encoding::EXPLICIT_LE).unwrap(), b"80.0");
    }

    #[test]
    fn numbers_follow_byte_order_and_range() {
        assert_eq!(value_bytes(&Value::Int(258), Vr::US, Encoding::EXPLICIT_BE).unwrap(), [1, 2]);
        assert_eq!(value_bytes(&Value::Int(258), Vr::US, Encoding::EXPLICIT_LE).unwrap(), [2, 1]);
        assert_eq!(
            value_bytes(&Value::Int(70000), Vr::US, Encoding::EXPLICIT_LE).unwrap_err().kind,
            ErrorKind::BadValue
        );
    }

    #[test]
    fn headers_match_ps3_5_layouts() {
        let short = element(Tag(0x0010_0010), Vr::PN, b"AB", Encoding::EXPLICIT_LE).unwrap();
        assert_eq!(short, [0x10, 0, 0x10, 0, b'P', b'N', 2, 0, b'A', b'B']);
        let long = element(Tag(0x0008_0016), Vr::UT, b"", Encoding::EXPLICIT_BE).unwrap();
        assert_eq!(long, [0, 8, 0, 0x16, b'U', b'T', 0, 0, 0, 0, 0, 0]);
        let implicit = element(Tag(0x0010_0010), Vr::PN, b"AB", Encoding::IMPLICIT_LE).unwrap();
        assert_eq!(implicit, [0x10, 0, 0x10, 0, 2, 0, 0, 0, b'A', b'B']);
    }
}
