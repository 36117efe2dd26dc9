//! A header listing for people: one line per element with tag, VR, keyword and an abbreviated
//! value, sequences indented, like dcmdump. Pixel data and other bulk values are not read.

use std::fmt::Write as _;

use super::dict;
use super::encode::number_text;
use super::input::Input;
use super::open::{open, Notes, Visit};
use super::parse::{Limits, Partial};
use super::tag::Tag;
use super::tree::{Body, DataSet, Document, Element};
use super::ts::Encoding;
use crate::error::{Error, ErrorKind, Result};

/// How much of each value to show.
#[derive(Clone, Copy, Debug)]
pub struct DumpOptions {
    /// Longest text shown before it is cut with `...`.
    pub max_text: usize,
    /// Most numbers shown for a multi-valued binary element.
    pub max_numbers: usize,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions { max_text: 64, max_numbers: 8 }
    }
}

/// Lists a file as far as it can be read: opened as every reader opens it (gzip inflated, a
/// misnamed encoding or out-of-order tags repaired, each repair a `# warning:` line), and for a
/// file that does not parse, the elements before the fault. Returns the listing and the error
/// that stopped it, if any.
pub fn dump_input<I: Input + ?Sized>(input: &I, limits: &Limits, opts: &DumpOptions) -> (String, Option<Error>) {
    let mut out = String::new();
    let result = open(input, limits, Listing { opts, out: &mut out });
    (out, result.err())
}

/// [`dump_input`] once the file is open.
struct Listing<'a> {
    opts: &'a DumpOptions,
    out: &'a mut String,
}

impl Listing<'_> {
    fn notes(&mut self, notes: &Notes) {
        if notes.gzipped {
            let _ = writeln!(self.out, "# gzip-compressed file, listed as inflated");
        }
        for w in &notes.warnings {
            let _ = writeln!(self.out, "# warning: {w}");
        }
    }
}

impl Visit for Listing<'_> {
    type Output = ();

    fn document<I: Input + ?Sized>(mut self, input: &I, doc: &Document, notes: Notes) -> Result<()> {
        self.notes(&notes);
        let text = dump(doc, input, self.opts)?;
        self.out.push_str(&text);
        Ok(())
    }

    fn failed<I: Input + ?Sized>(mut self, input: &I, partial: Partial, notes: Notes) -> Result<()> {
        self.notes(&notes);
        if let Some(doc) = &partial.document {
            // What parsed is listed even if a value cannot be read; the parse error is the one to report.
            if let Ok(text) = dump(doc, input, self.opts) {
                self.out.push_str(&text);
            }
            let _ = writeln!(self.out, "# the file does not parse past byte {}", doc.dataset.end);
        }
        Err(partial.error)
    }
}

/// Renders the meta group and the data set of `doc` (whose offsets refer to `input`, or to the
/// inflated buffer for deflated files).
pub fn dump<I: Input + ?Sized>(doc: &Document, input: &I, opts: &DumpOptions) -> Result<String> {
    let mut out = String::new();
    if doc.meta.elements.is_empty() {
        let _ = writeln!(out, "# No file meta (a bare data set)");
    } else {
        let _ = writeln!(out, "# File meta (explicit VR little endian)");
    }
    let source: &dyn Fn(u64, usize) -> Result<Vec<u8>> = &|off, n| read(doc, input, off, n);
    lines(&doc.meta, 0, source, opts, &mut out)?;
    let enc = doc.transfer_syntax.encoding;
    let _ = writeln!(
        out,
        "# Data set ({} VR {} endian{})",
        if enc.explicit_vr { "explicit" } else { "implicit" },
        if enc.big_endian { "big" } else { "little" },
        if doc.transfer_syntax.deflated { ", deflated" } else { "" },
    );
    lines(&doc.dataset, 0, source, opts, &mut out)?;
    Ok(out)
}

fn read<I: Input + ?Sized>(doc: &Document, input: &I, off: u64, n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let r = match &doc.inflated {
        Some(b) => b.as_slice().read_exact_at(off, &mut buf),
        None => input.read_exact_at(off, &mut buf),
    };
    r.map_err(|e| Error::at(ErrorKind::Io, off, e.to_string()))?;
    Ok(buf)
}

fn lines(
    ds: &DataSet,
    depth: usize,
    read: &dyn Fn(u64, usize) -> Result<Vec<u8>>,
    opts: &DumpOptions,
    out: &mut String,
) -> Result<()> {
    for e in &ds.elements {
        let indent = "  ".repeat(depth);
        let creator = private_creator(ds, e.tag, read)?;
        let keyword = match (&creator, dict::keyword(e.tag)) {
            (Some(creator), _) => creator.as_str(),
            (None, Some(keyword)) => keyword,
            (None, None) if e.tag.is_private() && (0x10..=0xFF).contains(&e.tag.element()) => "(private creator)",
            (None, None) if e.tag.is_private() => "(private)",
            (None, None) => "(unknown)",
        };
        let value = describe(e, ds.encoding, read, opts)?;
        let _ = writeln!(out, "{indent}{} {} {keyword:<32} {value}", e.tag, e.vr);
        if let Body::Items(items) = &e.body {
            for (i, item) in items.iter().enumerate() {
                let _ = writeln!(out, "{indent}  Item #{i}");
                lines(&item.dataset, depth + 2, read, opts, out)?;
            }
        }
    }
    Ok(())
}

/// `[CREATOR]` for a private data element (gggg,xxyy) whose block xx is reserved at this level
/// by a creator element (gggg,00xx) (PS3.5 7.8.1): which vendor's dictionary gives its meaning.
fn private_creator(ds: &DataSet, tag: Tag, read: &dyn Fn(u64, usize) -> Result<Vec<u8>>) -> Result<Option<String>> {
    let block = tag.element() >> 8;
    if !tag.is_private() || block < 0x10 {
        return Ok(None);
    }
    let Some(creator) = ds.find(Tag::new(tag.group(), block)) else { return Ok(None) };
    let (Body::Value, Some(len)) = (&creator.body, creator.value_len) else { return Ok(None) };
    let raw = read(creator.value_start, (len as usize).min(64))?;
    let name: String = String::from_utf8_lossy(&raw)
        .trim_matches(['\0', ' '])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    Ok(Some(format!("[{name}]")))
}

fn describe(
    e: &Element,
    enc: Encoding,
    read: &dyn Fn(u64, usize) -> Result<Vec<u8>>,
    opts: &DumpOptions,
) -> Result<String> {
    let len = match (&e.body, e.value_len) {
        (Body::Items(items), _) => return Ok(format!("<sequence, {} item(s)>", items.len())),
        (Body::Fragments(n), _) => return Ok(format!("<encapsulated pixel data, {n} item(s)>")),
        (Body::Value, Some(len)) => len as usize,
        (Body::Value, None) => return Ok("<undefined length>".into()),
    };
    if len == 0 {
        return Ok("<empty>".into());
    }
    if e.vr.is_text() {
        let shown = len.min(opts.max_text + 1);
        let raw = read(e.value_start, shown)?;
        let text = String::from_utf8_lossy(&raw);
        let mut text: String =
            text.trim_end_matches(['\0', ' ']).chars().map(|c| if c.is_control() { '.' } else { c }).collect();
        if len > opts.max_text {
            text = text.chars().take(opts.max_text).collect::<String>() + &format!("... ({len} bytes)");
        }
        return Ok(format!("[{text}]"));
    }
    if let Some(width) = e.vr.numeric_width() {
        let count = len / width;
        let raw = read(e.value_start, count.min(opts.max_numbers) * width)?;
        let mut parts: Vec<String> = raw.chunks_exact(width).map(|c| number_text(e.vr, c, enc)).collect();
        if count > opts.max_numbers {
            parts.push(format!("... ({count} values)"));
        }
        return Ok(parts.join("\\"));
    }
    Ok(format!("<binary, {len} bytes>"))
}
