//! A stable-Rust stand-in for the cargo-fuzz targets in rust/fuzz: the same three invariants on
//! seed files and deterministic mutations of them (bit flips, interesting lengths, cuts, splices).
//! `FASTDEID_FUZZ_ITERS` sets the mutations per seed (default 300).

mod common;

use std::io::Write;

use common::*;
use fastdeid_core::dicom::Encoding;
use fastdeid_core::invariants;

fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (ts, enc) in [
        (EXPLICIT_LE, Encoding::EXPLICIT_LE),
        (IMPLICIT_LE, Encoding::IMPLICIT_LE),
        (EXPLICIT_BE, Encoding::EXPLICIT_BE),
    ] {
        let mut inner = Ds::new(enc);
        inner.elem(0x0010_0020, "LO", b"OTHER1").elem(0x0010_0021, "LO", b"ISSUER");
        let mut ds = Ds::new(enc);
        ds.elem(0x0008_0018, "UI", b"1.2.3.4.5\0")
            .elem(0x0008_0020, "DA", b"20200310")
            .elem(0x0008_0080, "LO", b"Hospital")
            .elem(0x0009_0010, "LO", b"ACME 1.0")
            .elem(0x0009_1001, "LO", b"secret")
            .elem(0x0010_0010, "PN", b"Doe^John")
            .elem(0x0010_0020, "LO", b"PID1")
            .elem(0x0010_0030, "DA", b"19700101")
            .seq_defined(0x0010_1002, &[inner.bytes.clone()])
            .seq_undefined(0x0008_1115, "SQ", &[inner.bytes])
            .elem(0x0020_000D, "UI", b"1.2.840.113619.2.55\0")
            .elem(0x6000_0022, "LO", b"overlay ")
            .elem(0x7FE0_0010, "OW", &[1, 2, 3, 4]);
        out.push(part10(ts, &ds.bytes));
    }
    let mut enc = Ds::new(Encoding::EXPLICIT_LE);
    enc.elem(0x0010_0010, "PN", b"Doe^John").header(0x7FE0_0010, "OB", UNDEFINED);
    enc.item_header(0xFFFE_E000, 0).item_header(0xFFFE_E000, 4);
    enc.bytes.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0]);
    enc.item_header(0xFFFE_E0DD, 0);
    out.push(part10(JPEG_BASELINE, &enc.bytes));
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(&out[0][out[0].len() - 200..]).unwrap();
    out.push(part10(DEFLATED, &deflater.finish().unwrap()));
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(data.len());
        match rng.below(6) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = [0x00, 0xFF, 0xFE, 0xE0, 0xDD, 0x0D][rng.below(6)],
            2 => {
                let lengths: [[u8; 4]; 4] = [[0xFF; 4], [0, 0, 0, 0x80], [0xF0, 0xFF, 0xFF, 0x0F], [1, 0, 0, 0]];
                let bytes = lengths[rng.below(4)];
                let end = (at + 4).min(data.len());
                data[at..end].copy_from_slice(&bytes[..end - at]);
            }
            3 => data.truncate(at),
            4 => {
                let from = rng.below(data.len());
                let chunk: Vec<u8> = data[from..(from + 16).min(data.len())].to_vec();
                data.splice(at..at, chunk);
            }
            _ => {
                let end = (at + rng.below(32)).min(data.len());
                data.drain(at..end);
            }
        }
        if data.is_empty() {
            break;
        }
    }
    data
}

#[test]
fn invariants_hold_on_seeds_and_mutations() {
    let iters: usize = std::env::var("FASTDEID_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in seeds() {
        for n in 0..=iters {
            let data = if n == 0 { seed.clone() } else { mutate(&seed, &mut rng) };
            let outcome = std::panic::catch_unwind(|| {
                invariants::tokenizer(&data);
                invariants::identity(&data);
                invariants::full_profile(&data);
            });
            if let Err(panic) = outcome {
                // Keep the input so it can become a regression case.
                let path = std::env::temp_dir().join("fastdeid-fuzz-smoke-failure.dcm");
                std::fs::write(&path, &data).unwrap();
                eprintln!("failing input written to {}", path.display());
                std::panic::resume_unwind(panic);
            }
        }
    }
}
