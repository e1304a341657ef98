//! The runner: owns a migration session — the migration lock (always released, also on error
//! and on panic) and `up`/`down` (planned here, executed by the [`crate::executor`]). The other
//! operations live beside it: `ledger_edits` (`force`, `baseline`, `accept`, `adopt`),
//! `inspect` (`state`, `plan`, `history`, `validate`, `version`), `rehearse` and `drop`.

mod drop;
mod inspect;
mod ledger_edits;
mod rehearse;

pub use rehearse::{RehearsalEntry, RehearsalOutcome};

use crate::driver::Driver;
use crate::error::Error;
use crate::executor::{self, Backend, Executor};
use crate::plan::{self, Request};
use crate::report::{Event, Report};
use crate::source::Source;
use std::sync::atomic::AtomicBool;

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
        let statement_mode = self.options.plan.statement_mode;
        if let Some(hooks) = self.driver.session() {
            let refused =
                executor::session_refusal(self.source, &plan, statement_mode, &caps, hooks);
            if let Some(e) = refused {
                return Err(e);
            }
        }
        let exec = Executor::new(self.source, plan, self.options.clone(), caps);
        executor::drive(&mut *self.driver, exec, on_event, self.stop)
    }
}
