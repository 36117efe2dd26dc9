//! Random-access input (a file or a byte slice) and a forward window over it, so the tokenizer
//! reads headers in large chunks and jumps over bulk values without reading them.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use crate::error::{Error, ErrorKind, Result};

/// Where rewritten bytes go. An output file hands out the file itself (after writing what it
/// buffered), so that bulk values such as pixel data are copied by the kernel (copy_file_range)
/// rather than through memory.
pub trait Sink: Write {
    /// The output file, everything written so far being in it; `None` for other writers.
    ///
    /// # Errors
    /// Writing out what was buffered failed.
    fn file(&mut self) -> io::Result<Option<&mut File>> {
        Ok(None)
    }
}

impl Sink for Vec<u8> {}

impl<W: Write> Sink for flate2::write::DeflateEncoder<W> {}

impl Sink for File {
    fn file(&mut self) -> io::Result<Option<&mut File>> {
        Ok(Some(self))
    }
}

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
    fn copy_to<W: Sink>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()>;
    /// The `len` bytes at `offset` when they are already in memory, so readers can borrow them
    /// instead of copying.
    fn held(&self, _offset: u64, _len: u64) -> Option<&[u8]> {
        None
    }
    /// The `len` bytes at `offset` (fewer at the end) as a new vector.
    fn read_vec(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len.min(self.len().saturating_sub(offset)) as usize];
        self.read_exact_at(offset, &mut buf)?;
        Ok(buf)
    }
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

    fn copy_to<W: Sink>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        out.write_all(Input::held(self, offset, len).ok_or(io::ErrorKind::UnexpectedEof)?)
    }

    fn held(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.get(start..end)
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

    fn copy_to<W: Sink>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        // Header pieces between edits are small: one pread into the output's buffer costs far
        // less than a kernel copy, which probes both files and flushes the buffer every time.
        if len <= SMALL_COPY {
            let buf = self.read_vec(offset, len)?;
            if buf.len() as u64 != len {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            return out.write_all(&buf);
        }
        // std's io::copy uses copy_file_range/sendfile from file to file on Linux (falling back
        // to a buffered copy), so pixel data goes from input to output without passing through us.
        let mut f = &self.file;
        f.seek(SeekFrom::Start(offset))?;
        let copied = match out.file()? {
            Some(file) => io::copy(&mut f.take(len), file)?,
            None => io::copy(&mut f.take(len), out)?,
        };
        if copied == len {
            Ok(())
        } else {
            Err(io::ErrorKind::UnexpectedEof.into())
        }
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
        let head = inner.read_vec(0, n)?;
        if head.len() as u64 != n.min(inner.len()) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(Cached { inner, head })
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

    fn copy_to<W: Sink>(&self, offset: u64, len: u64, out: &mut W) -> io::Result<()> {
        match self.held(offset, len) {
            Some(bytes) => out.write_all(bytes),
            None => self.inner.copy_to(offset, len, out),
        }
    }

    fn held(&self, offset: u64, len: u64) -> Option<&[u8]> {
        self.head.held(offset, len).or_else(|| self.inner.held(offset, len))
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
        if let Some(bytes) = self.input.held(offset, n as u64) {
            return Ok(bytes); // already in memory: no copy into the window
        }
        let held_end = self.start + self.buf.len() as u64;
        if offset < self.start || end > held_end {
            let want = n.max(CHUNK) as u64;
            let take = want.min(self.input.len() - offset) as usize;
            self.buf.resize(take, 0);
            self.input
                .read_exact_at(offset, &mut self.buf)
                .map_err(|e| Error::at(ErrorKind::Io, offset, e.to_string()))?;
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
