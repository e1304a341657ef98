//! Feeds arbitrary database URLs to the parser: never panics, and a password — in the user
//! info or as `password=` — never appears in an error, in `Display`, `Debug` or `redacted()`.
//! Input: `<password>\0<rest>`. The checks live in `strata_drivers::fuzzing::url`, which
//! `cargo test` also runs on the committed inputs (`fuzz/seeds/url/`, `fuzz/regressions/url/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_drivers::fuzzing::url(data));
