//! The run path as a sans-IO state machine: given a [`Plan`], the [`Executor`] says what to do
//! next ([`Executor::next`] returns an [`Op`]) and is told how it went
//! ([`Executor::complete`]). It does no IO, reads no clock and never sleeps: durations come in
//! with the completions, waits go out as [`Op::Sleep`]. So it is unit-tested against a fake
//! driver (`tests.rs`), and a sync driving loop ([`drive`]) or an async one can run it.
//!
//! How each migration runs depends on its [`TxMode`]:
//! - `Transaction`: the body and its records go to the driver together
//!   ([`Op::RunTransaction`], or several at once in [`Op::RunBatch`]), so they commit together.
//!   A failure leaves the database exactly as before (not dirty) — a deliberate improvement
//!   over golang-migrate, which marks the database dirty even when the body rolled back. A
//!   table lock's timeout is retried with back-off when asked ([`retry`]).
//! - `NoTransaction` and `SelfManaged`: golang-migrate's dirty protocol (`dirty.rs`), between
//!   [`Op::PrepareSession`] and [`Op::RestoreSession`].
//!
//! Files: `ops.rs` (the ops and their answers), `step.rs` (one migration on its own),
//! `batching.rs` (which migrations share a message, where to go on after a failed batch),
//! `dirty.rs`, `retry.rs`, `records.rs` (what commits with a migration), `refusals.rs` (plans
//! refused before any migration runs), `failure.rs` and `locate.rs` (a driver failure → the
//! error, its file location and its log entry), `drive.rs` (the sync loop).

mod batching;
mod dirty;
mod drive;
mod failure;
pub mod locate;
mod ops;
mod records;
mod refusals;
pub mod retry;
mod step;
#[cfg(test)]
mod tests;

pub use drive::drive;
pub use locate::{FileSpot, Located};
pub use ops::{Completion, Op, Outcome, Unit};

use crate::driver::{BatchProgress, Driver};
use crate::error::{Aftermath, Error};
use crate::ledger::LedgerWrite;
use crate::migration::{Script, TxMode};
use crate::plan::{Plan, PlanOptions};
use crate::report::{Event, Report, StepReport};
use crate::source::Source;
use batching::{AfterFailure, Batching};
use failure::Failing;
use std::collections::VecDeque;
use std::time::Duration;
use step::StepRun;

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How long to wait for the migration lock.
    pub lock_timeout: Duration,
    /// Planner switches (out-of-order, actor, `x-multi-statement`).
    pub plan: PlanOptions,
    /// How many times to retry a transactional migration, or the one statement of a
    /// statement-by-statement migration, that timed out waiting for a lock (PostgreSQL 55P03,
    /// MySQL 1205), with back-off (see [`retry::retry_delay`]). 0: no retries.
    pub lock_retries: u32,
    /// Drop an INVALID index left by a failed `CREATE INDEX CONCURRENTLY` before rerunning the
    /// no-transaction migration that creates it (else the run is refused).
    pub drop_invalid_indexes: bool,
    /// Run every planned migration and its records in ONE transaction: all or nothing. Refused
    /// when a migration cannot run inside a transaction.
    pub single_transaction: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            lock_timeout: Duration::from_secs(15),
            plan: PlanOptions::default(),
            lock_retries: 0,
            drop_invalid_indexes: false,
            single_transaction: false,
        }
    }
}

/// The backend as the executor sees it: its dialect and what its driver can do
/// ([`crate::Capabilities`]), asked once before a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backend {
    /// Its dialect, for splitting statements.
    pub dialect: strata_sql::Dialect,
    /// Most migrations one [`Op::RunBatch`] may carry (1: never batch).
    pub batch_limit: usize,
    /// Whether [`Op::RunBatch`] can run in one transaction.
    pub single_transaction: bool,
    /// Whether DDL rolls back (see [`crate::driver::Capabilities::transactional_ddl`]).
    pub transactional_ddl: bool,
}

impl Backend {
    /// Ask `driver`.
    pub fn of(driver: &dyn Driver) -> Backend {
        let caps = driver.capabilities();
        Backend {
            dialect: driver.dialect(),
            batch_limit: caps.batch_limit,
            single_transaction: caps.single_transaction,
            transactional_ddl: caps.transactional_ddl,
        }
    }
}

/// What the op last issued waits for.
enum Awaiting<'s> {
    /// Nothing (an op is being issued, or the run is over).
    Nothing,
    Tables,
    Reconcile,
    Step(StepRun<'s>),
    Batch {
        start: usize,
        n: usize,
        single: bool,
        /// How many of its steps were told started.
        told: usize,
    },
    /// The failure's location ([`Op::ReadLocation`]).
    Location(Failing),
    /// The failure's log entry (best effort).
    FailureLog(Failing),
    /// Nothing: the next unit is to be chosen.
    Choice,
}

/// How `script` runs on `caps`.
fn run_mode(script: &Script, statement_mode: bool, caps: &Backend) -> TxMode {
    match script.run_mode(statement_mode) {
        // A transaction cannot undo DDL here: the dirty protocol records each statement.
        TxMode::Transaction if !caps.transactional_ddl => TxMode::NoTransaction,
        mode => mode,
    }
}

pub(crate) use refusals::session_refusal;

/// Runs one [`Plan`] of one [`Source`]: a state machine the caller drives (see the module
/// docs and [`drive`]).
pub struct Executor<'s> {
    source: &'s Source,
    plan: Plan,
    options: RunOptions,
    caps: Backend,
    report: Report,
    events: VecDeque<Event>,
    op: Option<Op<'s>>,
    awaiting: Awaiting<'s>,
    /// The next step to run.
    at: usize,
    /// Batches end before this step (a refused message, or a step to retry alone).
    cap: usize,
    stop: bool,
    result: Option<Result<Report, Error>>,
}

impl<'s> Executor<'s> {
    /// An executor for `plan` (made from `source`), with a driver that can do `caps`. A plan
    /// that cannot run as asked is refused at once (the first op is [`Op::Done`]).
    pub fn new(source: &'s Source, plan: Plan, options: RunOptions, caps: Backend) -> Executor<'s> {
        let statement_mode = options.plan.statement_mode;
        let refused = refusals::refusal(source, &plan, statement_mode)
            .or_else(|| refusals::resume_refusal(source, &plan, statement_mode, caps.dialect));
        let mut exec = Executor {
            source,
            plan,
            options,
            caps,
            report: Report::default(),
            events: VecDeque::new(),
            op: None,
            awaiting: Awaiting::Nothing,
            at: 0,
            cap: usize::MAX,
            stop: false,
            result: None,
        };
        let op = match refused {
            Some(e) => exec.conclude(Err(e)),
            None => {
                exec.events.push_back(Event::Planned {
                    steps: exec
                        .plan
                        .steps
                        .iter()
                        .map(|s| (s.version, s.name.clone(), s.direction))
                        .collect(),
                });
                exec.awaiting = Awaiting::Tables;
                Op::EnsureTables
            }
        };
        exec.op = Some(op);
        exec
    }

    /// What to do next: pending events first, then the op to run.
    ///
    /// # Panics
    /// When called again before the last op's [`Executor::complete`] (a driving loop's bug).
    // Not an `Iterator`: each op needs its completion before the next one can be decided.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Op<'s> {
        if let Some(e) = self.events.pop_front() {
            return Op::Event(e);
        }
        if matches!(self.awaiting, Awaiting::Choice) {
            // Chosen only now, once the events before it were told: a stop requested while
            // they were (e.g. by the caller's callback) is seen.
            self.awaiting = Awaiting::Nothing;
            let op = self.choose_unit();
            self.op = Some(op);
            return self.next();
        }
        match self.op.take() {
            Some(Op::Done) => {
                self.op = Some(Op::Done);
                Op::Done
            }
            Some(op) => op,
            None => panic!("Executor::next called before the last op was completed"),
        }
    }

    /// Stop after the running migration (e.g. on Ctrl-C): no new migration starts and no
    /// retry is made.
    pub fn request_stop(&mut self) {
        self.stop = true;
    }

    /// How a running [`Op::RunBatch`] goes: returns the events to tell now (a migration
    /// started, or committed and durable).
    pub fn progress(&mut self, p: BatchProgress) -> Vec<Event> {
        let Awaiting::Batch { start, told, .. } = &mut self.awaiting else {
            return Vec::new();
        };
        let mut events = Vec::new();
        match p {
            BatchProgress::Started(i) => {
                let step = &self.plan.steps[*start + i];
                events.push(Event::Started {
                    version: step.version,
                    name: step.name.clone(),
                    direction: step.direction,
                });
                *told = (*told).max(i + 1);
            }
            BatchProgress::Done(i, d) => {
                let step = &self.plan.steps[*start + i];
                for message in d.notices {
                    events.push(Event::Notice {
                        version: step.version,
                        message,
                    });
                }
                let finished = StepReport {
                    version: step.version,
                    name: step.name.clone(),
                    direction: step.direction,
                    mode: Some(TxMode::Transaction),
                    duration: d.duration,
                };
                events.push(Event::Finished(finished.clone()));
                self.report.steps.push(finished);
            }
        }
        events
    }

    /// How the op last returned by [`Executor::next`] went.
    pub fn complete(&mut self, c: Completion) {
        let op = match std::mem::replace(&mut self.awaiting, Awaiting::Nothing) {
            Awaiting::Nothing | Awaiting::Choice => return,
            Awaiting::Tables => match c.outcome {
                Outcome::Failed(e) => self.conclude(Err(e.into())),
                Outcome::TablesReady { warnings } => {
                    for message in warnings {
                        self.events.push_back(Event::Warning { message });
                    }
                    self.reconcile()
                }
                _ => self.reconcile(),
            },
            Awaiting::Reconcile => match c.outcome {
                Outcome::Failed(e) => self.conclude(Err(e.into())),
                _ => {
                    self.report.reconciled = self
                        .plan
                        .reconcile
                        .iter()
                        .filter(|w| !matches!(w, LedgerWrite::Log(_)))
                        .count();
                    self.first_unit()
                }
            },
            Awaiting::Step(run) => self.step_completed(run, c),
            Awaiting::Batch {
                start,
                n,
                single,
                told,
            } => self.batch_completed(start, n, single, told, c),
            Awaiting::Location(mut f) => {
                if let Outcome::Located(l) = c.outcome {
                    f.location = Some(l);
                }
                self.log_failure(f)
            }
            Awaiting::FailureLog(f) => self.failed(f),
        };
        if !matches!(self.awaiting, Awaiting::Choice) {
            self.op = Some(op);
        }
    }

    /// The run's result, once [`Op::Done`] was returned. Before that: interrupted, with what
    /// was applied so far.
    pub fn into_result(self) -> Result<Report, Error> {
        match self.result {
            Some(r) => r,
            None => Err(Error::Interrupted {
                report: self.report,
            }),
        }
    }

    fn conclude(&mut self, result: Result<Report, Error>) -> Op<'s> {
        self.result = Some(result);
        self.awaiting = Awaiting::Nothing;
        Op::Done
    }

    fn actor(&self) -> &str {
        &self.options.plan.actor
    }

    fn mode_of(&self, script: &Script) -> TxMode {
        run_mode(script, self.options.plan.statement_mode, &self.caps)
    }

    fn reconcile(&mut self) -> Op<'s> {
        if self.plan.reconcile.is_empty() {
            return self.first_unit();
        }
        self.awaiting = Awaiting::Reconcile;
        Op::Write(self.plan.reconcile.clone())
    }

    fn first_unit(&mut self) -> Op<'s> {
        if self.options.single_transaction && !self.plan.steps.is_empty() {
            if let Some(e) = refusals::single_transaction_refusal(
                self.source,
                &self.plan,
                self.options.plan.statement_mode,
                &self.caps,
            ) {
                return self.conclude(Err(e));
            }
            return self.start_batch(0, self.plan.steps.len(), true);
        }
        self.next_unit()
    }

    /// What runs from `self.at` is chosen at the next [`Executor::next`] (the placeholder
    /// returned is not issued).
    fn next_unit(&mut self) -> Op<'s> {
        self.awaiting = Awaiting::Choice;
        Op::Done
    }

    /// Choose what runs from `self.at`: a batch, a single migration, or the end.
    fn choose_unit(&mut self) -> Op<'s> {
        if self.at >= self.plan.steps.len() {
            let result = match self.plan.short {
                0 => Ok(std::mem::take(&mut self.report)),
                short => Err(Error::LimitShort {
                    short,
                    report: std::mem::take(&mut self.report),
                }),
            };
            return self.conclude(result);
        }
        if self.stop {
            let report = std::mem::take(&mut self.report);
            return self.conclude(Err(Error::Interrupted { report }));
        }
        if self.at >= self.cap {
            self.cap = usize::MAX;
        }
        let batching = Batching {
            source: self.source,
            plan: &self.plan,
            limit: self.caps.batch_limit,
            statement_mode: self.options.plan.statement_mode,
        };
        let n = batching.len(self.at, self.cap);
        // A resumed migration runs on its own: start_step refuses it if it would run whole.
        let resumed = self.plan.steps[self.at].resume.is_some();
        if !resumed && batching.as_batch(self.at, n, self.cap != usize::MAX) {
            return self.start_batch(self.at, n, false);
        }
        self.start_step(self.at)
    }

    fn start_batch(&mut self, start: usize, n: usize, single: bool) -> Op<'s> {
        let mut units = Vec::with_capacity(n);
        for step in &self.plan.steps[start..start + n] {
            let m = self
                .source
                .get(step.version)
                .expect("planned steps name migrations of the source");
            let script = m
                .script(step.direction)
                .expect("batched steps have a script");
            let records =
                records::records(&self.plan, step, m, Some(TxMode::Transaction), self.actor());
            units.push(Unit { script, records });
        }
        self.awaiting = Awaiting::Batch {
            start,
            n,
            single,
            told: 0,
        };
        Op::RunBatch { units, single }
    }

    fn batch_completed(
        &mut self,
        start: usize,
        n: usize,
        single: bool,
        told: usize,
        c: Completion,
    ) -> Op<'s> {
        let Outcome::BatchFailed(f) = c.outcome else {
            self.at = start + n;
            return self.next_unit();
        };
        match batching::after_failure(&f, start, n, single, self.options.lock_retries) {
            AfterFailure::Interrupted => {
                let report = std::mem::take(&mut self.report);
                self.conclude(Err(Error::Interrupted { report }))
            }
            AfterFailure::Resume { at, cap } => {
                (self.at, self.cap) = (at, cap);
                self.next_unit()
            }
            AfterFailure::Fail { at } => {
                // The failing step is told started even when the server failed the message
                // before it.
                for s in &self.plan.steps[start + told..=at] {
                    self.events.push_back(Event::Started {
                        version: s.version,
                        name: s.name.clone(),
                        direction: s.direction,
                    });
                }
                let version = self.plan.steps[at].version;
                for message in f.notices {
                    self.events.push_back(Event::Notice { version, message });
                }
                let end = start + n;
                let unconfirmed = f.unconfirmed.map_or_else(Vec::new, |r| {
                    self.plan.steps[(start + r.start).min(end)..(start + r.end).min(end)]
                        .iter()
                        .map(|s| s.version)
                        .collect()
                });
                self.begin_failure(
                    at,
                    f.error,
                    None,
                    Aftermath::RolledBack,
                    c.elapsed,
                    unconfirmed,
                )
            }
        }
    }
}
