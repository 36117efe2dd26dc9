//! `fastdeid verify`: checks de-identified outputs without trusting the tool that wrote them
//! (docs/verify.md). Every output is parsed in parallel, headers only, and problems are reported
//! by file and element path, never by value:
//!
//! - (a) elements the Basic Profile (with its options) removes, empties or replaces that are
//!   still there, still non-empty, or still hold the input's value;
//! - (b) given the inputs, any identifying string of the matching input found anywhere in the
//!   output's bytes or in its file and folder names;
//! - (c) values that are not valid for their VR.

pub mod catalog;
pub mod document;
pub mod findings;
pub mod identifiers;
pub mod rules;
pub mod scan;
pub mod vr_check;
pub mod walk;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::basic::OptionSet;
use crate::dicom::input::Cached;
use crate::dicom::{open, Document, FileInput, Input, Limits, Notes, Visit};
use crate::error::{Error, ErrorKind, Result};
use catalog::{Catalog, Matcher, OwnInput};
pub use findings::{Finding, Kind, ALL_KINDS};
use identifiers::Identifiers;
use scan::FileKind;

/// Strings shorter than this are not searched for (docs/verify.md, "What (b) looks for").
pub const DEFAULT_MIN_LEN: usize = 4;

/// How to verify.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The Basic Profile options whose table columns replace the basic column.
    pub options: OptionSet,
    /// Shortest identifying string searched for.
    pub min_len: usize,
    /// Parser limits.
    pub limits: Limits,
    /// Worker threads (0 = one per core).
    pub jobs: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { options: OptionSet::new(), min_len: DEFAULT_MIN_LEN, limits: Limits::default(), jobs: 0 }
    }
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files under the output root.
    pub files: u64,
    /// Of those, files that are not DICOM (searched as bytes only).
    pub not_dicom: u64,
    /// Entries passed over (symbolic links and the like).
    pub passed_over: u64,
    /// Every finding, sorted by file and path, without duplicates.
    pub findings: Vec<Finding>,
    /// Wall time of the check, in seconds.
    pub seconds: f64,
}

/// Verifies every file under `out` (a folder or one file), comparing with the inputs under
/// `against` when given.
///
/// # Errors
/// A root cannot be read, or the worker threads cannot start.
pub fn verify(out: &Path, against: Option<&Path>, settings: &Settings) -> Result<Outcome> {
    let started = Instant::now();
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Error::new(ErrorKind::of_io(&e), format!("{what} {}: {e}", path.display()))
    };
    let tree = walk::list(out).map_err(|e| io("cannot read", out, e))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .thread_name(|i| format!("fastdeid-verify-{i}"))
        .build()
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start worker threads: {e}")))?;
    let inputs = match against {
        Some(src) => Some(Inputs::new(src).map_err(|e| io("cannot read", src, e))?),
        None => None,
    };
    let per_file: Vec<(FileKind, Vec<Finding>)> = pool.install(|| {
        // Outputs with no input of their name are searched for every input's strings at once.
        let shared = inputs.as_ref().filter(|i| tree.files.iter().any(|f| i.matching(f).is_none())).map(|i| {
            let gathered: Vec<Identifiers> = i.all.par_iter().map(|rel| i.identifiers(rel, settings)).collect();
            Catalog::new(gathered)
        });
        tree.files
            .par_iter()
            .map(|rel| match inputs.as_ref().and_then(|i| i.matching(rel).map(|n| (i, n))) {
                Some((i, n)) => {
                    let own = OwnInput::new(i.identifiers(&i.all[n], settings));
                    check_one(&tree.root, rel, Some(Matcher::Own(&own)), settings)
                }
                None => check_one(&tree.root, rel, shared.as_ref().map(Matcher::Shared), settings),
            })
            .collect()
    });
    let mut outcome = Outcome { files: tree.files.len() as u64, passed_over: tree.passed_over, ..Outcome::default() };
    for (kind, found) in per_file {
        outcome.not_dicom += u64::from(kind == FileKind::NotDicom);
        outcome.findings.extend(found);
    }
    outcome.findings.sort();
    outcome.findings.dedup();
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// Checks one output: its content, then its name and its folders' names.
fn check_one(root: &Path, rel: &str, matcher: Option<Matcher<'_>>, settings: &Settings) -> (FileKind, Vec<Finding>) {
    let mut sink = findings::Sink::new(rel);
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let kind = scan::check_file(&root.join(rel), walk::says_dicom(name), matcher, settings, &mut sink);
    if let Some(m) = matcher {
        let mut end = 0;
        for part in rel.split('/') {
            end += part.len();
            let mut origins: Vec<_> = m.in_name(part.as_bytes()).collect();
            origins.sort_unstable();
            origins.dedup();
            for origin in origins {
                sink.whole(&rel[..end], Kind::IdentifyingName, origin.rule());
            }
            end += 1;
        }
    }
    (kind, sink.found)
}

/// The input tree of `--against`.
struct Inputs {
    tree: walk::Tree,
    all: Vec<String>,
}

impl Inputs {
    fn new(src: &Path) -> std::io::Result<Self> {
        let tree = walk::list(src)?;
        let all = tree.files.clone();
        Ok(Inputs { tree, all })
    }

    /// The input an output comes from by name: the same relative path, or that path plus `.gz`
    /// (gzip-compressed inputs are written plain); with a single input file, that file.
    fn matching(&self, rel: &str) -> Option<usize> {
        if self.all.len() == 1 && self.tree.root.join(&self.all[0]).is_file() && !self.tree.root.join(rel).is_file() {
            return Some(0);
        }
        [rel.to_string(), format!("{rel}.gz")].iter().find_map(|r| self.all.binary_search(r).ok())
    }

    /// The identifying strings and names of one input.
    fn identifiers(&self, rel: &str, settings: &Settings) -> Identifiers {
        let mut ids = Identifiers::default();
        ids.add_names(rel, settings.min_len);
        let path: PathBuf = self.tree.root.join(rel);
        // Headers only, as for outputs: an input that cannot be read gives only its names.
        if let Ok(input) = std::fs::File::open(&path).and_then(FileInput::new) {
            if let Ok(cached) = Cached::new(&input, scan::HEAD_BYTES) {
                let _ = open(&cached, &settings.limits, Gather { ids: &mut ids, settings });
            }
        }
        ids
    }
}

/// Gathers the identifiers of a parsed input; an input that does not parse gives only its names.
struct Gather<'a> {
    ids: &'a mut Identifiers,
    settings: &'a Settings,
}

impl Visit for Gather<'_> {
    type Output = ();

    fn document<I: Input + ?Sized>(self, input: &I, doc: &Document, _notes: Notes) -> Result<()> {
        match &doc.inflated {
            Some(inflated) => self.ids.add_document(doc, inflated.as_slice(), self.settings),
            None => self.ids.add_document(doc, input, self.settings),
        }
        Ok(())
    }
}
