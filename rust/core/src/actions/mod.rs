//! The value transformations of field actions, one small module each. They work on the value as
//! the reference reads it (docs/profiles.md#value-model): a string, with multiple values joined by ",".

pub mod age;
pub mod date;
pub mod fit;
pub mod hash;
pub mod jitter;
pub mod strptime;
pub mod uid;
