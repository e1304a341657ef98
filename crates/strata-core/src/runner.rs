//! The runner: executes a [`Plan`] through a [`Driver`], one migration at a time, keeping the
//! ledger, the log and golang-migrate's row in step with what actually ran.
//!
//! How each migration runs depends on its [`TxMode`]:
//! - `Transaction`: the body and its records go to [`Driver::run_in_transaction`], so they commit
//!   together. A failure leaves the database exactly as before (not dirty) — a deliberate
//!   improvement over golang-migrate, which marks the database dirty even when the body rolled
//!   back.
//! - `NoTransaction`: golang-migrate's dirty protocol: the row is set to `(target, dirty)`, the
//!   statements run one by one in autocommit, then the records are written. A failure leaves
//!   the row dirty and the log names the statement reached: statement 1 in the `start` entry,
//!   each later one in a `progress` entry written before it runs (so a killed run leaves it).
//! - `SelfManaged`: the file carries its own `BEGIN`/`COMMIT`; it runs as golang-migrate runs it
//!   (its transactions exactly as when sent whole, see [`strata_sql::self_managed_messages`]),
//!   inside the same dirty protocol.
//!
//! The migration lock is held for the whole run and always released, also on error.

use crate::driver::{BatchItem, BatchProgress, Driver, DriverError, DropReport};
use crate::error::{Aftermath, Error, Location};
use crate::ledger::{
    Action, CompatRow, LedgerState, LedgerWrite, LogEntry, LogRecord, Origin, Reached,
};
use crate::migration::{Direction, Migration, Script, TxMode, Version};
use crate::plan::{self, Conflict, Plan, PlanOptions, Request, Step};
use crate::report::{Event, Report, StepReport};
use crate::source::Source;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How long to wait for the migration lock.
    pub lock_timeout: Duration,
    /// Planner switches (out-of-order, actor, `x-multi-statement`).
    pub plan: PlanOptions,
    /// How many times to retry a transactional migration that timed out waiting for a table
    /// lock (SQLSTATE 55P03), with back-off (see [`retry_delay`]). 0: no retries.
    pub lock_retries: u32,
    /// Drop an INVALID index left by a failed `CREATE INDEX CONCURRENTLY` before rerunning the
    /// no-transaction migration that creates it (else the run is refused).
    pub drop_invalid_indexes: bool,
    /// Run every planned migration and its records in ONE transaction: all or nothing. Refused
    /// when a migration cannot run inside a transaction.
    pub single_transaction: bool,
}

/// Releases the migration lock when dropped while still held (on unwinding).
struct LockGuard<'m, 'a> {
    migrator: &'m mut Migrator<'a>,
    held: bool,
}

impl Drop for LockGuard<'_, '_> {
    fn drop(&mut self) {
        if self.held {
            // Nothing to report to: the panic that got here is what the caller sees.
            let _ = self.migrator.driver.unlock();
        }
    }
}

/// Most SQL one batch carries (a bigger script still goes, alone).
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// Where the step loop goes on after a batch.
enum Resume {
    /// At this step.
    At(usize),
    /// At this step, with batches ending before the second one.
    Before(usize, usize),
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

/// One pending migration in a [`Migrator::rehearse`].
#[derive(Debug, Clone)]
pub struct RehearsalEntry {
    /// Its version.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// How it would run (`None`: no up script).
    pub mode: Option<TxMode>,
    /// What the rehearsal found.
    pub outcome: RehearsalOutcome,
}

/// What happened to one migration in a rehearsal.
#[derive(Debug, Clone)]
pub enum RehearsalOutcome {
    /// Not decided yet (never returned).
    Pending,
    /// It ran (and was rolled back).
    Ran {
        /// How long its body took.
        duration: Duration,
        /// The locks it took.
        locks: Vec<crate::driver::RehearsedLock>,
    },
    /// It failed; the rehearsal stopped there.
    Failed {
        /// How long it ran.
        duration: Duration,
        /// Where in its file.
        location: Option<Location>,
        /// The database's error.
        cause: DriverError,
    },
    /// It cannot run inside a transaction (its mode and why).
    NotRehearsable(String),
    /// Not run, and why.
    Skipped(String),
}

/// Runs migrations of one [`Source`] against one database.
///
/// ```no_run
/// # fn demo(driver: &mut dyn strata_core::Driver, source: &strata_core::Source) -> Result<(), strata_core::Error> {
/// use strata_core::runner::{Migrator, RunOptions};
/// use strata_core::plan::Request;
/// let mut m = Migrator::new(driver, source, RunOptions::default());
/// let report = m.run(Request::Up(None), &mut |_event| {})?;
/// println!("{} migration(s) applied", report.steps.len());
/// # Ok(()) }
/// ```
pub struct Migrator<'a> {
    driver: &'a mut dyn Driver,
    source: &'a Source,
    options: RunOptions,
    stop: Option<&'a AtomicBool>,
}

impl<'a> Migrator<'a> {
    /// A migrator for `source` on `driver`.
    pub fn new(driver: &'a mut dyn Driver, source: &'a Source, options: RunOptions) -> Self {
        Migrator {
            driver,
            source,
            options,
            stop: None,
        }
    }

    /// Stop after the running migration once `flag` becomes true (e.g. set by a Ctrl-C handler).
    pub fn with_stop_flag(mut self, flag: &'a AtomicBool) -> Self {
        self.stop = Some(flag);
        self
    }

    /// Read the database's state without changing anything (no lock, no table creation).
    pub fn state(&mut self) -> Result<LedgerState, Error> {
        Ok(self.driver.read_state()?)
    }

    /// Plan `request` against the database's current state without running it.
    pub fn plan(&mut self, request: Request) -> Result<Plan, Error> {
        let state = self.driver.read_state()?;
        plan::plan(self.source, &state, request, &self.options.plan)
            .map_err(|conflicts| Error::Conflicts { conflicts })
    }

    /// Plan and run `request` under the migration lock. `on_event` sees each migration start and
    /// finish, and server notices, as they happen.
    pub fn run(
        &mut self,
        request: Request,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Report, Error> {
        // Double-checked locking (golang-migrate issue #468): app instances starting together
        // must not queue behind a long run when there is nothing for them to do. Only a clean,
        // empty plan short-cuts; anything else (pending work, or a dirty row that another
        // runner's no-transaction migration may be holding) is decided again under the lock.
        if let Ok(state) = self.driver.read_state() {
            if let Ok(plan) = plan::plan(self.source, &state, request, &self.options.plan) {
                if plan.is_empty() && plan.short == 0 {
                    return Ok(Report::default());
                }
            }
        }
        self.locked(|m| m.run_locked(request, on_event))
    }

    /// Set golang-migrate's row to `(version, clean)` (`-1`: nothing applied) and make the
    /// ledger agree, running nothing. Ignores the dirty flag, like golang-migrate.
    pub fn force(&mut self, version: i64) -> Result<(), Error> {
        if version < -1 {
            return Err(Error::Invalid(format!(
                "argument V must be >= -1 (got {version})"
            )));
        }
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let writes = plan::plan_force(m.source, &state, version, &m.options.plan.actor);
            m.driver.write(&writes)?;
            Ok(())
        })
    }

    /// `baseline V`: record every migration up to `version` as applied without running it (see
    /// [`plan::plan_baseline`]). Returns how many ledger rows were added.
    pub fn baseline(&mut self, version: Version, force: bool) -> Result<usize, Error> {
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let writes =
                plan::plan_baseline(m.source, &state, version, force, &m.options.plan.actor)
                    .map_err(|conflicts| Error::Conflicts { conflicts })?;
            m.driver.write(&writes)?;
            Ok(writes
                .iter()
                .filter(|w| matches!(w, LedgerWrite::Insert(_)))
                .count())
        })
    }

    /// `accept V`: re-record the checksum of an applied migration whose file was edited on
    /// purpose (see [`plan::plan_accept`]). Returns `(old, new)` checksums, or `None` when they
    /// already agreed (nothing written).
    pub fn accept(&mut self, version: Version) -> Result<Option<(String, String)>, Error> {
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let actor = m.options.plan.actor.clone();
            let (mut writes, view) = plan::reconcile(m.source, &state, &actor)
                .map_err(|c| Error::Conflicts { conflicts: vec![c] })?;
            let accepted = plan::plan_accept(m.source, &view, version, &actor)
                .map_err(|c| Error::Conflicts { conflicts: vec![c] })?;
            if accepted.is_empty() {
                return Ok(None);
            }
            let old = view
                .get(version)
                .and_then(|r| r.checksum.clone())
                .unwrap_or_default();
            let new = m
                .source
                .get(version)
                .map(|s| s.checksum.to_hex())
                .unwrap_or_default();
            writes.extend(accepted);
            m.driver.write(&writes)?;
            Ok(Some((old, new)))
        })
    }

    /// `adopt --from TOOL`: import another tool's tracking table into the ledger, under the lock
    /// (see [`crate::adopt`]). Nothing is written when it is refused.
    pub fn adopt(
        &mut self,
        request: &crate::adopt::AdoptRequest,
    ) -> Result<crate::adopt::AdoptPlan, Error> {
        self.locked(|m| {
            let actor = m.options.plan.actor.clone();
            crate::adopt::run(&mut *m.driver, m.source, request, &actor)
        })
    }

    /// The action log, newest first (no lock, nothing created).
    pub fn history(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, Error> {
        Ok(self.driver.read_log(limit)?)
    }

    /// Everything wrong between the files and the database (see [`plan::validate`]). Changes
    /// nothing.
    pub fn validate(&mut self) -> Result<Vec<Conflict>, Error> {
        let state = self.driver.read_state()?;
        Ok(plan::validate(
            self.source,
            &state,
            self.options.plan.allow_out_of_order,
        ))
    }

    /// golang-migrate's current row; [`Error::NilVersion`] when nothing is applied.
    pub fn version(&mut self) -> Result<CompatRow, Error> {
        match self.driver.read_state()?.compat {
            Some(row) if row.version >= 0 => Ok(row),
            _ => Err(Error::NilVersion),
        }
    }

    /// `rehearse`: run the pending (`up`) transactional migrations inside one transaction that
    /// is rolled back, under the migration lock. Nothing changes on the target. Migrations that
    /// cannot run in a transaction are listed as not rehearsable, and the ones after them as
    /// not rehearsed (they may depend on them).
    pub fn rehearse(&mut self) -> Result<Vec<RehearsalEntry>, Error> {
        self.locked(|m| {
            let state = m.driver.read_state()?;
            let plan = plan::plan(m.source, &state, Request::Up(None), &m.options.plan)
                .map_err(|conflicts| Error::Conflicts { conflicts })?;
            let mut entries = Vec::new();
            let mut scripts: Vec<&Script> = Vec::new();
            let mut blocked: Option<String> = None;
            for step in &plan.steps {
                let mig = m
                    .source
                    .get(step.version)
                    .expect("planned steps name migrations");
                let script = mig.script(step.direction);
                let mode = script.map(|s| m.effective_mode(s));
                let outcome = match (script, mode, &blocked) {
                    (_, _, Some(why)) => RehearsalOutcome::Skipped(why.clone()),
                    (Some(s), Some(_), None) if s.streamed.is_some() => {
                        blocked = Some(format!(
                            "runs after {}/{} {}, which cannot be rehearsed",
                            step.version,
                            step.direction.letter(),
                            step.name
                        ));
                        RehearsalOutcome::NotRehearsable(format!(
                            "{} is too large to hold in memory (streamed); rehearse does not stream",
                            s.path.display()
                        ))
                    }
                    (Some(s), Some(TxMode::Transaction), None) => {
                        scripts.push(s);
                        RehearsalOutcome::Pending
                    }
                    (Some(s), Some(mode), None) => {
                        blocked = Some(format!(
                            "runs after {}/{} {}, which cannot be rehearsed",
                            step.version,
                            step.direction.letter(),
                            step.name
                        ));
                        RehearsalOutcome::NotRehearsable(format!(
                            "{}{}",
                            mode.as_str(),
                            s.run_mode_reason(m.options.plan.statement_mode)
                                .as_ref()
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        ))
                    }
                    _ => RehearsalOutcome::Skipped("no script in this direction".into()),
                };
                entries.push(RehearsalEntry {
                    version: step.version,
                    name: step.name.clone(),
                    mode,
                    outcome,
                });
            }
            let report = if scripts.is_empty() {
                crate::driver::RehearsalReport::default()
            } else {
                match m.driver.session() {
                    Some(session) => session.rehearse(&scripts)?,
                    None => {
                        return Err(DriverError::Unsupported {
                            what: "rehearse migrations (PostgreSQL can)",
                        }
                        .into())
                    }
                }
            };
            let mut results = report.scripts.into_iter();
            let mut failed = false;
            for e in entries.iter_mut() {
                if !matches!(e.outcome, RehearsalOutcome::Pending) {
                    continue;
                }
                let script = m
                    .source
                    .get(e.version)
                    .and_then(|mig| mig.up.as_ref())
                    .expect("rehearsed scripts are up scripts");
                e.outcome = match results.next() {
                    Some(r) => match r.error {
                        None => RehearsalOutcome::Ran {
                            duration: r.duration,
                            locks: r.locks,
                        },
                        Some(cause) => {
                            failed = true;
                            RehearsalOutcome::Failed {
                                duration: r.duration,
                                location: Some(locate(script, &cause, None)),
                                cause,
                            }
                        }
                    },
                    None if failed => RehearsalOutcome::Skipped(
                        "an earlier migration failed in the rehearsal".into(),
                    ),
                    None => RehearsalOutcome::Skipped("not run".into()),
                };
            }
            Ok(entries)
        })
    }

    /// Remove everything in the target schema (or file), under the lock.
    pub fn drop_all(&mut self) -> Result<DropReport, Error> {
        self.locked(|m| Ok(m.driver.drop_all()?))
    }

    fn locked<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.driver.lock(self.options.lock_timeout)?;
        // A panic inside `f` (a caller's event callback, a bug) unwinds through the guard,
        // which releases the lock: the session may live on in a pool and must not keep it.
        let mut guard = LockGuard {
            migrator: self,
            held: true,
        };
        let result = f(guard.migrator);
        guard.held = false;
        let unlocked = guard.migrator.driver.unlock();
        match (result, unlocked) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) => Err(e.into()),
            // The run's error matters more than a failed unlock (the session ends anyway).
            (Err(e), _) => Err(e),
        }
    }

    fn run_locked(
        &mut self,
        request: Request,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Report, Error> {
        // Decide before creating anything: a refused run leaves the database as it was (reading
        // treats a missing table as empty).
        let state = self.driver.read_state()?;
        let plan = plan::plan(self.source, &state, request, &self.options.plan)
            .map_err(|conflicts| Error::Conflicts { conflicts })?;
        for step in &plan.steps {
            let script = self
                .source
                .get(step.version)
                .and_then(|m| m.script(step.direction));
            if let Some(why) = script.and_then(|s| streamed_refusal(s, self.effective_mode(s))) {
                return Err(Error::Invalid(format!(
                    "migration {}/{} {}: {why}",
                    step.version,
                    step.direction.letter(),
                    step.name
                )));
            }
        }
        on_event(Event::Planned {
            steps: plan
                .steps
                .iter()
                .map(|s| (s.version, s.name.clone(), s.direction))
                .collect(),
        });
        self.driver.ensure_tables()?;
        for message in self.driver.take_warnings() {
            on_event(Event::Warning { message });
        }
        let mut report = Report::default();
        if !plan.reconcile.is_empty() {
            self.driver.write(&plan.reconcile)?;
            report.reconciled = plan
                .reconcile
                .iter()
                .filter(|w| !matches!(w, LedgerWrite::Log(_)))
                .count();
        }
        if self.options.single_transaction && !plan.steps.is_empty() {
            self.check_single_transaction(&plan)?;
            self.batch(&plan, 0, plan.steps.len(), &mut report, on_event)?;
        }
        let mut i = if self.options.single_transaction {
            plan.steps.len()
        } else {
            0
        };
        // A batch must end before `cap` (the server refused a message at that step, or it is
        // to be retried on its own).
        let mut cap = usize::MAX;
        while i < plan.steps.len() {
            if self.stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                return Err(Error::Interrupted { report });
            }
            if i >= cap {
                cap = usize::MAX;
            }
            let n = self.batch_len(&plan, i, cap);
            // A lone migration goes as a batch of one too (one message instead of two), unless
            // it is to be retried on its own or is big enough for the driver to cut it.
            let alone_in_one_message = n == 1
                && cap == usize::MAX
                && self.driver.capabilities().batch_limit > 1
                && self.script_len(&plan.steps[i]) <= MAX_BATCH_BYTES;
            if n > 1 || alone_in_one_message {
                match self.batch(&plan, i, n, &mut report, on_event)? {
                    Resume::At(next) => i = next,
                    Resume::Before(next, until) => (i, cap) = (next, until),
                }
                continue;
            }
            let done = self.step(&plan, &plan.steps[i], &report, on_event)?;
            on_event(Event::Finished(done.clone()));
            report.steps.push(done);
            i += 1;
        }
        if plan.short > 0 {
            return Err(Error::LimitShort {
                short: plan.short,
                report,
            });
        }
        Ok(report)
    }

    fn step(
        &mut self,
        plan: &Plan,
        step: &Step,
        report: &Report,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<StepReport, Error> {
        let m = self
            .source
            .get(step.version)
            .expect("planned steps name migrations of the source");
        on_event(Event::Started {
            version: step.version,
            name: step.name.clone(),
            direction: step.direction,
        });
        let script = m.script(step.direction);
        let mode = script.map(|s| self.effective_mode(s));
        let started = Instant::now();
        let records = self.records(plan, step, m, mode);

        let outcome = match (script, mode) {
            (None, _) | (_, None) => self
                .driver
                .write(&records)
                .map_err(|e| (e, None, Aftermath::NotStarted)),
            (Some(script), Some(TxMode::Transaction)) => self
                .run_with_retries(step.version, script, &records, on_event)
                .map_err(|e| (e, None, Aftermath::RolledBack)),
            (Some(script), Some(mode)) => self
                .prepare_session(step.version, script, on_event)
                .map_err(|e| (e, None, Aftermath::NotStarted))
                .and_then(|()| {
                    let outcome = self.run_dirty_protocol(m, step, script, mode, &records, started);
                    let restored = self
                        .driver
                        .session()
                        .map_or(Ok(()), |session| session.after_script());
                    match (outcome, restored) {
                        (Ok(()), Err(e)) => Err((e, None, Aftermath::Applied)),
                        (outcome, _) => outcome,
                    }
                }),
        };
        for message in self.driver.take_notices() {
            on_event(Event::Notice {
                version: step.version,
                message,
            });
        }
        let duration = started.elapsed();
        match outcome {
            Ok(()) => Ok(StepReport {
                version: step.version,
                name: step.name.clone(),
                direction: step.direction,
                mode,
                duration,
            }),
            Err((cause, statement, aftermath)) => {
                let (cause, unconfirmed) = match cause {
                    DriverError::Unconfirmed(cause) => (*cause, vec![step.version]),
                    cause => (cause, Vec::new()),
                };
                let mut err = self.fail(
                    step, m, script, cause, statement, aftermath, duration, report,
                );
                if let Error::Migration { unconfirmed: u, .. } = &mut err {
                    *u = unconfirmed;
                }
                Err(err)
            }
        }
    }

    /// The ledger, compatibility-row and log writes that commit with `step`.
    fn records(
        &self,
        plan: &Plan,
        step: &Step,
        m: &Migration,
        mode: Option<TxMode>,
    ) -> Vec<LedgerWrite> {
        let actor = &self.options.plan.actor;
        let mut records = match step.direction {
            Direction::Up => {
                let mut row = plan::ledger_row(m, step.batch, 0, actor, Origin::Applied);
                row.mode = mode.unwrap_or(TxMode::Transaction);
                vec![LedgerWrite::Insert(row)]
            }
            Direction::Down => vec![LedgerWrite::Delete(step.version)],
        };
        records.push(LedgerWrite::SetCompat(step.compat_after));
        let how = mode.map_or("no script in this direction", TxMode::as_str);
        let detail = match (step.action, plan.request) {
            (Action::Rollback, _) => format!("rollback of batch {}; {how}", step.batch),
            (_, Request::Redo) => format!("redo; {how}"),
            (_, Request::Refresh) => format!("refresh; {how}"),
            _ => how.to_string(),
        };
        let detail = if step.out_of_order {
            format!("{detail}; applied out of order (older than the newest applied version)")
        } else {
            detail
        };
        records.push(LedgerWrite::Log(plan::log(
            step.action,
            m,
            Some(step.batch),
            actor,
            &detail,
        )));
        records
    }

    /// Log a failed step (best effort) and build its error.
    #[allow(clippy::too_many_arguments)]
    fn fail(
        &mut self,
        step: &Step,
        m: &Migration,
        script: Option<&Script>,
        cause: DriverError,
        statement: Option<Range<usize>>,
        aftermath: Aftermath,
        duration: Duration,
        report: &Report,
    ) -> Error {
        // A lost lock or a version recorded meanwhile is no statement's fault.
        let contested = matches!(
            cause,
            DriverError::LockLost { .. } | DriverError::AlreadyApplied { .. }
        );
        let location = script
            .filter(|_| !contested)
            .map(|s| locate(s, &cause, statement));
        let mut detail = cause.to_string();
        if let Some(l) = &location {
            detail = format!("{}:{}:{}: {detail}", l.path.display(), l.line, l.column);
        }
        let actor = &self.options.plan.actor;
        // Best effort: the failure itself is what matters; a broken connection may refuse this
        // too.
        let _ = self.driver.write(&[LedgerWrite::Log(LogEntry {
            action: Action::Fail,
            duration_ms: duration.as_millis() as i64,
            ..plan::log(Action::Fail, m, Some(step.batch), actor, &detail)
        })]);
        Error::Migration {
            version: step.version,
            name: step.name.clone(),
            direction: step.direction,
            aftermath,
            location,
            cause,
            report: report.clone(),
            unconfirmed: Vec::new(),
        }
    }

    /// Whether `step` may share a message with its neighbours: a transactional script the lexer
    /// read to its end.
    fn batchable(&self, step: &Step) -> bool {
        self.source
            .get(step.version)
            .and_then(|m| m.script(step.direction))
            .is_some_and(|s| s.batchable && self.effective_mode(s) == TxMode::Transaction)
    }

    /// How many steps from `start` go in one batch: consecutive batchable steps, at most the
    /// driver's limit and [`MAX_BATCH_BYTES`] of SQL (a bigger script goes alone), none before
    /// `cap`, and no version twice (the ledger tells which items committed, by version).
    fn batch_len(&self, plan: &Plan, start: usize, cap: usize) -> usize {
        let limit = self
            .driver
            .capabilities()
            .batch_limit
            .min(cap.saturating_sub(start));
        let mut bytes = 0;
        let mut n = 0;
        for step in plan.steps[start..].iter().take(limit) {
            if !self.batchable(step)
                || plan.steps[start..start + n]
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

    fn script_len(&self, step: &Step) -> usize {
        self.source
            .get(step.version)
            .and_then(|m| m.script(step.direction))
            .map_or(0, |s| s.sql.len())
    }

    /// `--single-transaction` needs every step to run inside a transaction.
    fn check_single_transaction(&self, plan: &Plan) -> Result<(), Error> {
        if !self.driver.capabilities().single_transaction {
            return Err(Error::Invalid(
                "--single-transaction is not available for this database (PostgreSQL has it); run without it".into(),
            ));
        }
        for step in &plan.steps {
            let script = self
                .source
                .get(step.version)
                .and_then(|m| m.script(step.direction));
            let why = match script {
                None => Some("it has no script in this direction".to_string()),
                Some(s) if self.effective_mode(s) != TxMode::Transaction => Some(format!(
                    "it runs {}{}",
                    self.effective_mode(s).as_str(),
                    s.run_mode_reason(self.options.plan.statement_mode)
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                )),
                Some(s) if s.streamed.is_some() => Some(format!(
                    "{} is too large to hold in memory (streamed) and runs on its own",
                    s.path.display()
                )),
                Some(s) if !s.batchable => Some(format!(
                    "{} has COPY data or an unterminated string, quoted name, dollar quote or comment",
                    s.path.display()
                )),
                Some(_) => None,
            };
            if let Some(why) = why {
                return Err(Error::Invalid(format!(
                    "--single-transaction: migration {}/{} {} cannot run inside the one transaction: {why}; run without --single-transaction",
                    step.version,
                    step.direction.letter(),
                    step.name
                )));
            }
        }
        Ok(())
    }

    /// Run steps `start..start + n` through [`Driver::run_batch`] (all of them in one
    /// transaction with `--single-transaction`), reporting each as it would be reported alone.
    fn batch(
        &mut self,
        plan: &Plan,
        start: usize,
        n: usize,
        report: &mut Report,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Resume, Error> {
        let steps = &plan.steps[start..start + n];
        let mut scripts = Vec::with_capacity(n);
        let mut records = Vec::with_capacity(n);
        for step in steps {
            let m = self
                .source
                .get(step.version)
                .expect("planned steps name migrations of the source");
            let script = m
                .script(step.direction)
                .expect("batched steps have a script");
            records.push(self.records(plan, step, m, Some(TxMode::Transaction)));
            scripts.push(script);
        }
        let items: Vec<BatchItem<'_>> = scripts
            .iter()
            .zip(&records)
            .map(|(script, writes)| BatchItem { script, writes })
            .collect();
        let started = Instant::now();
        let single = self.options.single_transaction;
        // Each step is told started as the driver sees it start, and reported as soon as the
        // driver hands it over: committed and durable.
        let mut told = 0;
        let result = self.driver.run_batch(&items, single, &mut |p| {
            let (i, d) = match p {
                BatchProgress::Started(i) => {
                    let step = &steps[i];
                    on_event(Event::Started {
                        version: step.version,
                        name: step.name.clone(),
                        direction: step.direction,
                    });
                    told = told.max(i + 1);
                    return;
                }
                BatchProgress::Done(i, d) => (i, d),
            };
            let step = &steps[i];
            for message in d.notices {
                on_event(Event::Notice {
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
            on_event(Event::Finished(finished.clone()));
            report.steps.push(finished);
        });
        let Err(f) = result else {
            return Ok(Resume::At(start + n));
        };
        let committed = start + f.committed;
        let at = start + f.failed.min(n - 1);
        if f.stopped && f.unconfirmed.is_none() {
            // A first Ctrl-C: the batch ended after the migration that was running.
            return Err(Error::Interrupted {
                report: report.clone(),
            });
        }
        if !single && f.unconfirmed.is_none() && at > committed {
            // The server refused the whole message at step `at`: the steps before it did not
            // run; send them again, without it.
            return Ok(Resume::Before(committed, at));
        }
        if !single && is_lock_timeout(&f.error) && self.options.lock_retries > 0 {
            // Retries go one migration at a time, with back-off.
            return Ok(Resume::Before(at, at + 1));
        }
        let step = &plan.steps[at];
        // The failing step is told started even when the server failed the message before it.
        for s in steps.iter().take(at - start + 1).skip(told) {
            on_event(Event::Started {
                version: s.version,
                name: s.name.clone(),
                direction: s.direction,
            });
        }
        for message in f.notices {
            on_event(Event::Notice {
                version: step.version,
                message,
            });
        }
        let m = self
            .source
            .get(step.version)
            .expect("planned steps name migrations of the source");
        let unconfirmed = f.unconfirmed.map_or_else(Vec::new, |r| {
            steps[r.start.min(n)..r.end.min(n)]
                .iter()
                .map(|s| s.version)
                .collect()
        });
        let mut err = self.fail(
            step,
            m,
            m.script(step.direction),
            f.error,
            None,
            Aftermath::RolledBack,
            started.elapsed(),
            report,
        );
        if let Error::Migration { unconfirmed: u, .. } = &mut err {
            *u = unconfirmed;
        }
        Err(err)
    }

    /// golang-migrate's dirty protocol around a non-transactional body. On error returns the
    /// driver error, the failing statement's range in the script (when run statement by
    /// statement) and what the failure left behind.
    fn run_dirty_protocol(
        &mut self,
        m: &Migration,
        step: &Step,
        script: &Script,
        mode: TxMode,
        records: &[LedgerWrite],
        started: Instant,
    ) -> Result<(), (DriverError, Option<Range<usize>>, Aftermath)> {
        let actor = self.options.plan.actor.clone();
        // A self-managed file runs whole: there is no statement to name.
        let ranges = match mode {
            TxMode::SelfManaged => Vec::new(),
            _ => statement_ranges(script, self.driver.dialect()),
        };
        let total = ranges.len();
        // Statements come in order: one pass over the text positions them all (a fresh scan per
        // statement was quadratic on large no-transaction files).
        let mut lines = strata_sql::Cursor::new(&script.sql);
        let mut reached = |i: usize, range: &Range<usize>| {
            let text = &script.sql[range.clone()];
            let lead = text.len() - text.trim_start().len();
            Reached {
                version: m.version,
                name: m.name.clone(),
                direction: step.direction,
                statement: i + 1,
                total,
                path: script.path.display().to_string(),
                line: script.first_line + lines.line_col(range.start + lead).line - 1,
                text: Reached::first_line(text),
            }
            .detail()
        };
        // Statement 1 rides on the `start` entry, which is written anyway (with the dirty row).
        let start_detail = match ranges.first() {
            Some(first) => format!("{}; {}", mode.as_str(), reached(0, first)),
            None => mode.as_str().to_string(),
        };
        self.driver
            .write(&[
                LedgerWrite::SetCompat(Some(step.compat_dirty)),
                LedgerWrite::Log(plan::log(Action::Start, m, None, &actor, &start_detail)),
            ])
            .map_err(|e| (e, None, Aftermath::NotStarted))?;
        if mode == TxMode::SelfManaged {
            // Sent in messages that keep the file's transactions as one message would, so that
            // a failure is placed at its statement, not at the top of the file.
            let dialect = self.driver.dialect();
            let statements = statement_ranges(script, dialect);
            for range in strata_sql::self_managed_messages(&script.sql, &statements, dialect) {
                self.driver
                    .run_autocommit(&script.sql[range.clone()])
                    .map_err(|e| (e.shifted(range.start), Some(range), Aftermath::Dirty))?;
            }
        } else {
            for (i, range) in ranges.iter().enumerate() {
                if i > 0 {
                    // Durable before the statement runs, so that a kill during it leaves the
                    // record behind: one autocommit INSERT, one round trip per statement (no-
                    // transaction migrations are few and their statements slow).
                    let entry = plan::log(Action::Progress, m, None, &actor, &reached(i, range));
                    self.driver
                        .append_log(&entry)
                        .map_err(|e| (e, None, Aftermath::Dirty))?;
                }
                self.driver
                    .run_autocommit(&script.sql[range.clone()])
                    .map_err(|e| {
                        let e = shift(e, range.start, i + 1, total);
                        (e, Some(range.clone()), Aftermath::Dirty)
                    })?;
            }
        }
        let elapsed = started.elapsed().as_millis() as i64;
        let stamped: Vec<LedgerWrite> = records
            .iter()
            .cloned()
            .map(|w| stamp_duration(w, elapsed))
            .collect();
        self.driver
            .write(&stamped)
            .map_err(|e| (e, None, Aftermath::Dirty))
    }

    /// A transactional run, retried with back-off while it fails on a table lock's timeout.
    fn run_with_retries(
        &mut self,
        version: Version,
        script: &Script,
        records: &[LedgerWrite],
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), DriverError> {
        let retries = self.options.lock_retries;
        let mut attempt = 0;
        loop {
            match self.driver.run_in_transaction(script, records) {
                Err(e)
                    if attempt < retries
                        && is_lock_timeout(&e)
                        && !self.stop.is_some_and(|s| s.load(Ordering::SeqCst)) =>
                {
                    attempt += 1;
                    let wait = retry_delay(attempt);
                    on_event(Event::Retry {
                        version,
                        attempt,
                        retries,
                        wait,
                        message: describe(&e),
                    });
                    std::thread::sleep(wait);
                }
                other => return other,
            }
        }
    }

    /// Before a non-transactional script: deal with INVALID indexes it would recreate, then
    /// apply its timeouts to the session.
    fn prepare_session(
        &mut self,
        version: Version,
        script: &Script,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<(), DriverError> {
        let drop_invalid = self.options.drop_invalid_indexes;
        let dropped = match self.driver.session() {
            Some(session) => session.before_script(script, drop_invalid)?,
            None => return Ok(()),
        };
        for name in dropped {
            on_event(Event::Notice {
                version,
                message: format!(
                    "dropped INVALID index {name} left by an earlier failed CREATE INDEX CONCURRENTLY"
                ),
            });
        }
        Ok(())
    }

    fn effective_mode(&self, script: &Script) -> TxMode {
        script.run_mode(self.options.plan.statement_mode)
    }
}

/// Whether a failure is a table lock's timeout (PostgreSQL `lock_not_available`, 55P03), which
/// a later attempt may not meet.
pub fn is_lock_timeout(e: &DriverError) -> bool {
    matches!(e, DriverError::Statement { code: Some(c), .. } if c == "55P03")
}

/// How long to wait before retry `attempt` (1-based): 1s, 2s, 4s, ... at most 30s.
pub fn retry_delay(attempt: u32) -> Duration {
    let secs = 1u64 << attempt.saturating_sub(1).min(5);
    Duration::from_secs(secs.min(30))
}

/// A driver error on one line, with the server's detail (e.g. the blocking session).
fn describe(e: &DriverError) -> String {
    match e {
        DriverError::Statement {
            message,
            detail: Some(d),
            ..
        } => format!("{message}: {d}"),
        other => other.to_string(),
    }
}

/// Set `duration_ms` on ledger rows and log entries (drivers do the same for transactional
/// runs, where only they can time the body).
pub fn stamp_duration(w: LedgerWrite, ms: i64) -> LedgerWrite {
    match w {
        LedgerWrite::Insert(mut row) => {
            row.duration_ms = ms;
            LedgerWrite::Insert(row)
        }
        LedgerWrite::Log(mut log) => {
            log.duration_ms = ms;
            LedgerWrite::Log(log)
        }
        other => other,
    }
}

/// The statements of a script as byte ranges: explicit blocks if the source gave them, else the
/// lexer's split. A `COPY ... FROM stdin` statement's range runs to the end of its data block
/// (the `\.` line included), so a driver given that text has the data too.
pub fn statement_ranges(script: &Script, dialect: strata_sql::Dialect) -> Vec<Range<usize>> {
    match &script.statements {
        Some(ranges) => ranges.clone(),
        None => strata_sql::split(&script.sql, dialect)
            .statements
            .into_iter()
            .map(|s| s.range.start..s.end_with_data())
            .collect(),
    }
}

/// Make a statement error's offsets relative to the whole script instead of the statement, and
/// say which statement it was.
fn shift(e: DriverError, by: usize, index: usize, total: usize) -> DriverError {
    match e.shifted(by) {
        DriverError::Statement {
            message,
            code,
            detail,
            hint,
            statement,
            position,
        } => DriverError::Statement {
            message: format!("{message} (statement {index} of {total})"),
            code,
            detail,
            hint,
            statement,
            position,
        },
        other => other,
    }
}

/// Where in the file a failure is: from the server's position, else the failing statement's
/// start, else the script's start.
fn locate(script: &Script, cause: &DriverError, known: Option<Range<usize>>) -> Location {
    let (statement, position) = match cause {
        DriverError::Statement {
            statement,
            position,
            ..
        } => (statement.clone().or(known), *position),
        _ => (known, None),
    };
    if let Some(len) = script.streamed.map(|s| s.len) {
        return locate_streamed(script, len, statement, position);
    }
    let len = script.sql.len();
    let statement = statement.filter(|r| r.start <= r.end && r.end <= len);
    let offset = position
        .filter(|p| *p <= len)
        .or(statement.as_ref().map(|r| r.start))
        .unwrap_or_else(|| script.sql.len() - script.sql.trim_start().len());
    let at = strata_sql::line_col(&script.sql, offset);
    let text = statement
        .as_ref()
        .map_or(script.sql.trim(), |r| script.sql[r.clone()].trim());
    let statement_start = statement.map_or(offset, |r| r.start);
    Location {
        path: script.path.clone(),
        line: script.first_line + at.line - 1,
        column: at.column,
        statement: text.to_string(),
        statement_line: script.first_line + strata_sql::line_col(&script.sql, statement_start).line
            - 1,
    }
}

/// Most of a streamed script's failing statement shown in a [`Location`].
const MAX_LOCATED_TEXT: usize = 64 << 10;

/// [`locate`] for a streamed script (no text in memory): the file is read again up to the
/// failing offset, counting lines (once, on the error path).
fn locate_streamed(
    script: &Script,
    len: usize,
    statement: Option<Range<usize>>,
    position: Option<usize>,
) -> Location {
    let statement = statement.filter(|r| r.start <= r.end && r.end <= len);
    let offset = position
        .filter(|p| *p <= len)
        .or(statement.as_ref().map(|r| r.start))
        .unwrap_or(0);
    match crate::source::stream::locate_in_file(
        &script.path,
        offset,
        statement.clone(),
        MAX_LOCATED_TEXT,
    ) {
        Some((at, text, statement_line)) => Location {
            path: script.path.clone(),
            line: at.line,
            column: at.column,
            statement: text.trim().to_string(),
            statement_line,
        },
        None => Location {
            path: script.path.clone(),
            line: script.first_line,
            column: 1,
            statement: String::new(),
            statement_line: script.first_line,
        },
    }
}

/// Why a streamed script cannot run in `mode` (only transactional runs stream).
fn streamed_refusal(script: &Script, mode: TxMode) -> Option<String> {
    let len = script.streamed?.len;
    (mode != TxMode::Transaction).then(|| {
        format!(
            "{} ({} MiB) is too large to hold in memory and is streamed; streamed files run only in a transaction, but this one runs {}{} (split the file, or move that statement into a file of its own)",
            script.path.display(),
            len >> 20,
            mode.as_str(),
            script
                .mode_reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement_error(code: &str) -> DriverError {
        DriverError::Statement {
            message: "canceling statement due to lock timeout".into(),
            code: Some(code.into()),
            detail: Some("blocked by pid 7".into()),
            hint: None,
            statement: None,
            position: None,
        }
    }

    #[test]
    fn only_lock_not_available_is_retried() {
        assert!(is_lock_timeout(&statement_error("55P03")));
        assert!(!is_lock_timeout(&statement_error("57014")));
        assert!(!is_lock_timeout(&statement_error("42P01")));
        assert!(!is_lock_timeout(&DriverError::statement("no code")));
        assert!(!is_lock_timeout(&DriverError::LockTimeout {
            waited: Duration::from_secs(1),
            holder: None
        }));
        assert!(!is_lock_timeout(&DriverError::Protocol("55P03".into())));
    }

    #[test]
    fn retry_back_off_doubles_from_one_second_up_to_thirty() {
        let waits: Vec<u64> = (1..=8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn retry_message_names_the_blocker_from_the_detail() {
        assert_eq!(
            describe(&statement_error("55P03")),
            "canceling statement due to lock timeout: blocked by pid 7"
        );
    }
}
