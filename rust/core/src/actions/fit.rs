//! Fitting generated text to its element's VR (PS3.5 6.2): the reference writes hex digests and
//! hashed UIDs into any element whatever its length limit or character repertoire (E6). Values are
//! cut to the VR's maximum length, and CS, which allows only upper-case letters, gets upper case.

use crate::dicom::Vr;

/// Maximum length in characters of one value of a text VR; `None` for unlimited.
#[must_use]
pub fn max_len(vr: Vr) -> Option<usize> {
    Some(match vr {
        Vr::AE | Vr::CS | Vr::DS | Vr::SH => 16,
        Vr::AS => 4,
        Vr::DA => 8,
        Vr::DT => 26,
        Vr::IS => 12,
        Vr::TM => 14,
        Vr::LO | Vr::UI | Vr::PN => 64,
        Vr::ST => 1024,
        Vr::LT => 10240,
        _ => return None,
    })
}

/// `text` made valid for `vr`, value by value (values separated by `\`).
#[must_use]
pub fn fit(text: &str, vr: Vr) -> String {
    let fit_one = |v: &str| {
        let v = if vr == Vr::CS { v.to_ascii_uppercase() } else { v.to_string() };
        match max_len(vr) {
            Some(n) if v.chars().count() > n => v.chars().take(n).collect(),
            _ => v,
        }
    };
    text.split('\\').map(fit_one).collect::<Vec<_>>().join("\\")
}

/// The length of the first value of `text` longer than `vr` allows, if any (values separated by `\`).
#[must_use]
pub fn too_long(text: &str, vr: Vr) -> Option<(usize, usize)> {
    let max = max_len(vr)?;
    text.split('\\').map(|v| v.chars().count()).find(|&n| n > max).map(|n| (n, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_long_values_are_found_value_by_value() {
        assert_eq!(too_long("CT_3fb6782ffe25a531_20040102", Vr::SH), Some((28, 16)));
        assert_eq!(too_long("short\\also short", Vr::SH), None);
        assert_eq!(too_long(&"x".repeat(5000), Vr::UT), None);
    }

    #[test]
    fn hashes_fit_short_and_code_string_vrs() {
        assert_eq!(fit("647914507f24f0cac71376b2", Vr::SH), "647914507f24f0ca");
        assert_eq!(fit("6007c648632310e7", Vr::CS), "6007C648632310E7");
        assert_eq!(fit("647914507f24f0cac71376b2", Vr::LO), "647914507f24f0cac71376b2");
    }
}
