//! Exit codes, in one place. Documented in the README and in `strata --help`.
//!
//! golang-migrate uses 0, 1 and 2; Strata keeps those meanings and adds distinct codes for the
//! failures a script may want to tell apart. Every non-zero code is still a failure.

/// Success, including "no change".
pub const OK: u8 = 0;
/// A runtime failure: a migration failed, the database could not be reached, a prompt was
/// declined, bad files.
pub const FAILURE: u8 = 1;
/// Bad command line: unknown command or flag, missing argument.
pub const USAGE: u8 = 2;
/// The plan was refused: dirty database, edited or missing applied file, out-of-order pending
/// migration, missing down part. Nothing was changed.
pub const CONFLICT: u8 = 3;
/// The migration lock could not be taken within -lock-timeout.
pub const LOCK_TIMEOUT: u8 = 4;
/// `lint` found something (a finding, not a failure to run).
pub const LINT: u8 = 5;
/// The reader of stdout or stderr went away (`strata status | head -1`): 128 + SIGPIPE, what a
/// tool killed by SIGPIPE reports.
pub const CLOSED_PIPE: u8 = 141;
