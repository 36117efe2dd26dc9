//! One object: the header rewritten as the edits say, everything else (pixel data included)
//! copied from the input as bytes.

use std::io::Write;

use std::collections::BTreeMap;

use crate::dicom::{encode, parse, DataSet, Input, Limits, Tag};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::state::{LengthField, State, META};
use crate::profile::log::LogRows;
use crate::profile::{apply, NewValue, Profile};

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
/// ones inserted in tag order; every enclosing defined-length sequence and item gets its length
/// field adjusted, and so does the group length of every group whose size changed (the file meta's
/// (0002,0000) included).
pub fn splices<I: Input + ?Sized>(state: &State<'_>, input: &I) -> Result<Vec<Splice>> {
    let mut out = Vec::new();
    let mut container_delta: BTreeMap<u64, (LengthField, i64)> = BTreeMap::new();
    let mut level = usize::MAX;
    let mut level_changes: Vec<(Tag, &NewValue)> = Vec::new();
    let mut flush = |level: usize, changes: &mut Vec<(Tag, &NewValue)>, out: &mut Vec<Splice>| -> Result<()> {
        if changes.is_empty() || state.is_dead(level) {
            changes.clear();
            return Ok(());
        }
        let lv = &state.levels[level];
        let delta = level_splices(lv.ds, level == META, input, changes, out)?;
        changes.clear();
        if delta != 0 {
            for field in &lv.containers {
                container_delta.entry(field.offset).or_insert((*field, 0)).1 += delta;
            }
        }
        Ok(())
    };
    for (&(l, tag), new) in &state.changes {
        if l != level {
            flush(level, &mut level_changes, &mut out)?;
            level = l;
        }
        level_changes.push((tag, new));
    }
    flush(level, &mut level_changes, &mut out)?;
    for (offset, (field, delta)) in container_delta {
        let new = u32::try_from(i64::from(field.original) + delta)
            .map_err(|_| Error::at(ErrorKind::BadValue, offset, "sequence or item length cannot be recomputed"))?;
        out.push(Splice { start: offset, end: offset + 4, bytes: field.encoding.u32_bytes(new).to_vec(), in_meta: false });
    }
    // At one offset the meta's insertions come first: they end the meta, the others start the data set.
    out.sort_by_key(|s| (s.start, s.end, !s.in_meta));
    Ok(out)
}

/// Splices for one level; returns how many bytes the level grew (negative: shrank).
fn level_splices<I: Input + ?Sized>(ds: &DataSet, in_meta: bool, input: &I, changes: &[(Tag, &NewValue)], out: &mut Vec<Splice>) -> Result<i64> {
    let mut group_delta: Vec<(u16, i64)> = Vec::new();
    for &(tag, new) in changes {
        let existing = ds.find(tag);
        let bytes = match new {
            NewValue::Removed => Vec::new(),
            NewValue::Set(vr, value) => encode::element(tag, *vr, value, ds.encoding).map_err(|e| e.within(tag.to_string()))?,
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
        let delta = bytes.len() as i64 - (end - start) as i64;
        match group_delta.iter_mut().find(|(g, _)| *g == tag.group()) {
            Some((_, d)) => *d += delta,
            None => group_delta.push((tag.group(), delta)),
        }
        out.push(Splice { start, end, bytes, in_meta });
    }
    let mut total = 0;
    for (group, delta) in group_delta {
        total += delta;
        if let Some(splice) = group_length_patch(ds, in_meta, input, group, delta, changes)? {
            total += 0; // the group length value changes in place: same size
            out.push(splice);
        }
    }
    Ok(total)
}

fn unchanged<I: Input + ?Sized>(input: &I, start: u64, end: u64, bytes: &[u8]) -> Result<bool> {
    if (end - start) as usize != bytes.len() {
        return Ok(false);
    }
    let mut old = vec![0u8; bytes.len()];
    input.read_exact_at(start, &mut old).map_err(|e| Error::at(ErrorKind::Io, start, e.to_string()))?;
    Ok(old == bytes)
}

/// A deprecated (gggg,0000) group length left in the file must still be right (PS3.5 7.2), so when a
/// group's size changes its group length value is patched in place.
fn group_length_patch<I: Input + ?Sized>(ds: &DataSet, in_meta: bool, input: &I, group: u16, delta: i64, changes: &[(Tag, &NewValue)]) -> Result<Option<Splice>> {
    let tag = Tag::new(group, 0);
    let Some(gl) = ds.find(tag) else { return Ok(None) };
    if delta == 0 || gl.value_len != Some(4) || changes.iter().any(|(t, _)| *t == tag) {
        return Ok(None);
    }
    let mut raw = [0u8; 4];
    input.read_exact_at(gl.value_start, &mut raw).map_err(|e| Error::at(ErrorKind::Io, gl.value_start, e.to_string()))?;
    let old = i64::from(ds.encoding.u32(raw));
    let new = u32::try_from(old + delta)
        .map_err(|_| Error::at(ErrorKind::BadValue, gl.start, "group length cannot be recomputed").within(tag.to_string()))?;
    Ok(Some(Splice { start: gl.value_start, end: gl.value_start + 4, bytes: ds.encoding.u32_bytes(new).to_vec(), in_meta }))
}

/// Writes input bytes `from..to` with the given splices (all inside that range) applied.
pub fn write_range<'s, I: Input + ?Sized, W: Write>(input: &I, splices: impl IntoIterator<Item = &'s Splice>, from: u64, to: u64, out: &mut W) -> Result<()> {
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
    /// False when no rule changed anything and the input was copied as it is.
    pub changed: bool,
    /// The log's rows, when the profile has log columns.
    pub log: Option<LogRows>,
}

/// De-identifies one object: parses `input`, runs `profile`, and writes the result to `out`.
/// When nothing changes the input is copied byte for byte.
pub fn rewrite<I: Input + ?Sized, W: Write>(input: &I, profile: &Profile, limits: &Limits, out: &mut W) -> Result<Rewritten> {
    let doc = parse(input, limits)?;
    let bytes_in = input.len();
    let (plan, log) = if let Some(buf) = &doc.inflated {
        let (state, log) = apply(profile, &doc, buf.as_slice())?;
        (splices(&state, buf.as_slice())?, log)
    } else {
        let (state, log) = apply(profile, &doc, input)?;
        (splices(&state, input)?, log)
    };
    if plan.is_empty() {
        input.copy_to(0, bytes_in, out)?;
        return Ok(Rewritten { bytes_in, bytes_out: bytes_in, changed: false, log });
    }
    let growth = |meta_only: bool| -> i64 {
        plan.iter().filter(|s| !meta_only || s.in_meta).map(|s| s.bytes.len() as i64 - (s.end - s.start) as i64).sum()
    };
    let bytes_out = match &doc.inflated {
        None => {
            write_range(input, &plan, 0, bytes_in, out)?;
            bytes_in.saturating_add_signed(growth(false))
        }
        Some(buf) => {
            let meta_end = doc.meta.end;
            write_range(buf.as_slice(), plan.iter().filter(|s| s.in_meta), 0, meta_end, out)?;
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
    Ok(Rewritten { bytes_in, bytes_out, changed: true, log })
}
