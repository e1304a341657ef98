//! The planner proper: the steps a request runs, in order, or every conflict found.

use super::{drift, reconcile, row_drift, Conflict, PlanOptions, Request};
use crate::ledger::{compat_for, Action, AppliedMigration, CompatRow, LedgerState, LedgerWrite};
use crate::migration::{Direction, Migration, TxMode, Version};
use crate::resume::{resume_point, ResumePoint, ResumeRefusal};
use crate::source::Source;
use serde::Serialize;
use std::collections::BTreeSet;

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

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
