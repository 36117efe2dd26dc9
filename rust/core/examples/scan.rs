//! Parses every file given on the command line and prints the outcome: a quick way to check a
//! folder of DICOM files with the strict tokenizer.  `cargo run --example scan -- FILES...`
use std::fs::File;
use std::io::Write;

use fastdeid_core::dicom::{parse, FileInput, Limits};

fn main() {
    let mut out = std::io::stdout().lock();
    for path in std::env::args().skip(1) {
        let result = File::open(&path)
            .map_err(fastdeid_core::Error::from)
            .and_then(|f| Ok(FileInput::new(f)?))
            .and_then(|i| parse(&i, &Limits::default()));
        let line = match result {
            Ok(doc) => format!(
                "ok    {path}  {:?} deflated={} elements={}",
                doc.transfer_syntax.encoding,
                doc.transfer_syntax.deflated,
                doc.dataset.elements.len()
            ),
            Err(e) => format!("ERROR {path}  {e}"),
        };
        let _ = writeln!(out, "{line}");
    }
}
