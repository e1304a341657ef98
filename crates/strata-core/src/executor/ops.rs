//! The executor's protocol with whoever drives it: the ops it asks for and the answers it is
//! given.

use crate::driver::{BatchFailure, DriverError};
use crate::error::Location;
use crate::ledger::{LedgerWrite, LogEntry};
use crate::migration::Script;
use crate::report::Event;
use std::time::Duration;

#[allow(unused_imports)]
use super::Executor;
use super::FileSpot;
#[allow(unused_imports)]
use crate::driver::Driver;

/// A transactional migration for the driver: its script and the records that commit with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit<'s> {
    /// The script (transactional).
    pub script: &'s Script,
    /// Ledger writes committed with it (the driver stamps their durations).
    pub records: Vec<LedgerWrite>,
}

/// What the executor asks for next. Each op but [`Op::Event`] and [`Op::Done`] is answered
/// with one [`Executor::complete`] before the next [`Executor::next`].
#[derive(Debug)]
pub enum Op<'s> {
    /// Tell the caller (no completion).
    Event(Event),
    /// Create the compatibility table, the ledger and the log if missing
    /// ([`Driver::ensure_tables`]); answer [`Outcome::TablesReady`] with the driver's warnings.
    EnsureTables,
    /// Apply these writes in one transaction ([`Driver::write`]).
    Write(Vec<LedgerWrite>),
    /// Append one log entry in autocommit ([`Driver::append_log`]).
    AppendLog(LogEntry),
    /// Run a script and its records in one transaction ([`Driver::run_in_transaction`]).
    RunTransaction(Unit<'s>),
    /// Run SQL in autocommit ([`Driver::run_autocommit`]).
    RunAutocommit {
        /// The SQL (a statement, or a self-managed file's message).
        sql: &'s str,
    },
    /// Run these units, each in its own transaction (or all in one with `single`), telling
    /// [`Executor::progress`] as each starts and commits ([`Driver::run_batch`]); answer
    /// [`Outcome::Done`] or [`Outcome::BatchFailed`].
    RunBatch {
        /// The units, in order.
        units: Vec<Unit<'s>>,
        /// All in ONE transaction.
        single: bool,
    },
    /// Before a non-transactional script: deal with INVALID indexes it would recreate (drop
    /// them with `drop_invalid_indexes`, else refuse), then apply its timeouts to the session;
    /// answer [`Outcome::SessionPrepared`].
    PrepareSession {
        /// The script.
        script: &'s Script,
        /// Drop INVALID indexes instead of refusing.
        drop_invalid_indexes: bool,
    },
    /// Undo [`Op::PrepareSession`]'s settings ([`crate::driver::SessionHooks::after_script`]).
    RestoreSession,
    /// Wait this long (before a retry).
    Sleep(Duration),
    /// Read a streamed script's file to locate a failure ([`FileSpot::read`]); answer
    /// [`Outcome::Located`].
    ReadLocation(FileSpot<'s>),
    /// The run is over: [`Executor::into_result`] has its result.
    Done,
}

/// How an op went.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It succeeded.
    Done,
    /// [`Op::EnsureTables`] succeeded; the driver's warnings.
    TablesReady {
        /// Warnings about how the driver goes on.
        warnings: Vec<String>,
    },
    /// [`Op::PrepareSession`] succeeded, dropping these INVALID indexes.
    SessionPrepared {
        /// Names of the indexes dropped.
        dropped: Vec<String>,
    },
    /// It failed.
    Failed(DriverError),
    /// [`Op::RunBatch`] stopped.
    BatchFailed(BatchFailure),
    /// [`Op::ReadLocation`]'s answer.
    Located(Location),
}

/// An op's answer: how it went, how long it took, and the server notices it raised.
#[derive(Debug, Clone)]
pub struct Completion {
    /// How it went.
    pub outcome: Outcome,
    /// How long it took (a migration's duration is the sum of its ops').
    pub elapsed: Duration,
    /// Server notices raised meanwhile.
    pub notices: Vec<String>,
}

impl Completion {
    /// A success, instant and silent.
    pub fn done() -> Completion {
        Completion::of(Outcome::Done)
    }

    /// A failure.
    pub fn failed(e: DriverError) -> Completion {
        Completion::of(Outcome::Failed(e))
    }

    /// `outcome`, instant and silent.
    pub fn of(outcome: Outcome) -> Completion {
        Completion {
            outcome,
            elapsed: Duration::ZERO,
            notices: Vec::new(),
        }
    }

    /// The same, having taken `elapsed`.
    pub fn took(mut self, elapsed: Duration) -> Completion {
        self.elapsed = elapsed;
        self
    }

    /// The same, with these notices.
    pub fn with_notices(mut self, notices: Vec<String>) -> Completion {
        self.notices = notices;
        self
    }

    pub(super) fn result(&self) -> Result<(), DriverError> {
        match &self.outcome {
            Outcome::Failed(e) => Err(e.clone()),
            Outcome::BatchFailed(f) => Err(f.error.clone()),
            _ => Ok(()),
        }
    }
}
