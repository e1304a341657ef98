//! A failed migration: located (reading a streamed file through an op), logged (best effort),
//! and turned into [`Error::Migration`].

use super::{locate, records, Awaiting, Executor, Located, Op};
use crate::driver::DriverError;
use crate::error::{Aftermath, Error, Location};
use crate::ledger::LedgerWrite;
use crate::migration::Version;
use std::ops::Range;
use std::time::Duration;

/// A failed migration whose failure is being recorded.
pub(super) struct Failing {
    index: usize,
    cause: DriverError,
    aftermath: Aftermath,
    duration: Duration,
    unconfirmed: Vec<Version>,
    pub(super) location: Option<Location>,
}

impl<'s> Executor<'s> {
    /// Locate a failure (reading a streamed file through [`Op::ReadLocation`]), then log it.
    pub(super) fn begin_failure(
        &mut self,
        index: usize,
        cause: DriverError,
        statement: Option<Range<usize>>,
        aftermath: Aftermath,
        duration: Duration,
        unconfirmed: Vec<Version>,
    ) -> Op<'s> {
        let step = &self.plan.steps[index];
        let script = self
            .source
            .get(step.version)
            .and_then(|m| m.script(step.direction));
        // A lost lock or a version recorded meanwhile is no statement's fault.
        let contested = matches!(
            cause,
            DriverError::LockLost { .. }
                | DriverError::LeaseLost { .. }
                | DriverError::AlreadyApplied { .. }
        );
        let located = script
            .filter(|_| !contested)
            .map(|s| locate::locate(s, &cause, statement));
        let mut failing = Failing {
            index,
            cause,
            aftermath,
            duration,
            unconfirmed,
            location: None,
        };
        match located {
            Some(Located::InFile(spot)) => {
                self.awaiting = Awaiting::Location(failing);
                Op::ReadLocation(spot)
            }
            Some(Located::Known(l)) => {
                failing.location = Some(l);
                self.log_failure(failing)
            }
            None => self.log_failure(failing),
        }
    }

    /// Log a failed step (best effort: the failure itself is what matters, and a broken
    /// connection may refuse this too).
    pub(super) fn log_failure(&mut self, f: Failing) -> Op<'s> {
        let step = &self.plan.steps[f.index];
        let m = self
            .source
            .get(step.version)
            .expect("planned steps name migrations of the source");
        let mut detail = f.cause.to_string();
        if let Some(l) = &f.location {
            detail = format!("{}:{}:{}: {detail}", l.path.display(), l.line, l.column);
        }
        let entry = records::failure_entry(step, m, self.actor(), &detail, f.duration);
        self.awaiting = Awaiting::FailureLog(f);
        Op::Write(vec![LedgerWrite::Log(entry)])
    }

    pub(super) fn failed(&mut self, f: Failing) -> Op<'s> {
        let step = &self.plan.steps[f.index];
        let err = Error::Migration {
            version: step.version,
            name: step.name.clone(),
            direction: step.direction,
            aftermath: f.aftermath,
            location: f.location,
            cause: f.cause,
            report: std::mem::take(&mut self.report),
            unconfirmed: f.unconfirmed,
        };
        self.conclude(Err(err))
    }
}
