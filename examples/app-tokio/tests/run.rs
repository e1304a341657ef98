//! The example binary, built by cargo and run from a working directory of its own: the same
//! checks as the sync example's.

const BIN: &str = env!("CARGO_BIN_EXE_app-tokio");
const NAME: &str = "app-tokio";

include!("../../app/tests/shared/checks.rs");
