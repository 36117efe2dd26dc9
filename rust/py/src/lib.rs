//! The thin `PyO3` binding of fastdeid-core: owned values cross, the GIL is released for all file
//! work, and core errors become the exception classes of `fastdeid.errors` in one place.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fastdeid_core::dicom::dump::{dump_input, DumpOptions};
use fastdeid_core::dicom::{FileInput, Tag};
use fastdeid_core::{rewrite, Error, ErrorKind, Limits, Options, Profile, Runner, Status};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Maps a core error to `fastdeid.errors.ProfileError` or `fastdeid.errors.DicomError`.
fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let class = if e.kind == ErrorKind::Profile { "ProfileError" } else { "DicomError" };
    let made = py.import("fastdeid.errors").and_then(|m| m.getattr(class)).and_then(|cls| {
        cls.call1((e.to_string(), e.kind.code(), e.offset, (!e.tag_path.is_empty()).then(|| e.tag_path.clone())))
    });
    match made {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
    }
}

/// A profile compiled from its canonical JSON form; immutable and shared by all workers.
#[pyclass(frozen, name = "CompiledProfile", module = "fastdeid._core")]
struct PyProfile {
    inner: Arc<Profile>,
}

#[pymethods]
impl PyProfile {
    #[new]
    fn new(py: Python<'_>, spec_json: &str) -> PyResult<Self> {
        let inner = Profile::from_json(spec_json).map_err(|e| to_py(py, &e))?;
        Ok(PyProfile { inner: Arc::new(inner) })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    #[getter]
    fn rule_count(&self) -> usize {
        self.inner.rules.len()
    }
}

/// The outcome for one file of a batch.
#[pyclass(frozen, get_all, module = "fastdeid._core")]
struct FileResult {
    src: String,
    dst: String,
    status: &'static str,
    code: Option<&'static str>,
    message: Option<String>,
    offset: Option<u64>,
    tag_path: Option<String>,
    bytes_in: u64,
    bytes_out: u64,
    changed: bool,
    log_before: Option<Vec<Option<String>>>,
    log_after: Option<Vec<Option<String>>>,
    /// `code: message` for each repair the file needed (no patient values).
    warnings: Vec<String>,
}

impl From<fastdeid_core::FileResult> for FileResult {
    fn from(r: fastdeid_core::FileResult) -> Self {
        // Plain strings: building a pathlib.Path per file costs more than the file's rewrite.
        let base = FileResult {
            src: r.src.to_string_lossy().into_owned(),
            dst: r.dst.to_string_lossy().into_owned(),
            status: "ok",
            code: None,
            message: None,
            offset: None,
            tag_path: None,
            bytes_in: 0,
            bytes_out: 0,
            changed: false,
            log_before: None,
            log_after: None,
            warnings: Vec::new(),
        };
        match r.status {
            Status::Ok(w) => {
                let (log_before, log_after) = w.log.map_or((None, None), |l| (Some(l.before), Some(l.after)));
                FileResult {
                    bytes_in: w.bytes_in,
                    bytes_out: w.bytes_out,
                    changed: w.changed,
                    log_before,
                    log_after,
                    warnings: w.warnings.iter().map(ToString::to_string).collect(),
                    ..base
                }
            }
            Status::Skipped(why) => FileResult { status: "skipped", message: Some(why.to_string()), ..base },
            Status::Failed(e) => FileResult {
                status: "failed",
                code: Some(e.kind.code()),
                message: Some(e.to_string()),
                offset: e.offset,
                tag_path: (!e.tag_path.is_empty()).then_some(e.tag_path),
                log_before: e.log_before,
                ..base
            },
        }
    }
}

/// A worker pool bound to one profile, reused for every chunk of a run.
#[pyclass(frozen, module = "fastdeid._core")]
struct Batch {
    runner: Runner,
    profile: Arc<Profile>,
}

#[pymethods]
impl Batch {
    #[new]
    #[pyo3(signature = (profile, jobs=0, fsync=true, max_depth=64, accept_no_meta=false))]
    fn new(
        py: Python<'_>,
        profile: &PyProfile,
        jobs: usize,
        fsync: bool,
        max_depth: u32,
        accept_no_meta: bool,
    ) -> PyResult<Self> {
        let options = Options { limits: Limits { max_depth, accept_no_meta, ..Limits::default() }, fsync };
        let runner = Runner::new(jobs, options).map_err(|e| to_py(py, &e))?;
        Ok(Batch { runner, profile: Arc::clone(&profile.inner) })
    }

    #[getter]
    fn threads(&self) -> usize {
        self.runner.threads()
    }

    /// De-identifies each (src, dst) pair in parallel with the GIL released.
    #[allow(clippy::needless_pass_by_value)] // PyO3 extracts arguments into owned values
    fn process(&self, py: Python<'_>, pairs: Vec<(PathBuf, PathBuf)>) -> Vec<FileResult> {
        let results = py.detach(|| self.runner.process(&self.profile, &pairs));
        results.into_iter().map(FileResult::from).collect()
    }
}

/// De-identifies one Part 10 file held in memory.
#[pyfunction]
fn deidentify_bytes<'py>(py: Python<'py>, data: &[u8], profile: &PyProfile) -> PyResult<Bound<'py, PyBytes>> {
    let owned = data.to_vec();
    let profile = Arc::clone(&profile.inner);
    let result = py.detach(move || {
        let mut out = Vec::with_capacity(owned.len());
        rewrite(owned.as_slice(), &profile, &Limits::default(), &mut out).map(|_| out)
    });
    let out = result.map_err(|e| to_py(py, &e))?;
    Ok(PyBytes::new(py, &out))
}

/// Applies a group rule of an output-name template to a piece of text (spec 7.2).
#[pyfunction]
fn apply_group_rule(py: Python<'_>, profile: &PyProfile, rule_json: &str, text: &str) -> PyResult<String> {
    fastdeid_core::profile::apply_group_rule(&profile.inner, rule_json, text).map_err(|e| to_py(py, &e))
}

/// Lists a file's header as far as it parses: the text, and the error that stopped it.
fn list_file(path: &Path, max_text: usize, accept_no_meta: bool) -> (String, Option<Error>) {
    let opened = if path.is_dir() {
        Err(Error::new(ErrorKind::Io, "is a folder, not a file"))
    } else {
        File::open(path)
            .and_then(FileInput::new)
            .map_err(|e| Error::new(ErrorKind::of_io(&e), format!("cannot open: {e}")))
    };
    match opened {
        Ok(input) => {
            let limits = Limits { accept_no_meta, ..Limits::default() };
            dump_input(&input, &limits, &DumpOptions { max_text, ..DumpOptions::default() })
        }
        Err(e) => (String::new(), Some(e)),
    }
}

/// The header of a Part 10 file as text: one element per line, sequences indented.
#[pyfunction]
#[pyo3(signature = (path, max_text=64, accept_no_meta=false))]
fn dump(py: Python<'_>, path: PathBuf, max_text: usize, accept_no_meta: bool) -> PyResult<String> {
    match py.detach(move || list_file(&path, max_text, accept_no_meta)) {
        (text, None) => Ok(text),
        (_, Some(e)) => Err(to_py(py, &e)),
    }
}

/// Like `dump`, but a file that does not parse gives what parsed before the fault and the
/// `DicomError` that stopped it, instead of raising.
#[pyfunction]
#[pyo3(signature = (path, max_text=64, accept_no_meta=false))]
fn dump_partial(
    py: Python<'_>,
    path: PathBuf,
    max_text: usize,
    accept_no_meta: bool,
) -> (String, Option<Py<pyo3::exceptions::PyBaseException>>) {
    let (text, error) = py.detach(move || list_file(&path, max_text, accept_no_meta));
    (text, error.map(|e| to_py(py, &e).into_value(py)))
}

/// The PS3.6 dictionary entry of a tag, repeating groups included: (VR, keyword), or None.
#[pyfunction]
fn dictionary_entry(tag: u32) -> Option<(&'static str, &'static str)> {
    fastdeid_core::dicom::dict::lookup(Tag(tag)).map(|(vr, kw)| (vr.as_str(), kw))
}

/// The tag of a keyword, or None (case-sensitive; repeating-group keywords excluded).
#[pyfunction]
fn tag_for_keyword(keyword: &str) -> Option<u32> {
    fastdeid_core::dicom::dict::tag_for_keyword(keyword).map(|t| t.0)
}

/// Every (keyword, tag) of the dictionary, in tag order.
#[pyfunction]
fn dictionary_keywords() -> Vec<(&'static str, u32)> {
    fastdeid_core::dicom::dict::keywords().map(|(kw, t)| (kw, t.0)).collect()
}

#[pymodule]
mod _core {
    #[pymodule_export]
    use super::{
        apply_group_rule, deidentify_bytes, dictionary_entry, dictionary_keywords, dump, dump_partial, tag_for_keyword,
        verify_tree, Batch, FileResult, PyProfile,
    };
}

/// One finding of `verify_tree`: (file, element path, tag, kind, rule), never a value.
type VerifyFinding = (String, String, String, &'static str, String);

/// Verifies the outputs under `out` (docs/verify.md): (files, files not DICOM, entries passed
/// over, seconds, findings). `options` are Basic Profile option names; an unknown one is a
/// `ProfileError`.
#[pyfunction]
#[pyo3(signature = (out, against=None, options=Vec::new(), jobs=0, min_length=4, accept_no_meta=false))]
#[allow(clippy::needless_pass_by_value)] // PyO3 extracts arguments into owned values
fn verify_tree(
    py: Python<'_>,
    out: PathBuf,
    against: Option<PathBuf>,
    options: Vec<String>,
    jobs: usize,
    min_length: usize,
    accept_no_meta: bool,
) -> PyResult<(u64, u64, u64, f64, Vec<VerifyFinding>)> {
    use fastdeid_core::basic::{BasicOption, OptionSet};
    use fastdeid_core::verify::{verify, Settings};
    let mut set = OptionSet::new();
    for name in &options {
        let option = BasicOption::from_name(name).ok_or_else(|| {
            to_py(py, &Error::new(ErrorKind::Profile, format!("unknown Basic Profile option {name:?}")))
        })?;
        set = set.with(option);
    }
    let limits = Limits { accept_no_meta, ..Limits::default() };
    let settings = Settings { options: set, min_len: min_length.max(1), limits, jobs };
    let outcome = py.detach(|| verify(&out, against.as_deref(), &settings)).map_err(|e| to_py(py, &e))?;
    let findings = outcome.findings.into_iter().map(|f| (f.file, f.path, f.tag, f.kind.name(), f.rule)).collect();
    Ok((outcome.files, outcome.not_dicom, outcome.passed_over, outcome.seconds, findings))
}
