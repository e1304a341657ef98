//! The engine's error type. Each variant carries the context a person (or a program) needs:
//! which migration, which file, line and column, which statement.

use crate::adopt::AdoptError;
use crate::driver::DriverError;
use crate::migration::{Direction, TxMode, Version};
use crate::plan::Conflict;
use crate::report::Report;
use crate::source::SourceErrors;
use std::path::PathBuf;

/// Where in a file a failing statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column in the file.
    pub column: usize,
    /// The failing statement's text (or the whole script when it could not be narrowed down).
    pub statement: String,
    /// 1-based line in the file where `statement` starts.
    pub statement_line: usize,
}

/// What a failed migration left behind, as the runner observed it (so messages say what
/// happened, not what the migration's mode suggests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aftermath {
    /// It ran in a transaction that was rolled back: the database is as it was before it.
    RolledBack,
    /// It was stopped before any of its statements ran (e.g. refused over an INVALID index):
    /// nothing changed and golang-migrate's row is not dirty.
    NotStarted,
    /// It runs outside a transaction and failed part way: golang-migrate's row is left dirty.
    Dirty,
    /// It completed and was recorded; what failed came after it.
    Applied,
}

impl Aftermath {
    /// Whether golang-migrate's row was left dirty.
    pub fn is_dirty(self) -> bool {
        self == Aftermath::Dirty
    }
}

/// Everything that can go wrong in a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The migration files have problems.
    #[error("{0}")]
    Source(#[from] SourceErrors),
    /// The plan could not be made.
    #[error("{}", conflicts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("\n"))]
    Conflicts {
        /// Every conflict found.
        conflicts: Vec<Conflict>,
    },
    /// The database failed outside any migration (connect, lock, bookkeeping).
    #[error("{0}")]
    Driver(#[from] DriverError),
    /// A migration failed. `report` holds what was applied before it.
    #[error("migration {version} ({name}) failed{}: {cause}", location.as_ref().map(|l| format!(" at {}:{}:{}", l.path.display(), l.line, l.column)).unwrap_or_default())]
    Migration {
        /// Its version.
        version: Version,
        /// Its name.
        name: String,
        /// Which way it ran.
        direction: Direction,
        /// What it left behind (rolled back, not started, dirty, ...).
        aftermath: Aftermath,
        /// Where it failed, when known.
        location: Option<Location>,
        /// The database's error.
        cause: DriverError,
        /// What was applied before the failure (committed and durable).
        report: Report,
        /// Migrations whose outcome is unknown — the connection was lost before the server
        /// said, and no other session could tell: each may have committed. Empty when known
        /// (then this migration did not commit).
        unconfirmed: Vec<Version>,
    },
    /// `up N` / `down N` ran out of migrations after applying some (golang-migrate's
    /// "limit N short").
    #[error("limit {short} short")]
    LimitShort {
        /// How many of N could not be run.
        short: u64,
        /// What was applied.
        report: Report,
    },
    /// The run was interrupted (Ctrl-C) after the current migration.
    #[error("interrupted after {} migration(s)", report.steps.len())]
    Interrupted {
        /// What was applied.
        report: Report,
    },
    /// `version` on a database with nothing applied.
    #[error("no migration")]
    NilVersion,
    /// A planned migration cannot run at all; nothing was changed.
    #[error("migration {version}/{} {name}: {reason}", direction.letter())]
    NotRunnable {
        /// Its version.
        version: Version,
        /// Which way it was to run.
        direction: Direction,
        /// Its name.
        name: String,
        /// Why.
        reason: NotRunnableReason,
    },
    /// All migrations were to run in one transaction, and this one cannot go inside it;
    /// nothing was changed.
    #[error("migration {version}/{} {name} cannot run inside the one transaction: {reason}", direction.letter())]
    NotInOneTransaction {
        /// Its version.
        version: Version,
        /// Which way it was to run.
        direction: Direction,
        /// Its name.
        name: String,
        /// Why.
        reason: OneTransactionBlocker,
    },
    /// All migrations were to run in one transaction, which this database's driver cannot do.
    #[error("this database cannot run all migrations in one transaction (PostgreSQL can)")]
    SingleTransactionUnavailable,
    /// `force` was given a version below -1 (-1 means nothing applied).
    #[error("the version to force must be >= -1 (got {version})")]
    ForceVersionOutOfRange {
        /// The version given.
        version: i64,
    },
    /// `adopt` was refused before writing anything.
    #[error(transparent)]
    Adopt(#[from] AdoptError),
}

/// Why a migration cannot run (see [`Error::NotRunnable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotRunnableReason {
    /// Its file is too large to hold in memory, so it is streamed; only a transaction can run
    /// a streamed file, and this one runs another way.
    #[error("{} ({} MiB) is too large to hold in memory and is streamed; streamed files run only in a transaction, but this one runs {}{}", path.display(), bytes >> 20, mode.as_str(), mode_reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    StreamedOutsideTransaction {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        bytes: usize,
        /// How it runs.
        mode: TxMode,
        /// Why it runs that way.
        mode_reason: Option<String>,
    },
    /// It runs outside a transaction, which this connection cannot do as the file asks
    /// (the driver's words).
    #[error("{0}")]
    Session(String),
}

/// Why a migration cannot go inside the one transaction of a single-transaction run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OneTransactionBlocker {
    /// Nothing to run in this direction (only records would be written, outside it).
    #[error("it has no script in this direction")]
    NoScript,
    /// It runs outside a transaction.
    #[error("it runs {}{}", mode.as_str(), reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Mode {
        /// How it runs.
        mode: TxMode,
        /// Why it runs that way.
        reason: Option<String>,
    },
    /// Its file is too large to hold in memory: it is streamed and runs on its own.
    #[error("{} is too large to hold in memory (streamed) and runs on its own", path.display())]
    Streamed {
        /// The file.
        path: PathBuf,
    },
    /// Its text cannot share a message with others (COPY data, or something left open).
    #[error("{} has COPY data or an unterminated string, quoted name, dollar quote or comment", path.display())]
    NotBatchable {
        /// The file.
        path: PathBuf,
    },
}

impl Error {
    /// The report of what was applied before the error, if the error happened mid-run.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Error::Migration { report, .. }
            | Error::LimitShort { report, .. }
            | Error::Interrupted { report } => Some(report),
            _ => None,
        }
    }
}
