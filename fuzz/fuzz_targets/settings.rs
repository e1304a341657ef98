//! Feeds arbitrary text to the setting parsers (durations with a unit or in bare seconds, and
//! `create`'s naming: `-digits` and the folder's file names): never panics; a duration is one
//! PostgreSQL accepts; new names hold the next version and clash with none. The checks live in
//! `strata_core::fuzzing::settings`, which `cargo test` also runs on the committed inputs
//! (`fuzz/seeds/settings/`, `fuzz/regressions/settings/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::settings(data));
