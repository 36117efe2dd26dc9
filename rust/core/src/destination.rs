//! Where de-identified files go. The job decides each output's relative name first (see
//! [`crate::naming`]), then asks a [`Destination`] to [`create`](Destination::create) it, writes
//! the bytes into what it gets back, and [`commit`](Destination::commit)s it; dropping an
//! uncommitted output discards it. [`LocalTree`] is today's destination: a folder on a local
//! file system, written atomically.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::dicom::Sink;
use crate::error::{Error, ErrorKind, Result};

/// A place that stores de-identified files under relative names (`a/b/c.dcm`, `/` separated).
///
/// The contract, which every implementation keeps:
/// - [`create`](Self::create) refuses a name the destination cannot hold (absolute, `..`, empty)
///   with an error, before any byte is written;
/// - what the caller writes into the returned [`Sink`] is not visible under the name until
///   [`commit`](Self::commit) returns `Ok`; a pending output that is dropped instead leaves nothing
///   behind (no partial file, no temporary file);
/// - `commit` with `replace == false` never replaces what is already stored under the name: it
///   reports [`Placed::AlreadyThere`] when the stored file has exactly these bytes (a rerun of the
///   same job) and [`Placed::Occupied`] otherwise;
/// - it is shared by the worker threads (`Sync`), so per-output state lives in the pending value.
///
/// A network destination (DICOM C-STORE, DICOMweb STOW-RS) or an object store implements it the
/// same way: `create` opens a buffer or a multipart upload for the name (the relative name becomes
/// the object key; a C-STORE peer ignores it and files the instance by its UIDs), writes go to
/// that buffer or upload, `commit` sends or completes it and maps the peer's answer (a C-STORE
/// failure status, an HTTP error, a refused key) to an [`Error`], and dropping the pending value
/// aborts the upload. `replace` maps to a conditional put (`If-None-Match: *`) where the store has
/// one. Such a destination returns `None` from [`Sink::file`], so the writer copies bulk values
/// through memory instead of with `copy_file_range`.
pub trait Destination: Sync {
    /// One output being written.
    type Pending: Sink + Send;

    /// Where files go, for results and messages (a folder, a URL without credentials).
    fn describe(&self) -> String;

    /// Starts the output `name` (relative, `/`-separated).
    ///
    /// # Errors
    /// The name is refused (absolute, `..`, empty) or the output cannot be started.
    fn create(&self, name: &str) -> Result<Self::Pending>;

    /// Makes a completely written output visible under its name.
    ///
    /// # Errors
    /// Storing failed.
    fn commit(&self, pending: Self::Pending, replace: bool) -> Result<Placed>;

    /// Makes the names of the outputs committed since the last call durable, so that an output a
    /// rerun counts as finished survives a power cut. Called once per chunk of outputs.
    ///
    /// # Errors
    /// The names could not be made durable.
    fn sync(&self) -> Result<()> {
        Ok(())
    }
}

/// How a committed output was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placed {
    /// Stored under its name.
    Written,
    /// The name already held exactly these bytes (a rerun); nothing was changed.
    AlreadyThere,
    /// The name holds another file, which may not be replaced; nothing was changed.
    Occupied,
}

/// A folder on a local file system. Each output is written to a temporary file in its target
/// folder (or in one temporary folder of the same file system), fsync'ed unless `fsync` is off,
/// and renamed (or, when it may not replace anything, hard-linked) into place, so a name only
/// ever points at a complete file. Temporary files are named
/// `.<name>.<process id>-<n>.fastdeid-tmp`, so that what a killed process left can be told from
/// a live one's.
///
/// A rename is durable only once the folder holding the new name is fsynced too: the tree notes
/// the folder of each committed output, and [`sync`](Destination::sync) fsyncs each noted folder
/// and every folder above it up to the root (one of them may have been created for the output),
/// once per chunk instead of once per file.
#[derive(Debug)]
pub struct LocalTree {
    root: PathBuf,
    fsync: bool,
    temp: Option<PathBuf>,
    /// Folders that received a name since the last `sync` (only when `fsync` is on).
    unsynced: Mutex<HashSet<PathBuf>>,
}

impl LocalTree {
    /// A tree under `root` (created as needed), temporary files beside their targets.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>, fsync: bool) -> Self {
        LocalTree { root: root.into(), fsync, temp: None, unsynced: Mutex::default() }
    }

    /// A tree whose temporary files are all in `temp` (on the same file system), so that the tree
    /// itself only ever holds complete files, even after a kill.
    #[must_use]
    pub fn with_temp_folder(root: impl Into<PathBuf>, fsync: bool, temp: impl Into<PathBuf>) -> Self {
        LocalTree { root: root.into(), fsync, temp: Some(temp.into()), unsynced: Mutex::default() }
    }

    /// The folder outputs go to.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a relative name, or why the tree refuses it.
    fn path_of(&self, name: &str) -> Result<PathBuf> {
        let rel = Path::new(name);
        let plain = !name.is_empty()
            && !name.contains('\0')
            && rel.components().all(|c| matches!(c, Component::Normal(_)))
            && !name.ends_with('/');
        if !plain {
            return Err(Error::new(
                ErrorKind::Io,
                "the output name is not a plain relative path inside the destination",
            ));
        }
        Ok(self.root.join(rel))
    }
}

impl Destination for LocalTree {
    type Pending = LocalFile;

    fn describe(&self) -> String {
        self.root.to_string_lossy().into_owned()
    }

    fn create(&self, name: &str) -> Result<LocalFile> {
        let path = self.path_of(name)?;
        LocalFile::create_in(path, self.fsync, self.temp.as_deref())
    }

    fn commit(&self, pending: LocalFile, replace: bool) -> Result<Placed> {
        if !self.fsync {
            return pending.commit(replace);
        }
        // Outputs of a chunk mostly share folders: a folder path is copied only the first time.
        let noted = |f: &Path| self.unsynced.lock().unwrap_or_else(PoisonError::into_inner).contains(f);
        let new_folder = pending.path.parent().filter(|f| !noted(f)).map(Path::to_path_buf);
        let placed = pending.commit(replace)?;
        if let (Placed::Written, Some(folder)) = (placed, new_folder) {
            self.unsynced.lock().unwrap_or_else(PoisonError::into_inner).insert(folder);
        }
        Ok(placed)
    }

    fn sync(&self) -> Result<()> {
        for folder in self.folders_to_sync() {
            File::open(&folder).and_then(|f| f.sync_all()).map_err(|e| {
                Error::new(ErrorKind::of_io(&e), format!("cannot sync the output folder {}: {e}", folder.display()))
            })?;
        }
        Ok(())
    }
}

impl LocalTree {
    /// The folders that received a name since the last call and every folder above each, up to
    /// the root, once each and deepest first (a folder's own entries before the entry that names
    /// it in its parent); forgets them.
    fn folders_to_sync(&self) -> Vec<PathBuf> {
        let noted = std::mem::take(&mut *self.unsynced.lock().unwrap_or_else(PoisonError::into_inner));
        let mut folders = HashSet::new();
        for folder in noted {
            let mut at = Some(folder.as_path());
            while let Some(f) = at.filter(|f| f.starts_with(&self.root)) {
                if !folders.insert(f.to_path_buf()) {
                    break; // this folder and those above it are already listed
                }
                at = f.parent();
            }
        }
        let mut folders: Vec<PathBuf> = folders.into_iter().collect();
        folders.sort_by(|a, b| b.components().count().cmp(&a.components().count()).then_with(|| a.cmp(b)));
        folders
    }
}

/// Bytes gathered before one write: a small file goes out in one write(2).
const OUTPUT_CHUNK: usize = 256 * 1024;

/// Writes at least this long skip the buffer: one writev of what is buffered plus the new bytes
/// costs less than copying them (the pixel data of a small file, served from its cached head).
const DIRECT_WRITE: usize = 16 * 1024;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

thread_local! {
    /// Each worker's output buffer, kept between files: a fresh one per file cost more than the
    /// rest of the work on a small header.
    static OUTPUT_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    /// Folders this thread made. Files of one folder usually follow each other, so each folder
    /// costs one mkdir rather than one per file.
    static KNOWN_DIRS: std::cell::RefCell<std::collections::HashSet<PathBuf>> = std::cell::RefCell::new(std::collections::HashSet::new());
}

/// An output of a [`LocalTree`] being written: a buffered temporary file beside its final path.
/// Dropped without [`commit`](LocalFile::commit), it removes the temporary file.
pub struct LocalFile {
    file: Option<File>,
    buf: Vec<u8>,
    tmp: PathBuf,
    path: PathBuf,
    fsync: bool,
}

impl LocalFile {
    /// Creates the temporary file for `path` (and its folder).
    ///
    /// # Errors
    /// The folder or the temporary file cannot be created.
    pub fn create(path: PathBuf, fsync: bool) -> Result<Self> {
        Self::create_in(path, fsync, None)
    }

    /// Creates the temporary file for `path` in `temp_folder` (else beside `path`), and `path`'s
    /// folder.
    ///
    /// # Errors
    /// A folder or the temporary file cannot be created.
    pub fn create_in(path: PathBuf, fsync: bool, temp_folder: Option<&Path>) -> Result<Self> {
        let target = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        ensure_folder(&target)?;
        let dir = match temp_folder {
            Some(t) => {
                ensure_folder(t)?;
                t.to_path_buf()
            }
            None => target,
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.fastdeid-tmp", PID.get_or_init(std::process::id)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::new(ErrorKind::of_io(&e), format!("cannot create output: {e}")))?;
        Ok(LocalFile { file: Some(file), buf: OUTPUT_BUFFER.with(std::cell::Cell::take), tmp, path, fsync })
    }

    fn file_mut(&mut self) -> io::Result<&mut File> {
        self.file.as_mut().ok_or_else(|| io::Error::other("output already committed"))
    }

    /// Flushes, fsyncs (unless off) and gives the file its name. Without `replace`, an existing
    /// file keeps its name: a hard link never replaces, and the existing file counts as this
    /// output when it has the same bytes.
    ///
    /// # Errors
    /// Writing, syncing or naming failed.
    pub fn commit(mut self, replace: bool) -> Result<Placed> {
        self.flush()?;
        let file = self.file.take().ok_or_else(|| Error::new(ErrorKind::Io, "output already committed"))?;
        if self.fsync {
            file.sync_all()?;
        }
        drop(file);
        if replace {
            fs::rename(&self.tmp, &self.path)?;
            self.tmp = PathBuf::new(); // renamed away: nothing left for Drop to remove (one unlink(2) less)
            return Ok(Placed::Written);
        }
        match fs::hard_link(&self.tmp, &self.path) {
            Ok(()) => Ok(Placed::Written),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Ok(if same_bytes(&self.tmp, &self.path)? { Placed::AlreadyThere } else { Placed::Occupied })
            }
            Err(e) => Err(e.into()),
        }
        // Drop removes the temporary name (the link, or the rename, left the data in place).
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        self.buf.clear();
        OUTPUT_BUFFER.with(|b| b.set(std::mem::take(&mut self.buf)));
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Creates a folder, once per thread: files of one folder usually follow each other, so each
/// folder costs one mkdir rather than one per file.
fn ensure_folder(dir: &Path) -> Result<()> {
    if KNOWN_DIRS.with(|k| k.borrow().contains(dir)) {
        return Ok(());
    }
    fs::create_dir_all(dir)
        .map_err(|e| Error::new(ErrorKind::of_io(&e), format!("cannot create output directory: {e}")))?;
    KNOWN_DIRS.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() > 4096 {
            k.clear();
        }
        k.insert(dir.to_path_buf());
    });
    Ok(())
}

/// Whether two files hold the same bytes: an earlier run's output is recognised as this one.
fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

impl Write for LocalFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.len() >= DIRECT_WRITE {
            let file = self.file.as_mut().ok_or_else(|| io::Error::other("output already committed"))?;
            let mut parts = [io::IoSlice::new(&self.buf), io::IoSlice::new(data)];
            let mut rest = &mut parts[..];
            io::IoSlice::advance_slices(&mut rest, 0);
            while !rest.is_empty() {
                match file.write_vectored(rest)? {
                    0 => return Err(io::ErrorKind::WriteZero.into()),
                    n => io::IoSlice::advance_slices(&mut rest, n),
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

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let file = self.file.as_mut().ok_or_else(|| io::Error::other("output already committed"))?;
            file.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Sink for LocalFile {
    fn file(&mut self) -> io::Result<Option<&mut File>> {
        self.flush()?;
        Ok(Some(self.file_mut()?))
    }
}

/// Runs `produce` into a fresh temporary file beside `dst` and renames it to `dst` on success; on
/// any failure the temporary file is removed, so `dst` is either complete or absent.
///
/// # Errors
/// `produce` failed, or the output could not be created, written or renamed.
pub fn write_atomically<T>(dst: &Path, fsync: bool, produce: impl FnOnce(&mut LocalFile) -> Result<T>) -> Result<T> {
    let mut out = LocalFile::create(dst.to_path_buf(), fsync)?;
    let value = produce(&mut out)?;
    out.commit(true)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fastdeid-dest-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                names.extend(leftovers(&path));
            } else {
                names.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        names.sort();
        names
    }

    #[test]
    fn buffered_and_direct_writes_keep_their_order_and_the_buffer_is_reused() {
        let dir = scratch("order");
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

    #[test]
    fn a_dropped_output_leaves_nothing_and_a_committed_one_only_its_name() {
        let dir = scratch("drop");
        let tree = LocalTree::new(&dir, false);
        let mut pending = tree.create("a/b.dcm").unwrap();
        pending.write_all(b"half").unwrap();
        drop(pending);
        assert!(leftovers(&dir).is_empty());
        let mut pending = tree.create("a/b.dcm").unwrap();
        pending.write_all(b"whole").unwrap();
        assert_eq!(tree.commit(pending, false).unwrap(), Placed::Written);
        assert_eq!(leftovers(&dir), ["b.dcm"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_replace_an_existing_file_is_kept_and_recognised_when_identical() {
        let dir = scratch("keep");
        let tree = LocalTree::new(&dir, false);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("x.dcm"), b"same").unwrap();
        let mut pending = tree.create("x.dcm").unwrap();
        pending.write_all(b"same").unwrap();
        assert_eq!(tree.commit(pending, false).unwrap(), Placed::AlreadyThere);
        let mut pending = tree.create("x.dcm").unwrap();
        pending.write_all(b"other").unwrap();
        assert_eq!(tree.commit(pending, false).unwrap(), Placed::Occupied);
        assert_eq!(fs::read(dir.join("x.dcm")).unwrap(), b"same");
        let mut pending = tree.create("x.dcm").unwrap();
        pending.write_all(b"new").unwrap();
        assert_eq!(tree.commit(pending, true).unwrap(), Placed::Written);
        assert_eq!(fs::read(dir.join("x.dcm")).unwrap(), b"new");
        assert_eq!(leftovers(&dir), ["x.dcm"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn with_a_temporary_folder_the_tree_only_ever_holds_complete_files() {
        let dir = scratch("temp");
        let tree = LocalTree::with_temp_folder(dir.join("tree"), false, dir.join("tmp"));
        let mut pending = tree.create("a/b.dcm").unwrap();
        pending.write_all(b"whole").unwrap();
        assert!(leftovers(&dir.join("tree")).is_empty());
        assert_eq!(leftovers(&dir.join("tmp")).len(), 1);
        assert_eq!(tree.commit(pending, false).unwrap(), Placed::Written);
        assert_eq!(leftovers(&dir.join("tree")), ["b.dcm"]);
        assert!(leftovers(&dir.join("tmp")).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sync_lists_each_written_folder_and_those_above_it_once_and_then_forgets_them() {
        let dir = scratch("sync");
        let tree = LocalTree::new(&dir, true);
        for name in ["a/b/1.dcm", "a/b/2.dcm", "a/c/3.dcm"] {
            let mut pending = tree.create(name).unwrap();
            pending.write_all(b"x").unwrap();
            tree.commit(pending, true).unwrap();
        }
        let noted = |t: &LocalTree| {
            let mut v: Vec<PathBuf> = t.unsynced.lock().unwrap().iter().cloned().collect();
            v.sort();
            v
        };
        assert_eq!(noted(&tree), [dir.join("a/b"), dir.join("a/c")]);
        assert_eq!(tree.folders_to_sync(), [dir.join("a/b"), dir.join("a/c"), dir.join("a"), dir.clone()]);
        assert!(tree.folders_to_sync().is_empty(), "listed once, then forgotten");
        let mut pending = tree.create("a/b/4.dcm").unwrap();
        pending.write_all(b"x").unwrap();
        tree.commit(pending, true).unwrap();
        tree.sync().unwrap();
        assert!(noted(&tree).is_empty());
        // A folder that went away cannot be synced: the error names it.
        let mut pending = tree.create("d/5.dcm").unwrap();
        pending.write_all(b"x").unwrap();
        tree.commit(pending, true).unwrap();
        fs::remove_dir_all(dir.join("d")).unwrap();
        let e = tree.sync().unwrap_err();
        assert!(e.to_string().contains("cannot sync the output folder") && e.to_string().contains("/d"), "{e}");
        // Without fsync nothing is noted.
        let quick = LocalTree::new(&dir, false);
        let mut pending = quick.create("e/6.dcm").unwrap();
        pending.write_all(b"x").unwrap();
        quick.commit(pending, true).unwrap();
        assert!(noted(&quick).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_outside_the_tree_are_refused_before_anything_is_written() {
        let dir = scratch("refuse");
        let tree = LocalTree::new(&dir, false);
        for name in ["../x.dcm", "/etc/x.dcm", "", "a/../../x.dcm", "./x.dcm", "a/"] {
            assert!(tree.create(name).is_err(), "{name:?}");
        }
        assert!(!dir.exists());
    }
}
