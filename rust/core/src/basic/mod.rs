//! The DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile: Table E.1-1 with its
//! option columns (edition [`EDITION`]), the CID 7050 codes, the safe private attributes, and the
//! keyed primitives (pseudonyms, UIDs, per-patient date shifts) its actions need.
//! docs/basic-profile.md explains the table and the rules applied here.

pub mod action;
mod cid7050;
pub mod config;
pub mod conformance;
pub mod dateshift;
pub mod dummy;
pub mod engine;
pub mod hazards;
pub mod iod;
mod iod_table;
pub mod keyed;
pub mod named;
pub mod options;
pub mod private;
pub mod row;
pub mod rows;
pub mod structured;
mod table;
pub mod values;

pub use action::{Action, AttrType};
pub use cid7050::CID_7050;
pub use config::{BaseSpec, BasicConfig};
pub use iod::{action_for, attr_type, iod_of};
pub use options::{BasicOption, OptionSet, ALL_OPTIONS, BASIC_PROFILE_CODE};
pub use row::{ContentRow, Row, SafePrivate, TagPattern};
pub use rows::{content_item, content_items, lookup, rows, safe_private};
pub use table::EDITION;
