//! The one boundary between the engine and a database.
//!
//! A driver is a thin, honest layer: it knows its dialect's SQL, its lock and how to run a body
//! with or without a transaction. It makes no decisions: the runner decides what to run and in
//! which order, and hands the driver [`LedgerWrite`]s to record.
//!
//! The contract is what every backend needs ([`Driver`]); what only some backends have (session
//! settings per script, INVALID-index repair, rehearsal) sits behind one optional hook,
//! [`Driver::session`]. Backend-only features the engine never calls (table sizes for `plan`,
//! cancelling a statement, round-trip counts) are each driver's own API, not part of this one.

mod batch;
mod error;
mod rehearsal;
mod tables;

pub use batch::{BatchDone, BatchFailure, BatchItem, BatchProgress, MAX_BATCH_BYTES};
pub use error::{Cause, DriverError, Fix};
pub use rehearsal::{RehearsalReport, RehearsedLock, RehearsedScript};
pub use tables::{DropReport, RawTable, TableNames};

use crate::ledger::{LedgerState, LedgerWrite, LogEntry, LogRecord};
use crate::migration::Script;
use std::time::Duration;

/// What a backend can do beyond the core contract, as data the runner decides with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// How many transactional migrations [`Driver::run_batch`] may take at once; 1 means the
    /// runner never batches.
    pub batch_limit: usize,
    /// Whether [`Driver::run_batch`] can run all its items in ONE transaction.
    pub single_transaction: bool,
    /// Whether DDL rolls back with its transaction. Without it (MySQL, MariaDB: each DDL
    /// statement commits by itself) a transaction would promise an all-or-nothing it cannot
    /// keep, so every migration runs statement by statement under the dirty protocol instead,
    /// with a progress record before each statement.
    pub transactional_ddl: bool,
}

impl Default for Capabilities {
    /// One migration at a time, no single transaction: what a new backend gets for free.
    fn default() -> Self {
        Capabilities {
            batch_limit: 1,
            single_transaction: false,
            transactional_ddl: true,
        }
    }
}

/// Steps the engine takes only where a backend's session has them (PostgreSQL does; SQLite has
/// neither per-session timeouts, INVALID indexes nor a way to report locks taken). Reached
/// through [`Driver::session`]: one optional hook keeps the core contract small, and a new
/// backend implements none of it.
pub trait SessionHooks {
    /// Before a non-transactional script runs: find the INVALID indexes (left by a failed
    /// `CREATE INDEX CONCURRENTLY`) that its statements would create — with `drop_invalid`,
    /// drop them, else refuse ([`DriverError::InvalidIndexes`]) — then apply its
    /// `-- strata:lock-timeout` / `-- strata:statement-timeout` to the session until
    /// [`SessionHooks::after_script`]. Returns the names of the indexes dropped.
    /// (Transactional scripts get their settings inside their transaction.)
    fn before_script(
        &mut self,
        script: &Script,
        drop_invalid: bool,
    ) -> Result<Vec<String>, DriverError>;

    /// Why this session cannot run `script` (one that runs outside a transaction) at all, if
    /// it cannot: asked for every such script of a plan before the run creates or runs
    /// anything, so that a refusal leaves the database as it was. The default: it can.
    fn refusal(&self, script: &Script) -> Option<String> {
        let _ = script;
        None
    }

    /// Undo [`SessionHooks::before_script`]'s settings: the session's own values again.
    fn after_script(&mut self) -> Result<(), DriverError>;

    /// Run `scripts` (transactional ones) in order inside one transaction, then roll it back:
    /// nothing changes. Reports each script's time, error and new locks; stops at the first
    /// error. Takes the real locks meanwhile, as a run would.
    fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError>;
}

/// A database backend. Object-safe and synchronous: a migration run is a sequential
/// conversation with one session.
pub trait Driver {
    /// Dialect, for splitting statements.
    fn dialect(&self) -> strata_sql::Dialect;

    /// What this backend can do beyond the core contract (the default: nothing).
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

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
    /// (see [`LedgerWrite::with_duration`]). Run `script.statements` one by one when given, else the
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

    /// Run `items` in order, each in its own transaction with its records (as
    /// [`Driver::run_in_transaction`] would), in as few round trips as the backend can; with
    /// `single_transaction` (see [`Capabilities::single_transaction`]), all of them and their
    /// records in ONE transaction, so all commit or none does. Stops at the first failure; the
    /// items before it stay committed (not in a single transaction).
    ///
    /// `progress` hears `Started(i)` in order once item `i` is running (an item the server never
    /// reached is not told), then `Done(i, ..)` as soon as the driver knows that it committed
    /// AND that it is durable (a server crash cannot take it back), so the caller may report it
    /// at once. A driver may commit items without waiting for the disk as long as it makes them
    /// durable before telling `Done`.
    ///
    /// The default runs them one by one and cannot do a single transaction.
    fn run_batch(
        &mut self,
        items: &[BatchItem<'_>],
        single_transaction: bool,
        progress: &mut dyn FnMut(BatchProgress),
    ) -> Result<(), BatchFailure> {
        if single_transaction {
            return Err(BatchFailure {
                committed: 0,
                failed: 0,
                error: DriverError::Unsupported {
                    what: "run migrations in one transaction",
                },
                notices: Vec::new(),
                stopped: false,
                unconfirmed: None,
            });
        }
        for (i, item) in items.iter().enumerate() {
            progress(BatchProgress::Started(i));
            let started = std::time::Instant::now();
            match self.run_in_transaction(item.script, item.writes) {
                Ok(()) => progress(BatchProgress::Done(
                    i,
                    BatchDone {
                        duration: started.elapsed(),
                        notices: self.take_notices(),
                    },
                )),
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

    /// Server notices (e.g. `RAISE NOTICE`) received since the last call.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Warnings about how the driver goes on (e.g. a ledger it could not upgrade), each once,
    /// since the last call.
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Remove everything in the target schema (or file), for `drop -f`.
    fn drop_all(&mut self) -> Result<DropReport, DriverError>;

    /// The action log, newest first, at most `limit` entries (`None`: all), for `history`. A
    /// missing log table reads as empty. Read-only: no lock, no table creation.
    fn read_log(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, DriverError>;

    /// Every row of the table `name` in `schema` (`None`: the schema the driver's own tables
    /// are in), each value as text: booleans as `true`/`false` (or SQLite's stored value),
    /// timestamp columns as RFC 3339 UTC (`2024-01-02T03:04:05.000Z`) where the backend types
    /// them. `Ok(None)`: no such table. Read-only; names are quoted, nothing is spliced. Used by
    /// `adopt` to read another tool's tracking table.
    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<RawTable>, DriverError>;

    /// The backend's [`SessionHooks`], if it has them (the default: none).
    fn session(&mut self) -> Option<&mut dyn SessionHooks> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::TxMode;
    use std::path::PathBuf;

    /// A backend that implements only the required methods: what the defaults give it.
    #[derive(Default)]
    struct Minimal {
        ran: Vec<String>,
        fail_on: Option<String>,
    }

    impl Driver for Minimal {
        fn dialect(&self) -> strata_sql::Dialect {
            strata_sql::Dialect::Sqlite
        }
        fn lock(&mut self, _: Duration) -> Result<(), DriverError> {
            Ok(())
        }
        fn unlock(&mut self) -> Result<(), DriverError> {
            Ok(())
        }
        fn ensure_tables(&mut self) -> Result<(), DriverError> {
            Ok(())
        }
        fn read_state(&mut self) -> Result<LedgerState, DriverError> {
            Ok(LedgerState::default())
        }
        fn write(&mut self, _: &[LedgerWrite]) -> Result<(), DriverError> {
            Ok(())
        }
        fn run_in_transaction(&mut self, s: &Script, _: &[LedgerWrite]) -> Result<(), DriverError> {
            if self.fail_on.as_deref() == Some(s.sql.as_str()) {
                return Err(DriverError::statement("boom"));
            }
            self.ran.push(s.sql.clone());
            Ok(())
        }
        fn run_autocommit(&mut self, _: &str) -> Result<(), DriverError> {
            Ok(())
        }
        fn drop_all(&mut self) -> Result<DropReport, DriverError> {
            Ok(DropReport::default())
        }
        fn read_log(&mut self, _: Option<usize>) -> Result<Vec<LogRecord>, DriverError> {
            Ok(Vec::new())
        }
        fn read_table(
            &mut self,
            _: Option<&str>,
            _: &str,
        ) -> Result<Option<RawTable>, DriverError> {
            Ok(None)
        }
    }

    fn script(sql: &str) -> Script {
        Script {
            path: PathBuf::from(format!("{sql}.sql")),
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

    #[test]
    fn a_new_backend_has_no_batches_no_single_transaction_and_no_session_hooks() {
        let mut d = Minimal::default();
        assert_eq!(
            d.capabilities(),
            Capabilities {
                batch_limit: 1,
                single_transaction: false,
                transactional_ddl: true,
            }
        );
        assert!(d.session().is_none());
        let s = script("a");
        let items = [BatchItem {
            script: &s,
            writes: &[],
        }];
        let failure = d.run_batch(&items, true, &mut |_| {}).unwrap_err();
        assert_eq!(failure.committed, 0);
        assert!(
            d.ran.is_empty(),
            "nothing runs when one transaction is refused"
        );
        assert_eq!(
            failure.error.to_string(),
            "this database driver cannot run migrations in one transaction"
        );
    }

    #[test]
    fn the_default_batch_tells_each_item_started_then_done_and_stops_at_a_failure() {
        let mut d = Minimal {
            fail_on: Some("c".into()),
            ..Minimal::default()
        };
        let scripts = [script("a"), script("b"), script("c"), script("d")];
        let items: Vec<BatchItem<'_>> = scripts
            .iter()
            .map(|script| BatchItem {
                script,
                writes: &[],
            })
            .collect();
        let mut told = Vec::new();
        let failure = d
            .run_batch(&items, false, &mut |p| {
                told.push(match p {
                    BatchProgress::Started(i) => format!("started {i}"),
                    BatchProgress::Done(i, _) => format!("done {i}"),
                })
            })
            .unwrap_err();
        assert_eq!(
            told,
            ["started 0", "done 0", "started 1", "done 1", "started 2"]
        );
        assert_eq!((failure.committed, failure.failed), (2, 2));
        assert_eq!(d.ran, ["a", "b"]);
    }

    #[test]
    fn fixes_come_with_the_errors_that_have_one() {
        let timeout = DriverError::LockTimeout {
            waited: Duration::from_secs(1),
            holder: Some("pid 7".into()),
        };
        assert_eq!(
            timeout.fix(),
            Some(Fix::WaitForLockHolder {
                holder: Some("pid 7".into())
            })
        );
        let lost = DriverError::LockLost {
            detail: "pid 1".into(),
        };
        assert_eq!(lost.fix(), Some(Fix::KeepLockSession));
        assert_eq!(
            DriverError::Unconfirmed(Box::new(lost)).fix(),
            Some(Fix::KeepLockSession)
        );
        let lease = DriverError::LeaseLost {
            detail: "expired".into(),
        };
        assert_eq!(lease.fix(), Some(Fix::LongerLease));
        assert!(lease.to_string().starts_with("lease lost: "));
        assert_eq!(DriverError::statement("boom").fix(), None);
        let io = DriverError::io(
            "cannot open lock file /x.strata-lock",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(io
            .to_string()
            .starts_with("cannot open lock file /x.strata-lock: "));
        assert!(
            std::error::Error::source(&io).is_some(),
            "the cause is kept"
        );
    }
}
