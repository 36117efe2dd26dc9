//! Many objects on a call-local, named rayon pool. Each file gets a result; a bad file never
//! stops the batch and never leaves an output behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::dicom::{FileInput, Limits, Sink};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::Profile;
use crate::rewrite::{rewrite, Rewritten};

/// How one file of a batch ended.
#[derive(Debug)]
pub enum Status {
    /// Written to its destination.
    Ok(Rewritten),
    /// Not written: the input is bad or the output could not be written.
    Failed(Error),
    /// Not processed, for the given reason (not a regular file).
    Skipped(&'static str),
}

/// The result for one (source, destination) pair.
#[derive(Debug)]
pub struct FileResult {
    /// The input path.
    pub src: PathBuf,
    /// The output path.
    pub dst: PathBuf,
    /// What happened.
    pub status: Status,
}

/// Options of a batch.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Parser limits.
    pub limits: Limits,
    /// fsync each output before it is renamed into place, so a crash never leaves a final name
    /// pointing at unwritten data.
    pub fsync: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { limits: Limits::default(), fsync: true }
    }
}

/// A thread pool and a profile, reused across the chunks of one run.
pub struct Runner {
    pool: rayon::ThreadPool,
    options: Options,
}

impl Runner {
    /// Builds a pool of `jobs` threads (0 = one per core), named `fastdeid-N`.
    pub fn new(jobs: usize, options: Options) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .thread_name(|i| format!("fastdeid-{i}"))
            .build()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start worker threads: {e}")))?;
        Ok(Runner { pool, options })
    }

    /// Number of worker threads.
    #[must_use]
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Processes every pair in parallel; results come back in the order of `pairs`. Once the
    /// output disk is full, files not yet started are skipped: the run stops within one file per
    /// worker, and whatever was cut short left no partial output behind.
    #[must_use]
    pub fn process(&self, profile: &Profile, pairs: &[(PathBuf, PathBuf)]) -> Vec<FileResult> {
        let options = self.options;
        let disk_full = AtomicBool::new(false);
        self.pool.install(|| {
            pairs
                .par_iter()
                .map(|(src, dst)| {
                    let status = if disk_full.load(Ordering::Relaxed) {
                        Status::Skipped("not started: the output disk is full")
                    } else {
                        process_file(src, dst, profile, &options)
                    };
                    if matches!(&status, Status::Failed(e) if e.kind == ErrorKind::DiskFull) {
                        disk_full.store(true, Ordering::Relaxed);
                    }
                    FileResult { src: src.clone(), dst: dst.clone(), status }
                })
                .collect()
        })
    }
}

/// De-identifies `src` into `dst`, through a temporary file in `dst`'s directory that is renamed
/// into place only when complete.
pub fn process_file(src: &Path, dst: &Path, profile: &Profile, options: &Options) -> Status {
    match fs::symlink_metadata(src) {
        Ok(m) if m.file_type().is_symlink() => return Status::Skipped("symbolic link (not followed)"),
        Ok(m) if !m.is_file() => return Status::Skipped("not a regular file"),
        Ok(_) => {}
        Err(e) => return Status::Failed(Error::new(ErrorKind::Io, format!("cannot read input: {e}"))),
    }
    let input = match File::open(src).and_then(FileInput::new) {
        Ok(i) => i,
        Err(e) => return Status::Failed(Error::new(ErrorKind::Io, format!("cannot open input: {e}"))),
    };
    match write_atomically(dst, options.fsync, |out| rewrite(&input, profile, &options.limits, out)) {
        Ok(r) => Status::Ok(r),
        Err(e) => Status::Failed(e),
    }
}

/// A buffered writer to an output file whose buffer is reused from file to file.
pub struct Output {
    file: File,
    buf: Vec<u8>,
}

/// Writes at least this long skip the buffer: one writev of what is buffered plus the new bytes
/// costs less than copying them (the pixel data of a small file, served from its cached head).
const DIRECT_WRITE: usize = 16 * 1024;

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if data.len() >= DIRECT_WRITE {
            let mut parts = [std::io::IoSlice::new(&self.buf), std::io::IoSlice::new(data)];
            let mut rest = &mut parts[..];
            std::io::IoSlice::advance_slices(&mut rest, 0);
            while !rest.is_empty() {
                match self.file.write_vectored(rest)? {
                    0 => return Err(std::io::ErrorKind::WriteZero.into()),
                    n => std::io::IoSlice::advance_slices(&mut rest, n),
                }
            }
            self.buf.clear();
            return Ok(data.len());
        }
        if self.buf.len() + data.len() > OUTPUT_CHUNK {
            self.flush()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

impl Sink for Output {
    fn file(&mut self) -> std::io::Result<Option<&mut File>> {
        self.flush()?;
        Ok(Some(&mut self.file))
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Bytes gathered before one write: a small file goes out in one write(2).
const OUTPUT_CHUNK: usize = 256 * 1024;

thread_local! {
    /// Each worker's output buffer, kept between files: a fresh one per file cost more than the
    /// rest of the work on a small header.
    static OUTPUT_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    static KNOWN_DIRS: std::cell::RefCell<std::collections::HashSet<PathBuf>> = std::cell::RefCell::new(std::collections::HashSet::new());
}

/// Runs `produce` into a fresh temporary file beside `dst` and renames it to `dst` on success; on
/// any failure the temporary file is removed, so `dst` is either complete or absent.
pub fn write_atomically<T>(dst: &Path, fsync: bool, produce: impl FnOnce(&mut Output) -> Result<T>) -> Result<T> {
    let dir = dst.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Files of one folder usually follow each other: remember the folders this thread made, so
    // each costs one mkdir rather than one per file.
    let known = KNOWN_DIRS.with(|k| k.borrow().contains(dir));
    if !known {
        fs::create_dir_all(dir)
            .map_err(|e| Error::new(ErrorKind::of_io(&e), format!("cannot create output directory: {e}")))?;
        KNOWN_DIRS.with(|k| {
            let mut k = k.borrow_mut();
            if k.len() > 4096 {
                k.clear();
            }
            k.insert(dir.to_path_buf());
        });
    }
    let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.fastdeid-tmp", PID.get_or_init(std::process::id)));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::new(ErrorKind::of_io(&e), format!("cannot create output: {e}")))?;
    let mut out = Output { file, buf: OUTPUT_BUFFER.with(std::cell::Cell::take) };
    let result = produce(&mut out).and_then(|value| {
        out.flush()?;
        if fsync {
            out.file.sync_all()?;
        }
        fs::rename(&tmp, dst)?;
        Ok(value)
    });
    out.buf.clear();
    OUTPUT_BUFFER.with(|b| b.set(std::mem::take(&mut out.buf)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_and_direct_writes_keep_their_order_and_the_buffer_is_reused() {
        let dir = std::env::temp_dir().join(format!("fastdeid-output-{}", std::process::id()));
        let big: Vec<u8> = (0..=255u8).cycle().take(3 * DIRECT_WRITE).collect();
        for round in 0..2 {
            let dst = dir.join(format!("out{round}.dcm"));
            write_atomically(&dst, false, |out| {
                out.write_all(b"head")?;
                out.write_all(&big)?; // written with the buffered "head" in one writev
                out.write_all(b"tail")?;
                Ok(())
            })
            .unwrap();
            let written = fs::read(&dst).unwrap();
            assert_eq!(written, [&b"head"[..], &big, b"tail"].concat());
        }
        assert!(OUTPUT_BUFFER.with(|b| {
            let v = b.take();
            let cap = v.capacity();
            b.set(v);
            cap > 0
        }));
        fs::remove_dir_all(&dir).unwrap();
    }
}
