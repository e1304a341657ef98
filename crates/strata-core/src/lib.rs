//! Strata's engine: migration sources, the ledger model, the planner and the runner.
//!
//! The flow is data all the way: files are read into a [`Source`]; the database's
//! [`LedgerState`] is read through a [`Driver`]; [`plan::plan`] (pure) decides what to run or returns
//! every conflict; the [`executor`] runs the plan through the driver (the [`runner`] holds the lock around it) and returns a report.
#![warn(missing_docs)]
// Errors carry the server's full diagnostics (message, detail, hint, SQLSTATE, spans) by value so
// programs can match on them; they are returned once per run, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod actor;
pub mod adopt;
pub mod checksum;
pub mod create;
pub mod drift;
pub mod driver;
pub mod duration;
pub mod error;
pub mod executor;
#[doc(hidden)]
pub mod fuzzing;
pub mod ledger;
pub mod migration;
pub mod plan;
pub mod printable;
pub mod report;
pub mod resume;
pub mod runner;
pub mod schema;
pub mod source;
pub mod status;

pub use checksum::Checksum;
pub use driver::{BatchDone, BatchFailure, BatchItem, BatchProgress};
pub use driver::{Capabilities, Cause, Driver, DriverError, DropReport, Fix, RawTable};
pub use driver::{RehearsalReport, RehearsedLock, RehearsedScript};
pub use driver::{SessionHooks, TableNames};
pub use error::{Aftermath, Error, Location, NotRunnableReason, OneTransactionBlocker};
pub use ledger::{
    Action, AppliedMigration, CompatRow, LedgerState, LedgerWrite, LogEntry, LogRecord, Origin,
    Reached,
};
pub use migration::{
    Direction, Format, Migration, Script, StatementSpan, Streamed, TxMode, Version,
};
pub use report::{Event, Report, StepReport};
pub use source::{IgnoredFile, RawFile, Source, SourceError, SourceErrors};
