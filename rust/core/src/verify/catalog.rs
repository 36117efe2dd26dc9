//! The identifying strings of every input in one Aho-Corasick automaton, built once and shared by
//! the workers, with which input each string belongs to (docs/verify.md, "What (b) looks for").
//!
//! An output with an input of its name is searched for that input's strings only; an output
//! without one (renamed by UID) for every input's strings but dates and times: among thousands of
//! studies a shifted or dummy date is bound to equal some other input's real date. One shared
//! automaton costs far less than one per output, which would cost more to build than the search.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};

use super::identifiers::{Identifiers, Origin};
use crate::dicom::Tag;

/// Where a string of the automaton comes from.
#[derive(Clone, Copy, Debug)]
struct Pattern {
    origin: Origin,
    /// Only ever a date or time value.
    temporal: bool,
}

/// What one input contributes: its strings (automaton pattern numbers) and compared values.
#[derive(Debug, Default)]
struct InputSet {
    patterns: HashSet<u32>,
    values: HashSet<(u32, Box<[u8]>)>,
}

/// Every input's identifying strings, searchable at once.
#[derive(Debug)]
pub struct Catalog {
    ac: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    inputs: Vec<InputSet>,
    /// Every input's compared values but dates and times, for outputs without an input of their name.
    shared_values: HashSet<(u32, Box<[u8]>)>,
}

impl Catalog {
    /// Builds the catalog of `inputs` (in the order outputs refer to them by index).
    ///
    /// # Panics
    /// Never in practice: the automaton's size is bounded by the inputs' header sizes.
    #[must_use]
    pub fn new(inputs: Vec<Identifiers>) -> Self {
        let mut numbers: HashMap<Box<[u8]>, u32> = HashMap::new();
        let mut strings: Vec<Box<[u8]>> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut sets = Vec::with_capacity(inputs.len());
        let mut shared_values = HashSet::new();
        for ids in inputs {
            let (found, values) = ids.into_parts();
            let mut set = InputSet::default();
            for (string, origin, temporal) in found {
                let next = u32::try_from(patterns.len()).expect("fewer than 2^32 strings");
                let n = *numbers.entry(string.clone()).or_insert_with(|| {
                    strings.push(string);
                    patterns.push(Pattern { origin, temporal });
                    next
                });
                let p = &mut patterns[n as usize];
                p.temporal &= temporal;
                if p.origin == Origin::Name {
                    p.origin = origin; // values are searched more widely than names
                }
                set.patterns.insert(n);
            }
            for (tag, value, temporal) in values {
                if !temporal {
                    shared_values.insert((tag, value.clone()));
                }
                set.values.insert((tag, value));
            }
            sets.push(set);
        }
        let ac = (!strings.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&strings)
                .expect("automaton within size limits")
        });
        Catalog { ac, patterns, inputs: sets, shared_values }
    }

    /// The search for an output: against input `input` (its index), or against all inputs.
    #[must_use]
    pub fn matcher(&self, input: Option<usize>) -> Matcher<'_> {
        Matcher { catalog: self, input: input.and_then(|i| self.inputs.get(i)) }
    }
}

/// The catalog seen from one output.
#[derive(Clone, Copy, Debug)]
pub struct Matcher<'a> {
    catalog: &'a Catalog,
    input: Option<&'a InputSet>,
}

impl<'a> Matcher<'a> {
    /// Hits in `bytes` of strings that count for this output: (offset, pattern).
    fn hits<'b>(self, bytes: &'b [u8]) -> impl Iterator<Item = (usize, Pattern)> + 'b
    where
        'a: 'b,
    {
        self.catalog.ac.iter().flat_map(move |ac| {
            ac.find_overlapping_iter(bytes).filter_map(move |m| {
                let n = m.pattern().as_u32();
                let p = self.catalog.patterns[n as usize];
                let counts = match self.input {
                    Some(set) => set.patterns.contains(&n),
                    None => !p.temporal,
                };
                counts.then_some((m.start(), p))
            })
        })
    }

    /// Every (offset, origin) where an identifying value occurs in `bytes` (overlaps included).
    /// Input names are not searched in content: folder names like `images` would turn up there.
    pub fn in_content<'b>(self, bytes: &'b [u8]) -> impl Iterator<Item = (usize, Origin)> + 'b
    where
        'a: 'b,
    {
        self.hits(bytes).filter(|(_, p)| p.origin != Origin::Name).map(|(at, p)| (at, p.origin))
    }

    /// The origins of the identifying values and input names found in a file or folder name.
    pub fn in_name<'b>(self, name: &'b [u8]) -> impl Iterator<Item = Origin> + 'b
    where
        'a: 'b,
    {
        self.hits(name).map(|(_, p)| p.origin)
    }

    /// Whether the input held `value` (padding trimmed) in an element `tag` the profile changes.
    #[must_use]
    pub fn held(self, tag: Tag, value: &[u8]) -> bool {
        if value.is_empty() {
            return false;
        }
        let key = (tag.0, Box::<[u8]>::from(value));
        match self.input {
            Some(set) => set.values.contains(&key),
            None => self.catalog.shared_values.contains(&key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_counts_its_own_input_s_strings_or_every_input_s_but_dates() {
        let mut a = Identifiers::default();
        a.add_names("patient_a/x.dcm", 4);
        let mut b = Identifiers::default();
        b.add_names("patient_b/y.dcm", 4);
        let catalog = Catalog::new(vec![a, b]);
        let text = b"PATIENT_A and patient_b";
        assert_eq!(catalog.matcher(Some(0)).in_name(text).count(), 1);
        assert_eq!(catalog.matcher(None).in_name(text).count(), 2);
        assert_eq!(catalog.matcher(None).in_content(text).count(), 0, "names are not searched in content");
    }
}
