//! One object: the header rewritten as the edits say, everything else (pixel data included)
//! copied from the input as bytes.

use std::collections::BTreeMap;

use crate::dicom::input::Cached;
use crate::dicom::open::in_inflated;
use crate::dicom::{encode, open, DataSet, Document, Input, Limits, Notes, Sink, Tag, Visit};
use crate::edits::{LengthField, NewValue, State, META};
use crate::engine::{apply, Capture, Captured, Failure};
use crate::error::{Error, ErrorKind, Result, Warning};
use crate::profile::Profile;

/// Replace input bytes `start..end` with `bytes` (an insertion when `start == end`).
#[derive(Debug, PartialEq, Eq)]
pub struct Splice {
    /// First replaced byte.
    pub start: u64,
    /// One past the last replaced byte.
    pub end: u64,
    /// What goes in their place.
    pub bytes: Vec<u8>,
    /// It belongs to the file meta. An insertion at the meta's end and one at the data set's
    /// start share an offset; this says which side of a deflated file's boundary it goes to.
    pub in_meta: bool,
}

/// Turns the rules' changes into byte splices: changed elements re-encoded, removed ones cut, new
/// ones inserted in tag order, items appended to sequences; every enclosing defined-length
/// sequence and item gets its length field adjusted, and so does the group length of every group
/// whose size changed (the file meta's (0002,0000) included).
pub fn splices<I: Input + ?Sized>(state: &State<'_>, input: &I) -> Result<Vec<Splice>> {
    let mut out = Vec::new();
    // Every 4-byte length to adjust, by offset, with the sum of the size changes it encloses.
    let mut lengths: BTreeMap<u64, (LengthField, i64)> = BTreeMap::new();
    let mut grow = |field: LengthField, delta: i64| lengths.entry(field.offset).or_insert((field, 0)).1 += delta;
    let mut by_level: BTreeMap<usize, Vec<(Tag, &NewValue)>> = BTreeMap::new();
    for (&(level, tag), new) in &state.changes {
        by_level.entry(level).or_default().push((tag, new));
    }
    for (level, changes) in by_level {
        // Created items were encoded whole into their sequence's value.
        if state.is_dead(level) || state.levels[level].created {
            continue;
        }
        let lv = &state.levels[level];
        for (tag, delta) in level_splices(lv.ds, level == META, input, &changes, &mut out)? {
            grow_enclosing(state, level, tag, delta, input, &changes, &mut grow)?;
        }
    }
    for (level, tag, items) in &state.appended {
        let lv = &state.levels[*level];
        let Some(e) = lv.ds.find(*tag) else { continue };
        if state.is_dead(*level) || state.changes.contains_key(&(*level, *tag)) {
            continue;
        }
        // New items go after the last one: before the delimiter of an undefined-length sequence.
        let at = if e.value_len.is_some() { e.end } else { e.end - 8 };
        out.push(Splice { start: at, end: at, bytes: items.clone(), in_meta: false });
        let delta = items.len() as i64;
        if let Some(len) = e.value_len {
            grow(LengthField { offset: e.value_start - 4, original: len, encoding: lv.ds.encoding }, delta);
        }
        grow_enclosing(state, *level, *tag, delta, input, &[], &mut grow)?;
    }
    for (offset, (field, delta)) in lengths {
        if delta == 0 {
            continue;
        }
        let new = u32::try_from(i64::from(field.original) + delta).map_err(|_| {
            Error::at(ErrorKind::BadValue, offset, "a sequence, item or group length cannot be recomputed")
        })?;
        out.push(Splice {
            start: offset,
            end: offset + 4,
            bytes: field.encoding.u32_bytes(new).to_vec(),
            in_meta: field.offset < state.levels[META].ds.end,
        });
    }
    // At one offset the meta's insertions come first: they end the meta, the others start the data set.
    out.sort_by_key(|s| (s.start, s.end, !s.in_meta));
    Ok(out)
}

/// A size change of element `tag` at `level` changes the level's enclosing sequences and items
/// and, when the level keeps a deprecated (gggg,0000) group length (PS3.5 7.2), that too.
fn grow_enclosing<I: Input + ?Sized>(
    state: &State<'_>,
    level: usize,
    tag: Tag,
    delta: i64,
    input: &I,
    changes: &[(Tag, &NewValue)],
    grow: &mut impl FnMut(LengthField, i64),
) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    for field in state.containers(level) {
        grow(field, delta);
    }
    let lv = &state.levels[level];
    let gl_tag = Tag::new(tag.group(), 0);
    if let Some(gl) = lv.ds.find(gl_tag).filter(|gl| gl.value_len == Some(4) && gl_tag != tag) {
        if !changes.iter().any(|(t, _)| *t == gl_tag) {
            let mut raw = [0u8; 4];
            input
                .read_exact_at(gl.value_start, &mut raw)
                .map_err(|e| Error::at(ErrorKind::Io, gl.value_start, e.to_string()))?;
            grow(
                LengthField { offset: gl.value_start, original: lv.ds.encoding.u32(raw), encoding: lv.ds.encoding },
                delta,
            );
        }
    }
    Ok(())
}

/// Splices for one level's changes; returns each changed element's size change.
fn level_splices<I: Input + ?Sized>(
    ds: &DataSet,
    in_meta: bool,
    input: &I,
    changes: &[(Tag, &NewValue)],
    out: &mut Vec<Splice>,
) -> Result<Vec<(Tag, i64)>> {
    let mut deltas = Vec::new();
    for &(tag, new) in changes {
        let existing = ds.find(tag);
        let bytes = match new {
            NewValue::Removed => Vec::new(),
            NewValue::Set(vr, value) => {
                encode::element(tag, *vr, value, ds.encoding).map_err(|e| e.within(tag.to_string()))?
            }
        };
        let (start, end) = match existing {
            Some(e) => (e.start, e.end),
            None if bytes.is_empty() => continue,
            None => {
                let at = ds.insertion_point(tag);
                (at, at)
            }
        };
        if existing.is_some() && unchanged(input, start, end, &bytes)? {
            continue;
        }
        deltas.push((tag, bytes.len() as i64 - (end - start) as i64));
        out.push(Splice { start, end, bytes, in_meta });
    }
    Ok(deltas)
}

fn unchanged<I: Input + ?Sized>(input: &I, start: u64, end: u64, bytes: &[u8]) -> Result<bool> {
    if (end - start) as usize != bytes.len() {
        return Ok(false);
    }
    let mut old = vec![0u8; bytes.len()];
    input.read_exact_at(start, &mut old).map_err(|e| Error::at(ErrorKind::Io, start, e.to_string()))?;
    Ok(old == bytes)
}

/// Writes input bytes `from..to` with the given splices (all inside that range) applied.
pub fn write_range<'s, I: Input + ?Sized, W: Sink>(
    input: &I,
    splices: impl IntoIterator<Item = &'s Splice>,
    from: u64,
    to: u64,
    out: &mut W,
) -> Result<()> {
    let mut pos = from;
    for s in splices {
        input.copy_to(pos, s.start - pos, out)?;
        out.write_all(&s.bytes)?;
        pos = s.end;
    }
    input.copy_to(pos, to - pos, out)?;
    Ok(())
}

/// What rewriting one object did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Bytes read (the input's size).
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// False when no rule changed anything and the input was copied as it is (never for a
    /// gzip-compressed or repaired input).
    pub changed: bool,
    /// The values the rewrite was asked to read (see [`Capture`]).
    pub captured: Captured,
    /// What had to be repaired to read the file (see [`crate::dicom::repair`]); empty for a valid file.
    pub warnings: Vec<Warning>,
}

/// De-identifies one object: parses `input`, runs `profile`, and writes the result to `out`.
/// When nothing changes the input is copied byte for byte. A gzip-compressed input is written
/// plain, and a repaired one (see [`crate::dicom::repair`]) as repaired, with its warnings.
///
/// # Errors
/// The input does not parse, a rule fails, or writing fails.
pub fn rewrite<I: Input + ?Sized, W: Sink>(
    input: &I,
    profile: &Profile,
    limits: &Limits,
    out: &mut W,
) -> Result<Rewritten> {
    rewrite_to(input, profile, limits, Capture::nothing(), |_| Ok(out)).map(|(done, _)| done).map_err(|f| f.error)
}

/// Like [`rewrite`], but reads the values `capture` asks for, and opens the output only after the
/// rules ran: `open_output` gets the captured values and returns the writer, so the output's name
/// can be decided from de-identified values before any byte is written. Returns what was done
/// and the writer, everything written into it.
///
/// # Errors
/// The input does not parse, a rule fails (with the log's before row beside the error, when the
/// log is captured), `open_output` fails, or writing fails.
pub(crate) fn rewrite_to<I, W, F>(
    input: &I,
    profile: &Profile,
    limits: &Limits,
    capture: Capture<'_>,
    open_output: F,
) -> std::result::Result<(Rewritten, W), Failure>
where
    I: Input + ?Sized,
    W: Sink,
    F: FnOnce(&Captured) -> Result<W>,
{
    let cached = Cached::new(input, HEAD_BYTES).map_err(|e| Error::at(ErrorKind::of_io(&e), 0, e.to_string()))?;
    let (mut done, out) = open(&cached, limits, Rewrite { profile, capture, open_output })??;
    done.bytes_in = input.len();
    Ok((done, out))
}

/// A writer borrowed for one rewrite.
impl<W: Sink + ?Sized> Sink for &mut W {
    fn file(&mut self) -> std::io::Result<Option<&mut std::fs::File>> {
        (**self).file()
    }
}

/// The first bytes of a file kept in memory while it is rewritten: the header of most files.
const HEAD_BYTES: u64 = 64 * 1024;

/// [`rewrite_to`] once the file is open.
struct Rewrite<'p, 'c, F> {
    profile: &'p Profile,
    capture: Capture<'c>,
    open_output: F,
}

impl<W: Sink, F: FnOnce(&Captured) -> Result<W>> Visit for Rewrite<'_, '_, F> {
    /// A failure of the rules is kept apart from parse errors: it may carry the log's before row.
    type Output = std::result::Result<(Rewritten, W), Failure>;

    fn document<I: Input + ?Sized>(self, input: &I, doc: &Document, notes: Notes) -> Result<Self::Output> {
        Ok(match rewrite_document(input, doc, self.profile, &self.capture, self.open_output) {
            Ok((mut done, out)) => {
                // A repaired or inflated file is not the input byte for byte, even when no rule changed it.
                done.changed |= notes.gzipped || !notes.warnings.is_empty();
                done.warnings = notes.warnings;
                Ok((done, out))
            }
            // `open` notes parse errors of a gzip-compressed file; these pass it by.
            Err(f) if notes.gzipped => Err(Failure { error: in_inflated(f.error), ..f }),
            Err(f) => Err(f),
        })
    }
}

fn rewrite_document<I, W, F>(
    input: &I,
    doc: &Document,
    profile: &Profile,
    capture: &Capture<'_>,
    open_output: F,
) -> std::result::Result<(Rewritten, W), Failure>
where
    I: Input + ?Sized,
    W: Sink,
    F: FnOnce(&Captured) -> Result<W>,
{
    let bytes_in = input.len();
    let (plan, captured) = if let Some(buf) = &doc.inflated {
        let (state, captured) = apply(profile, doc, buf.as_slice(), capture)?;
        (splices(&state, buf.as_slice())?, captured)
    } else {
        let (state, captured) = apply(profile, doc, input, capture)?;
        (splices(&state, input)?, captured)
    };
    // Everything about the output is known now: it is opened only here.
    let mut out = open_output(&captured)?;
    if plan.is_empty() {
        input.copy_to(0, bytes_in, &mut out)?;
        let done = Rewritten { bytes_in, bytes_out: bytes_in, changed: false, captured, warnings: Vec::new() };
        return Ok((done, out));
    }
    let growth = |meta_only: bool| -> i64 {
        plan.iter().filter(|s| !meta_only || s.in_meta).map(|s| s.bytes.len() as i64 - (s.end - s.start) as i64).sum()
    };
    let bytes_out = match &doc.inflated {
        None => {
            write_range(input, &plan, 0, bytes_in, &mut out)?;
            bytes_in.saturating_add_signed(growth(false))
        }
        Some(buf) => {
            let meta_end = doc.meta.end;
            write_range(buf.as_slice(), plan.iter().filter(|s| s.in_meta), 0, meta_end, &mut out)?;
            let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            write_range(buf.as_slice(), plan.iter().filter(|s| !s.in_meta), meta_end, buf.len() as u64, &mut deflater)?;
            let mut stream = deflater.finish()?;
            // PS3.5 A.5: an odd-length deflate stream is padded with one NUL byte.
            if stream.len() % 2 == 1 {
                stream.push(0);
            }
            out.write_all(&stream)?;
            meta_end.saturating_add_signed(growth(true)) + stream.len() as u64
        }
    };
    Ok((Rewritten { bytes_in, bytes_out, changed: true, captured, warnings: Vec::new() }, out))
}
