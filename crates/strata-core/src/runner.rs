//! The runner: owns a migration session — the migration lock (always released, also on error
//! and on panic) and the operations on the ledger: `up`/`down` (planned here, executed by the
//! [`crate::executor`]), `force`, `baseline`, `accept`, `adopt`, `history`, `validate`,
//! `version`, `rehearse` and `drop`.

use crate::driver::{Driver, DriverError, DropReport};
use crate::error::{Error, Location};
use crate::executor::{self, Backend, Executor};
use crate::ledger::{CompatRow, LedgerState, LedgerWrite, LogRecord};
use crate::migration::{Script, TxMode, Version};
use crate::plan::{self, Conflict, Plan, Request};
use crate::report::{Event, Report};
use crate::source::Source;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use crate::executor::RunOptions;

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
            return Err(Error::ForceVersionOutOfRange { version });
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
                                location: Some(executor::locate::locate(script, &cause, None).resolve()),
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
        let caps = Backend::of(&*self.driver);
        let exec = Executor::new(self.source, plan, self.options.clone(), caps);
        executor::drive(&mut *self.driver, exec, on_event, self.stop)
    }

    fn effective_mode(&self, script: &Script) -> TxMode {
        script.run_mode(self.options.plan.statement_mode)
    }
}
