//! Searching an output for identifying strings (docs/verify.md, "What (b) looks for").
//!
//! An output with an input of its name is searched for that input's strings only: a few dozen,
//! looked for directly in the output's header bytes, which costs less than building an automaton
//! for each output. Outputs without one (renamed by UID) are searched for every input's strings
//! at once, with one Aho-Corasick automaton built once and shared by the workers; dates and times
//! are left out of it, since among thousands of studies a shifted or dummy date is bound to equal
//! some other input's real date.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};

use super::identifiers::{Identifiers, Origin};
use crate::dicom::Tag;

/// One input's identifying strings (ASCII lower case) and compared values, with an index of the
/// strings' first two bytes: a scan of the output looks at each position once and compares only
/// where some string could start.
#[derive(Debug)]
pub struct OwnInput {
    strings: Vec<(Box<[u8]>, Origin)>,
    values: HashSet<(u32, Box<[u8]>)>,
    /// One bit per two-byte prefix that some string starts with.
    prefixes: Vec<u64>,
    /// Prefix -> the strings that start with it; strings of one byte are in `short`.
    by_prefix: HashMap<u16, Vec<usize>>,
    short: Vec<usize>,
}

impl OwnInput {
    /// The strings and values of one input, dates and times included.
    #[must_use]
    pub fn new(ids: Identifiers) -> Self {
        let (found, compared) = ids.into_parts();
        let strings: Vec<(Box<[u8]>, Origin)> =
            found.into_iter().map(|(s, origin, _)| (s.to_ascii_lowercase().into(), origin)).collect();
        let values = compared.into_iter().map(|(tag, value, _)| (tag, value)).collect();
        let mut prefixes = vec![0u64; 65536 / 64];
        let mut by_prefix: HashMap<u16, Vec<usize>> = HashMap::new();
        let mut short = Vec::new();
        for (n, (s, _)) in strings.iter().enumerate() {
            if let [a, b, ..] = **s {
                let key = u16::from_le_bytes([a, b]);
                prefixes[usize::from(key >> 6)] |= 1 << (key & 63);
                by_prefix.entry(key).or_default().push(n);
            } else {
                short.push(n);
            }
        }
        OwnInput { strings, values, prefixes, by_prefix, short }
    }
}

/// Longest key of a string in the shared automaton: a longer string (a UID, an address) is keyed
/// by its last `KEY_LEN` bytes and compared whole where its key matches. The automaton's size,
/// and the serial time to build it over thousands of inputs, then grows with the number of
/// strings rather than with their length.
const KEY_LEN: usize = 16;

/// Every input's identifying strings but dates and times (ASCII lower case), in one automaton
/// over their keys.
#[derive(Debug)]
pub struct Catalog {
    ac: Option<AhoCorasick>,
    /// Key -> the strings that end with it.
    keyed: Vec<Vec<usize>>,
    strings: Vec<(Box<[u8]>, Origin)>,
    values: HashSet<(u32, Box<[u8]>)>,
}

impl Catalog {
    /// Builds the shared search over `inputs`.
    ///
    /// # Panics
    /// Never in practice: the automaton's size is bounded by the inputs' header sizes.
    #[must_use]
    pub fn new(inputs: Vec<Identifiers>) -> Self {
        let mut found: HashMap<Box<[u8]>, Origin> = HashMap::new();
        let mut values = HashSet::new();
        for ids in inputs {
            let (strings, compared) = ids.into_parts();
            for (string, origin, _) in strings.into_iter().filter(|(.., temporal)| !temporal) {
                let slot = found.entry(string.to_ascii_lowercase().into()).or_insert(origin);
                if *slot == Origin::Name {
                    *slot = origin; // values are searched more widely than names
                }
            }
            values.extend(compared.into_iter().filter(|(.., temporal)| !temporal).map(|(tag, value, _)| (tag, value)));
        }
        let mut strings: Vec<(Box<[u8]>, Origin)> = found.into_iter().collect();
        strings.sort(); // the same automaton whatever the hash order
        let mut key_ids: HashMap<&[u8], usize> = HashMap::new();
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut keyed: Vec<Vec<usize>> = Vec::new();
        for (n, (string, _)) in strings.iter().enumerate() {
            let key = &string[string.len().saturating_sub(KEY_LEN)..];
            let id = *key_ids.entry(key).or_insert_with(|| {
                keys.push(key);
                keyed.push(Vec::new());
                keys.len() - 1
            });
            keyed[id].push(n);
        }
        let ac = (!keys.is_empty()).then(|| {
            AhoCorasick::builder().match_kind(MatchKind::Standard).build(&keys).expect("automaton within size limits")
        });
        Catalog { ac, keyed, strings, values }
    }
}

/// The strings an output is searched for.
#[derive(Clone, Copy, Debug)]
pub enum Matcher<'a> {
    /// Its own input's.
    Own(&'a OwnInput),
    /// Every input's (no input has its name).
    Shared(&'a Catalog),
}

impl Matcher<'_> {
    /// Every (offset, origin) where a string occurs in `bytes`, ignoring ASCII case, overlaps included.
    fn hits(self, bytes: &[u8]) -> Vec<(usize, Origin)> {
        match self {
            Matcher::Shared(c) => {
                let Some(ac) = &c.ac else { return Vec::new() };
                let lower = bytes.to_ascii_lowercase();
                let mut hits = Vec::new();
                for m in ac.find_overlapping_iter(&lower) {
                    for &n in &c.keyed[m.pattern().as_usize()] {
                        let (string, origin) = &c.strings[n];
                        let start = m.end().checked_sub(string.len());
                        if start.is_some_and(|start| lower[start..m.end()] == **string) {
                            hits.push((start.unwrap_or_default(), *origin));
                        }
                    }
                }
                hits
            }
            Matcher::Own(own) => {
                let lower = bytes.to_ascii_lowercase();
                let mut hits = Vec::new();
                for at in 0..lower.len().saturating_sub(1) {
                    let key = u16::from_le_bytes([lower[at], lower[at + 1]]);
                    if own.prefixes[usize::from(key >> 6)] & (1 << (key & 63)) == 0 {
                        continue;
                    }
                    for &n in own.by_prefix.get(&key).into_iter().flatten() {
                        let (pattern, origin) = &own.strings[n];
                        if lower[at..].starts_with(pattern) {
                            hits.push((at, *origin));
                        }
                    }
                }
                for &n in &own.short {
                    let (pattern, origin) = &own.strings[n];
                    let mut from = 0;
                    while let Some(at) = find(&lower[from..], pattern) {
                        hits.push((from + at, *origin));
                        from += at + 1;
                    }
                }
                hits
            }
        }
    }

    /// Every (offset, origin) where an identifying value occurs in `bytes`. Input names are not
    /// searched in content: folder names like `images` would turn up there.
    #[must_use]
    pub fn in_content(self, bytes: &[u8]) -> std::vec::IntoIter<(usize, Origin)> {
        let mut hits = self.hits(bytes);
        hits.retain(|(_, origin)| *origin != Origin::Name);
        hits.into_iter()
    }

    /// The origins of the identifying values and input names found in a file or folder name.
    #[must_use]
    pub fn in_name(self, name: &[u8]) -> std::vec::IntoIter<Origin> {
        self.hits(name).into_iter().map(|(_, origin)| origin).collect::<Vec<_>>().into_iter()
    }

    /// Whether the input (or, shared, any input) held `value` (padding trimmed) in an element
    /// `tag` the profile changes.
    #[must_use]
    pub fn held(self, tag: Tag, value: &[u8]) -> bool {
        if value.is_empty() {
            return false;
        }
        let key = (tag.0, Box::<[u8]>::from(value));
        match self {
            Matcher::Own(own) => own.values.contains(&key),
            Matcher::Shared(c) => c.values.contains(&key),
        }
    }
}

/// The first offset of `needle` in `haystack`: a scan for its first byte, then a comparison.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let start = from + at;
        if haystack.get(start + 1..start + needle.len()) == Some(rest) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(path: &str) -> Identifiers {
        let mut ids = Identifiers::default();
        ids.add_names(path, 4);
        ids
    }

    #[test]
    fn own_and_shared_searches_find_the_same_strings() {
        let text = b"PATIENT_A and patient_b, patient_a";
        let own = OwnInput::new(named("patient_a/x.dcm"));
        assert_eq!(Matcher::Own(&own).in_name(text).count(), 2);
        let shared = Catalog::new(vec![named("patient_a/x.dcm"), named("patient_b/y.dcm")]);
        assert_eq!(Matcher::Shared(&shared).in_name(text).count(), 3);
        assert_eq!(Matcher::Shared(&shared).in_content(text).count(), 0, "names are not searched in content");
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        let mut one = Identifiers::default();
        one.add_names("x/ab", 1);
        let own = OwnInput::new(one);
        assert_eq!(
            Matcher::Own(&own).in_name(b"xxabx").count(),
            4,
            "x three times (one byte: searched apart), ab once"
        );
        assert_eq!(find(b"ab", b"abd"), None);
    }

    #[test]
    fn a_long_string_is_found_whole_not_by_its_key_alone() {
        let mut ids = Identifiers::default();
        ids.add_names("1.2.826.0.1.3680043.99.4711.1/Smith_Johnathan_MRN.dcm", 4);
        let shared = Catalog::new(vec![ids]);
        let m = Matcher::Shared(&shared);
        // The key (the last 16 bytes) after another prefix: not the string.
        assert_eq!(m.in_name(b"9.9.9.9.9.0.1.3680043.99.4711.1").count(), 0);
        assert_eq!(m.in_name(b"x1.2.826.0.1.3680043.99.4711.1x").count(), 1);
        assert_eq!(m.in_name(b"SMITH_JOHNATHAN_MRN and smith_johnathan_mrn").count(), 2, "case ignored");
        assert_eq!(m.in_name(b"mith_johnathan_mrn").count(), 0);
    }
}
