//! An input assembled from new bytes and ranges of another input: a repaired file (corrected
//! meta, re-ordered or re-encoded headers) whose bulk values still come from the original, so a
//! repair never holds pixel data in memory.

use std::io;

use super::input::{Input, Sink};

/// Ranges of the original up to this size are copied into the new bytes: a header is made of
/// many small pieces, and one buffer serves them without a read each.
const COPY_BELOW: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug)]
enum Source {
    /// From this offset of the patched input's own bytes.
    Bytes(usize),
    /// From this offset of the original input.
    Original(u64),
}

#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Offset in the patched input.
    at: u64,
    len: u64,
    source: Source,
}

/// New bytes and ranges of `inner`, one after the other, read as one input.
pub struct Patched<'a, I: Input + ?Sized> {
    inner: &'a I,
    bytes: Vec<u8>,
    pieces: Vec<Piece>,
    len: u64,
}

impl<'a, I: Input + ?Sized> Patched<'a, I> {
    /// An empty input over `inner`.
    pub fn new(inner: &'a I) -> Self {
        Patched { inner, bytes: Vec::new(), pieces: Vec::new(), len: 0 }
    }

    /// Appends new bytes.
    pub fn push_bytes(&mut self, new: &[u8]) {
        if new.is_empty() {
            return;
        }
        match self.pieces.last_mut() {
            Some(Piece { len, source: Source::Bytes(from), .. }) if *from + *len as usize == self.bytes.len() => {
                *len += new.len() as u64;
            }
            _ => {
                self.pieces.push(Piece {
                    at: self.len,
                    len: new.len() as u64,
                    source: Source::Bytes(self.bytes.len()),
                });
            }
        }
        self.bytes.extend_from_slice(new);
        self.len += new.len() as u64;
    }

    /// Appends the original's bytes `start..end`.
    ///
    /// # Errors
    /// Reading a small range from the original failed.
    pub fn push_original(&mut self, start: u64, end: u64) -> io::Result<()> {
        let len = end.checked_sub(start).filter(|_| end <= self.inner.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        if len == 0 {
            return Ok(());
        }
        if len <= COPY_BELOW {
            let mut buf = vec![0u8; len as usize];
            self.inner.read_exact_at(start, &mut buf)?;
            self.push_bytes(&buf);
            return Ok(());
        }
        match self.pieces.last_mut() {
            Some(Piece { len: last, source: Source::Original(from), .. }) if *from + *last == start => *last += len,
            _ => self.pieces.push(Piece { at: self.len, len, source: Source::Original(start) }),
        }
        self.len += len;
        Ok(())
    }

    /// Overwrites new bytes at `offset` of the patched input (a length known only afterwards).
    /// Returns false when those bytes are not new bytes of one piece.
    pub fn overwrite(&mut self, offset: u64, value: &[u8]) -> bool {
        let i = self.piece_at(offset);
        match self.pieces.get(i) {
            Some(&Piece { at, len, source: Source::Bytes(from) }) if offset + value.len() as u64 <= at + len => {
                let start = from + (offset - at) as usize;
                self.bytes[start..start + value.len()].copy_from_slice(value);
                true
            }
            _ => false,
        }
    }

    /// Index of the piece holding `offset`.
    fn piece_at(&self, offset: u64) -> usize {
        self.pieces.partition_point(|p| p.at + p.len <= offset)
    }

    /// Calls `each` on the parts of `offset..offset + len`, piece by piece.
    fn parts(&self, offset: u64, len: u64, mut each: impl FnMut(Source, u64, u64) -> io::Result<()>) -> io::Result<()> {
        if offset.checked_add(len).map_or(true, |end| end > self.len) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let (mut pos, end) = (offset, offset + len);
        let mut i = self.piece_at(offset);
        while pos < end {
            let p = self.pieces[i];
            let within = pos - p.at;
            let n = (p.len - within).min(end - pos);
            each(p.source, within, n)?;
            pos += n;
            i += 1;
        }
        Ok(())
    }
}

impl<I: Input + ?Sized> Input for Patched<'_, I> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0usize;
        self.parts(offset, buf.len() as u64, |source, within, n| {
            let dst = &mut buf[done..done + n as usize];
            match source {
                Source::Bytes(from) => {
                    let start = from + within as usize;
                    dst.copy_from_slice(&self.bytes[start..start + dst.len()]);
                }
                Source::Original(from) => self.inner.read_exact_at(from + within, dst)?,
            }
            done += n as usize;
            Ok(())
        })
    }

    fn copy_to<W: Sink>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        self.parts(offset, len, |source, within, n| match source {
            Source::Bytes(from) => {
                let start = from + within as usize;
                out.write_all(&self.bytes[start..start + n as usize])
            }
            Source::Original(from) => self.inner.copy_to(from + within, n, out),
        })
    }

    fn held(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let p = self.pieces.get(self.piece_at(offset))?;
        let Source::Bytes(from) = p.source else { return None };
        if offset.checked_add(len)? > p.at + p.len {
            return None;
        }
        let start = from + usize::try_from(offset - p.at).ok()?;
        self.bytes.get(start..start + usize::try_from(len).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_copies_across_new_bytes_and_original_ranges() {
        let original: Vec<u8> = (0..=255u8).cycle().take(3 * COPY_BELOW as usize).collect();
        let mut p = Patched::new(original.as_slice());
        p.push_bytes(b"head");
        p.push_original(10, 20).unwrap(); // small: copied
        p.push_original(COPY_BELOW, 3 * COPY_BELOW).unwrap(); // large: referenced
        p.push_bytes(b"tail");
        let expected = [&b"head"[..], &original[10..20], &original[COPY_BELOW as usize..], b"tail"].concat();
        assert_eq!(p.len(), expected.len() as u64);
        let mut all = Vec::new();
        p.copy_to(0, p.len(), &mut all).unwrap();
        assert_eq!(all, expected);
        let mut middle = vec![0u8; 100];
        p.read_exact_at(5, &mut middle).unwrap();
        assert_eq!(middle, expected[5..105]);
        assert_eq!(p.held(0, 14), Some(&expected[..14])); // head and the copied range are one piece
        assert_eq!(p.held(10, 10), None); // runs into the referenced range
        assert!(p.read_exact_at(p.len() - 2, &mut [0u8; 4]).is_err());
        assert!(p.overwrite(4, &[7, 0, 0, 0]));
        assert_eq!(p.read_vec(4, 4).unwrap(), [7, 0, 0, 0]);
        assert!(!p.overwrite(20, &[7, 0, 0, 0]), "the original's bytes are never written");
    }
}
