//! `rehearse`: the pending transactional migrations run inside one transaction that is rolled
//! back, under the migration lock; what each did (time, locks) or where it failed.

use super::Migrator;
use crate::driver::DriverError;
use crate::error::{Error, Location};
use crate::executor;
use crate::migration::{Script, TxMode, Version};
use crate::plan::{self, Request};
use std::time::Duration;

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

impl Migrator<'_> {
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

    fn effective_mode(&self, script: &Script) -> TxMode {
        script.run_mode(self.options.plan.statement_mode)
    }
}
