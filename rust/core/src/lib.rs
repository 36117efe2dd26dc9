//! fastdeid-core: a streaming DICOM Part 10 header rewriter for de-identification.
//!
//! Files are tokenized lazily ([`dicom::parse`]): values are skipped, not read, so pixel data is
//! never loaded. A [`Profile`] is run over the parsed [`dicom::Document`], and only the elements
//! it changes are re-encoded; every other byte is copied from the input.
//!
//! ```
//! use fastdeid_core::{rewrite, Limits, Profile};
//!
//! // A tiny explicit VR little endian file: preamble, DICM, meta, and PatientName "Doe^John".
//! let mut file = vec![0u8; 128];
//! file.extend_from_slice(b"DICM");
//! let ts = b"1.2.840.10008.1.2.1\0";
//! file.extend_from_slice(&[2, 0, 0x10, 0, b'U', b'I', ts.len() as u8, 0]);
//! file.extend_from_slice(ts);
//! file.extend_from_slice(&[0x10, 0, 0x10, 0, b'P', b'N', 8, 0]);
//! file.extend_from_slice(b"Doe^John");
//!
//! let profile = Profile::from_json(r#"{"name": "x", "fields": [{"path": [{"tag": 1048592}], "vr": "PN", "action": "remove"}]}"#)?;
//! let mut out = Vec::new();
//! rewrite(file.as_slice(), &profile, &Limits::default(), &mut out)?;
//! assert_eq!(out.len(), file.len() - 16);
//! # Ok::<(), fastdeid_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub(crate) mod actions;
pub mod basic;
pub mod batch;
pub mod destination;
pub mod dicom;
pub(crate) mod edits;
pub(crate) mod engine;
pub mod error;
#[doc(hidden)]
pub mod invariants;
pub mod job;
pub mod naming;
pub mod profile;
pub(crate) mod rewrite;
pub mod verify;

pub use actions::uid::UidOptions;
pub use batch::{FileResult, Options, Runner, Status};
pub use destination::{Destination, LocalTree, Placed};
pub use dicom::Limits;
pub use engine::{Captured, Failure, LogRows};
pub use error::{Error, ErrorKind, Result};
pub use job::{Input, Job, Reads, Source};
pub use naming::Naming;
pub use profile::Profile;
pub use rewrite::{rewrite, Rewritten};
