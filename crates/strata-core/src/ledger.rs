//! What the database remembers, as plain data.
//!
//! Two things are kept:
//! - the **compatibility row**, golang-migrate's one-row `schema_migrations (version, dirty)`
//!   table, written so that golang-migrate can read a database Strata migrated and the other way
//!   round;
//! - Strata's **ledger**: one row per applied migration (checksum, batch, who, when, how long,
//!   how it ran), and an append-only **log** of every action.
//!
//! Drivers turn [`LedgerWrite`]s into SQL for their dialect; nothing here does IO.

use crate::migration::{TxMode, Version};
use serde::Serialize;

/// golang-migrate's `(version, dirty)` row. `version` is `-1` only in the "failed down of the
/// first migration" state (`(-1, dirty)`); a clean "nothing applied" is an empty table, i.e.
/// `None` where this type is wrapped in an `Option`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompatRow {
    /// The version golang-migrate considers current.
    pub version: i64,
    /// Whether a migration towards `version` started and did not finish.
    pub dirty: bool,
}

/// How a ledger row came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Strata ran it.
    Applied,
    /// Found applied by golang-migrate (or another tool) and adopted without running.
    Adopted,
    /// Recorded by `force`.
    Forced,
    /// Recorded by `baseline`.
    Baseline,
}

impl Origin {
    /// The name stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Applied => "applied",
            Origin::Adopted => "adopted",
            Origin::Forced => "forced",
            Origin::Baseline => "baseline",
        }
    }
    /// Parse [`Origin::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "applied" => Some(Origin::Applied),
            "adopted" => Some(Origin::Adopted),
            "forced" => Some(Origin::Forced),
            "baseline" => Some(Origin::Baseline),
            _ => None,
        }
    }
}

/// One ledger row: a migration that is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    /// Its version.
    pub version: Version,
    /// Its name when applied.
    pub name: String,
    /// Hex checksum of the file when applied; `None` for rows adopted without a file.
    pub checksum: Option<String>,
    /// The batch (one per `up` run; 0 for adopted rows).
    pub batch: i64,
    /// When, as RFC 3339 UTC text (filled by the database on insert).
    pub applied_at: String,
    /// How long the body took, in milliseconds.
    pub duration_ms: i64,
    /// Who applied it (`user@host`).
    pub applied_by: String,
    /// How it ran.
    pub mode: TxMode,
    /// How the row came to be.
    pub origin: Origin,
}

/// Everything read from the database before planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerState {
    /// golang-migrate's row; `None` = empty table (nothing applied).
    pub compat: Option<CompatRow>,
    /// Strata's ledger rows, ascending by version.
    pub applied: Vec<AppliedMigration>,
}

impl LedgerState {
    /// The highest applied version in the ledger.
    pub fn head(&self) -> Option<Version> {
        self.applied.iter().map(|a| a.version).max()
    }
    /// The ledger row for `version`.
    pub fn get(&self, version: Version) -> Option<&AppliedMigration> {
        self.applied.iter().find(|a| a.version == version)
    }
    /// The highest batch number used so far (0 if none).
    pub fn last_batch(&self) -> i64 {
        self.applied.iter().map(|a| a.batch).max().unwrap_or(0)
    }
}

/// The action a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A migration was applied.
    Up,
    /// A migration was reverted.
    Down,
    /// `force` set the version.
    Force,
    /// `baseline` marked migrations applied.
    Baseline,
    /// Rows were adopted from golang-migrate's table (or another tool's).
    Adopt,
    /// A migration started outside a transaction (the dirty flag is set).
    Start,
    /// A migration failed.
    Fail,
    /// `drop` emptied the database.
    Drop,
    /// `rollback` reverted a migration as part of undoing a batch.
    Rollback,
    /// `accept` re-recorded the checksum of an intentionally edited applied file.
    Accept,
}

impl Action {
    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Force => "force",
            Action::Baseline => "baseline",
            Action::Adopt => "adopt",
            Action::Start => "start",
            Action::Fail => "fail",
            Action::Drop => "drop",
            Action::Rollback => "rollback",
            Action::Accept => "accept",
        }
    }

    /// Parse [`Action::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "up" => Action::Up,
            "down" => Action::Down,
            "force" => Action::Force,
            "baseline" => Action::Baseline,
            "adopt" => Action::Adopt,
            "start" => Action::Start,
            "fail" => Action::Fail,
            "drop" => Action::Drop,
            "rollback" => Action::Rollback,
            "accept" => Action::Accept,
            _ => return None,
        })
    }
}

/// One append-only log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// What happened.
    pub action: Action,
    /// To which version, if any.
    pub version: Option<Version>,
    /// The migration's name, if any.
    pub name: String,
    /// The batch, if the action belongs to one.
    pub batch: Option<i64>,
    /// The checksum involved, if any.
    pub checksum: Option<String>,
    /// Milliseconds the action took.
    pub duration_ms: i64,
    /// Who did it (`user@host`).
    pub actor: String,
    /// Free text: the error for `fail`, the old version for `force`, ...
    pub detail: String,
}

/// A log entry as read back from the database (for `history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Its position in the log (ascending in the order entries were written).
    pub id: i64,
    /// When it was written, RFC 3339 UTC text (filled by the database).
    pub at: String,
    /// What was written.
    #[serde(flatten)]
    pub entry: LogEntry,
}

/// A change to the compatibility row, ledger or log. Drivers apply a slice of these in one
/// transaction (or together with a migration's body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerWrite {
    /// Replace the compatibility row (TRUNCATE + INSERT; `None` empties the table).
    SetCompat(Option<CompatRow>),
    /// Insert (or replace) a ledger row. An empty `applied_at` is filled by the database with
    /// the current time; a non-empty one (RFC 3339 UTC text, kept by `adopt` from another
    /// tool's table) is stored as given.
    Insert(AppliedMigration),
    /// Delete the ledger row of a version.
    Delete(Version),
    /// Append to the log.
    Log(LogEntry),
}

/// The compatibility row golang-migrate would hold for a set of applied versions: the highest,
/// clean, or an empty table.
pub fn compat_for(head: Option<Version>) -> Option<CompatRow> {
    head.map(|v| CompatRow {
        version: v as i64,
        dirty: false,
    })
}
