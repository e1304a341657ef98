//! Which migrations share one message to the server, and where a run goes on after a batch
//! failed.

use super::retry::is_lock_timeout;
use crate::driver::{BatchFailure, MAX_BATCH_BYTES};
use crate::migration::{Script, TxMode};
use crate::plan::{Plan, Step};
use crate::source::Source;

/// What the batching rules need to know.
pub(super) struct Batching<'a> {
    pub source: &'a Source,
    pub plan: &'a Plan,
    /// The driver's most items per batch (1: never batch).
    pub limit: usize,
    /// golang-migrate's `x-multi-statement`.
    pub statement_mode: bool,
}

impl Batching<'_> {
    fn script(&self, step: &Step) -> Option<&Script> {
        self.source
            .get(step.version)
            .and_then(|m| m.script(step.direction))
    }

    /// Whether `step` may share a message with its neighbours: a transactional script the
    /// lexer read to its end.
    fn batchable(&self, step: &Step) -> bool {
        self.script(step)
            .is_some_and(|s| s.batchable && s.run_mode(self.statement_mode) == TxMode::Transaction)
    }

    fn script_len(&self, step: &Step) -> usize {
        self.script(step).map_or(0, |s| s.sql.len())
    }

    /// How many steps from `start` go in one batch: consecutive batchable steps, at most the
    /// driver's limit and [`MAX_BATCH_BYTES`] of SQL (a bigger script goes alone), none at or
    /// after `cap`, and no version twice (the ledger tells which items committed, by version).
    pub fn len(&self, start: usize, cap: usize) -> usize {
        let steps = &self.plan.steps;
        let limit = self.limit.min(cap.saturating_sub(start));
        let mut bytes = 0;
        let mut n = 0;
        for step in steps[start..].iter().take(limit) {
            if !self.batchable(step)
                || steps[start..start + n]
                    .iter()
                    .any(|s| s.version == step.version)
            {
                break;
            }
            let len = self.script_len(step);
            if n > 0 && bytes + len > MAX_BATCH_BYTES {
                break;
            }
            bytes += len;
            n += 1;
        }
        n
    }

    /// Whether `n` steps from `start` go as a batch. A lone migration goes as a batch of one
    /// too (one message instead of two), unless it is to be retried on its own (`capped`) or is
    /// big enough for the driver to cut it.
    pub fn as_batch(&self, start: usize, n: usize, capped: bool) -> bool {
        n > 1
            || (n == 1
                && !capped
                && self.limit > 1
                && self.script_len(&self.plan.steps[start]) <= MAX_BATCH_BYTES)
    }
}

/// Where a run goes after batch `start..start + n` failed with `f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AfterFailure {
    /// A stop was requested: the batch ended after the migration that was running.
    Interrupted,
    /// Go on at `at`, with batches ending before `cap`: the server refused the whole message
    /// at `cap` (the steps before it did not run: send them again, without it), or step `at`
    /// is to be retried on its own (`cap == at + 1`).
    Resume { at: usize, cap: usize },
    /// Step `at` failed: the run ends.
    Fail { at: usize },
}

/// Decide [`AfterFailure`] (`single`: the batch was the whole run in one transaction).
pub(super) fn after_failure(
    f: &BatchFailure,
    start: usize,
    n: usize,
    single: bool,
    lock_retries: u32,
) -> AfterFailure {
    let committed = start + f.committed;
    let at = start + f.failed.min(n - 1);
    if f.stopped && f.unconfirmed.is_none() {
        return AfterFailure::Interrupted;
    }
    if !single && f.unconfirmed.is_none() && at > committed {
        return AfterFailure::Resume {
            at: committed,
            cap: at,
        };
    }
    if !single && is_lock_timeout(&f.error) && lock_retries > 0 {
        return AfterFailure::Resume { at, cap: at + 1 };
    }
    AfterFailure::Fail { at }
}
