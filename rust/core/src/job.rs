//! A job: inputs (files or bytes, each with a planned relative name), one profile, one naming
//! policy and one destination. For each input the core parses and de-identifies, decides the
//! output's name from the captured values, claims the name, and only then opens the output at
//! the destination. Two inputs that would share a name are caught at the claim, before the later
//! one writes anything; the earlier input (in the job's order) always keeps the name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::destination::{Destination, Placed};
use crate::dicom::{FileInput, Limits};
use crate::engine::{Capture, Captured, Failure};
use crate::error::{Error, ErrorKind, Result};
use crate::naming::{Labels, Naming, Refusal, Values};
use crate::profile::{LogColumn, Profile};
use crate::rewrite::{rewrite_to, Rewritten};

/// Where an input's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// A file (read-only; symbolic links and special files are skipped).
    Path(PathBuf),
    /// A Part 10 file in memory.
    Bytes(Vec<u8>),
}

/// One input of a job.
#[derive(Debug)]
pub struct Input {
    /// Its bytes.
    pub source: Source,
    /// The planned relative output name (`/`-separated): the input's relative path, `.gz` dropped.
    pub name: String,
    /// Labels fixed before it is read (ingest).
    pub labels: Labels,
}

impl Input {
    /// The input's own file name, which `filenames:` templates match: the path's last component,
    /// or the planned name's for bytes.
    #[must_use]
    pub fn file_name(&self) -> Cow<'_, str> {
        match &self.source {
            Source::Path(p) => p.file_name().map_or(Cow::Borrowed(""), |n| n.to_string_lossy()),
            Source::Bytes(_) => Cow::Borrowed(self.name.rsplit('/').next().unwrap_or_default()),
        }
    }
}

/// How one input ended.
#[derive(Debug)]
pub enum Status {
    /// Stored at the destination under [`FileResult::name`].
    Ok(Rewritten, Placed),
    /// Not written: the input is bad or the output could not be stored. When a rule failed and
    /// the job keeps a log, the log's before row is beside the error.
    Failed(Failure),
    /// Not processed, for the given reason.
    Skipped(&'static str),
    /// De-identified, but given no output: no name could be made, or an earlier input has it.
    /// Carries what was captured, which the deid log still records.
    Refused(Refusal, Captured),
}

impl Status {
    /// A failure without a log row (the file was not read as far as the rules).
    fn failed(error: Error) -> Self {
        Status::Failed(error.into())
    }
}

/// The result for one input.
#[derive(Debug)]
pub struct FileResult {
    /// The input's position in the job.
    pub index: usize,
    /// The output's relative name at the destination, once decided.
    pub name: Option<String>,
    /// What happened.
    pub status: Status,
}

/// Who holds an output name.
struct Claim {
    /// The input (by index) whose output the name is.
    owner: usize,
    /// An output is being stored under the name right now.
    storing: bool,
    /// This job stored a file under the name (which a later owner may then replace).
    stored: bool,
}

/// The names this job gave out, shared by the workers.
#[derive(Default)]
struct Claims {
    names: Mutex<HashMap<String, Claim>>,
    settled: Condvar,
    /// Stores waiting on `settled`: a store notifies only when one waits (a notify is a futex(2)
    /// call even without waiters, once per file otherwise).
    waiting: AtomicUsize,
    /// Inputs that stored an output and then lost its name to an earlier input: (loser, winner).
    superseded: Mutex<Vec<(usize, usize)>>,
}

/// The de-identification of many inputs into one destination.
pub struct Job<D: Destination> {
    profile: std::sync::Arc<Profile>,
    naming: Naming,
    destination: D,
    limits: Limits,
    replace: bool,
    /// Each result carries the deid log's rows.
    log: bool,
    /// The columns every file's values are read from (what the naming policy reads, then what
    /// the caller asked for), compiled once; and each one's position by keyword.
    values: Vec<LogColumn>,
    value_names: Vec<String>,
    index: HashMap<String, usize>,
    claims: Claims,
}

/// A sentinel error: the name was refused (the refusal itself is kept beside it).
const REFUSED: &str = "output name refused";

/// What a job reads of each file beside its edits.
#[derive(Clone, Debug, Default)]
pub struct Reads {
    /// The deid log's rows (the profile's log columns), for a caller that keeps a log.
    pub log: bool,
    /// Header keywords whose values, before and after the rules, each result carries, beside
    /// those the naming policy reads (which are read anyway).
    pub keywords: Vec<String>,
}

impl<D: Destination> Job<D> {
    /// A job. `replace` lets an output replace a file already at the destination (`run`, whose
    /// destination folder is its own), else an existing file is kept and an identical one counts
    /// as this output. `reads` says what each result carries beside the outcome.
    ///
    /// # Errors
    /// A keyword (of `reads` or of a subject map) addresses no element.
    pub fn new(
        profile: std::sync::Arc<Profile>,
        naming: Naming,
        destination: D,
        limits: Limits,
        replace: bool,
        reads: Reads,
    ) -> Result<Self> {
        let mut value_names = naming.keywords(&profile);
        for k in reads.keywords {
            if !value_names.contains(&k) {
                value_names.push(k);
            }
        }
        let values = value_names.iter().map(|k| LogColumn::keyword(k)).collect::<Result<_>>()?;
        let index = value_names.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        Ok(Job {
            profile,
            naming,
            destination,
            limits,
            replace,
            log: reads.log,
            values,
            value_names,
            index,
            claims: Claims::default(),
        })
    }

    /// The keywords of the values each result carries, in their order.
    #[must_use]
    pub fn value_names(&self) -> &[String] {
        &self.value_names
    }

    /// The destination.
    pub fn destination(&self) -> &D {
        &self.destination
    }

    /// The naming policy.
    pub fn naming(&self) -> &Naming {
        &self.naming
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// De-identifies input `index`.
    pub fn process(&self, index: usize, input: &Input) -> FileResult {
        let result = |name, status| FileResult { index, name, status };
        if !self.naming.admits(&input.file_name(), &self.profile) {
            return result(None, Status::Skipped("no filenames input-regex matches the file name"));
        }
        match &input.source {
            Source::Bytes(data) => self.rewrite(index, input, data.as_slice()),
            Source::Path(path) => {
                match fs::symlink_metadata(path) {
                    Ok(m) if m.file_type().is_symlink() => {
                        return result(None, Status::Skipped("symbolic link (not followed)"))
                    }
                    Ok(m) if !m.is_file() => return result(None, Status::Skipped("not a regular file")),
                    Ok(_) => {}
                    Err(e) => {
                        return result(
                            None,
                            Status::failed(Error::new(ErrorKind::Io, format!("cannot read input: {e}"))),
                        )
                    }
                }
                match File::open(path).and_then(FileInput::new) {
                    Ok(file) => self.rewrite(index, input, &file),
                    Err(e) => {
                        result(None, Status::failed(Error::new(ErrorKind::Io, format!("cannot open input: {e}"))))
                    }
                }
            }
        }
    }

    fn rewrite<I: crate::dicom::Input + ?Sized>(&self, index: usize, input: &Input, bytes: &I) -> FileResult {
        let mut decided: Option<(String, bool)> = None;
        let mut refused: Option<(Refusal, Captured)> = None;
        let mut refused_name: Option<String> = None;
        let capture = Capture::new(self.log, &self.values);
        let outcome = rewrite_to(bytes, &self.profile, &self.limits, capture, |captured| {
            let rows = captured.values.as_ref();
            let (before, after) = rows.map_or((&[][..], &[][..]), |r| (&r.before[..], &r.after[..]));
            let values = Values::new(&self.index, before, after);
            let named = self.naming.decide(&input.name, &input.file_name(), &input.labels, &values, &self.profile);
            let claimed = named.and_then(|name| match self.claim(index, &name) {
                Ok(replace) => Ok((name, replace)),
                Err(refusal) => {
                    refused_name = Some(name);
                    Err(refusal)
                }
            });
            match claimed {
                Ok((name, replace)) => {
                    let pending = self.destination.create(&name);
                    decided = Some((name, replace));
                    pending
                }
                Err(refusal) => {
                    refused = Some((refusal, captured.clone()));
                    Err(Error::new(ErrorKind::Io, REFUSED))
                }
            }
        });
        let status = match (outcome, refused) {
            (_, Some((refusal, captured))) => Status::Refused(refusal, captured),
            (Err(failure), None) => {
                if let Some((n, _)) = &decided {
                    self.release(index, n);
                }
                Status::Failed(failure)
            }
            (Ok((done, pending)), None) => {
                let (n, superseding) = decided.as_ref().expect("an output is opened only once named");
                match self.store(index, n, pending, *superseding) {
                    Ok(placed) => Status::Ok(done, placed),
                    Err(Stored::Lost(refusal)) => Status::Refused(refusal, done.captured),
                    Err(Stored::Failed(e)) => Status::failed(e),
                }
            }
        };
        FileResult { index, name: decided.map(|(n, _)| n).or(refused_name), status }
    }

    /// Claims `name` for input `index`. Returns whether storing may replace a file (the job's
    /// policy, or a later input of this job already stored one under the name), or a refusal
    /// naming the earlier input that has the name.
    fn claim(&self, index: usize, name: &str) -> std::result::Result<bool, Refusal> {
        let mut names = self.claims.names.lock().unwrap_or_else(PoisonError::into_inner);
        match names.get_mut(name) {
            None => {
                names.insert(name.to_string(), Claim { owner: index, storing: false, stored: false });
                Ok(self.replace)
            }
            Some(claim) if claim.owner < index => Err(duplicate(claim.owner)),
            Some(claim) => {
                // A later input got here first: this one takes the name, and replaces its file.
                self.claims.superseded.lock().unwrap_or_else(PoisonError::into_inner).push((claim.owner, index));
                claim.owner = index;
                Ok(true)
            }
        }
    }

    /// Gives up a claim after a failure, so a later input may have the name.
    fn release(&self, index: usize, name: &str) {
        let mut names = self.claims.names.lock().unwrap_or_else(PoisonError::into_inner);
        if names.get(name).is_some_and(|c| c.owner == index && !c.stored) {
            names.remove(name);
        }
    }

    /// Stores a written output, unless an earlier input took its name in the meantime. Stores of
    /// one name never overlap, so the earliest input's file is the one that stays.
    fn store(
        &self,
        index: usize,
        name: &str,
        pending: D::Pending,
        superseding: bool,
    ) -> std::result::Result<Placed, Stored> {
        let mut names = self.claims.names.lock().unwrap_or_else(PoisonError::into_inner);
        let replace = loop {
            let claim = names.get_mut(name).expect("a claimed name stays claimed");
            if claim.owner != index {
                return Err(Stored::Lost(duplicate(claim.owner)));
            }
            if !claim.storing {
                claim.storing = true;
                break superseding || self.replace || claim.stored;
            }
            self.claims.waiting.fetch_add(1, Ordering::SeqCst);
            names = self.claims.settled.wait(names).unwrap_or_else(PoisonError::into_inner);
            self.claims.waiting.fetch_sub(1, Ordering::SeqCst);
        };
        drop(names);
        let stored = self.destination.commit(pending, replace);
        let mut names = self.claims.names.lock().unwrap_or_else(PoisonError::into_inner);
        let claim = names.get_mut(name).expect("a claimed name stays claimed");
        claim.storing = false;
        claim.stored |= matches!(stored, Ok(Placed::Written));
        let waiters = self.claims.waiting.load(Ordering::SeqCst); // read under the lock a waiter counts under
        drop(names);
        if waiters > 0 {
            self.claims.settled.notify_all();
        }
        match stored {
            Ok(Placed::Occupied) => Err(Stored::Lost(Refusal {
                code: "duplicate-output",
                message: "already exists with other content; not overwritten".into(),
                other: None,
            })),
            Ok(placed) => Ok(placed),
            Err(e) => Err(Stored::Failed(e)),
        }
    }

    /// Inputs that stored an output and then lost the name to an earlier input, since the last
    /// call: (loser, winner). Their results must be turned into refusals.
    pub fn take_superseded(&self) -> Vec<(usize, usize)> {
        std::mem::take(&mut *self.claims.superseded.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Why a written output was not stored.
enum Stored {
    Lost(Refusal),
    Failed(Error),
}

fn duplicate(other: usize) -> Refusal {
    Refusal {
        code: "duplicate-output",
        message: "another input's output has this name; not written".into(),
        other: Some(other),
    }
}

/// Turns the results of inputs that lost their name after storing (see [`Job::take_superseded`])
/// into refusals; their file was replaced by the winner's.
pub fn settle(results: &mut [FileResult], superseded: &[(usize, usize)]) {
    for &(loser, winner) in superseded {
        if let Some(r) = results.iter_mut().find(|r| r.index == loser) {
            r.status = match std::mem::replace(&mut r.status, Status::Skipped("")) {
                Status::Ok(done, _) => Status::Refused(duplicate(winner), done.captured),
                Status::Refused(_, captured) => Status::Refused(duplicate(winner), captured),
                other => other,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::LocalTree;

    /// A Part 10 file (explicit VR little endian) with a PatientName and a SOPInstanceUID.
    fn file(name: &[u8], uid: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 128];
        f.extend_from_slice(b"DICM");
        let ts = b"1.2.840.10008.1.2.1\0";
        f.extend_from_slice(&[2, 0, 0x10, 0, b'U', b'I', ts.len() as u8, 0]);
        f.extend_from_slice(ts);
        f.extend_from_slice(&[8, 0, 0x18, 0, b'U', b'I', uid.len() as u8, 0]);
        f.extend_from_slice(uid);
        f.extend_from_slice(&[0x10, 0, 0x10, 0, b'P', b'N', name.len() as u8, 0]);
        f.extend_from_slice(name);
        f
    }

    fn profile_logging_uid() -> std::sync::Arc<Profile> {
        let json = r#"{"name": "x", "fields": [{"path": [{"tag": 1048592}], "vr": "PN", "action": "remove"}],
                       "log": [{"path": [{"tag": 524312}], "flat": true}]}"#;
        std::sync::Arc::new(Profile::from_json(json).unwrap())
    }

    fn files_under(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    out.extend(files_under(&p));
                } else {
                    out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    fn input(data: Vec<u8>, name: &str) -> Input {
        Input { source: Source::Bytes(data), name: name.into(), labels: Labels::default() }
    }

    #[test]
    fn a_collision_is_refused_before_writing_and_the_earlier_input_keeps_the_name() {
        let dir = std::env::temp_dir().join(format!("fastdeid-job-collide-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let job = Job::new(
            profile_logging_uid(),
            Naming::ByUid,
            LocalTree::new(&dir, false),
            Limits::default(),
            true,
            Reads::default(),
        )
        .unwrap();
        // Input 1 goes first, then input 0 takes the name over; input 2 is refused at its claim.
        let inputs = [
            input(file(b"Doe^A", b"1.2"), "a.dcm"),
            input(file(b"Doe^B", b"1.2"), "b.dcm"),
            input(file(b"Doe^C", b"1.2"), "c.dcm"),
        ];
        let mut results: Vec<FileResult> = [1, 0, 2].iter().map(|&i| job.process(i, &inputs[i])).collect();
        settle(&mut results, &job.take_superseded());
        results.sort_by_key(|r| r.index);
        assert!(matches!(results[0].status, Status::Ok(_, Placed::Written)), "{:?}", results[0]);
        for r in &results[1..] {
            assert!(
                matches!(&r.status, Status::Refused(f, c) if f.code == "duplicate-output" && f.other == Some(0) && c.values.is_some()),
                "{r:?}"
            );
        }
        assert_eq!(files_under(&dir), ["1.2.NA.dcm"]);
        let expected = {
            let mut out = Vec::new();
            crate::rewrite(file(b"Doe^A", b"1.2").as_slice(), &profile_logging_uid(), &Limits::default(), &mut out)
                .unwrap();
            out
        };
        assert_eq!(fs::read(dir.join("1.2.NA.dcm")).unwrap(), expected);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_name_the_destination_refuses_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("fastdeid-job-refuse-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let job = Job::new(
            profile_logging_uid(),
            Naming::AsGiven,
            LocalTree::new(&dir, false),
            Limits::default(),
            false,
            Reads::default(),
        )
        .unwrap();
        let r = job.process(0, &input(file(b"Doe^A", b"1.2"), "../escape.dcm"));
        assert!(matches!(&r.status, Status::Failed(f) if f.error.kind == ErrorKind::Io), "{r:?}");
        assert!(files_under(&dir).is_empty());
        assert!(!dir.parent().unwrap().join("escape.dcm").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_input_releases_nothing_and_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("fastdeid-job-bad-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let job = Job::new(
            profile_logging_uid(),
            Naming::AsGiven,
            LocalTree::new(&dir, false),
            Limits::default(),
            false,
            Reads::default(),
        )
        .unwrap();
        let r = job.process(0, &input(b"not dicom".to_vec(), "x.dcm"));
        assert!(matches!(&r.status, Status::Failed(f) if f.error.kind == ErrorKind::NotDicom), "{r:?}");
        assert!(r.name.is_none());
        assert!(files_under(&dir).is_empty());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_rule_keeps_the_log_before_row_beside_the_error_only_when_the_log_is_read() {
        // increment-date on a name: the rule fails on every file, after the log's before row was read.
        let json = r#"{"name": "x", "fields": [{"path": [{"tag": 1048592}], "vr": "PN", "action": "increment-date",
                       "shift": {"format": "%Y%m%d", "days": 1.0}}],
                       "log": [{"path": [{"tag": 1048592}], "flat": true}]}"#;
        let profile = std::sync::Arc::new(Profile::from_json(json).unwrap());
        let dir = std::env::temp_dir().join(format!("fastdeid-job-failed-{}", std::process::id()));
        for log in [true, false] {
            let reads = Reads { log, keywords: Vec::new() };
            let tree = LocalTree::new(&dir, false);
            let job = Job::new(profile.clone(), Naming::AsGiven, tree, Limits::default(), false, reads).unwrap();
            let r = job.process(0, &input(file(b"Doe^A", b"1.2"), "x.dcm"));
            let Status::Failed(failure) = &r.status else { panic!("{r:?}") };
            assert_eq!(failure.error.kind, ErrorKind::BadValue);
            assert!(!failure.error.to_string().contains("Doe"), "{}", failure.error);
            let expected = log.then(|| vec![Some("Doe^A".to_string())]);
            assert_eq!(failure.log_before, expected);
            assert!(files_under(&dir).is_empty());
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn results_carry_the_values_asked_for_and_the_log_only_when_read() {
        let dir = std::env::temp_dir().join(format!("fastdeid-job-values-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let reads = Reads { log: false, keywords: vec!["PatientName".into(), "SOPInstanceUID".into()] };
        let tree = LocalTree::new(&dir, false);
        let job = Job::new(profile_logging_uid(), Naming::ByUid, tree, Limits::default(), false, reads).unwrap();
        assert_eq!(job.value_names(), ["SOPInstanceUID", "Modality", "PatientName"]);
        let r = job.process(0, &input(file(b"Doe^A", b"1.2"), "x.dcm"));
        let Status::Ok(done, _) = &r.status else { panic!("{r:?}") };
        assert!(done.captured.log.is_none());
        let values = done.captured.values.as_ref().unwrap();
        assert_eq!(values.before, [Some("1.2".into()), None, Some("Doe^A".into())]);
        assert_eq!(values.after, [Some("1.2".into()), None, None]);
        assert_eq!(r.name.as_deref(), Some("1.2.NA.dcm"));
        let _ = fs::remove_dir_all(&dir);
    }
}
