//! Feeds arbitrary input to the command line's targets-list parser (`--targets FILE`): never panics,
//! and a password never shows. The checks live in `strata_cli::fuzzing::targets`, which `cargo test`
//! also runs on the committed inputs (`fuzz/seeds/targets/`, `fuzz/regressions/targets/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_cli::fuzzing::targets(data));
