//! `jitter` (docs/profiles.md#jitter): add a random non-zero offset to a number, and the random draws that
//! `jitter-date` adds to shifted dates. Draws come from a per-file random generator, or, when the
//! profile sets `jitter-seed`, from a keyed hash of the patient so every file of a patient moves
//! by the same amount (E21: independent draws break the intervals within a study).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use sha2::{Digest, Sha256};

/// A source of uniform random numbers (xorshift64*; statistical quality is all jitter needs).
#[derive(Clone, Debug)]
pub struct Draws {
    state: u64,
}

impl Draws {
    /// Seeded from the operating system's randomness (through std's hash keys).
    #[must_use]
    pub fn from_entropy() -> Self {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x9E37_79B9_7F4A_7C15);
        Draws { state: h.finish() | 1 }
    }

    /// Deterministic: HMAC-SHA256 of the length-prefixed parts under `key`.
    #[must_use]
    pub fn keyed(key: &[u8], parts: &[&[u8]]) -> Self {
        let mut msg = Vec::new();
        for p in parts {
            msg.extend_from_slice(&(p.len() as u64).to_be_bytes());
            msg.extend_from_slice(p);
        }
        let mac = hmac_sha256(key, &msg);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&mac[..8]);
        Draws { state: u64::from_le_bytes(seed) | 1 }
    }

    /// An independent stream for one use, seeded from this one.
    #[must_use]
    pub fn split(&mut self) -> Draws {
        Draws { state: self.next_u64().wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 }
    }

    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A non-zero integer uniform in [-range, range] (range >= 1).
    pub fn nonzero_int(&mut self, range: i64) -> i64 {
        let span = (2 * range + 1) as u64;
        loop {
            let v = (self.next_u64() % span) as i64 - range;
            if v != 0 {
                return v;
            }
        }
    }

    /// A non-zero float uniform in (-range, range).
    pub fn nonzero_float(&mut self, range: f64) -> f64 {
        loop {
            let v = (self.unit() * 2.0 - 1.0) * range;
            if v != 0.0 {
                return v;
            }
        }
    }
}

/// HMAC-SHA256 (RFC 2104).
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// Numeric jitter parameters.
#[derive(Clone, Debug)]
pub struct Jitter {
    /// Largest offset.
    pub range: f64,
    /// Draw whole numbers.
    pub int: bool,
    /// Results below this are raised to it.
    pub min: Option<f64>,
    /// Results above this are lowered to it.
    pub max: Option<f64>,
}

/// The jittered value of one number, before fitting to the VR.
pub fn jitter(original: f64, j: &Jitter, draws: &mut Draws) -> f64 {
    let delta = if j.int { draws.nonzero_int(j.range as i64) as f64 } else { draws.nonzero_float(j.range) };
    let mut v = original + delta;
    if let Some(min) = j.min {
        v = v.max(min);
    }
    if let Some(max) = j.max {
        v = v.min(max);
    }
    v
}

/// Text for a DS value of at most 16 characters (PS3.5 6.2), with as many significant digits as fit.
#[must_use]
pub fn ds_text(v: f64) -> String {
    let repr = format!("{v:?}");
    if repr.len() <= 16 {
        return repr;
    }
    for digits in (1..=15).rev() {
        let s = format!("{v:.digits$}");
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
        if s.len() <= 16 {
            return s;
        }
    }
    format!("{v:.6e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().fold(String::new(), |s, b| s + &format!("{b:02x}"));
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn draws_are_nonzero_in_range_and_keyed_draws_repeat() {
        let mut d = Draws::from_entropy();
        for _ in 0..1000 {
            let i = d.nonzero_int(2);
            assert!(i != 0 && (-2..=2).contains(&i));
            let f = d.nonzero_float(2.0);
            assert!(f != 0.0 && f.abs() < 2.0);
        }
        let a = Draws::keyed(b"k", &[b"PID1"]).nonzero_int(30);
        assert_eq!(a, Draws::keyed(b"k", &[b"PID1"]).nonzero_int(30));
    }

    #[test]
    fn ds_text_fits_sixteen_characters() {
        assert_eq!(ds_text(71.037_456_976_449_6), "71.0374569764496");
        assert_eq!(ds_text(1.834_743_373_693_723_3), "1.83474337369372");
        assert!(ds_text(-123_456_789.123_456_79).len() <= 16);
        assert_eq!(ds_text(80.0), "80.0");
    }
}
