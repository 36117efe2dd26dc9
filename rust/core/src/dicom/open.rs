//! The one way into a file for every reader (rewrite, dump): gzip-compressed input is inflated,
//! and a file that does not parse is repaired when exactly one reading of it exists (see
//! [`super::repair`]). The reader sees a parsed [`Document`] and the input its offsets refer to.

use super::gzip;
use super::input::Input;
use super::parse::{parse, parse_or_partial, Limits, Partial};
use super::repair::repair;
use super::tree::Document;
use crate::error::{Error, ErrorKind, Result, Warning};

/// How the file had to be read.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// What was repaired, one warning each.
    pub warnings: Vec<Warning>,
    /// The file was gzip-compressed.
    pub gzipped: bool,
}

/// What a reader does with a file once it is open. The input's type depends on the file (as it
/// is, inflated, or repaired), hence a trait with generic methods rather than a closure.
pub trait Visit {
    /// What the reader makes of the file.
    type Output;

    /// Called with the parsed document and the input its offsets refer to.
    ///
    /// # Errors
    /// Whatever the reader's work fails with.
    fn document<I: Input + ?Sized>(self, input: &I, doc: &Document, notes: Notes) -> Result<Self::Output>;

    /// Called instead when the file does not parse and cannot be repaired, with what parsed
    /// before the fault. By default the error is returned.
    ///
    /// # Errors
    /// By default, the parse error.
    fn failed<I: Input + ?Sized>(self, input: &I, partial: Partial, notes: Notes) -> Result<Self::Output>
    where
        Self: Sized,
    {
        let _ = (input, notes);
        Err(partial.error)
    }
}

/// Opens `input` and hands it to `visit`. A plain file that parses costs nothing more than
/// parsing it: the gzip check reads bytes a cached head already holds.
///
/// # Errors
/// The gzip stream does not inflate, the repaired file does not parse, or `visit` failed.
pub fn open<I: Input + ?Sized, V: Visit>(input: &I, limits: &Limits, visit: V) -> Result<V::Output> {
    if gzip::is_gzip(input) {
        let plain = gzip::gunzip(input, limits)?;
        return open_plain(plain.as_slice(), limits, visit, true).map_err(in_inflated);
    }
    open_plain(input, limits, visit, false)
}

/// An error found in the inflated content of a gzip-compressed file: its offsets refer to the
/// inflated bytes, and the message says so.
#[must_use]
pub(crate) fn in_inflated(mut e: Error) -> Error {
    if !matches!(e.kind, ErrorKind::Io | ErrorKind::DiskFull) {
        e.detail.push_str(" (in the inflated content of a gzip-compressed file)");
    }
    e
}

fn open_plain<I: Input + ?Sized, V: Visit>(input: &I, limits: &Limits, visit: V, gzipped: bool) -> Result<V::Output> {
    let partial = match parse_or_partial(input, limits) {
        Ok(doc) => return visit.document(input, &doc, Notes { warnings: Vec::new(), gzipped }),
        Err(partial) => partial,
    };
    match repair(input, limits, &partial.error) {
        Ok(Some(fixed)) => {
            let doc = parse(&fixed.input, limits)?;
            visit.document(&fixed.input, &doc, Notes { warnings: fixed.warnings, gzipped })
        }
        Ok(None) => visit.failed(input, partial, Notes { warnings: Vec::new(), gzipped }),
        Err(refusal) => {
            visit.failed(input, Partial { error: refusal, ..partial }, Notes { warnings: Vec::new(), gzipped })
        }
    }
}
