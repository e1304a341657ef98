//! The planner: a pure function from (migrations on disk, ledger, request, options) to a
//! [`Plan`] or the complete list of [`Conflict`]s.
//!
//! Dry-run, `status` and the real run share this code, so what `plan` prints is exactly what
//! `up` does. Nothing here does IO.
//!
//! Before planning, the ledger is [`reconcile`]d with golang-migrate's one-row table, so a team
//! can switch between golang-migrate and Strata on a live database in either direction:
//! - a database golang-migrate left at version V (clean) and no ledger yet: every file up to V
//!   is adopted (ledger rows with origin `adopted`, batch 0);
//! - golang-migrate ran `up` after Strata: the versions between the ledger's head and V are
//!   adopted;
//! - golang-migrate ran `down` after Strata: ledger rows above V are removed.
//!
//! A dirty row is never reconciled: it is a [`Conflict::Dirty`] with the fix.

use crate::checksum;
use crate::ledger::{
    compat_for, Action, AppliedMigration, CompatRow, LedgerState, LedgerWrite, LogEntry, Origin,
    Reached,
};
use crate::migration::{Direction, Migration, TxMode, Version};
use crate::resume::{resume_point, ResumePoint, ResumeRefusal};
use crate::source::Source;
use serde::Serialize;
use std::collections::BTreeSet;

pub use crate::drift::{down_drift, drift, row_drift, RowDrift};
use std::fmt;
use std::path::PathBuf;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "command", content = "argument")]
pub enum Request {
    /// Apply all pending migrations, or the next `limit`.
    Up(Option<u64>),
    /// Revert all applied migrations (`None`) or the last `limit`.
    Down(Option<u64>),
    /// Migrate up or down so that `version` is the newest applied.
    Goto(Version),
    /// Revert the last `batches` batches (each `up` run is one batch), newest first. Batch 0
    /// (rows adopted from golang-migrate or recorded by `baseline`, which Strata never ran) is
    /// never rolled back: use `down N` for those.
    Rollback {
        /// How many batches, counted from the newest.
        batches: u64,
    },
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Revert everything, then apply everything (one plan: conflicts anywhere stop it before
    /// anything runs).
    Refresh,
}

/// Switches that change what the planner accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Apply pending migrations older than the newest applied one (golang-migrate silently skips
    /// them forever; Strata refuses unless this is set).
    pub allow_out_of_order: bool,
    /// Who runs the plan (`user@host`), recorded in the ledger.
    pub actor: String,
    /// golang-migrate's `x-multi-statement=true`: run transactional migrations statement by
    /// statement in autocommit (split by the real lexer, not at every `;`); see
    /// [`crate::Script::run_mode`].
    pub statement_mode: bool,
    /// `up --resume`: a database left dirty by an interrupted statement-by-statement migration
    /// goes on at the statement it stopped at (see [`crate::resume`]); a clean one plans as
    /// usual.
    pub resume: bool,
}

/// One reason a plan cannot be made. All are reported together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Conflict {
    /// golang-migrate's row is dirty: a migration started and did not finish.
    Dirty {
        /// The version in the row (golang-migrate's dirty semantics: the target of the step).
        version: i64,
        /// The statement Strata's interrupted no-transaction migration reached, from the log.
        #[serde(skip_serializing_if = "Option::is_none")]
        reached: Option<Reached>,
    },
    /// An applied migration's file was edited since it was applied.
    Edited {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
        /// The edited file (the up file of a pair).
        path: PathBuf,
        /// Checksum recorded when applied.
        applied: String,
        /// Checksum of the file now.
        now: String,
    },
    /// The down file of an applied migration was edited since it was applied: `down` would run
    /// something else than the migration was written with.
    DownEdited {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
        /// The down file.
        path: std::path::PathBuf,
        /// The down file's checksum recorded when applied.
        applied: String,
        /// Its checksum now.
        now: String,
    },
    /// The down file of an applied migration was deleted since it was applied.
    DownMissing {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
    },
    /// An applied migration has no file any more (or, for a pair, no up file).
    Missing {
        /// Its version.
        version: Version,
        /// Its name as recorded.
        name: String,
    },
    /// A pending migration is older than the newest applied one.
    OutOfOrder {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
        /// The newest applied version.
        head: Version,
    },
    /// A migration to revert has no down part.
    NoDown {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
    },
    /// `goto` names a version that no file has.
    UnknownTarget {
        /// The version asked for.
        version: Version,
    },
    /// There are no migrations at all.
    NoMigrations,
    /// `baseline` on a database that already has migration records.
    AlreadyTracked {
        /// Ledger rows present.
        rows: usize,
        /// golang-migrate's version, if its table has a row.
        version: Option<i64>,
    },
    /// `accept` names a version that is not applied.
    NotApplied {
        /// The version asked for.
        version: Version,
    },
    /// `up --resume` cannot continue the dirty migration.
    NotResumable {
        /// The version in golang-migrate's dirty row.
        version: i64,
        /// Why.
        reason: ResumeRefusal,
    },
    /// `adopt`: a row of the other tool's table matches no migration file.
    Unmatched {
        /// The tool (`goose`, ...).
        tool: String,
        /// Its table.
        table: String,
        /// How the table names the row (version, id or name).
        key: String,
        /// The version read from it, if any.
        version: Option<Version>,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // golang-migrate's words first (scripts match them), then where it stopped.
            Conflict::Dirty { version, reached } => {
                write!(f, "Dirty database version {version}. Fix and force version.")?;
                match reached {
                    Some(r) => write!(f, " Migration {r}."),
                    None => Ok(()),
                }
            }
            Conflict::Edited { version, name, path, applied, now } => write!(
                f,
                "migration {version} ({name}) was edited after it was applied: {} (checksum {} then, {} now)",
                path.display(),
                checksum::short(applied),
                checksum::short(now)
            ),
            Conflict::DownEdited { version, name, path, applied, now } => write!(
                f,
                "the down file {} of migration {version} ({name}) was edited after the migration was applied (checksum {} then, {} now)",
                crate::printable::printable_path(path),
                short(applied),
                short(now)
            ),
            Conflict::DownMissing { version, name } => write!(
                f,
                "the down file of migration {version} ({name}) was deleted after the migration was applied"
            ),
            Conflict::Missing { version, name } => write!(
                f,
                "migration {version} ({name}) is applied but its file is missing"
            ),
            Conflict::OutOfOrder { version, name, head } => write!(
                f,
                "migration {version} ({name}) is pending but older than the newest applied version {head}"
            ),
            Conflict::NoDown { version, name } => {
                write!(f, "migration {version} ({name}) has no down part to revert it")
            }
            Conflict::UnknownTarget { version } => {
                write!(f, "no migration found for version {version}")
            }
            Conflict::NoMigrations => write!(f, "no migrations found"),
            Conflict::AlreadyTracked { rows, version } => write!(
                f,
                "the database already has migration records ({rows} ledger row(s){})",
                version.map(|v| format!(", golang-migrate version {v}")).unwrap_or_default()
            ),
            Conflict::NotApplied { version } => {
                write!(f, "migration {version} is not applied")
            }
            Conflict::NotResumable { version, reason } => {
                write!(f, "cannot resume dirty database version {version}: {reason}")
            }
            Conflict::Unmatched { tool, table, key, version } => write!(
                f,
                "row {key:?} of {tool}'s table {table} matches no migration file{}",
                version.map(|v| format!(" (version {v})")).unwrap_or_else(|| " (no version number)".into())
            ),
        }
    }
}

/// The first 12 characters of a checksum (cut on a character boundary: a ledger may hold any
/// text).
fn short(checksum: &str) -> &str {
    checksum
        .char_indices()
        .nth(12)
        .map_or(checksum, |(i, _)| &checksum[..i])
}

/// The fix for a dirty row whose interrupted migration is known: which statements took effect
/// and the two ways out.
fn dirty_hint(version: i64, r: &Reached) -> String {
    let done = match r.statement {
        1 => format!(
            "no statement of {} completed and statement 1 may have partly",
            r.path
        ),
        2 => format!(
            "statement 1 of {} completed and statement 2 may have partly",
            r.path
        ),
        k => format!(
            "statements 1 to {} of {} completed and statement {k} may have partly",
            k - 1,
            r.path
        ),
    };
    let again = match r.direction {
        Direction::Up => "`force <previous version>` and `up`",
        Direction::Down => "`force <its version>` and `down 1`",
    };
    let resume = match (r.direction, &r.prefix) {
        (Direction::Up, Some(_)) => format!(
            "; or fix statement {} and run `up --resume` to go on from it (statements before it are checked unchanged)",
            r.statement
        ),
        _ => String::new(),
    };
    format!(
        "{done}: repair by hand, then run `force {version}` if the migration completed, or {again} \
         to run it again from statement 1 (safe when its statements are idempotent, e.g. IF NOT EXISTS){resume}"
    )
}

impl Conflict {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Conflict::Dirty { version, reached: None } => format!(
                "check what the failed migration left behind, repair it by hand, then run `force {version}` if it completed or `force <previous version>` if it did not"
            ),
            Conflict::Dirty { version, reached: Some(r) } => dirty_hint(*version, r),
            Conflict::Edited { version, .. } => format!(
                "restore the file as it was applied, or put the change in a new migration (use `strata status` to see which files changed; version {version})"
            ),
            Conflict::DownEdited { version, .. } => format!(
                "restore the down file as it was applied, or run `strata accept {version}` if the edit is intended"
            ),
            Conflict::DownMissing { version, .. } => format!(
                "restore the down file (e.g. from version control), or run `strata accept {version}` to record that it has none"
            ),
            Conflict::Missing { .. } => {
                "restore the file (e.g. from version control), or check out the branch that has it".into()
            }
            Conflict::OutOfOrder { .. } => {
                "rename it to a version above the newest applied one, or pass --allow-out-of-order to apply it anyway".into()
            }
            Conflict::NoDown { .. } => {
                "add a down part (a .down.sql file or a down section), or use `force` to set the version without running anything".into()
            }
            Conflict::UnknownTarget { .. } => "pick a version that has a migration file".into(),
            Conflict::NoMigrations => "check -path / MIGRATION_DIR, or create one with `strata create`".into(),
            Conflict::AlreadyTracked { .. } => {
                "baseline and adopt are for a database no tool has tracked yet; pass --force to record it anyway (nothing is run; baseline removes ledger rows above its version, adopt keeps existing rows)".into()
            }
            Conflict::NotApplied { .. } => {
                "only an applied migration's checksum can be accepted; see `strata status`".into()
            }
            Conflict::NotResumable { version, reason } => reason.hint(*version),
            Conflict::Unmatched { .. } => {
                "restore the missing files (e.g. from version control), or pass --ignore-unmatched to adopt the other rows without them".into()
            }
        })
    }
}

/// One migration to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Its version.
    pub version: Version,
    /// Its name.
    pub name: String,
    /// Which way.
    pub direction: Direction,
    /// What the log calls it (`up`, `down`, or `rollback` when a batch is undone).
    pub action: Action,
    /// The batch of the ledger row: the new batch when applying, the reverted row's batch when
    /// reverting.
    pub batch: i64,
    /// How it runs (`None`: no script in that direction, only the records are written).
    pub mode: Option<TxMode>,
    /// golang-migrate's row once this step is done.
    pub compat_after: Option<CompatRow>,
    /// golang-migrate's row while a non-transactional step runs (the dirty protocol).
    pub compat_dirty: CompatRow,
    /// Applied although older than the newest applied version (recorded in the log).
    pub out_of_order: bool,
    /// Continue an interrupted run of it at this statement instead of running it whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumePoint>,
}

/// What a request will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The request planned.
    pub request: Request,
    /// Ledger fixes from [`reconcile`], written before any step.
    #[serde(skip)]
    pub reconcile: Vec<LedgerWrite>,
    /// The batch new ledger rows get.
    pub batch: i64,
    /// Migrations to run, in order.
    pub steps: Vec<Step>,
    /// For `up N`/`down N`: how many of the N steps could not be planned (golang-migrate's
    /// "limit N short").
    pub short: u64,
}

impl Plan {
    /// Whether there is nothing to run and nothing to record.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.reconcile.is_empty()
    }
}

/// Bring the ledger in line with golang-migrate's row (see the module docs). Returns the writes
/// to make and the state as it will be once they are made.
pub fn reconcile(
    source: &Source,
    state: &LedgerState,
    actor: &str,
) -> Result<(Vec<LedgerWrite>, LedgerState), Conflict> {
    if let Some(CompatRow {
        version,
        dirty: true,
    }) = state.compat
    {
        return Err(Conflict::Dirty {
            version,
            reached: state.reached.clone(),
        });
    }
    let compat_head = state.compat.map(|c| c.version).filter(|v| *v >= 0);
    let ledger_head = state.head().map(|v| v as i64);
    let mut writes = Vec::new();
    let mut next = state.clone();
    match (compat_head, ledger_head) {
        (a, b) if a == b => {}
        (Some(v), b) if b.is_none_or(|b| v > b) => {
            // golang-migrate applied up to v: adopt every file above the ledger's head up to v.
            if source.get(v as Version).is_none() {
                return Err(Conflict::Missing {
                    version: v as Version,
                    name: String::new(),
                });
            }
            for m in &source.migrations {
                let above = b.is_none_or(|b| m.version as i64 > b);
                if above && m.version as i64 <= v && next.get(m.version).is_none() {
                    let row = ledger_row(m, 0, 0, actor, Origin::Adopted);
                    writes.push(LedgerWrite::Insert(row.clone()));
                    writes.push(LedgerWrite::Log(log(
                        Action::Adopt,
                        m,
                        Some(0),
                        actor,
                        "applied by golang-migrate; adopted",
                    )));
                    next.applied.push(row);
                }
            }
            next.applied.sort_by_key(|a| a.version);
        }
        (a, _) => {
            // golang-migrate reverted below the ledger's head: forget what it reverted.
            let floor = a.unwrap_or(-1);
            for row in state.applied.iter().filter(|r| r.version as i64 > floor) {
                writes.push(LedgerWrite::Delete(row.version));
                writes.push(LedgerWrite::Log(LogEntry {
                    action: Action::Adopt,
                    version: Some(row.version),
                    name: row.name.clone(),
                    batch: None,
                    checksum: row.checksum.clone(),
                    duration_ms: 0,
                    actor: actor.to_string(),
                    detail: "reverted by golang-migrate; removed from the ledger".into(),
                }));
            }
            next.applied.retain(|r| r.version as i64 <= floor);
        }
    }
    Ok((writes, next))
}

/// Plan `request`. Returns every conflict found, not only the first.
///
/// ```
/// use strata_core::plan::{plan, PlanOptions, Request};
/// use strata_core::{LedgerState, Source};
/// let empty = Source::default();
/// let err = plan(&empty, &LedgerState::default(), Request::Up(None), &PlanOptions::default());
/// assert!(err.is_err()); // no migrations at all
/// ```
pub fn plan(
    source: &Source,
    state: &LedgerState,
    request: Request,
    options: &PlanOptions,
) -> Result<Plan, Vec<Conflict>> {
    let resumed = match options.resume {
        true => resume_point(source, state).map_err(|c| vec![c])?,
        false => None,
    };
    // Resuming: the dirty row stands for the migration being resumed, which the ledger does
    // not hold yet; planned against the ledger, that migration is the first pending one.
    let resuming;
    let state = match resumed {
        Some(_) => {
            resuming = LedgerState {
                compat: compat_for(state.head()),
                reached: None,
                ..state.clone()
            };
            &resuming
        }
        None => state,
    };
    let (reconcile, state) = reconcile(source, state, &options.actor).map_err(|c| vec![c])?;
    let mut conflicts = drift(source, &state);
    // An edited or deleted down file refuses only the plans that would run it.
    let down_drift: std::collections::BTreeMap<Version, Conflict> = state
        .applied
        .iter()
        .filter_map(|row| Some((row.version, row_drift(row, source.get(row.version)).down?)))
        .collect();
    let applied: BTreeSet<Version> = state.applied.iter().map(|a| a.version).collect();
    let head = applied.iter().next_back().copied();

    let pending = |upto: Option<Version>| -> Vec<&Migration> {
        source
            .migrations
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .filter(|m| upto.is_none_or(|u| m.version <= u))
            .collect()
    };
    let out_of_order = |list: &[&Migration], conflicts: &mut Vec<Conflict>| {
        if options.allow_out_of_order {
            return;
        }
        if let Some(head) = head {
            // `-- strata:out-of-order` in the file allows just that migration.
            for m in list
                .iter()
                .filter(|m| m.version < head && !m.allow_out_of_order)
            {
                conflicts.push(Conflict::OutOfOrder {
                    version: m.version,
                    name: m.name.clone(),
                    head,
                });
            }
        }
    };

    let mut short = 0;
    let downs = |versions: Vec<Version>| -> Vec<(Version, Direction)> {
        versions.into_iter().map(|v| (v, Direction::Down)).collect()
    };
    let ups = |list: &[&Migration]| -> Vec<(Version, Direction)> {
        list.iter().map(|m| (m.version, Direction::Up)).collect()
    };
    let chosen: Vec<(Version, Direction)> = match request {
        Request::Up(limit) => {
            if source.migrations.is_empty() && applied.is_empty() {
                conflicts.push(Conflict::NoMigrations);
            }
            let list = pending(None);
            out_of_order(&list, &mut conflicts);
            let mut chosen = ups(&list);
            if let Some(n) = limit {
                short = n.saturating_sub(chosen.len() as u64);
                chosen.truncate(n.min(usize::MAX as u64) as usize);
            }
            chosen
        }
        Request::Down(limit) => {
            let mut versions: Vec<Version> = applied.iter().rev().copied().collect();
            if let Some(n) = limit {
                short = n.saturating_sub(versions.len() as u64);
                versions.truncate(n.min(usize::MAX as u64) as usize);
            }
            downs(versions)
        }
        Request::Goto(target) => {
            if source.get(target).is_none() {
                conflicts.push(Conflict::UnknownTarget { version: target });
            }
            if head.is_some_and(|h| target < h) {
                downs(
                    applied
                        .iter()
                        .rev()
                        .copied()
                        .filter(|v| *v > target)
                        .collect(),
                )
            } else {
                let list = pending(Some(target));
                out_of_order(&list, &mut conflicts);
                ups(&list)
            }
        }
        Request::Rollback { batches } => downs(rollback_order(&state, batches)),
        Request::Redo => match head {
            Some(h) => vec![(h, Direction::Down), (h, Direction::Up)],
            None => Vec::new(),
        },
        Request::Refresh => {
            if source.migrations.is_empty() && applied.is_empty() {
                conflicts.push(Conflict::NoMigrations);
            }
            let mut chosen = downs(applied.iter().rev().copied().collect());
            chosen.extend(source.migrations.iter().map(|m| (m.version, Direction::Up)));
            chosen
        }
    };

    // Build steps, tracking the applied set as each step changes it.
    let batch = state.last_batch() + 1;
    let mut now = applied.clone();
    let mut steps = Vec::with_capacity(chosen.len());
    for (version, direction) in chosen {
        let Some(m) = source.get(version) else {
            // Missing files are already reported by `drift`.
            continue;
        };
        let script = m.script(direction);
        if direction == Direction::Down {
            if let Some(c) = down_drift.get(&version) {
                conflicts.push(c.clone());
            } else if script.is_none() {
                conflicts.push(Conflict::NoDown {
                    version,
                    name: m.name.clone(),
                });
            }
        }
        let compat_dirty = match direction {
            Direction::Up => CompatRow {
                version: version as i64,
                dirty: true,
            },
            Direction::Down => CompatRow {
                version: now.range(..version).next_back().map_or(-1, |v| *v as i64),
                dirty: true,
            },
        };
        let (action, row_batch) = match direction {
            Direction::Up => {
                now.insert(version);
                (Action::Up, batch)
            }
            Direction::Down => {
                now.remove(&version);
                let action = match request {
                    Request::Rollback { .. } => Action::Rollback,
                    _ => Action::Down,
                };
                (action, state.get(version).map_or(0, |r| r.batch))
            }
        };
        steps.push(Step {
            version,
            name: m.name.clone(),
            direction,
            action,
            batch: row_batch,
            mode: script.map(|s| s.run_mode(options.statement_mode)),
            compat_after: compat_for(now.iter().next_back().copied()),
            compat_dirty,
            out_of_order: direction == Direction::Up && now.range(version..).nth(1).is_some(),
            resume: None,
        });
    }
    if let Some((version, point)) = resumed {
        match steps.first_mut() {
            Some(s) if s.version == version && s.direction == Direction::Up => {
                s.resume = Some(point)
            }
            first => conflicts.push(Conflict::NotResumable {
                version: version as i64,
                reason: ResumeRefusal::NotFirst {
                    first: first.map(|s| s.version),
                },
            }),
        }
    }

    if conflicts.is_empty() {
        Ok(Plan {
            request,
            reconcile,
            batch,
            steps,
            short,
        })
    } else {
        conflicts.dedup();
        Err(conflicts)
    }
}

/// The versions `rollback` reverts: every ledger row in the newest `batches` batches, newest
/// batch first and, within a batch, newest version first. Batch 0 (adopted or baseline rows,
/// which Strata never ran) is never part of a rollback.
pub fn rollback_order(state: &LedgerState, batches: u64) -> Vec<Version> {
    let mut numbers: Vec<i64> = state
        .applied
        .iter()
        .map(|a| a.batch)
        .filter(|b| *b > 0)
        .collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    numbers.dedup();
    numbers.truncate(batches.min(usize::MAX as u64) as usize);
    let mut rows: Vec<&AppliedMigration> = state
        .applied
        .iter()
        .filter(|a| numbers.contains(&a.batch))
        .collect();
    rows.sort_by_key(|a| std::cmp::Reverse((a.batch, a.version)));
    rows.into_iter().map(|a| a.version).collect()
}

/// Everything wrong between the files and the database, without changing anything (`validate`):
/// a dirty row, applied files that were edited or are missing, pending migrations older than
/// the newest applied one (unless `allow_out_of_order`). Empty when all is well.
pub fn validate(source: &Source, state: &LedgerState, allow_out_of_order: bool) -> Vec<Conflict> {
    let mut problems = Vec::new();
    let view = match reconcile(source, state, "") {
        Ok((_, view)) => view,
        Err(c) => {
            problems.push(c);
            state.clone()
        }
    };
    problems.extend(drift(source, &view));
    problems.extend(down_drift(source, &view));
    if !allow_out_of_order {
        if let Some(head) = view.head() {
            for m in &source.migrations {
                if m.version < head && view.get(m.version).is_none() {
                    problems.push(Conflict::OutOfOrder {
                        version: m.version,
                        name: m.name.clone(),
                        head,
                    });
                }
            }
        }
    }
    problems.dedup();
    problems
}

/// The writes `baseline V` makes: every file up to `version` that has no ledger row is recorded
/// as applied (origin `baseline`, batch 0, logged) without running anything, and
/// golang-migrate's row becomes `(V, clean)`.
///
/// A database that already has migration records (ledger rows, or a golang-migrate row) is
/// refused unless `force`; forced, ledger rows above `version` are removed (not reverted).
pub fn plan_baseline(
    source: &Source,
    state: &LedgerState,
    version: Version,
    force: bool,
    actor: &str,
) -> Result<Vec<LedgerWrite>, Vec<Conflict>> {
    let mut conflicts = Vec::new();
    if source.get(version).is_none() {
        conflicts.push(Conflict::UnknownTarget { version });
    }
    if !force && (!state.applied.is_empty() || state.compat.is_some()) {
        conflicts.push(Conflict::AlreadyTracked {
            rows: state.applied.len(),
            version: state.compat.map(|c| c.version),
        });
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut writes = Vec::new();
    for row in state.applied.iter().filter(|r| r.version > version) {
        writes.push(LedgerWrite::Delete(row.version));
        writes.push(LedgerWrite::Log(LogEntry {
            action: Action::Baseline,
            version: Some(row.version),
            name: row.name.clone(),
            batch: Some(row.batch),
            checksum: row.checksum.clone(),
            duration_ms: 0,
            actor: actor.to_string(),
            detail: format!("removed from the ledger by baseline {version} --force; not reverted"),
        }));
    }
    for m in source.migrations.iter().filter(|m| m.version <= version) {
        if state.get(m.version).is_none() {
            writes.push(LedgerWrite::Insert(ledger_row(
                m,
                0,
                0,
                actor,
                Origin::Baseline,
            )));
            writes.push(LedgerWrite::Log(log(
                Action::Baseline,
                m,
                Some(0),
                actor,
                &format!("baseline {version}: recorded as applied, not run"),
            )));
        }
    }
    writes.push(LedgerWrite::SetCompat(compat_for(Some(version))));
    Ok(writes)
}

/// The writes `accept V` makes: the ledger row of `version` takes the checksum of the file as it
/// is now, logged with the old and the new checksum. Empty when the checksums already agree.
pub fn plan_accept(
    source: &Source,
    state: &LedgerState,
    version: Version,
    actor: &str,
) -> Result<Vec<LedgerWrite>, Conflict> {
    let row = state.get(version).ok_or(Conflict::NotApplied { version })?;
    let m = source.get(version).ok_or_else(|| Conflict::Missing {
        version,
        name: row.name.clone(),
    })?;
    let now = m.checksum.to_hex();
    let down_now = m.down_checksum.map(|c| c.to_hex());
    if row.checksum.as_deref() == Some(now.as_str()) && row.down_checksum == down_now {
        return Ok(Vec::new());
    }
    let old = row.checksum.clone().unwrap_or_else(|| "none".into());
    let down_change = match (&row.down_checksum, &down_now) {
        (a, b) if a == b => String::new(),
        (a, b) => format!(
            "; down file {} -> {}",
            a.as_deref().unwrap_or("none"),
            b.as_deref().unwrap_or("none")
        ),
    };
    let accepted = AppliedMigration {
        name: m.name.clone(),
        checksum: Some(now.clone()),
        down_checksum: down_now,
        // The database stamps the time of the accept; the original time stays in the log.
        applied_at: String::new(),
        ..row.clone()
    };
    // Delete, then insert: recording a version the ledger already holds is refused (the last
    // line of defence against a double apply), so replacing a row says so explicitly.
    Ok(vec![
        LedgerWrite::Delete(version),
        LedgerWrite::Insert(accepted),
        LedgerWrite::Log(LogEntry {
            action: Action::Accept,
            version: Some(version),
            name: m.name.clone(),
            batch: Some(row.batch),
            checksum: Some(now.clone()),
            duration_ms: 0,
            actor: actor.to_string(),
            detail: format!(
                "checksum {old} -> {now}{down_change} (applied {} by {})",
                if row.applied_at.is_empty() {
                    "?"
                } else {
                    &row.applied_at
                },
                row.applied_by
            ),
        }),
    ])
}

/// The writes `force V` makes: golang-migrate's row becomes `(V, clean)` (or empty for -1), and
/// the ledger is made to agree: rows above V are removed, files up to V without a row are
/// recorded as forced. Nothing is run.
pub fn plan_force(
    source: &Source,
    state: &LedgerState,
    version: i64,
    actor: &str,
) -> Vec<LedgerWrite> {
    let mut writes = Vec::new();
    for row in state.applied.iter().filter(|r| r.version as i64 > version) {
        writes.push(LedgerWrite::Delete(row.version));
    }
    let batch = state.last_batch() + 1;
    for m in source
        .migrations
        .iter()
        .filter(|m| m.version as i64 <= version)
    {
        if state.get(m.version).is_none() {
            writes.push(LedgerWrite::Insert(ledger_row(
                m,
                batch,
                0,
                actor,
                Origin::Forced,
            )));
        }
    }
    writes.push(LedgerWrite::SetCompat(if version < 0 {
        None
    } else {
        Some(CompatRow {
            version,
            dirty: false,
        })
    }));
    let from = match state.compat {
        None => "nothing applied".to_string(),
        Some(c) if c.dirty => format!("{} (dirty)", c.version),
        Some(c) => c.version.to_string(),
    };
    writes.push(LedgerWrite::Log(LogEntry {
        action: Action::Force,
        version: (version >= 0).then_some(version as Version),
        name: source
            .get(version.max(0) as Version)
            .filter(|_| version >= 0)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        batch: None,
        checksum: None,
        duration_ms: 0,
        actor: actor.to_string(),
        detail: format!("forced from {from}"),
    }));
    writes
}

/// A ledger row for `m`.
pub fn ledger_row(
    m: &Migration,
    batch: i64,
    duration_ms: i64,
    actor: &str,
    origin: Origin,
) -> AppliedMigration {
    AppliedMigration {
        version: m.version,
        name: m.name.clone(),
        checksum: Some(m.checksum.to_hex()),
        down_checksum: m.down_checksum.map(|c| c.to_hex()),
        batch,
        applied_at: String::new(),
        duration_ms,
        applied_by: actor.to_string(),
        mode: m.up.as_ref().map_or(TxMode::Transaction, |s| s.mode),
        origin,
    }
}

/// A log entry about `m`.
pub fn log(
    action: Action,
    m: &Migration,
    batch: Option<i64>,
    actor: &str,
    detail: &str,
) -> LogEntry {
    LogEntry {
        action,
        version: Some(m.version),
        name: m.name.clone(),
        batch,
        checksum: Some(m.checksum.to_hex()),
        duration_ms: 0,
        actor: actor.to_string(),
        detail: detail.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Checksum;
    use crate::migration::{Format, Script};
    use std::path::PathBuf;

    fn script(sql: &str) -> Script {
        Script {
            path: PathBuf::from("x.sql"),
            sql: sql.into(),
            offset: 0,
            first_line: 1,
            mode: TxMode::Transaction,
            mode_reason: None,
            statements: None,
            lock_timeout: None,
            statement_timeout: None,
            batchable: true,
            streamed: None,
        }
    }

    /// Source with versions; `spec` is (version, has_up, has_down).
    fn source(spec: &[(Version, bool, bool)]) -> Source {
        Source {
            dir: PathBuf::from("m"),
            migrations: spec
                .iter()
                .map(|&(v, up, down)| Migration {
                    version: v,
                    name: format!("m{v}"),
                    up: up.then(|| script(&format!("-- up {v}"))),
                    down: down.then(|| script(&format!("-- down {v}"))),
                    checksum: Checksum::of(format!("-- up {v}").as_bytes()),
                    down_checksum: down.then(|| Checksum::of(format!("-- down {v}").as_bytes())),
                    format: Format::Pair,
                    allow_out_of_order: false,
                })
                .collect(),
            ignored: vec![],
            warnings: vec![],
        }
    }

    fn applied(src: &Source, versions: &[Version], batch: i64) -> LedgerState {
        let rows: Vec<_> = versions
            .iter()
            .map(|v| ledger_row(src.get(*v).unwrap(), batch, 1, "t", Origin::Applied))
            .collect();
        LedgerState {
            compat: compat_for(versions.iter().max().copied()),
            applied: rows,
            reached: None,
        }
    }

    fn opts() -> PlanOptions {
        PlanOptions {
            allow_out_of_order: false,
            actor: "t".into(),
            statement_mode: false,
            resume: false,
        }
    }

    #[test]
    fn steps_carry_the_mode_the_run_uses() {
        let src = source(&[(1, true, true)]);
        let state = applied(&src, &[], 0);
        let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
        assert_eq!(p.steps[0].mode, Some(TxMode::Transaction));
        let o = PlanOptions {
            statement_mode: true,
            ..opts()
        };
        let p = plan(&src, &state, Request::Up(None), &o).unwrap();
        assert_eq!(p.steps[0].mode, Some(TxMode::NoTransaction));
    }

    fn versions(p: &Plan) -> Vec<(Version, char)> {
        p.steps
            .iter()
            .map(|s| (s.version, s.direction.letter()))
            .collect()
    }

    // The worked example from golang-migrate's test fixture (compat §3.6).
    fn fixture() -> Source {
        source(&[
            (1, true, true),
            (3, true, false),
            (4, true, true),
            (5, false, true),
            (7, true, true),
        ])
    }

    #[test]
    fn up_from_nothing_applies_every_version_in_order() {
        let src = fixture();
        let p = plan(&src, &LedgerState::default(), Request::Up(None), &opts()).unwrap();
        assert_eq!(
            versions(&p),
            [(1, 'u'), (3, 'u'), (4, 'u'), (5, 'u'), (7, 'u')]
        );
        assert_eq!(p.steps[3].mode, None, "v5 has no up part: records only");
        assert_eq!(
            p.steps[4].compat_after,
            Some(CompatRow {
                version: 7,
                dirty: false
            })
        );
        assert_eq!(p.batch, 1);
    }

    #[test]
    fn up_n_reports_how_many_are_short() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5], 1);
        let p = plan(&src, &state, Request::Up(Some(2)), &opts()).unwrap();
        assert_eq!(versions(&p), [(7, 'u')]);
        assert_eq!(p.short, 1);
        assert_eq!(p.batch, 2);
    }

    #[test]
    fn up_at_head_is_an_empty_plan() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
        assert!(p.is_empty());
    }

    #[test]
    fn up_with_no_migrations_at_all_is_a_conflict() {
        let err = plan(
            &Source::default(),
            &LedgerState::default(),
            Request::Up(None),
            &opts(),
        );
        assert_eq!(err.unwrap_err(), vec![Conflict::NoMigrations]);
    }

    #[test]
    fn down_all_refuses_versions_without_down_part_and_names_them() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let err = plan(&src, &state, Request::Down(None), &opts()).unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::NoDown {
                version: 3,
                name: "m3".into()
            }]
        );
    }

    #[test]
    fn down_n_reverts_newest_first_with_golang_migrate_dirty_targets() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let p = plan(&src, &state, Request::Down(Some(3)), &opts()).unwrap();
        assert_eq!(versions(&p), [(7, 'd'), (5, 'd'), (4, 'd')]);
        // A failed down of 7 leaves golang-migrate's row at the predecessor, dirty.
        assert_eq!(
            p.steps[0].compat_dirty,
            CompatRow {
                version: 5,
                dirty: true
            }
        );
        assert_eq!(
            p.steps[2].compat_after,
            Some(CompatRow {
                version: 3,
                dirty: false
            })
        );
    }

    #[test]
    fn down_of_first_version_empties_compat_row_and_dirty_is_minus_one() {
        let src = source(&[(1, true, true)]);
        let state = applied(&src, &[1], 1);
        let p = plan(&src, &state, Request::Down(Some(1)), &opts()).unwrap();
        assert_eq!(p.steps[0].compat_after, None);
        assert_eq!(
            p.steps[0].compat_dirty,
            CompatRow {
                version: -1,
                dirty: true
            }
        );
    }

    #[test]
    fn goto_goes_up_or_down_and_keeps_the_target_applied() {
        let src = fixture();
        let p = plan(&src, &LedgerState::default(), Request::Goto(4), &opts()).unwrap();
        assert_eq!(versions(&p), [(1, 'u'), (3, 'u'), (4, 'u')]);
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let p = plan(&src, &state, Request::Goto(4), &opts()).unwrap();
        assert_eq!(versions(&p), [(7, 'd'), (5, 'd')]);
        let p = plan(&src, &state, Request::Goto(7), &opts()).unwrap();
        assert!(p.is_empty());
    }

    #[test]
    fn goto_unknown_version_is_a_conflict() {
        let src = fixture();
        let err = plan(&src, &LedgerState::default(), Request::Goto(6), &opts()).unwrap_err();
        assert_eq!(err, vec![Conflict::UnknownTarget { version: 6 }]);
    }

    #[test]
    fn plan_reports_all_conflicts_not_just_first() {
        let src = source(&[
            (1, true, true),
            (2, true, true),
            (3, true, true),
            (5, true, true),
        ]);
        let mut state = applied(&src, &[1, 3, 5], 1);
        state.applied[0].checksum = Some("0".repeat(64)); // 1 edited
        state
            .applied
            .push(ledger_row(src.get(5).unwrap(), 1, 1, "t", Origin::Applied));
        state.applied[3].version = 4; // 4 applied but no file
        state.applied.sort_by_key(|a| a.version);
        let err = plan(&src, &state, Request::Up(None), &opts()).unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(matches!(err[0], Conflict::Edited { version: 1, .. }));
        assert!(matches!(err[1], Conflict::Missing { version: 4, .. }));
        assert!(matches!(
            err[2],
            Conflict::OutOfOrder {
                version: 2,
                head: 5,
                ..
            }
        ));
    }

    #[test]
    fn out_of_order_pending_is_applied_when_allowed_without_moving_compat_head() {
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let state = applied(&src, &[1, 3], 1);
        let o = PlanOptions {
            allow_out_of_order: true,
            ..opts()
        };
        let p = plan(&src, &state, Request::Up(None), &o).unwrap();
        assert_eq!(versions(&p), [(2, 'u')]);
        assert_eq!(
            p.steps[0].compat_after,
            Some(CompatRow {
                version: 3,
                dirty: false
            })
        );
    }

    #[test]
    fn dirty_database_is_a_conflict_naming_the_version() {
        let src = fixture();
        let state = LedgerState {
            compat: Some(CompatRow {
                version: 4,
                dirty: true,
            }),
            applied: vec![],
            reached: None,
        };
        let err = plan(&src, &state, Request::Up(None), &opts()).unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::Dirty {
                version: 4,
                reached: None
            }]
        );
        assert_eq!(
            err[0].to_string(),
            "Dirty database version 4. Fix and force version."
        );
    }

    #[test]
    fn reconcile_adopts_golang_migrate_database_on_first_contact() {
        let src = fixture();
        let state = LedgerState {
            compat: Some(CompatRow {
                version: 4,
                dirty: false,
            }),
            applied: vec![],
            reached: None,
        };
        let (writes, next) = reconcile(&src, &state, "t").unwrap();
        let adopted: Vec<_> = next
            .applied
            .iter()
            .map(|a| (a.version, a.origin, a.batch))
            .collect();
        assert_eq!(
            adopted,
            [
                (1, Origin::Adopted, 0),
                (3, Origin::Adopted, 0),
                (4, Origin::Adopted, 0)
            ]
        );
        assert_eq!(writes.len(), 6);
        let p = plan(&src, &state, Request::Up(None), &opts()).unwrap();
        assert_eq!(versions(&p), [(5, 'u'), (7, 'u')]);
    }

    #[test]
    fn reconcile_follows_golang_migrate_runs_in_both_directions() {
        let src = fixture();
        // Strata applied 1, 3; golang-migrate then went up to 5.
        let mut state = applied(&src, &[1, 3], 1);
        state.compat = Some(CompatRow {
            version: 5,
            dirty: false,
        });
        let (_, next) = reconcile(&src, &state, "t").unwrap();
        assert_eq!(
            next.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
            [1, 3, 4, 5]
        );
        // Strata applied everything; golang-migrate then went down to 3.
        let mut state = applied(&src, &[1, 3, 4, 5, 7], 1);
        state.compat = Some(CompatRow {
            version: 3,
            dirty: false,
        });
        let (writes, next) = reconcile(&src, &state, "t").unwrap();
        assert_eq!(
            next.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
            [1, 3]
        );
        assert!(writes.contains(&LedgerWrite::Delete(7)));
        // ... or all the way down (empty table).
        state.compat = None;
        let (_, next) = reconcile(&src, &state, "t").unwrap();
        assert!(next.applied.is_empty());
    }

    #[test]
    fn reconcile_refuses_a_version_not_on_disk() {
        let src = fixture();
        let state = LedgerState {
            compat: Some(CompatRow {
                version: 6,
                dirty: false,
            }),
            applied: vec![],
            reached: None,
        };
        assert!(matches!(
            reconcile(&src, &state, "t"),
            Err(Conflict::Missing { version: 6, .. })
        ));
    }

    #[test]
    fn force_rewrites_ledger_to_agree_with_the_forced_version() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5, 7], 1);
        let w = plan_force(&src, &state, 3, "t");
        assert!(w.contains(&LedgerWrite::Delete(7)));
        assert!(w.contains(&LedgerWrite::Delete(4)));
        assert!(w.contains(&LedgerWrite::SetCompat(Some(CompatRow {
            version: 3,
            dirty: false
        }))));
        let w = plan_force(&src, &LedgerState::default(), 4, "t");
        let forced: Vec<_> = w
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Insert(r) => Some((r.version, r.origin)),
                _ => None,
            })
            .collect();
        assert_eq!(
            forced,
            [
                (1, Origin::Forced),
                (3, Origin::Forced),
                (4, Origin::Forced)
            ]
        );
        let w = plan_force(&src, &state, -1, "t");
        assert!(w.contains(&LedgerWrite::SetCompat(None)));
    }

    /// `applied` with a batch per version.
    fn batches(src: &Source, spec: &[(Version, i64)]) -> LedgerState {
        let versions: Vec<Version> = spec.iter().map(|(v, _)| *v).collect();
        let mut state = applied(src, &versions, 1);
        for (row, (_, b)) in state.applied.iter_mut().zip(spec) {
            row.batch = *b;
        }
        state
    }

    fn actions(p: &Plan) -> Vec<(Version, char, Action, i64)> {
        p.steps
            .iter()
            .map(|s| (s.version, s.direction.letter(), s.action, s.batch))
            .collect()
    }

    #[test]
    fn rollback_reverts_the_whole_last_batch_newest_first_and_leaves_earlier_batches() {
        // The worked example: 001 in batch 1, 002 and 003 in batch 2.
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let state = batches(&src, &[(1, 1), (2, 2), (3, 2)]);
        let p = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap();
        assert_eq!(
            actions(&p),
            [(3, 'd', Action::Rollback, 2), (2, 'd', Action::Rollback, 2)]
        );
        assert_eq!(p.steps[1].compat_after, compat_for(Some(1)));
    }

    #[test]
    fn rollback_n_batches_orders_by_batch_then_version() {
        // Out-of-order: 2 was applied in batch 3, after 4 in batch 2.
        let src = source(&[
            (1, true, true),
            (2, true, true),
            (3, true, true),
            (4, true, true),
        ]);
        let state = batches(&src, &[(1, 1), (2, 3), (3, 2), (4, 2)]);
        let p = plan(&src, &state, Request::Rollback { batches: 2 }, &opts()).unwrap();
        let order: Vec<_> = p.steps.iter().map(|s| s.version).collect();
        assert_eq!(order, [2, 4, 3]);
        let p = plan(&src, &state, Request::Rollback { batches: 9 }, &opts()).unwrap();
        assert_eq!(
            p.steps.len(),
            4,
            "more batches than exist: all of them, no error"
        );
        assert_eq!(p.short, 0);
    }

    #[test]
    fn rollback_never_reverts_batch_zero_and_with_nothing_applied_is_empty() {
        let src = source(&[(1, true, true), (2, true, true)]);
        let state = batches(&src, &[(1, 0), (2, 0)]);
        let p = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap();
        assert!(p.is_empty());
        let p = plan(
            &src,
            &LedgerState::default(),
            Request::Rollback { batches: 1 },
            &opts(),
        );
        assert!(p.unwrap().is_empty());
        let state = batches(&src, &[(1, 0), (2, 1)]);
        let p = plan(&src, &state, Request::Rollback { batches: 5 }, &opts()).unwrap();
        assert_eq!(versions(&p), [(2, 'd')]);
    }

    #[test]
    fn rollback_of_a_batch_with_a_migration_without_down_is_refused_naming_it() {
        let src = source(&[(1, true, true), (2, true, false), (3, true, true)]);
        let state = batches(&src, &[(1, 1), (2, 2), (3, 2)]);
        let err = plan(&src, &state, Request::Rollback { batches: 1 }, &opts()).unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::NoDown {
                version: 2,
                name: "m2".into()
            }]
        );
    }

    #[test]
    fn redo_reverts_and_reapplies_the_newest_migration_in_a_new_batch() {
        let src = source(&[(1, true, true), (2, true, true)]);
        let state = batches(&src, &[(1, 1), (2, 1)]);
        let p = plan(&src, &state, Request::Redo, &opts()).unwrap();
        assert_eq!(
            actions(&p),
            [(2, 'd', Action::Down, 1), (2, 'u', Action::Up, 2)]
        );
        assert_eq!(p.steps[0].compat_after, compat_for(Some(1)));
        assert_eq!(p.steps[1].compat_after, compat_for(Some(2)));
        let p = plan(&src, &LedgerState::default(), Request::Redo, &opts()).unwrap();
        assert!(p.is_empty(), "nothing applied: nothing to redo");
        let src = source(&[(1, true, true), (2, true, false)]);
        let state = batches(&src, &[(1, 1), (2, 1)]);
        let err = plan(&src, &state, Request::Redo, &opts()).unwrap_err();
        assert!(matches!(err[..], [Conflict::NoDown { version: 2, .. }]));
    }

    #[test]
    fn refresh_reverts_everything_then_applies_everything() {
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let state = batches(&src, &[(1, 1), (2, 2)]);
        let p = plan(&src, &state, Request::Refresh, &opts()).unwrap();
        assert_eq!(
            versions(&p),
            [(2, 'd'), (1, 'd'), (1, 'u'), (2, 'u'), (3, 'u')]
        );
        assert_eq!(p.steps[1].compat_after, None);
        assert!(p.steps[2..].iter().all(|s| s.batch == 3));
        // A missing down part anywhere stops it before anything runs.
        let src = source(&[(1, true, false), (2, true, true)]);
        let state = batches(&src, &[(1, 1), (2, 1)]);
        let err = plan(&src, &state, Request::Refresh, &opts()).unwrap_err();
        assert!(matches!(err[..], [Conflict::NoDown { version: 1, .. }]));
    }

    #[test]
    fn validate_is_empty_when_files_and_database_agree() {
        let src = fixture();
        assert!(validate(&src, &LedgerState::default(), false).is_empty());
        let state = applied(&src, &[1, 3, 4], 1);
        assert!(
            validate(&src, &state, false).is_empty(),
            "pending above the head is fine"
        );
    }

    #[test]
    fn validate_reports_edited_missing_out_of_order_and_dirty_together() {
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let mut state = applied(&src, &[1, 3], 1);
        state.applied[0].checksum = Some("0".repeat(64));
        state
            .applied
            .push(ledger_row(src.get(3).unwrap(), 1, 1, "t", Origin::Applied));
        state.applied[2].version = 4;
        state.compat = Some(CompatRow {
            version: 4,
            dirty: true,
        });
        let problems = validate(&src, &state, false);
        assert!(
            matches!(problems[0], Conflict::Dirty { version: 4, .. }),
            "{problems:?}"
        );
        assert!(problems
            .iter()
            .any(|c| matches!(c, Conflict::Edited { version: 1, .. })));
        assert!(problems
            .iter()
            .any(|c| matches!(c, Conflict::Missing { version: 4, .. })));
        assert!(problems.iter().any(|c| matches!(
            c,
            Conflict::OutOfOrder {
                version: 2,
                head: 4,
                ..
            }
        )));
        assert_eq!(problems.len(), 4);
        let allowed = validate(&src, &state, true);
        assert_eq!(allowed.len(), 3, "out-of-order allowed: {allowed:?}");
    }

    #[test]
    fn baseline_records_files_up_to_v_as_baseline_without_running_them() {
        let src = fixture();
        let w = plan_baseline(&src, &LedgerState::default(), 4, false, "t").unwrap();
        let rows: Vec<_> = w
            .iter()
            .filter_map(|w| match w {
                LedgerWrite::Insert(r) => Some((r.version, r.origin, r.batch)),
                _ => None,
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, Origin::Baseline, 0),
                (3, Origin::Baseline, 0),
                (4, Origin::Baseline, 0)
            ]
        );
        let logged = w
            .iter()
            .filter(|w| matches!(w, LedgerWrite::Log(e) if e.action == Action::Baseline))
            .count();
        assert_eq!(logged, 3);
        assert_eq!(w.last(), Some(&LedgerWrite::SetCompat(compat_for(Some(4)))));
    }

    #[test]
    fn baseline_refuses_a_tracked_database_unless_forced_and_an_unknown_version() {
        let src = fixture();
        let state = applied(&src, &[1, 3, 4, 5], 1);
        let err = plan_baseline(&src, &state, 3, false, "t").unwrap_err();
        assert_eq!(
            err,
            vec![Conflict::AlreadyTracked {
                rows: 4,
                version: Some(5)
            }]
        );
        let golang_only = LedgerState {
            compat: compat_for(Some(1)),
            applied: vec![],
            reached: None,
        };
        assert!(plan_baseline(&src, &golang_only, 3, false, "t").is_err());
        let w = plan_baseline(&src, &state, 3, true, "t").unwrap();
        assert!(w.contains(&LedgerWrite::Delete(4)));
        assert!(w.contains(&LedgerWrite::Delete(5)));
        assert!(
            !w.iter().any(|w| matches!(w, LedgerWrite::Insert(_))),
            "1 and 3 stay as they are"
        );
        let err = plan_baseline(&src, &LedgerState::default(), 6, false, "t").unwrap_err();
        assert_eq!(err, vec![Conflict::UnknownTarget { version: 6 }]);
    }

    #[test]
    fn accept_rerecords_the_checksum_and_logs_old_and_new() {
        let src = fixture();
        let mut state = applied(&src, &[1, 3], 2);
        state.applied[0].checksum = Some("a".repeat(64));
        let w = plan_accept(&src, &state, 1, "t").unwrap();
        let new = src.get(1).unwrap().checksum.to_hex();
        match &w[..] {
            [LedgerWrite::Delete(1), LedgerWrite::Insert(row), LedgerWrite::Log(e)] => {
                assert_eq!(row.checksum.as_deref(), Some(new.as_str()));
                assert_eq!(
                    (row.batch, row.origin),
                    (2, Origin::Applied),
                    "row otherwise kept"
                );
                assert_eq!(e.action, Action::Accept);
                assert!(
                    e.detail.contains(&"a".repeat(64)) && e.detail.contains(&new),
                    "{}",
                    e.detail
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            plan_accept(&src, &state, 3, "t").unwrap().is_empty(),
            "unchanged: nothing"
        );
        assert_eq!(
            plan_accept(&src, &state, 4, "t"),
            Err(Conflict::NotApplied { version: 4 })
        );
    }

    #[test]
    fn status_marks_the_migration_a_dirty_row_is_about() {
        use crate::status::{status, State};
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let states = |st: &LedgerState| -> Vec<State> {
            status(&src, st)
                .migrations
                .iter()
                .map(|r| r.state)
                .collect()
        };
        // golang-migrate left an up of 3 dirty: 3 is not applied, so it is the dirty one.
        let mut st = applied(&src, &[1, 2], 1);
        st.compat = Some(CompatRow {
            version: 3,
            dirty: true,
        });
        assert_eq!(states(&st), [State::Applied, State::Applied, State::Dirty]);
        assert_eq!(status(&src, &st).unsettled(), 1);
        // Strata's down of 2 stopped at its statement 2: the row says 1, the log says 2.
        let mut st = applied(&src, &[1, 2], 1);
        st.compat = Some(CompatRow {
            version: 1,
            dirty: true,
        });
        st.reached = Some(Reached {
            version: 2,
            name: "m2".into(),
            direction: Direction::Down,
            statement: 2,
            total: 2,
            path: "m/2_m2.down.sql".into(),
            line: 3,
            text: "DROP TABLE b;".into(),
            prefix: None,
        });
        assert_eq!(states(&st), [State::Applied, State::Dirty, State::Pending]);
        let err = plan(&src, &st, Request::Up(None), &PlanOptions::default()).unwrap_err();
        assert_eq!(
            err[0].to_string(),
            "Dirty database version 1. Fix and force version. Migration 2/d m2 stopped at statement 2 of 2 (m/2_m2.down.sql:3: DROP TABLE b;)."
        );
        assert!(
            err[0]
                .hint()
                .unwrap()
                .contains("`force <its version>` and `down 1`"),
            "{:?}",
            err[0].hint()
        );
    }

    #[test]
    fn status_validate_and_plans_stay_linear_in_the_ledger_size() {
        use crate::ledger::probes;
        // 20,000 applied migrations, one pending: a linear search of the ledger per migration
        // looks at ~2 * 10^8 rows; a binary search at ~15 per lookup.
        let n: u64 = 20_000;
        let spec: Vec<(Version, bool, bool)> = (1..=n + 1).map(|v| (v, true, true)).collect();
        let src = source(&spec);
        let all: Vec<Version> = (1..=n).collect();
        let state = applied(&src, &all, 1);
        let budget = 4 * n * (u64::from(n.ilog2()) + 2);

        let mut status = None;
        let rows = probes::during(|| status = Some(crate::status::status(&src, &state)));
        assert_eq!(status.unwrap().unsettled(), 1);
        assert!(rows <= budget, "status looked at {rows} ledger rows");

        let rows = probes::during(|| assert!(validate(&src, &state, false).is_empty()));
        assert!(rows <= budget, "validate looked at {rows} ledger rows");

        for request in [Request::Up(None), Request::Down(None)] {
            let rows = probes::during(|| {
                plan(&src, &state, request, &opts()).unwrap();
            });
            assert!(rows <= budget, "{request:?} looked at {rows} ledger rows");
        }

        // First contact with a database golang-migrate migrated: every file is adopted.
        let fresh = LedgerState {
            compat: compat_for(Some(n)),
            ..LedgerState::default()
        };
        let rows = probes::during(|| {
            let (writes, next) = reconcile(&src, &fresh, "t").unwrap();
            assert_eq!(
                (writes.len(), next.applied.len()),
                (2 * n as usize, n as usize)
            );
        });
        assert!(rows <= budget, "reconcile looked at {rows} ledger rows");
    }

    #[test]
    fn an_edited_or_deleted_down_file_refuses_the_plans_that_run_it() {
        let src = source(&[(1, true, true), (2, true, true), (3, true, true)]);
        let state = applied(&src, &[1, 2], 1);
        let mut edited = src.clone();
        edited.migrations[1].down_checksum = Some(Checksum::of(b"-- down 2, edited"));
        edited.migrations[0].down = None;
        edited.migrations[0].down_checksum = None;

        let problems = validate(&edited, &state, false);
        assert!(
            matches!(&problems[..], [Conflict::DownMissing { version: 1, .. }, Conflict::DownEdited { version: 2, applied, now, .. }]
                if *applied == Checksum::of(b"-- down 2").to_hex() && *now == Checksum::of(b"-- down 2, edited").to_hex()),
            "{problems:?}"
        );
        assert!(problems[1]
            .to_string()
            .starts_with("the down file x.sql of migration 2 (m2) was edited"));
        assert!(problems[1].hint().unwrap().contains("strata accept 2"));

        // `up` never runs a down file: it goes on.
        let p = plan(&edited, &state, Request::Up(None), &opts()).unwrap();
        assert_eq!(versions(&p), [(3, 'u')]);
        // Every plan that would run the edited down file is refused, naming it.
        for request in [
            Request::Down(Some(1)),
            Request::Redo,
            Request::Rollback { batches: 1 },
        ] {
            let err = plan(&edited, &state, request, &opts()).unwrap_err();
            assert!(
                matches!(err[0], Conflict::DownEdited { version: 2, .. }),
                "{request:?}: {err:?}"
            );
        }
        let err = plan(&edited, &state, Request::Down(None), &opts()).unwrap_err();
        assert!(
            matches!(
                err[..],
                [
                    Conflict::DownEdited { version: 2, .. },
                    Conflict::DownMissing { version: 1, .. }
                ]
            ),
            "{err:?}"
        );

        // `accept` records the down file as it is now; then nothing is reported.
        let writes = plan_accept(&edited, &state, 2, "t").unwrap();
        let Some(row) = writes.iter().find_map(|w| match w {
            LedgerWrite::Insert(row) => Some(row),
            _ => None,
        }) else {
            panic!("{writes:?}")
        };
        assert_eq!(
            row.down_checksum,
            Some(Checksum::of(b"-- down 2, edited").to_hex())
        );
        match writes.last() {
            Some(LedgerWrite::Log(e)) => assert!(e.detail.contains("; down file "), "{}", e.detail),
            other => panic!("{other:?}"),
        }
    }
}
