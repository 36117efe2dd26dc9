//! De-identifies every file under SRC into DST with a compiled profile spec (the JSON that
//! `fastdeid.load_profile(...).spec` holds), on one thread, and prints files/s: the core alone,
//! without Python, for profilers such as `valgrind --tool=callgrind` or `perf record`.
//!
//!     cargo run --release --example deid_tree -- SPEC.json SRC DST
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fastdeid_core::{Options, Profile, Runner};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("readable folder").filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, src, dst] = args.as_slice() else { panic!("usage: deid_tree SPEC.json SRC DST") };
    let profile = Profile::from_json(&std::fs::read_to_string(spec).expect("spec file")).expect("valid spec");
    let mut files = Vec::new();
    walk(Path::new(src), &mut files);
    let pairs: Vec<(PathBuf, PathBuf)> =
        files.iter().map(|p| (p.clone(), Path::new(dst).join(p.strip_prefix(src).expect("under SRC")))).collect();
    let runner = Runner::new(1, Options { fsync: false, ..Options::default() }).expect("thread pool");
    let started = Instant::now();
    let results = runner.process(&profile, &pairs);
    let seconds = started.elapsed().as_secs_f64();
    let ok = results.iter().filter(|r| matches!(r.status, fastdeid_core::Status::Ok(_))).count();
    let _ = writeln!(
        std::io::stdout(),
        "{ok}/{} ok in {seconds:.3} s: {:.0} files/s",
        pairs.len(),
        pairs.len() as f64 / seconds
    );
}
