//! Random-access input (a file or a byte slice) and a forward window over it, so the tokenizer
//! reads headers in large chunks and jumps over bulk values without reading them.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use crate::error::{Error, ErrorKind, Result};

/// Bytes the parser can read at any offset and the writer can copy ranges from.
pub trait Input {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// True for an empty input.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` from `offset`; fails if fewer bytes remain.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Copies `len` bytes from `offset` to `out`.
    fn copy_to<W: Write>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()>;
}

impl Input for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let src = start.checked_add(buf.len()).and_then(|end| self.get(start..end));
        buf.copy_from_slice(src.ok_or(io::ErrorKind::UnexpectedEof)?);
        Ok(())
    }

    fn copy_to<W: Write>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let end = start.checked_add(usize::try_from(len).map_err(|_| io::ErrorKind::UnexpectedEof)?);
        out.write_all(end.and_then(|end| self.get(start..end)).ok_or(io::ErrorKind::UnexpectedEof)?)
    }
}

/// Copies up to this size go through memory; larger ones through the kernel.
const SMALL_COPY: u64 = 256 * 1024;

/// A file opened read-only, with its length taken once at open.
pub struct FileInput {
    file: File,
    len: u64,
}

impl FileInput {
    /// Wraps an open file.
    pub fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(FileInput { file, len })
    }
}

impl Input for FileInput {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    fn copy_to<W: Write>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        // Header pieces between edits are small: one pread into the output's buffer costs far
        // less than a kernel copy, which probes both files and flushes the buffer every time.
        if len <= SMALL_COPY {
            let mut buf = vec![0u8; len as usize];
            self.file.read_exact_at(&mut buf, offset)?;
            return out.write_all(&buf);
        }
        // std's io::copy uses copy_file_range/sendfile between files on Linux (falling back to a
        // buffered copy), so pixel data goes from input to output without passing through us.
        let mut f = &self.file;
        f.seek(SeekFrom::Start(offset))?;
        let copied = io::copy(&mut f.take(len), out)?;
        if copied == len { Ok(()) } else { Err(io::ErrorKind::UnexpectedEof.into()) }
    }
}

/// An input whose first bytes are read once and then served from memory: headers are read by
/// the tokenizer, by the rules and by the writer, and for most files they fit in the first read.
pub struct Cached<'a, I: Input + ?Sized> {
    inner: &'a I,
    head: Vec<u8>,
}

impl<'a, I: Input + ?Sized> Cached<'a, I> {
    /// Reads the first `n` bytes (or the whole input if shorter).
    pub fn new(inner: &'a I, n: u64) -> io::Result<Self> {
        let mut head = vec![0u8; n.min(inner.len()) as usize];
        inner.read_exact_at(0, &mut head)?;
        Ok(Cached { inner, head })
    }

    fn held(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.head.get(start..end)
    }
}

impl<I: Input + ?Sized> Input for Cached<'_, I> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        match self.held(offset, buf.len() as u64) {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                Ok(())
            }
            None => self.inner.read_exact_at(offset, buf),
        }
    }

    fn copy_to<W: Write>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        match self.held(offset, len) {
            Some(bytes) => out.write_all(bytes),
            None => self.inner.copy_to(offset, len, out),
        }
    }
}

/// Size of one read of header bytes: large enough that a typical header takes one or two reads.
const CHUNK: usize = 64 * 1024;

/// A forward-moving buffered view of an [`Input`].
pub struct Window<'a, I: Input + ?Sized> {
    input: &'a I,
    start: u64,
    buf: Vec<u8>,
}

impl<'a, I: Input + ?Sized> Window<'a, I> {
    /// A window over `input` that has read nothing yet.
    pub fn new(input: &'a I) -> Self {
        Window { input, start: 0, buf: Vec::new() }
    }

    /// The input's length.
    #[must_use]
    pub fn input_len(&self) -> u64 {
        self.input.len()
    }

    /// The `n` bytes at `offset`, reading from the input if the window does not hold them.
    pub fn bytes(&mut self, offset: u64, n: usize) -> Result<&[u8]> {
        let end = offset.checked_add(n as u64).filter(|&e| e <= self.input.len());
        let Some(end) = end else {
            return Err(Error::at(ErrorKind::Truncated, offset, "file ends inside a header or value"));
        };
        let held_end = self.start + self.buf.len() as u64;
        if offset < self.start || end > held_end {
            let want = n.max(CHUNK) as u64;
            let take = want.min(self.input.len() - offset) as usize;
            self.buf.resize(take, 0);
            self.input.read_exact_at(offset, &mut self.buf).map_err(|e| Error::at(ErrorKind::Io, offset, e.to_string()))?;
            self.start = offset;
        }
        let from = (offset - self.start) as usize;
        Ok(&self.buf[from..from + n])
    }

    /// `N` bytes at `offset` as an array.
    pub fn array<const N: usize>(&mut self, offset: u64) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(offset, N)?);
        Ok(out)
    }
}
