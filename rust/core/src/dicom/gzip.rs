//! Gzip-compressed files (`*.dcm.gz`, common in exports), recognised by their magic bytes rather
//! than their name and inflated in memory under the same caps as a deflated data set.

use std::io::{self, Read};

use super::input::Input;
use super::parse::Limits;
use crate::error::{Error, ErrorKind, Result};

/// RFC 1952 2.3.1: ID1, ID2 and CM = 8 (deflate), the only method gzip defines.
const MAGIC: [u8; 3] = [0x1F, 0x8B, 0x08];

/// Whether `input` is a gzip stream. A Part 10 file's preamble may hold any bytes (PS3.10 7.1),
/// so one that has `DICM` at 128 is DICOM whatever its first bytes.
pub fn is_gzip<I: Input + ?Sized>(input: &I) -> bool {
    let mut head = [0u8; 132];
    let n = input.len().min(132) as usize;
    if n < MAGIC.len() || input.read_exact_at(0, &mut head[..n]).is_err() {
        return false;
    }
    head[..3] == MAGIC && (n < 132 || &head[128..132] != b"DICM")
}

/// Reads an [`Input`] from its start, for decoders that want a stream.
struct Reader<'a, I: Input + ?Sized> {
    input: &'a I,
    pos: u64,
}

impl<I: Input + ?Sized> Read for Reader<'_, I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.input.len() - self.pos).min(buf.len() as u64) as usize;
        self.input.read_exact_at(self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Inflates a whole gzip stream (every member, RFC 1952 2.2) as it is read, stopping once it
/// passes [`Limits::inflate_cap`] of the compressed size, so a gzip bomb costs no more memory than
/// the cap. A truncated or corrupt stream (bad header, CRC or size) is a `deflate` error.
pub fn gunzip<I: Input + ?Sized>(input: &I, limits: &Limits) -> Result<Vec<u8>> {
    let cap = limits.inflate_cap(input.len());
    let reader = io::BufReader::with_capacity(64 * 1024, Reader { input, pos: 0 });
    let mut out = Vec::new();
    // Read one byte past the cap so that hitting it is distinguishable from ending exactly on it.
    flate2::read::MultiGzDecoder::new(reader).take(cap + 1).read_to_end(&mut out).map_err(|e| {
        let kind = if e.kind() == io::ErrorKind::UnexpectedEof { "truncated" } else { "corrupt" };
        Error::at(ErrorKind::Deflate, 0, format!("gzip-compressed file does not inflate ({kind} gzip stream)"))
    })?;
    if out.len() as u64 > cap {
        return Err(Error::at(
            ErrorKind::Deflate,
            0,
            format!("gzip-compressed file inflates past the cap of {cap} bytes"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn inflates_what_it_recognises() {
        let data = b"some bytes that are not DICOM at all".repeat(10);
        let packed = gzip(&data);
        assert!(is_gzip(packed.as_slice()));
        assert!(!is_gzip(&data[..]));
        assert_eq!(gunzip(packed.as_slice(), &Limits::default()).unwrap(), data);
        // Two members, as `cat a.gz b.gz` makes: one stream (RFC 1952 2.2).
        let two = [packed.clone(), packed].concat();
        assert_eq!(gunzip(two.as_slice(), &Limits::default()).unwrap(), data.repeat(2));
    }

    #[test]
    fn a_preamble_that_starts_like_gzip_is_still_dicom() {
        let mut file = vec![0u8; 132];
        file[..3].copy_from_slice(&MAGIC);
        file[128..].copy_from_slice(b"DICM");
        assert!(!is_gzip(file.as_slice()));
    }

    #[test]
    fn truncated_corrupt_and_bomb_streams_are_deflate_errors() {
        let packed = gzip(&vec![7u8; 100_000]);
        let cut = gunzip(&packed[..packed.len() - 12], &Limits::default()).unwrap_err();
        assert_eq!((cut.kind, cut.detail.contains("truncated")), (ErrorKind::Deflate, true));
        let mut bad_crc = packed.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xFF;
        assert_eq!(gunzip(bad_crc.as_slice(), &Limits::default()).unwrap_err().kind, ErrorKind::Deflate);
        let limits = Limits { inflate_floor: 1000, ..Limits::default() };
        let bomb = gunzip(packed.as_slice(), &limits).unwrap_err();
        assert_eq!((bomb.kind, bomb.detail.contains("past the cap")), (ErrorKind::Deflate, true));
    }
}
