//! The one boundary between the engine and a database.
//!
//! A driver is a thin, honest layer: it knows its dialect's SQL, its lock and how to run a body
//! with or without a transaction. It makes no decisions: the runner decides what to run and in
//! which order, and hands the driver [`LedgerWrite`]s to record.

use crate::ledger::{LedgerState, LedgerWrite, LogEntry, LogRecord};
use crate::migration::Script;
use std::ops::Range;
use std::time::Duration;

/// Names of the tables a driver keeps, derived from the compatibility table's name so that two
/// migration sets in one schema never share a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Schema of all three tables (`None`: the driver's default, e.g. `current_schema()`).
    pub schema: Option<String>,
    /// golang-migrate's table (default `schema_migrations`).
    pub compat: String,
    /// Strata's ledger: `<compat>_ledger`.
    pub ledger: String,
    /// Strata's action log: `<compat>_log`.
    pub log: String,
}

impl TableNames {
    /// Names derived from the compatibility table's name.
    ///
    /// ```
    /// let t = strata_core::TableNames::new(None, "schema_migrations");
    /// assert_eq!(t.ledger, "schema_migrations_ledger");
    /// assert_eq!(t.log, "schema_migrations_log");
    /// ```
    pub fn new(schema: Option<String>, compat: &str) -> TableNames {
        TableNames {
            schema,
            compat: compat.to_string(),
            ledger: format!("{compat}_ledger"),
            log: format!("{compat}_log"),
        }
    }
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames::new(None, "schema_migrations")
    }
}

/// An error from the database, with whatever structure the server gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// Could not connect (refused, authentication, unknown database, TLS...).
    #[error("{message}")]
    Connect {
        /// One-line cause (never contains a password).
        message: String,
        /// What to check.
        hint: Option<String>,
    },
    /// A statement failed.
    #[error("{message}")]
    Statement {
        /// The server's message.
        message: String,
        /// SQLSTATE, where the backend has one.
        code: Option<String>,
        /// The server's DETAIL.
        detail: Option<String>,
        /// The server's HINT.
        hint: Option<String>,
        /// Byte range (within the SQL the driver was given) of the failing statement, if known.
        statement: Option<Range<usize>>,
        /// Byte offset (within the SQL the driver was given) the server pointed at, if any.
        position: Option<usize>,
    },
    /// The migration lock could not be taken in time.
    #[error("timeout: can't acquire database lock after {waited:?}{}", holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        /// How long we waited.
        waited: Duration,
        /// Who holds it, if the backend can tell.
        holder: Option<String>,
    },
    /// A transaction that was to apply or record a migration found the migration lock no longer
    /// held by the server session running it, and stopped before doing anything.
    #[error("the migration lock is not held by this session: a transaction-pooling proxy (PgBouncer pool_mode=transaction) or a migration that released it ({detail})")]
    LockLost {
        /// What the check saw (which server session, which lock).
        detail: String,
    },
    /// Recording a migration as applied found it already recorded: another run applied it at
    /// the same time (the migration lock did not hold). Nothing was overwritten; the transaction
    /// recording it was rolled back.
    #[error("the ledger already records this migration as applied: another run applied it at the same time, so the migration lock did not hold; the second record was refused ({detail})")]
    AlreadyApplied {
        /// The database's words.
        detail: String,
    },
    /// The connection was lost or some other client-side failure.
    #[error("{0}")]
    Other(String),
    /// The connection was lost (the cause) before the server said whether a migration's
    /// transaction committed, and no other session could tell: it may have committed.
    #[error("{0}")]
    Unconfirmed(Box<DriverError>),
}

impl DriverError {
    /// The same error with its statement range and position moved `by` bytes: from a piece of
    /// SQL to the script it was cut from.
    pub fn shifted(self, by: usize) -> DriverError {
        match self {
            DriverError::Statement {
                message,
                code,
                detail,
                hint,
                statement,
                position,
            } => DriverError::Statement {
                message,
                code,
                detail,
                hint,
                statement: statement.map(|r| r.start + by..r.end + by),
                position: position.map(|p| p + by),
            },
            other => other,
        }
    }

    /// A [`DriverError::Statement`] with only a message.
    pub fn statement(message: impl Into<String>) -> DriverError {
        DriverError::Statement {
            message: message.into(),
            code: None,
            detail: None,
            hint: None,
            statement: None,
            position: None,
        }
    }
}

/// Cancels the statement running on a driver's session (see [`Driver::cancel_handle`]).
pub type CancelHandle = Box<dyn Fn() + Send + Sync>;

/// What `drop` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropReport {
    /// `kind name` of each object dropped, e.g. `table users`.
    pub dropped: Vec<String>,
}

/// Every row of a table, each value as text (see [`Driver::read_table`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawTable {
    /// Column names, in table order.
    pub columns: Vec<String>,
    /// Rows, one value per column (`None`: NULL).
    pub rows: Vec<Vec<Option<String>>>,
}

/// What the live database says about a table a migration touches (see
/// [`Driver::inspect_tables`]), for `strata plan`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableInfo {
    /// The name as the migration wrote it.
    pub name: String,
    /// Whether the table exists now (a table created earlier in the same plan does not).
    pub exists: bool,
    /// Total size on disk in bytes, indexes and TOAST included.
    pub size_bytes: Option<i64>,
    /// The planner's row estimate (`None`: never analysed).
    pub row_estimate: Option<i64>,
    /// Other sessions holding or waiting for a lock on it now.
    pub sessions: Vec<TableSession>,
}

/// Another session using a table (from `pg_locks` and `pg_stat_activity`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableSession {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// Its state (`active`, `idle in transaction`, ...).
    pub state: String,
    /// The lock mode, as `pg_locks` names it (e.g. `AccessShareLock`).
    pub mode: String,
    /// Whether the lock is held (`false`: waiting for it).
    pub granted: bool,
    /// Seconds since its transaction started.
    pub transaction_age_secs: Option<f64>,
}

/// A lock a rehearsed script took (from `pg_locks`, before the rollback).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RehearsedLock {
    /// The relation, as the server names it (schema-qualified when not on the search path).
    pub relation: String,
    /// The lock mode, as `pg_locks` names it (e.g. `AccessExclusiveLock`).
    pub mode: String,
}

/// How one rehearsed script went.
#[derive(Debug, Clone, PartialEq)]
pub struct RehearsedScript {
    /// How long its body took.
    pub duration: Duration,
    /// Its failure (the rehearsal stops there), offsets relative to the script's SQL.
    pub error: Option<DriverError>,
    /// Locks it took that no earlier script of the rehearsal held (empty on failure: rolling
    /// back to its savepoint released them).
    pub locks: Vec<RehearsedLock>,
}

/// What [`Driver::rehearse`] saw: one entry per script run, in order, up to and including the
/// first failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RehearsalReport {
    /// The scripts run.
    pub scripts: Vec<RehearsedScript>,
}

/// One transactional migration of a [`Driver::run_batch`]: its script and the records that
/// commit with it.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The script to run (transactional, lexically complete).
    pub script: &'a Script,
    /// Ledger writes committed with it (durations are stamped by the driver).
    pub writes: &'a [LedgerWrite],
}

/// How one committed item of a batch went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchDone {
    /// How long its body and records took (measured by the server where the driver can).
    pub duration: Duration,
    /// Server notices it raised.
    pub notices: Vec<String>,
}

/// What a running batch tells as it goes (see [`Driver::run_batch_live`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchProgress {
    /// Item `i` started running.
    Started(usize),
    /// Item `i` committed and is durable (as [`Driver::run_batch`]'s `done`).
    Done(usize, BatchDone),
}

/// Why a [`Driver::run_batch`] stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchFailure {
    /// How many leading items committed; each was handed to the batch's `done` callback (durable)
    /// before the call returned. 0 for a single transaction, which rolls back whole.
    pub committed: usize,
    /// Index of the item the error belongs to, `>= committed`. When greater, the server refused
    /// the message before running the items in between (a syntax error in item `failed`): they
    /// did not run and can be sent again.
    pub failed: usize,
    /// The error; statement range and position relative to item `failed`'s script.
    pub error: DriverError,
    /// Notices raised before the failure by the failing item.
    pub notices: Vec<String>,
    /// The batch stopped before item `failed` ran because a stop was requested (see
    /// [`Driver::stop_handle`]); `error` says so.
    pub stopped: bool,
    /// The session was lost and what became of these items could not be learnt (the server may
    /// even have gone on running them after the loss): each may or may not have committed.
    /// `None`: known — item `failed` did not commit.
    pub unconfirmed: Option<std::ops::Range<usize>>,
}

/// A database backend. Object-safe and synchronous: a migration run is a sequential
/// conversation with one session.
pub trait Driver {
    /// Dialect, for splitting statements.
    fn dialect(&self) -> strata_sql::Dialect;

    /// Take the migration lock, waiting at most `timeout`. Must not block forever.
    fn lock(&mut self, timeout: Duration) -> Result<(), DriverError>;

    /// Release the migration lock.
    fn unlock(&mut self) -> Result<(), DriverError>;

    /// Create the compatibility table, the ledger and the log if they are missing.
    fn ensure_tables(&mut self) -> Result<(), DriverError>;

    /// Read the compatibility row and the ledger. Missing tables read as empty.
    fn read_state(&mut self) -> Result<LedgerState, DriverError>;

    /// Apply `writes` in one transaction.
    fn write(&mut self, writes: &[LedgerWrite]) -> Result<(), DriverError>;

    /// Append one log entry on its own, in autocommit: one statement, one round trip, no
    /// `BEGIN`/`COMMIT` (a no-transaction migration records each statement it reaches this
    /// way, before running it).
    ///
    /// The default writes it through [`Driver::write`].
    fn append_log(&mut self, entry: &LogEntry) -> Result<(), DriverError> {
        self.write(&[LedgerWrite::Log(entry.clone())])
    }

    /// Run `script`'s body and apply `writes` in one transaction: both commit or neither does.
    ///
    /// The driver times the body and stamps that time on the `Insert` and `Log` writes
    /// (see `runner::stamp_duration`). Run `script.statements` one by one when given, else the
    /// whole `script.sql`. On failure, report the failing statement's byte range and the
    /// server's position relative to `script.sql`.
    fn run_in_transaction(
        &mut self,
        script: &Script,
        writes: &[LedgerWrite],
    ) -> Result<(), DriverError>;

    /// Run one piece of SQL outside any transaction the driver opens itself (autocommit). Used
    /// for no-transaction statements (one at a time) and self-managed files (whole).
    fn run_autocommit(&mut self, sql: &str) -> Result<(), DriverError>;

    /// Remove everything in the target schema (or file).
    fn drop_all(&mut self) -> Result<DropReport, DriverError>;

    /// The action log, newest first, at most `limit` entries (`None`: all). A missing log table
    /// reads as empty. Read-only: no lock, no table creation.
    ///
    /// The default says the backend cannot: a new driver compiles before it implements this.
    fn read_log(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, DriverError> {
        let _ = limit;
        Err(DriverError::Other(
            "this database driver cannot read the action log".into(),
        ))
    }

    /// Every row of the table `name` in `schema` (`None`: the schema the driver's own tables
    /// are in), each value as text: booleans as `true`/`false` (or SQLite's stored value),
    /// timestamp columns as RFC 3339 UTC (`2024-01-02T03:04:05.000Z`) where the backend types
    /// them. `Ok(None)`: no such table. Read-only; names are quoted, nothing is spliced. Used by
    /// `adopt` to read another tool's tracking table.
    ///
    /// The default says the backend cannot.
    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<RawTable>, DriverError> {
        let _ = (schema, name);
        Err(DriverError::Other(
            "this database driver cannot read other tools' tables".into(),
        ))
    }

    /// Size, row estimate and current users of each table in `tables` (names as a migration
    /// wrote them, possibly qualified and quoted), for `plan`. Read-only.
    ///
    /// The default knows nothing: `plan` then shows no live columns.
    fn inspect_tables(&mut self, tables: &[String]) -> Result<Vec<TableInfo>, DriverError> {
        let _ = tables;
        Ok(Vec::new())
    }

    /// The table of the index named `index` (as a migration wrote it), as the catalog names it;
    /// `None` when there is no such index. For `plan`: `DROP INDEX` locks the index's table.
    ///
    /// The default knows none.
    fn index_table(&mut self, index: &str) -> Result<Option<String>, DriverError> {
        let _ = index;
        Ok(None)
    }

    /// Before a non-transactional script runs: apply its `-- strata:lock-timeout` /
    /// `-- strata:statement-timeout` to the session until [`Driver::restore_session`].
    /// (Transactional scripts get them inside their transaction from `run_in_transaction`.)
    ///
    /// The default ignores them (SQLite has no such settings).
    fn apply_script_settings(&mut self, script: &Script) -> Result<(), DriverError> {
        let _ = script;
        Ok(())
    }

    /// Undo [`Driver::apply_script_settings`]: the session's own values again.
    fn restore_session(&mut self) -> Result<(), DriverError> {
        Ok(())
    }

    /// Before a non-transactional script runs: find the INVALID indexes (left by a failed
    /// `CREATE INDEX CONCURRENTLY`) that its statements would create. With `drop`, drop them and
    /// return their names; without, refuse naming them and the fix.
    ///
    /// The default finds none.
    fn invalid_indexes(&mut self, script: &Script, drop: bool) -> Result<Vec<String>, DriverError> {
        let _ = (script, drop);
        Ok(Vec::new())
    }

    /// Run `scripts` (transactional ones) in order inside one transaction, then roll it back:
    /// nothing changes. Reports each script's time, error and new locks; stops at the first
    /// error. Takes the real locks meanwhile, as a run would.
    ///
    /// The default says the backend cannot.
    fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        let _ = scripts;
        Err(DriverError::Other(
            "this database driver cannot rehearse migrations (PostgreSQL can)".into(),
        ))
    }

    /// A handle that asks the server to cancel the statement this driver's session is running,
    /// callable from another thread (e.g. a second Ctrl-C). `None`: the backend cannot.
    fn cancel_handle(&self) -> Option<CancelHandle> {
        None
    }

    /// Server notices (e.g. `RAISE NOTICE`) received since the last call.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Warnings about how the driver goes on (e.g. a ledger it could not upgrade), each once,
    /// since the last call.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// How many transactional migrations [`Driver::run_batch`] may take at once; 1 (the
    /// default) means the runner never batches.
    fn batch_limit(&self) -> usize {
        1
    }

    /// Run `items` in order, each in its own transaction with its records (as
    /// [`Driver::run_in_transaction`] would), in as few round trips as the backend can; with
    /// `single_transaction`, all of them and their records in ONE transaction, so all commit or
    /// none does. Stops at the first failure; the items before it stay committed (not in a single
    /// transaction).
    ///
    /// `done(i, ..)` is called for each item that committed, in order, as soon as the driver
    /// knows that it committed AND that it is durable (a server crash cannot take it back), so
    /// the caller may report it at once. A driver may commit items without waiting for the disk
    /// as long as it makes them durable before handing them to `done`.
    ///
    /// The default runs them one by one and cannot do a single transaction.
    fn run_batch(
        &mut self,
        items: &[BatchItem<'_>],
        single_transaction: bool,
        done: &mut dyn FnMut(usize, BatchDone),
    ) -> Result<(), BatchFailure> {
        if single_transaction {
            return Err(BatchFailure {
                committed: 0,
                failed: 0,
                error: DriverError::Other(
                    "this database driver cannot run migrations in one transaction".into(),
                ),
                notices: Vec::new(),
                stopped: false,
                unconfirmed: None,
            });
        }
        for (i, item) in items.iter().enumerate() {
            let started = std::time::Instant::now();
            match self.run_in_transaction(item.script, item.writes) {
                Ok(()) => done(
                    i,
                    BatchDone {
                        duration: started.elapsed(),
                        notices: self.take_notices(),
                    },
                ),
                Err(error) => {
                    let notices = self.take_notices();
                    return Err(BatchFailure {
                        committed: i,
                        failed: i,
                        error,
                        notices,
                        stopped: false,
                        unconfirmed: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// [`Driver::run_batch`], also telling when each item starts: `Started(i)` comes in order,
    /// before `Done(i, ..)`, once the item is running (an item the server never reached is not
    /// told). The default tells every item started before running the batch.
    fn run_batch_live(
        &mut self,
        items: &[BatchItem<'_>],
        single_transaction: bool,
        progress: &mut dyn FnMut(BatchProgress),
    ) -> Result<(), BatchFailure> {
        for i in 0..items.len() {
            progress(BatchProgress::Started(i));
        }
        self.run_batch(items, single_transaction, &mut |i, d| {
            progress(BatchProgress::Done(i, d))
        })
    }

    /// Whether [`Driver::run_batch`] can run a single transaction (the default cannot).
    fn can_run_single_transaction(&self) -> bool {
        false
    }

    /// A handle that asks a running [`Driver::run_batch`] to stop before its next item
    /// (callable from another thread, e.g. a first Ctrl-C): the batch then fails with
    /// [`BatchFailure::stopped`]. `None`: batches cannot be stopped midway (they are short).
    fn stop_handle(&self) -> Option<CancelHandle> {
        None
    }

    /// Round trips to the server so far, where the driver counts them (`None`: it does not).
    fn round_trips(&self) -> Option<u64> {
        None
    }
}
