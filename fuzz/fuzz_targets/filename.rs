//! Feeds arbitrary names to the file-name classifier: never panics, and a pair name splits
//! into parts that rebuild exactly the input (`<digits>_<title>.<up|down>.<ext>`). The checks
//! live in `strata_core::fuzzing::filename`, which `cargo test` also runs on the committed
//! inputs (`fuzz/seeds/filename/`, `fuzz/regressions/filename/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_core::fuzzing::filename(data));
