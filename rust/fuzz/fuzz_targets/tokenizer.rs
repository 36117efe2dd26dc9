//! cargo-fuzz target: see fastdeid_core::invariants::tokenizer for the property checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fastdeid_core::invariants::tokenizer(data));
