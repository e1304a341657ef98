//! Feeds arbitrary text to the folder reader as one migration file (a pair's up file and a
//! single file with markers): never panics; errors name the file and a line of the text; a
//! timeout a directive sets is one PostgreSQL accepts. The checks live in
//! `strata_core::fuzzing::directives`, which `cargo test` also runs on the committed inputs
//! (`fuzz/seeds/directives/`, `fuzz/regressions/directives/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::directives(data));
