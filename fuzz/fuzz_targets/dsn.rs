//! Feeds arbitrary input to the command line's libpq key=value connection-string parser: never panics,
//! and a password never shows. The checks live in `strata_cli::fuzzing::dsn`, which `cargo test`
//! also runs on the committed inputs (`fuzz/seeds/dsn/`, `fuzz/regressions/dsn/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_cli::fuzzing::dsn(data));
