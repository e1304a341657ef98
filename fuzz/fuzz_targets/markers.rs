//! Feeds arbitrary text to the marker parser (goose, sql-migrate, dbmate, `-- UP`/`-- DOWN`):
//! never panics; sections lie within the text, on char boundaries, in order, with plausible
//! line numbers; errors name lines of the text. The checks live in
//! `strata_core::fuzzing::markers`, which `cargo test` also runs on the committed inputs
//! (`fuzz/seeds/markers/`, `fuzz/regressions/markers/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::markers(data));
