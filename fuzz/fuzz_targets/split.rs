//! Feeds arbitrary UTF-8 to the lexer, splitter and classifier in every dialect and checks that
//! nothing panics, the tokens rejoin to the input, and the statements are well-formed. The
//! checks live in `strata_sql::fuzzing::split`, which `cargo test` also runs on the committed
//! inputs (`fuzz/seeds/split/`, `fuzz/regressions/split/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| strata_sql::fuzzing::split(data));
