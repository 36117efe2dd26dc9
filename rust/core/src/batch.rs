//! Many objects on a call-local, named rayon pool. Each file gets a result; a bad file never
//! stops the batch and never leaves an output behind.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

pub use crate::destination::write_atomically;
use crate::destination::Destination;
use crate::dicom::{FileInput, Limits};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{self, Input, Job};
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

    /// Processes `inputs`, the job's inputs from index `first` on, in parallel; results come
    /// back in input order. Call it chunk after chunk, in order: an input that loses its name to
    /// an earlier one of the same chunk is settled here. Once the output disk is full, inputs not
    /// yet started are skipped, as in [`Runner::process`].
    #[must_use]
    pub fn process_job<D: Destination>(&self, job: &Job<D>, inputs: &[Input], first: usize) -> Vec<job::FileResult> {
        let disk_full = AtomicBool::new(false);
        let mut results: Vec<job::FileResult> = self.pool.install(|| {
            inputs
                .par_iter()
                .enumerate()
                .map(|(i, input)| {
                    if disk_full.load(Ordering::Relaxed) {
                        let status = job::Status::Skipped("not started: the output disk is full");
                        return job::FileResult { index: first + i, name: None, status };
                    }
                    let result = job.process(first + i, input);
                    if matches!(&result.status, job::Status::Failed(f) if f.error.kind == ErrorKind::DiskFull) {
                        disk_full.store(true, Ordering::Relaxed);
                    }
                    result
                })
                .collect()
        });
        job::settle(&mut results, &job.take_superseded());
        results
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
