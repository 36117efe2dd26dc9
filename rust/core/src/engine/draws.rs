//! Where jitter draws come from for one file: the file's own random stream, or with `jitter-seed`
//! a stream keyed by the patient and the purpose, so that a patient's values move together
//! (docs/profiles.md#jitter).

use super::value::current_string;
use crate::actions::date::DateShift;
use crate::actions::jitter::Draws;
use crate::dicom::{Input, Tag};
use crate::edits::{Place, State, TOP};
use crate::error::Result;
use crate::profile::Profile;

/// Where jitter draws come from for one file.
pub(super) struct Randomness {
    per_file: Draws,
    /// With `jitter-seed`: the key and the patient's original PatientID.
    keyed: Option<(Vec<u8>, String)>,
}

impl Randomness {
    pub(super) fn new<I: Input + ?Sized>(profile: &Profile, state: &State<'_>, input: &I) -> Result<Self> {
        let keyed = match &profile.jitter_seed {
            None => None,
            Some(key) => {
                let place = Place::at(TOP, Tag(0x0010_0020));
                let patient = current_string(state, &place, input)?.map(|(_, s)| s).unwrap_or_default();
                Some((key.as_bytes().to_vec(), patient))
            }
        };
        Ok(Randomness { per_file: Draws::from_entropy(), keyed })
    }

    /// Draws for one purpose: per patient and purpose when keyed, else the file's own stream.
    pub(super) fn draws(&mut self, purpose: &str) -> Draws {
        match &self.keyed {
            Some((key, patient)) => Draws::keyed(key, &[patient.as_bytes(), purpose.as_bytes()]),
            None => self.per_file.split(),
        }
    }

    pub(super) fn date_jitter(&mut self, s: &DateShift) -> i64 {
        s.jitter.map_or(0, |j| {
            // Keyed by range and unit only, so every date of a patient moves together.
            self.draws(&format!("date/{}/{}", j.range, j.unit_micros)).nonzero_int(j.range) * j.unit_micros
        })
    }
}
