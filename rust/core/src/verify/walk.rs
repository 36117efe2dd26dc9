//! The files of a tree, in sorted order, relative to its root; symbolic links are not followed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A tree's regular files (relative `/`-separated paths, sorted) and how many entries were
/// passed over (symbolic links, sockets and the like).
#[derive(Debug, Default)]
pub struct Tree {
    /// The root the paths are relative to.
    pub root: PathBuf,
    /// Relative paths of the regular files.
    pub files: Vec<String>,
    /// Entries that are neither files nor folders, links, and fastdeid's own bookkeeping files.
    pub passed_over: u64,
}

/// Lists `root` (a folder, or a single file whose parent becomes the root).
///
/// # Errors
/// `root` or a folder under it cannot be read.
pub fn list(root: &Path) -> io::Result<Tree> {
    let meta = fs::metadata(root)?;
    if meta.is_file() {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = root.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        return Ok(Tree { root: parent.to_path_buf(), files: vec![name], passed_over: 0 });
    }
    let mut tree = Tree { root: root.to_path_buf(), ..Tree::default() };
    walk(root, "", &mut tree)?;
    tree.files.sort();
    Ok(tree)
}

fn walk(dir: &Path, prefix: &str, tree: &mut Tree) -> io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), &rel, tree)?;
        } else if kind.is_file() && !bookkeeping(&entry.file_name().to_string_lossy()) {
            tree.files.push(rel);
        } else {
            tree.passed_over += 1;
        }
    }
    Ok(())
}

/// fastdeid's own files in an output tree: the run manifest `.fastdeid-run.json` (digests that
/// let a rerun resume), the journal `.fastdeid-done` (input device/inode numbers and output
/// names) and the temporary files outputs are written to before their rename. They hold no
/// values from the inputs and have no input to compare with.
fn bookkeeping(name: &str) -> bool {
    name == ".fastdeid-run.json" || name == ".fastdeid-done" || name.ends_with(".fastdeid-tmp")
}

/// Whether a name says DICOM: `.dcm`, `.dicom`, `.ima` (any case), optionally followed by `.gz`,
/// or `DICOMDIR`. Such a file that does not parse is reported, not passed over as not DICOM.
#[must_use]
#[allow(clippy::case_sensitive_file_extension_comparisons)] // compared lowercased
pub fn says_dicom(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    lower.ends_with(".dcm") || lower.ends_with(".dicom") || lower.ends_with(".ima") || lower.ends_with("dicomdir")
}
