//! Builders for small Part 10 files in any encoding, so each test states its bytes exactly.
#![allow(dead_code, clippy::must_use_candidate)]

use fastdeid_core::dicom::Encoding;

pub const UNDEFINED: u32 = 0xFFFF_FFFF;

/// Bytes of a data set under construction.
pub struct Ds {
    pub enc: Encoding,
    pub bytes: Vec<u8>,
}

impl Ds {
    pub fn new(enc: Encoding) -> Self {
        Ds { enc, bytes: Vec::new() }
    }

    fn tag(&mut self, tag: u32) {
        let (g, e) = ((tag >> 16) as u16, tag as u16);
        self.bytes.extend_from_slice(&self.enc.u16_bytes(g));
        self.bytes.extend_from_slice(&self.enc.u16_bytes(e));
    }

    /// Element header with an explicit length (which may be UNDEFINED).
    pub fn header(&mut self, tag: u32, vr: &str, len: u32) -> &mut Self {
        self.tag(tag);
        if self.enc.explicit_vr {
            self.bytes.extend_from_slice(vr.as_bytes());
            if matches!(vr, "OB" | "OD" | "OF" | "OL" | "OV" | "OW" | "SQ" | "SV" | "UC" | "UN" | "UR" | "UT" | "UV") {
                self.bytes.extend_from_slice(&[0, 0]);
                self.bytes.extend_from_slice(&self.enc.u32_bytes(len));
            } else {
                self.bytes.extend_from_slice(&self.enc.u16_bytes(len as u16));
            }
        } else {
            self.bytes.extend_from_slice(&self.enc.u32_bytes(len));
        }
        self
    }

    pub fn elem(&mut self, tag: u32, vr: &str, value: &[u8]) -> &mut Self {
        self.header(tag, vr, value.len() as u32);
        self.bytes.extend_from_slice(value);
        self
    }

    /// Item or delimiter header (always tag + 32-bit length).
    pub fn item_header(&mut self, tag: u32, len: u32) -> &mut Self {
        self.tag(tag);
        self.bytes.extend_from_slice(&self.enc.u32_bytes(len));
        self
    }

    /// A defined-length sequence of defined-length items.
    pub fn seq_defined(&mut self, tag: u32, items: &[Vec<u8>]) -> &mut Self {
        let total: usize = items.iter().map(|i| i.len() + 8).sum();
        self.header(tag, "SQ", total as u32);
        for i in items {
            self.item_header(0xFFFE_E000, i.len() as u32);
            self.bytes.extend_from_slice(i);
        }
        self
    }

    /// An undefined-length sequence of undefined-length items.
    pub fn seq_undefined(&mut self, tag: u32, vr: &str, items: &[Vec<u8>]) -> &mut Self {
        self.header(tag, vr, UNDEFINED);
        for i in items {
            self.item_header(0xFFFE_E000, UNDEFINED);
            self.bytes.extend_from_slice(i);
            self.item_header(0xFFFE_E00D, 0);
        }
        self.item_header(0xFFFE_E0DD, 0)
    }
}

/// Preamble, DICM and a file meta group (with group length) naming `ts`, then `dataset` as is.
pub fn part10(ts: &str, dataset: &[u8]) -> Vec<u8> {
    let mut uid = ts.as_bytes().to_vec();
    if uid.len() % 2 == 1 {
        uid.push(0);
    }
    let mut meta = Ds::new(Encoding::EXPLICIT_LE);
    meta.elem(0x0002_0001, "OB", &[0, 1]).elem(0x0002_0010, "UI", &uid);
    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM");
    let mut gl = Ds::new(Encoding::EXPLICIT_LE);
    gl.elem(0x0002_0000, "UL", &(meta.bytes.len() as u32).to_le_bytes());
    file.extend_from_slice(&gl.bytes);
    file.extend_from_slice(&meta.bytes);
    file.extend_from_slice(dataset);
    file
}

pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
