//! Why a plan cannot be made: every conflict, its message and the user's way out.

use crate::checksum;
use crate::ledger::Reached;
use crate::migration::{Direction, Version};
use crate::printable::printable_path;
use crate::resume::ResumeRefusal;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

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
        path: PathBuf,
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
                printable_path(path),
                checksum::short(applied),
                checksum::short(now)
            ),
            Conflict::DownEdited { version, name, path, applied, now } => write!(
                f,
                "the down file {} of migration {version} ({name}) was edited after the migration was applied (checksum {} then, {} now)",
                printable_path(path),
                checksum::short(applied),
                checksum::short(now)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{CompatRow, LedgerState};
    use crate::plan::test_fixtures::*;
    use crate::plan::{plan, PlanOptions, Request};

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
    fn edited_files_are_named_printably() {
        let edited = Conflict::Edited {
            version: 1,
            name: "m1".into(),
            path: PathBuf::from("m/1_a\nb\u{1b}[2J.up.sql"),
            applied: "0123456789abcdef".into(),
            now: "fedcba9876543210".into(),
        };
        let down = Conflict::DownEdited {
            version: 1,
            name: "m1".into(),
            path: PathBuf::from("m/1_a\nb\u{1b}[2J.down.sql"),
            applied: "0123456789abcdef".into(),
            now: "fedcba9876543210".into(),
        };
        for c in [edited, down] {
            let text = c.to_string();
            assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text:?}");
            assert!(text.contains("m/1_a\\nb\\u{1b}[2J."), "{text:?}");
            assert!(
                text.contains("checksum 0123456789ab then, fedcba987654 now"),
                "{text:?}"
            );
        }
    }
}
