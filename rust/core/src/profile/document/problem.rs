//! A problem found in a profile document: a stable code, a message without patient values, and
//! the path of the node it concerns, which the front end turns into `file:line:col`.

use serde::Serialize;

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathPart {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Whether a problem concerns a mapping key itself or the value under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Anchor {
    /// The key (an unknown or refused key).
    Key,
    /// The value.
    Value,
}

/// One problem of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable, machine-readable code.
    pub code: &'static str,
    /// One line, naming the rule when there is one.
    pub message: String,
    /// Where in the document.
    pub path: Vec<PathPart>,
    /// Whether `path` points at the key or at its value.
    pub anchor: Anchor,
}

impl Problem {
    /// A problem about the whole document.
    #[must_use]
    pub fn at_root(code: &'static str, message: impl Into<String>) -> Self {
        Problem { code, message: message.into(), path: Vec::new(), anchor: Anchor::Value }
    }
}

/// A path under construction, and the problems found so far.
#[derive(Debug, Default)]
pub struct Problems {
    /// Every problem, in document order.
    pub list: Vec<Problem>,
}

impl Problems {
    /// Records a problem about the value at `path`.
    pub fn add(&mut self, code: &'static str, path: &[PathPart], message: impl Into<String>) {
        self.list.push(Problem { code, message: message.into(), path: path.to_vec(), anchor: Anchor::Value });
    }

    /// Records a problem about the key at the end of `path`.
    pub fn add_key(&mut self, code: &'static str, path: &[PathPart], message: impl Into<String>) {
        self.list.push(Problem { code, message: message.into(), path: path.to_vec(), anchor: Anchor::Key });
    }
}

/// `path` extended by a key.
#[must_use]
pub fn key(path: &[PathPart], k: &str) -> Vec<PathPart> {
    let mut p = path.to_vec();
    p.push(PathPart::Key(k.to_string()));
    p
}

/// `path` extended by an index.
#[must_use]
pub fn index(path: &[PathPart], i: usize) -> Vec<PathPart> {
    let mut p = path.to_vec();
    p.push(PathPart::Index(i));
    p
}

/// `; did you mean 'x'?` for the closest of `known` to `word`, or nothing. Close means a
/// similarity of at least 0.6, where similarity is twice the longest common subsequence over the
/// summed lengths (the measure of Python's difflib, near enough for suggestions).
#[must_use]
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let w: Vec<char> = word.chars().collect();
    let mut best: Option<(f64, &str)> = None;
    for k in known {
        let c: Vec<char> = k.chars().collect();
        let score = similarity(&w, &c);
        if score >= 0.6 && best.map_or(true, |(b, _)| score > b) {
            best = Some((score, k));
        }
    }
    best.map_or_else(String::new, |(_, k)| format!("; did you mean '{k}'?"))
}

fn similarity(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut row = vec![0usize; b.len() + 1];
    for &x in a {
        let mut prev = 0;
        for (j, &y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { prev + 1 } else { row[j + 1].max(row[j]) };
            prev = above;
        }
    }
    #[allow(clippy::cast_precision_loss)] // short words
    let score = 2.0 * row[b.len()] as f64 / (a.len() + b.len()) as f64;
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_known_word() {
        assert_eq!(did_you_mean("hash-digit", ["hash-digits", "salt"]), "; did you mean 'hash-digits'?");
        assert_eq!(did_you_mean("PatientNmae", ["PatientName", "PatientID"]), "; did you mean 'PatientName'?");
        assert_eq!(did_you_mean("zzz", ["salt"]), "");
    }
}
