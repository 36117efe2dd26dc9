//! The thin `PyO3` binding of fastdeid-core: owned values cross, the GIL is released for all file
//! work, and core errors become the exception classes of `fastdeid.errors` in one place.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fastdeid_core::dicom::dump::{dump_input, DumpOptions};
use fastdeid_core::dicom::{FileInput, Tag};
use fastdeid_core::job::{self, Input, Reads, Source};
use fastdeid_core::naming::{Hierarchy, Labels, Naming, SubjectCodes};
use fastdeid_core::profile::document::{self, Problem};
use fastdeid_core::{
    rewrite, Captured, Destination, Error, ErrorKind, Limits, LocalTree, Options, Placed, Profile, Runner,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

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

/// How a compiled profile was made, so that it can be made again (pickling).
enum Origin {
    /// From the canonical specification (`CompiledProfile(spec_json)`).
    Spec(String),
    /// From a profile document (`CompiledProfile.from_document`): the document, the default name,
    /// the moment relative date bounds were taken from, and the Basic Profile's settings.
    Document { doc: String, name: String, now: String, base: Option<String>, summary: String },
}

/// A profile compiled from a document or from its canonical JSON form; immutable and shared by
/// all workers. Pickles as the call that rebuilds it.
#[pyclass(frozen, name = "CompiledProfile", module = "fastdeid._core")]
struct PyProfile {
    inner: Arc<Profile>,
    origin: Origin,
}

/// Raises `fastdeid.errors.ProfileError` listing `problems` (each with its path in the document).
fn problems_to_py(py: Python<'_>, problems: &[Problem]) -> PyErr {
    let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("\n");
    let code = problems.first().map_or("profile", |p| p.code);
    let listed = document::problems_json(problems);
    let made = py
        .import("fastdeid.errors")
        .and_then(|m| m.getattr("ProfileError"))
        .and_then(|cls| cls.call1((message, code, py.None(), py.None(), listed)));
    match made {
        Ok(obj) => PyErr::from_value(obj),
        Err(err) => err,
    }
}

#[pymethods]
impl PyProfile {
    #[new]
    fn new(py: Python<'_>, spec_json: &str) -> PyResult<Self> {
        let inner = Profile::from_json(spec_json).map_err(|e| to_py(py, &e))?;
        Ok(PyProfile { inner: Arc::new(inner), origin: Origin::Spec(spec_json.to_string()) })
    }

    /// Compiles a profile document (JSON text). `name` names a profile without `name:`; `now`
    /// (`YYYYMMDDHHMMSS.ffffff`, default the current UTC time) is the moment relative date bounds
    /// are taken from; `base` the Basic Profile's settings as JSON, completed by the front end
    /// with the key (docs/basic-profile.md). Raises `ProfileError` with every problem (its
    /// `problems` attribute holds them as JSON: code, message, path in the document, and whether
    /// the key or the value is meant).
    #[staticmethod]
    #[pyo3(signature = (doc_json, name, now=None, base=None))]
    fn from_document(
        py: Python<'_>,
        doc_json: &str,
        name: &str,
        now: Option<&str>,
        base: Option<&str>,
    ) -> PyResult<Self> {
        let now_text = now.map_or_else(document::now_text, str::to_string);
        let Some(moment) = document::parse_now(&now_text) else {
            return Err(problems_to_py(py, &[Problem::at_root("bad-argument", "now must be YYYYMMDDHHMMSS.ffffff")]));
        };
        let compiled = document::compile_document(doc_json, name, moment).map_err(|p| problems_to_py(py, &p))?;
        let inner = compiled.profile(base).map_err(|e| to_py(py, &e))?;
        Ok(PyProfile {
            inner: Arc::new(inner),
            origin: Origin::Document {
                doc: doc_json.to_string(),
                name: name.to_string(),
                now: now_text,
                base: base.map(str::to_string),
                summary: compiled.summary_json(),
            },
        })
    }

    /// What the front end shows of a profile compiled from a document, as JSON: the canonical
    /// specification (`spec`), the rules in the order they run (`rules`: name, kind, tag, vr,
    /// action), `filenames` templates, `implicit_keeps`, `name`, `description`, `deid_log`, and
    /// the stored `base`, `options` and `key_file`. None for a profile made from a specification.
    fn summary(&self) -> Option<&str> {
        match &self.origin {
            Origin::Spec(_) => None,
            Origin::Document { summary, .. } => Some(summary),
        }
    }

    /// Pickling: the constructor and arguments that rebuild this profile.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let me = slf.get();
        let cls = slf.get_type();
        Ok(match &me.origin {
            Origin::Spec(spec) => (cls.into_any(), PyTuple::new(py, [spec.as_str()])?),
            Origin::Document { doc, name, now, base, .. } => {
                let args = (doc.as_str(), name.as_str(), now.as_str(), base.as_deref());
                (cls.getattr("from_document")?, args.into_pyobject(py)?)
            }
        })
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

/// The keys each level of a profile document accepts (`document`, `dicom`, `field`,
/// `regex-sub`, `filenames`, `group`), read from the core's definition of the document.
#[pyfunction]
fn document_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    document::known_keys().into_iter().map(|(level, keys)| (level, keys.to_vec())).collect()
}

/// The outcome for one input of a job.
#[pyclass(frozen, get_all, module = "fastdeid._core")]
struct FileResult {
    /// The input's position in the job.
    index: usize,
    /// The input's path, or its planned name when it came as bytes.
    src: String,
    /// The output's relative name at the destination, once decided.
    name: Option<String>,
    /// The output's full path (destination + name), once decided.
    dst: Option<String>,
    status: &'static str,
    code: Option<&'static str>,
    message: Option<String>,
    offset: Option<u64>,
    tag_path: Option<String>,
    bytes_in: u64,
    bytes_out: u64,
    changed: bool,
    /// The destination already held exactly this output (a rerun); nothing was written.
    already_done: bool,
    /// For `duplicate-output`: the index of the input whose output has the name.
    other: Option<usize>,
    /// The deid log's cells before and after the rules (the job's `log`).
    log_before: Option<Vec<Option<String>>>,
    log_after: Option<Vec<Option<String>>>,
    /// The values of the job's `value_names`, before and after the rules (a job given `keywords`).
    values_before: Option<Vec<Option<String>>>,
    values_after: Option<Vec<Option<String>>>,
    /// `code: message` for each repair the file needed (no patient values).
    warnings: Vec<String>,
}

/// Before and after cells of the log and of the values, as the result reports them.
type Cells = [Option<Vec<Option<String>>>; 4];

/// The captured rows as a result reports them; the values only when the caller asked for them.
fn cells(c: Captured, values: bool) -> Cells {
    let (log_before, log_after) = c.log.map_or((None, None), |l| (Some(l.before), Some(l.after)));
    let (values_before, values_after) = match c.values {
        Some(v) if values => (Some(v.before), Some(v.after)),
        _ => (None, None),
    };
    [log_before, log_after, values_before, values_after]
}

impl FileResult {
    fn new(r: job::FileResult, src: String, root: &Path, values: bool) -> Self {
        // Plain strings: building a pathlib.Path per file costs more than the file's rewrite.
        let base = FileResult {
            index: r.index,
            src,
            dst: r.name.as_ref().map(|n| root.join(n).to_string_lossy().into_owned()),
            name: r.name,
            status: "ok",
            code: None,
            message: None,
            offset: None,
            tag_path: None,
            bytes_in: 0,
            bytes_out: 0,
            changed: false,
            already_done: false,
            other: None,
            log_before: None,
            log_after: None,
            values_before: None,
            values_after: None,
            warnings: Vec::new(),
        };
        match r.status {
            job::Status::Ok(w, placed) => {
                let [log_before, log_after, values_before, values_after] = cells(w.captured, values);
                FileResult {
                    bytes_in: w.bytes_in,
                    bytes_out: w.bytes_out,
                    changed: w.changed,
                    already_done: placed == Placed::AlreadyThere,
                    log_before,
                    log_after,
                    values_before,
                    values_after,
                    warnings: w.warnings.iter().map(ToString::to_string).collect(),
                    ..base
                }
            }
            job::Status::Skipped(why) => FileResult { status: "skipped", message: Some(why.to_string()), ..base },
            job::Status::Failed(f) => FileResult {
                status: "failed",
                code: Some(f.error.kind.code()),
                message: Some(f.error.to_string()),
                offset: f.error.offset,
                tag_path: (!f.error.tag_path.is_empty()).then_some(f.error.tag_path),
                log_before: f.log_before,
                ..base
            },
            job::Status::Refused(refusal, captured) => {
                let [log_before, log_after, values_before, values_after] = cells(captured, values);
                FileResult {
                    status: "failed",
                    code: Some(refusal.code),
                    message: Some(format!("{}: {}", refusal.code, refusal.message)),
                    other: refusal.other,
                    log_before,
                    log_after,
                    values_before,
                    values_after,
                    ..base
                }
            }
        }
    }
}

/// A subject map as it crosses: keys, code prefix, zero-padded width, suffix, known (values, code).
type SubjectArgs = (Vec<String>, String, usize, String, Vec<(Vec<String>, String)>);

/// A de-identification job into a local folder: one profile, one naming policy, a worker pool;
/// inputs are given chunk after chunk, in order.
#[pyclass(frozen, module = "fastdeid._core")]
struct Job {
    runner: Runner,
    core: fastdeid_core::Job<LocalTree>,
    /// Results report the values of `value_names` (the caller gave `keywords`).
    values: bool,
}

#[pymethods]
impl Job {
    #[new]
    #[pyo3(signature = (profile, destination, *, naming="as-given", log=false, keywords=Vec::new(),
                        group=String::new(), project=String::new(), subjects=None, replace=true, temp_folder=None, jobs=0,
                        fsync=true, max_depth=64, accept_no_meta=false))]
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value, clippy::fn_params_excessive_bools)] // keyword arguments from Python
    fn new(
        py: Python<'_>,
        profile: &PyProfile,
        destination: PathBuf,
        naming: &str,
        log: bool,
        keywords: Vec<String>,
        group: String,
        project: String,
        subjects: Option<SubjectArgs>,
        replace: bool,
        temp_folder: Option<PathBuf>,
        jobs: usize,
        fsync: bool,
        max_depth: u32,
        accept_no_meta: bool,
    ) -> PyResult<Self> {
        let naming = match naming {
            "as-given" => Naming::AsGiven,
            "by-uid" => Naming::ByUid,
            "uid-tree" => Naming::UidTree,
            "templates" => Naming::Templates,
            "hierarchy" => Naming::Hierarchy(Box::new(Hierarchy {
                group,
                project,
                subjects: subjects
                    .map(|(keys, prefix, width, suffix, known)| SubjectCodes::new(keys, prefix, width, suffix, known)),
            })),
            other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown naming policy {other:?}"))),
        };
        let limits = Limits { max_depth, accept_no_meta, ..Limits::default() };
        let runner = Runner::new(jobs, Options { limits, fsync }).map_err(|e| to_py(py, &e))?;
        let tree = match temp_folder {
            Some(temp) => LocalTree::with_temp_folder(destination, fsync, temp),
            None => LocalTree::new(destination, fsync),
        };
        let values = !keywords.is_empty();
        let reads = Reads { log, keywords };
        let core = fastdeid_core::Job::new(Arc::clone(&profile.inner), naming, tree, limits, replace, reads)
            .map_err(|e| to_py(py, &e))?;
        Ok(Job { runner, core, values })
    }

    #[getter]
    fn threads(&self) -> usize {
        self.runner.threads()
    }

    /// The header keywords the naming policy reads (with the profile's templates).
    #[getter]
    fn keywords(&self) -> Vec<String> {
        self.core.naming().keywords(self.core.profile())
    }

    /// The keywords whose values results report (`values_before`/`values_after`), in order:
    /// those the naming policy reads, then the job's `keywords`.
    #[getter]
    fn value_names(&self) -> Vec<String> {
        self.core.value_names().to_vec()
    }

    /// De-identifies inputs `first`, `first + 1`, ... of the job in parallel with the GIL
    /// released. Each input is (path or bytes, planned relative name, (subject, session,
    /// acquisition) labels or None).
    #[allow(clippy::needless_pass_by_value)] // PyO3 extracts arguments into owned values
    fn process(
        &self,
        py: Python<'_>,
        inputs: Vec<(Bound<'_, PyAny>, String, Option<LabelArgs>)>,
        first: usize,
    ) -> PyResult<Vec<FileResult>> {
        let mut owned = Vec::with_capacity(inputs.len());
        for (source, name, labels) in inputs {
            let source = match source.cast::<PyBytes>() {
                Ok(bytes) => Source::Bytes(bytes.as_bytes().to_vec()),
                Err(_) => Source::Path(source.extract::<PathBuf>()?),
            };
            let labels = labels.map(|(subject, session, acquisition)| Labels { subject, session, acquisition });
            owned.push(Input { source, name, labels: labels.unwrap_or_default() });
        }
        let results = py.detach(|| self.runner.process_job(&self.core, &owned, first));
        let root = self.core.destination().root().to_path_buf();
        Ok(results
            .into_iter()
            .map(|r| {
                let src = match &owned[r.index - first].source {
                    Source::Path(p) => p.to_string_lossy().into_owned(),
                    Source::Bytes(_) => owned[r.index - first].name.clone(),
                };
                FileResult::new(r, src, &root, self.values)
            })
            .collect())
    }

    /// Makes the names of the outputs stored since the last call durable (fsync of the folders
    /// they were renamed into and of those above them, up to the destination; nothing without
    /// `fsync`). Raises `OSError`.
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.core.destination().sync()).map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))
    }

    /// The subject map's codes, known and new, in the order they were made (empty without one).
    fn subject_codes(&self) -> Vec<(Vec<String>, String)> {
        match self.core.naming() {
            Naming::Hierarchy(h) => h.subjects.as_ref().map(SubjectCodes::codes).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// Labels fixed for one input: subject, session, acquisition.
type LabelArgs = (Option<String>, Option<String>, Option<String>);

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

/// The header keywords an ingest names its folders by (`naming::LABEL_KEYWORDS`).
#[pyfunction]
fn label_keywords() -> Vec<&'static str> {
    fastdeid_core::naming::LABEL_KEYWORDS.to_vec()
}

#[pymodule]
mod _core {
    #[pymodule_export]
    use super::{
        basic_row, deidentify_bytes, document_keys, dump, dump_partial, label_keywords, verify_tree, FileResult, Job,
        PyProfile,
    };
}

/// The Basic Profile's treatment of a tag, for `profile coverage`: the Table E.1-1 row that names it
/// (its attribute name) or the fastdeid addition that covers it (its reason), or `None` when
/// neither does and the Basic Profile keeps the element as it is. Group 0000 is always removed.
#[pyfunction]
fn basic_row(tag: u32) -> Option<&'static str> {
    use fastdeid_core::basic::engine::ADDITIONS;
    use fastdeid_core::basic::rows::lookup;
    if tag >> 16 == 0 {
        return Some("command elements (group 0000) never belong in a stored object");
    }
    if let Some((.., why)) = ADDITIONS.iter().find(|(value, mask, ..)| tag & mask == *value) {
        return Some(why);
    }
    lookup(Tag(tag)).map(|row| row.name)
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
