//! `hash` (docs/profiles.md#hash): sha256 of salt + value, lowercase hex, truncated.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// The hex digest of `salt + value`, cut to `digits` characters (0 or less keeps all 64).
#[must_use]
pub fn hash(salt: &str, value: &str, digits: i64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(value.as_bytes());
    let hex: String = hasher.finalize().iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    match usize::try_from(digits) {
        Ok(n) if n > 0 && n < hex.len() => hex[..n].to_string(),
        _ => hex,
    }
}

#[cfg(test)]
mod tests {
    use super::hash;

    #[test]
    fn matches_the_references_verified_examples() {
        assert_eq!(hash("", "ACC-0001", 16), "5da42a939b7c0462");
        assert_eq!(hash("", "1", 16), "6b86b273ff34fce1");
        assert_eq!(hash("", "03028041970546", 16), "e9d5432fd34f4af9");
        assert_eq!(hash("", "8000000000330109", 16), "a8cb8bcbabe7f1dc");
        assert_eq!(hash("mysalt", "ACC-0001", 24), "647914507f24f0cac71376b2");
        assert_eq!(hash("mysalt", "Doe^John", 24), "95a918827ca67a8593b2f5ab");
        assert_eq!(hash("mysalt", "OP1,OP2", 24), "334bb8127872c7041f7d49ab");
        assert_eq!(hash("", "x", 0).len(), 64);
    }
}
