//! `status`: every migration on disk and in the ledger, with its state. Pure.

use crate::drift::row_drift;
use crate::ledger::{LedgerState, Origin, Reached};
use crate::migration::Version;
use crate::plan::{reconcile, Conflict};
use crate::source::Source;
use serde::Serialize;

/// The state of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// Not applied yet.
    Pending,
    /// Not applied, and older than the newest applied version (`up` refuses it unless
    /// `--allow-out-of-order`).
    OutOfOrder,
    /// Applied, but the file was edited since.
    Edited,
    /// Applied, but its file is gone.
    Missing,
    /// Applied, but its `.down` file was edited since (`down` refuses to run it).
    DownEdited,
    /// Applied, but its `.down` file was deleted since.
    DownMissing,
    /// Started outside a transaction and did not finish: golang-migrate's row is dirty for it.
    Dirty,
}

impl State {
    /// The word shown in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::OutOfOrder => "out-of-order",
            State::Edited => "edited",
            State::Missing => "missing",
            State::DownEdited => "down-edited",
            State::DownMissing => "down-missing",
            State::Dirty => "dirty",
        }
    }
}

/// One row of `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    /// Version.
    pub version: Version,
    /// Name (from the file, or the ledger when the file is missing).
    pub name: String,
    /// State.
    pub state: State,
    /// Batch, when applied.
    pub batch: Option<i64>,
    /// When applied (RFC 3339 UTC).
    pub applied_at: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Who applied it.
    pub applied_by: Option<String>,
    /// How the ledger row came to be.
    pub origin: Option<Origin>,
    /// The file (up part), if any.
    pub file: Option<String>,
}

/// The whole status: rows, plus golang-migrate's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// One row per version on disk or in the ledger, ascending.
    pub migrations: Vec<StatusRow>,
    /// golang-migrate's current version (`None`: nothing applied).
    pub version: Option<i64>,
    /// Whether golang-migrate's row is dirty.
    pub dirty: bool,
    /// While dirty: the statement the interrupted migration reached, when Strata recorded it.
    pub reached: Option<Reached>,
    /// Files in the folder that are not migrations.
    pub ignored: Vec<crate::source::IgnoredFile>,
    /// Files that look like migrations but match no layout (see [`Source::warnings`]).
    pub warnings: Vec<crate::source::IgnoredFile>,
}

impl Status {
    /// How many things stand between the database and "everything applied, nothing wrong":
    /// migrations not in the `applied` state (pending, out of order, edited, missing), plus one
    /// for a dirty row. `status --check` fails when this is not zero.
    pub fn unsettled(&self) -> usize {
        let rows = self
            .migrations
            .iter()
            .filter(|r| r.state != State::Applied)
            .count();
        // A dirty row already counts as a migration in the `dirty` state, where one is known.
        let dirty_row = self.migrations.iter().any(|r| r.state == State::Dirty);
        rows + usize::from(self.dirty && !dirty_row)
    }

    /// Migrations not applied: pending or out of order. An applied migration whose file was
    /// edited or deleted is applied, and counted by [`Status::count`] under its own state.
    pub fn not_applied(&self) -> usize {
        self.count(State::Pending) + self.count(State::OutOfOrder)
    }

    /// Rows in `state`.
    pub fn count(&self, state: State) -> usize {
        self.migrations.iter().filter(|r| r.state == state).count()
    }
}

/// Compute the status. Rows golang-migrate applied that Strata has not adopted yet show as
/// applied (with origin `adopted`), exactly as the next run will record them.
pub fn status(source: &Source, state: &LedgerState) -> Status {
    let view = match reconcile(source, state, "") {
        Ok((_, view)) => view,
        Err(Conflict::Dirty { .. }) | Err(_) => state.clone(),
    };
    let head = view.head();
    let mut rows: Vec<StatusRow> = Vec::new();
    for m in &source.migrations {
        let applied = view.get(m.version);
        let state = match applied.map(|a| row_drift(a, Some(m))) {
            Some(drift) => match (drift.up, drift.down) {
                (Some(Conflict::Missing { .. }), _) => State::Missing,
                (Some(_), _) => State::Edited,
                (None, Some(Conflict::DownMissing { .. })) => State::DownMissing,
                (None, Some(_)) => State::DownEdited,
                (None, None) => State::Applied,
            },
            None if head.is_some_and(|h| m.version < h) => State::OutOfOrder,
            None => State::Pending,
        };
        rows.push(StatusRow {
            version: m.version,
            name: m.name.clone(),
            state,
            batch: applied.map(|a| a.batch),
            applied_at: applied
                .map(|a| a.applied_at.clone())
                .filter(|s| !s.is_empty()),
            duration_ms: applied.map(|a| a.duration_ms),
            applied_by: applied.map(|a| a.applied_by.clone()),
            origin: applied.map(|a| a.origin),
            file: m
                .up
                .as_ref()
                .or(m.down.as_ref())
                .map(|s| s.path.display().to_string()),
        });
    }
    for a in view
        .applied
        .iter()
        .filter(|a| source.get(a.version).is_none())
    {
        rows.push(StatusRow {
            version: a.version,
            name: a.name.clone(),
            state: State::Missing,
            batch: Some(a.batch),
            applied_at: Some(a.applied_at.clone()).filter(|s| !s.is_empty()),
            duration_ms: Some(a.duration_ms),
            applied_by: Some(a.applied_by.clone()),
            origin: Some(a.origin),
            file: None,
        });
    }
    rows.sort_by_key(|r| r.version);
    // The migration the dirty row is about: the one Strata recorded as interrupted, else (a row
    // golang-migrate left dirty) the row's version when it is not applied: an up of it failed.
    // A down golang-migrate left half done shows only as the dirty version.
    let dirty_version = state
        .compat
        .filter(|c| c.dirty)
        .and_then(|c| match &state.reached {
            Some(r) => Some(r.version),
            None => u64::try_from(c.version)
                .ok()
                .filter(|v| view.get(*v).is_none()),
        });
    if let Some(row) = rows.iter_mut().find(|r| Some(r.version) == dirty_version) {
        row.state = State::Dirty;
    }
    Status {
        migrations: rows,
        version: state.compat.map(|c| c.version),
        dirty: state.compat.is_some_and(|c| c.dirty),
        reached: state
            .reached
            .clone()
            .filter(|_| state.compat.is_some_and(|c| c.dirty)),
        ignored: source.ignored.clone(),
        warnings: source.warnings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: Version, state: State) -> StatusRow {
        StatusRow {
            version,
            name: String::new(),
            state,
            batch: None,
            applied_at: None,
            duration_ms: None,
            applied_by: None,
            origin: None,
            file: None,
        }
    }

    #[test]
    fn unsettled_counts_everything_but_applied_rows_and_a_dirty_row() {
        let mut s = Status {
            migrations: vec![row(1, State::Applied), row(2, State::Applied)],
            version: Some(2),
            dirty: false,
            reached: None,
            ignored: vec![],
            warnings: vec![],
        };
        assert_eq!(s.unsettled(), 0);
        s.migrations.push(row(3, State::Pending));
        s.migrations.push(row(4, State::Edited));
        assert_eq!(s.unsettled(), 2);
        s.dirty = true;
        assert_eq!(s.unsettled(), 3);
        // The dirty migration's own row counts once, not again for the flag.
        s.migrations.push(row(5, State::Dirty));
        assert_eq!(s.unsettled(), 3);
    }

    #[test]
    fn an_applied_migration_whose_files_changed_is_not_counted_as_not_applied() {
        let s = Status {
            migrations: vec![
                row(1, State::Edited),
                row(2, State::DownEdited),
                row(3, State::Missing),
                row(4, State::OutOfOrder),
                row(5, State::Pending),
            ],
            version: Some(3),
            dirty: false,
            reached: None,
            ignored: vec![],
            warnings: vec![],
        };
        assert_eq!(s.not_applied(), 2);
        assert_eq!(
            (
                s.count(State::Edited),
                s.count(State::DownEdited),
                s.count(State::Applied)
            ),
            (1, 1, 0)
        );
    }
}
