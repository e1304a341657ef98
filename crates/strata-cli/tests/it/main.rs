//! The real `strata` binary against real SQLite files. One integration-test binary.

mod support;

mod bad_input;
mod commands;
mod formats;
mod safety;
