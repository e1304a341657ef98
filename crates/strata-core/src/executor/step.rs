//! A single (not batched) migration: a transaction with retries, only records, or the dirty
//! protocol between preparing and restoring the session.

use super::dirty::{self, DirtyRun};
use super::{records, refusals, retry, Awaiting, Completion, Executor, Op, Outcome, Unit};
use crate::driver::DriverError;
use crate::error::Aftermath;
use crate::ledger::LedgerWrite;
use crate::migration::{Script, TxMode};
use crate::report::{Event, StepReport};
use std::ops::Range;
use std::time::Duration;

/// A failed step: the driver's error, the failing statement's range in the script (when run
/// statement by statement) and what the failure left behind.
pub(super) type StepFailure = (DriverError, Option<Range<usize>>, Aftermath);

/// How far a single (not batched) migration is.
pub(super) enum Phase<'s> {
    /// Only records to write (no script in this direction).
    Records,
    /// Its transaction is running (`attempt` retries so far).
    Transaction {
        attempt: u32,
        records: Vec<LedgerWrite>,
    },
    /// Waiting before retry `attempt`.
    Sleeping {
        attempt: u32,
        records: Vec<LedgerWrite>,
    },
    /// The session is being prepared.
    Prepare {
        mode: TxMode,
        records: Vec<LedgerWrite>,
    },
    /// The dirty protocol runs.
    Dirty(DirtyRun<'s>),
    /// The session is being restored after the protocol ended so.
    Restore(Result<(), StepFailure>),
}

/// A single migration under way.
pub(super) struct StepRun<'s> {
    index: usize,
    script: Option<&'s Script>,
    mode: Option<TxMode>,
    /// Sum of its ops' durations.
    elapsed: Duration,
    notices: Vec<String>,
    phase: Phase<'s>,
}

impl<'s> Executor<'s> {
    pub(super) fn start_step(&mut self, index: usize) -> Op<'s> {
        let step = &self.plan.steps[index];
        let m = self
            .source
            .get(step.version)
            .expect("planned steps name migrations of the source");
        self.events.push_back(Event::Started {
            version: step.version,
            name: step.name.clone(),
            direction: step.direction,
        });
        let script = m.script(step.direction);
        let mode = script.map(|s| self.mode_of(s));
        let records = records::records(&self.plan, step, m, mode, self.actor());
        let (phase, op) = match (script, mode) {
            (Some(script), Some(TxMode::Transaction)) => (
                Phase::Transaction {
                    attempt: 0,
                    records: records.clone(),
                },
                Op::RunTransaction(Unit { script, records }),
            ),
            (Some(script), Some(mode)) => (
                Phase::Prepare { mode, records },
                Op::PrepareSession {
                    script,
                    drop_invalid_indexes: self.options.drop_invalid_indexes,
                },
            ),
            _ => (Phase::Records, Op::Write(records)),
        };
        if let (Some(_), Phase::Transaction { .. }) = (&step.resume, &phase) {
            // Run whole, it would send again the statements that already ran.
            let refused = refusals::not_resumable(step, TxMode::Transaction);
            self.events.pop_back();
            return self.conclude(Err(refused));
        }
        self.awaiting = Awaiting::Step(StepRun {
            index,
            script,
            mode,
            elapsed: Duration::ZERO,
            notices: Vec::new(),
            phase,
        });
        op
    }

    pub(super) fn step_completed(&mut self, mut run: StepRun<'s>, c: Completion) -> Op<'s> {
        run.elapsed += c.elapsed;
        run.notices.extend(c.notices.iter().cloned());
        let result = c.result();
        let phase = std::mem::replace(&mut run.phase, Phase::Records);
        let (phase, op) = match phase {
            Phase::Records => {
                return self.end_step(run, result.map_err(|e| (e, None, Aftermath::NotStarted)))
            }
            Phase::Transaction { attempt, records } => match result {
                Err(e)
                    if attempt < self.options.lock_retries
                        && retry::is_lock_timeout(&e)
                        && !self.stop =>
                {
                    let attempt = attempt + 1;
                    let wait = retry::retry_delay(attempt);
                    self.events.push_back(Event::Retry {
                        version: self.plan.steps[run.index].version,
                        attempt,
                        retries: self.options.lock_retries,
                        wait,
                        message: retry::describe(&e),
                    });
                    (Phase::Sleeping { attempt, records }, Op::Sleep(wait))
                }
                other => {
                    return self.end_step(run, other.map_err(|e| (e, None, Aftermath::RolledBack)))
                }
            },
            Phase::Sleeping { attempt, records } => {
                let script = run.script.expect("a transactional step has a script");
                let unit = Unit {
                    script,
                    records: records.clone(),
                };
                (
                    Phase::Transaction { attempt, records },
                    Op::RunTransaction(unit),
                )
            }
            Phase::Prepare { mode, records } => {
                if let Err(e) = result {
                    return self.end_step(run, Err((e, None, Aftermath::NotStarted)));
                }
                let step = &self.plan.steps[run.index];
                if let Outcome::SessionPrepared { dropped } = c.outcome {
                    for name in dropped {
                        self.events.push_back(Event::Notice {
                            version: step.version,
                            message: format!(
                                "dropped INVALID index {name} left by an earlier failed CREATE INDEX CONCURRENTLY"
                            ),
                        });
                    }
                }
                let m = self
                    .source
                    .get(step.version)
                    .expect("planned steps name migrations of the source");
                let (dirty, op) = DirtyRun::start(
                    m,
                    step.direction,
                    step.compat_dirty,
                    run.script.expect("a non-transactional step has a script"),
                    mode,
                    self.caps.dialect,
                    self.actor(),
                    records,
                    step.resume
                        .as_ref()
                        .map_or(0, |p| p.statement.saturating_sub(1)),
                    self.options.lock_retries,
                );
                (Phase::Dirty(dirty), op)
            }
            Phase::Dirty(mut dirty) => match dirty.complete(result, run.elapsed, self.stop) {
                dirty::Next::Issue(op) => (Phase::Dirty(dirty), op),
                dirty::Next::Retry {
                    attempt,
                    wait,
                    error,
                } => {
                    self.events.push_back(Event::Retry {
                        version: self.plan.steps[run.index].version,
                        attempt,
                        retries: self.options.lock_retries,
                        wait,
                        message: retry::describe(&error),
                    });
                    (Phase::Dirty(dirty), Op::Sleep(wait))
                }
                dirty::Next::Finished(outcome) => (Phase::Restore(outcome), Op::RestoreSession),
            },
            Phase::Restore(outcome) => {
                let outcome = match (outcome, result) {
                    (Ok(()), Err(e)) => Err((e, None, Aftermath::Applied)),
                    (outcome, _) => outcome,
                };
                return self.end_step(run, outcome);
            }
        };
        run.phase = phase;
        self.awaiting = Awaiting::Step(run);
        op
    }

    fn end_step(&mut self, mut run: StepRun<'s>, outcome: Result<(), StepFailure>) -> Op<'s> {
        let step = &self.plan.steps[run.index];
        for message in run.notices.drain(..) {
            self.events.push_back(Event::Notice {
                version: step.version,
                message,
            });
        }
        match outcome {
            Ok(()) => {
                let done = StepReport {
                    version: step.version,
                    name: step.name.clone(),
                    direction: step.direction,
                    mode: run.mode,
                    duration: run.elapsed,
                };
                self.events.push_back(Event::Finished(done.clone()));
                self.report.steps.push(done);
                self.at = run.index + 1;
                self.next_unit()
            }
            Err((cause, statement, aftermath)) => {
                let (cause, unconfirmed) = match cause {
                    DriverError::Unconfirmed(cause) => (*cause, vec![step.version]),
                    cause => (cause, Vec::new()),
                };
                self.begin_failure(
                    run.index,
                    cause,
                    statement,
                    aftermath,
                    run.elapsed,
                    unconfirmed,
                )
            }
        }
    }
}
