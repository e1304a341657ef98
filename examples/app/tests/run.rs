//! The example binary, built by cargo and run from a working directory of its own.

const BIN: &str = env!("CARGO_BIN_EXE_app");
const NAME: &str = "app";

include!("shared/checks.rs");
