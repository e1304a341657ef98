//! Several transactional migrations sent together.

use super::DriverError;
use crate::ledger::LedgerWrite;
use crate::migration::Script;
use std::time::Duration;

/// Most SQL one batch carries (a bigger script still goes, alone): the executor groups by it, a
/// driver that concatenates items splits messages at it.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// One transactional migration of a [`super::Driver::run_batch`]: its script and the records that
/// commit with it.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The script to run (transactional, lexically complete).
    pub script: &'a Script,
    /// Ledger writes committed with it (durations are stamped by the driver).
    pub writes: &'a [LedgerWrite],
}

/// How one committed item of a batch went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchDone {
    /// How long its body and records took (measured by the server where the driver can).
    pub duration: Duration,
    /// Server notices it raised.
    pub notices: Vec<String>,
}

/// What a running batch tells as it goes (see [`super::Driver::run_batch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchProgress {
    /// Item `i` started running.
    Started(usize),
    /// Item `i` committed and is durable (as [`super::Driver::run_batch`] describes).
    Done(usize, BatchDone),
}

/// Why a [`super::Driver::run_batch`] stopped.
#[derive(Debug, Clone)]
pub struct BatchFailure {
    /// How many leading items committed; each was handed to the batch's `done` callback (durable)
    /// before the call returned. 0 for a single transaction, which rolls back whole.
    pub committed: usize,
    /// Index of the item the error belongs to, `>= committed`. When greater, the server refused
    /// the message before running the items in between (a syntax error in item `failed`): they
    /// did not run and can be sent again.
    pub failed: usize,
    /// The error; statement range and position relative to item `failed`'s script.
    pub error: DriverError,
    /// Notices raised before the failure by the failing item.
    pub notices: Vec<String>,
    /// The batch stopped before item `failed` ran because a stop was requested (see
    /// the PostgreSQL driver's `stop_handle`); `error` says so.
    pub stopped: bool,
    /// The session was lost and what became of these items could not be learnt (the server may
    /// even have gone on running them after the loss): each may or may not have committed.
    /// `None`: known — item `failed` did not commit.
    pub unconfirmed: Option<std::ops::Range<usize>>,
}
