//! `hashuid` (docs/profiles.md#hashuid): keep some prefix and suffix nodes of a UID and replace the middle with six
//! six-digit chunks of the "dec" form of sha256(salt + uid), cropped to 64 characters.

use sha2::{Digest, Sha256};

/// How hashuid builds the new UID.
#[derive(Clone, Debug)]
pub struct UidOptions {
    /// Leading nodes kept (`uid-prefix-fields`, `docs/profiles.md#hashuid`).
    pub prefix_fields: usize,
    /// Trailing nodes kept, each cut to its last 6 digits (`uid-suffix-fields`, `docs/profiles.md#hashuid`).
    pub suffix_fields: usize,
    /// Replaces the kept prefix when set (`uid-numeric-name`).
    pub numeric_name: Option<String>,
}

impl Default for UidOptions {
    fn default() -> Self {
        use crate::profile::document::defaults;
        UidOptions {
            prefix_fields: defaults::UID_PREFIX_FIELDS,
            suffix_fields: defaults::UID_SUFFIX_FIELDS,
            numeric_name: None,
        }
    }
}

const MAX_UID: usize = 64;

/// The hashed UID of `value`.
#[must_use]
pub fn hashuid(salt: &str, value: &str, opts: &UidOptions) -> String {
    // Kept nodes lose leading zeros, which PS3.5 9.1 forbids (E18: the reference keeps them).
    let parts: Vec<&str> = value.split('.').map(without_leading_zeros).collect();
    let mut head: Vec<&str> = match &opts.numeric_name {
        Some(name) => name.split('.').collect(),
        None => parts[..opts.prefix_fields.min(parts.len().saturating_sub(opts.suffix_fields))].to_vec(),
    };
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(value.as_bytes());
    // "dec" form: each digest byte as an unpadded decimal number, concatenated, cut into six
    // six-digit chunks (sliced as Python slices: a short last chunk, never a panic). A node may
    // not start with 0 (PS3.5 9.1), so a chunk's leading 0 becomes 1.
    let mut chunks = String::with_capacity(96);
    for byte in hasher.finalize() {
        push_decimal(&mut chunks, byte);
    }
    let mut cuts = [0usize; 7];
    for (i, cut) in cuts.iter_mut().enumerate() {
        *cut = (i * 6).min(chunks.len());
    }
    for &at in &cuts[..6] {
        if chunks.as_bytes().get(at) == Some(&b'0') {
            chunks.replace_range(at..=at, "1");
        }
    }
    head.extend((0..6).map(|i| &chunks[cuts[i]..cuts[i + 1]]));
    let suffix: Vec<&str> = if opts.suffix_fields > 0 {
        parts[parts.len().saturating_sub(opts.suffix_fields)..]
            .iter()
            .map(|node| {
                // The last six characters (not bytes: a damaged UID may hold any text).
                let cut = node.char_indices().rev().nth(5).map_or(*node, |(i, _)| &node[i..]);
                let t = cut.trim_start_matches('0');
                if t.is_empty() {
                    "0"
                } else {
                    t
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let tail_len = suffix.iter().map(|n| n.len() + 1).sum::<usize>();
    let length = |head: &[&str]| (head.iter().map(|n| n.len() + 1).sum::<usize>() + tail_len).saturating_sub(1);
    // Crop from the end of the last non-suffix node, one character at a time, dropping a node
    // once it is down to one character, until the whole fits in 64 characters.
    while length(&head) > MAX_UID {
        let Some(last) = head.last_mut() else { break };
        match last.char_indices().next_back() {
            Some((i, _)) if last.len() > 1 => *last = &last[..i],
            _ => {
                head.pop();
            }
        }
    }
    head.extend(suffix);
    head.join(".")
}

/// A UID node without leading zeros ("0" stays "0"; an empty node stays empty).
fn without_leading_zeros(node: &str) -> &str {
    let t = node.trim_start_matches('0');
    if t.is_empty() && !node.is_empty() {
        "0"
    } else {
        t
    }
}

fn push_decimal(out: &mut String, byte: u8) {
    if byte >= 100 {
        out.push(char::from(b'0' + byte / 100));
    }
    if byte >= 10 {
        out.push(char::from(b'0' + byte / 10 % 10));
    }
    out.push(char::from(b'0' + byte % 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(prefix: usize, suffix: usize) -> UidOptions {
        UidOptions { prefix_fields: prefix, suffix_fields: suffix, numeric_name: None }
    }

    #[test]
    fn matches_the_references_verified_examples() {
        let d = UidOptions::default();
        assert_eq!(
            hashuid("", "1.2.840.113619.2.55.3.604688119.868.1234567890.123", &d),
            "1.2.840.113619.184128.991772.401752.462284.117410.818173.123"
        );
        assert_eq!(
            hashuid("", "1.2.826.0.1.3680043.8.498.1234567890.111.222.333", &d),
            "1.2.826.0.253627.818711.813123.620619.710920.896118.333"
        );
        assert_eq!(hashuid("", "1.2.3.4", &d), "1.2.3.102148.248601.597110.916331.932461.881973.4");
        let long: Vec<String> = (1..=24).map(|i| i.to_string()).collect();
        let long = long.join(".");
        assert_eq!(hashuid("", &long, &d), "1.2.3.4.251113.240198.641123.120417.444151.108692.24");
        assert_eq!(
            hashuid("s", "1.2.840.113619.2.55.3.604688119.868.1234567890.123", &opts(2, 2)),
            "1.2.249301.685412.444205.507112.329204.234116.567890.123"
        );
        let named =
            UidOptions { prefix_fields: 7, suffix_fields: 0, numeric_name: Some("2.16.840.1.114570.2.2".into()) };
        assert_eq!(
            hashuid("", "1.2.840.113619.2.55.3.604688119.868.1234567890.123", &named),
            "2.16.840.1.114570.2.2.184128.991772.401752.462284.117410.818173"
        );
        assert_eq!(
            hashuid("", &long, &opts(12, 1)),
            "1.2.3.4.5.6.7.8.9.10.11.12.251113.240198.641123.120417.444151.24"
        );
        assert_eq!(
            hashuid("", "1.2.840.113619.2.55.3.604688119.868.1234567890.123", &opts(12, 1)),
            "1.2.840.113619.2.55.3.604688119.868.1234567890.184128.991772.123"
        );
        assert_eq!(hashuid("", "1.2.3.4.5.6,1.2.3.4.5.7", &d), "1.2.3.4.220811.362410.821653.581971.226956.933419.7");
        // E18: no node of the result starts with 0.
        let out = hashuid("", "1.2.0840.5.1234000012", &d);
        assert!(out.split('.').all(|n| n == "0" || !n.starts_with('0')), "{out}");
        assert!(out.ends_with(".12"), "{out}");
    }
}
