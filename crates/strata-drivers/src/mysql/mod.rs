//! The MySQL and MariaDB driver (the sync `mysql` crate; TLS through rustls).
//!
//! - golang-migrate's table and lock as its MySQL driver has them, so the two tools hand a
//!   live database back and forth: `schema_migrations (version bigint not null primary key,
//!   dirty boolean not null)`, one row; `GET_LOCK` with its lock name on the run's one
//!   session ([`lock_name`]), released with `RELEASE_LOCK`; `x-no-lock` takes none.
//! - DDL commits by itself on MySQL, so a transaction could not undo half a migration: the
//!   driver says so ([`Capabilities::transactional_ddl`] false) and the engine runs every
//!   migration statement by statement, the row dirty first and a progress record before each
//!   statement, so a failure or a kill names the statement reached.
//! - The ledger and the log live beside the table (InnoDB: their writes are transactional).

mod connect;
mod drop;
mod errors;
mod lock;
pub mod lock_name;
mod metadata;
mod raw_table;
mod session;
mod tables;

pub use connect::ssl_opts;

use crate::url::mysql::MysqlUrl;
use crate::{ConnectOptions, DatabaseUrl};
use errors::err;
use mysql::prelude::Queryable;
use mysql::Conn;
use std::time::{Duration, Instant};
use strata_core::driver::{Capabilities, SessionHooks};
use strata_core::ledger::{LedgerState, LedgerWrite, LogEntry, LogRecord};
use strata_core::{Driver, DriverError, DropReport, RawTable, RehearsalReport, Script, TableNames};
use strata_sql::Dialect;

/// A session to a MySQL or MariaDB database.
pub struct MysqlDriver {
    conn: Conn,
    tables: TableNames,
    /// golang-migrate's `GET_LOCK` name; `None` with `x-no-lock`.
    lock_name: Option<String>,
    locked: bool,
    mariadb: bool,
    /// The server's `VERSION()`, e.g. `10.11.6-MariaDB-0+deb12u1`.
    version: String,
    /// The session's own timeouts while a script's directives replace them.
    saved: Option<session::Saved>,
}

impl MysqlDriver {
    /// Connect to the database `url` names (a `mysql://` or `mariadb://` URL).
    pub fn connect(url: &DatabaseUrl, opts: &ConnectOptions) -> Result<MysqlDriver, DriverError> {
        let m = url
            .mysql()
            .ok_or_else(|| DriverError::Protocol("not a MySQL URL".into()))?;
        Self::connect_parsed(m, url.tables()?, opts)
    }

    fn connect_parsed(
        url: &MysqlUrl,
        tables: TableNames,
        opts: &ConnectOptions,
    ) -> Result<MysqlDriver, DriverError> {
        let (conn, version) = connect::open(url, opts)?;
        Ok(MysqlDriver {
            conn,
            lock_name: (!url.no_lock())
                .then(|| lock_name::lock_name(url.database(), &tables.compat)),
            tables,
            locked: false,
            mariadb: version.contains("MariaDB"),
            version,
            saved: None,
        })
    }

    /// Whether the server is MariaDB (else MySQL).
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }

    /// The server's `VERSION()` as it answered.
    pub fn server_version(&self) -> &str {
        &self.version
    }

    /// The server's id of this session (`CONNECTION_ID()`).
    pub fn connection_id(&self) -> u32 {
        self.conn.connection_id()
    }

    /// The session itself, for tests and embedders.
    pub fn conn_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Run `f` in one transaction, rolled back on error.
    fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        self.conn.query_drop("START TRANSACTION").map_err(err)?;
        match f(self) {
            Ok(v) => {
                self.conn.query_drop("COMMIT").map_err(err)?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.query_drop("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Run one piece of SQL; a failure carries its range (`range` within the script) and,
    /// for a metadata lock wait that timed out, the sessions that may be holding it.
    fn run_piece(&mut self, sql: &str, range: std::ops::Range<usize>) -> Result<(), DriverError> {
        let text = &sql[range.clone()];
        match run_text(&mut self.conn, text) {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = err(e);
                let e = if errors::is_code(&e, errors::LOCK_WAIT_TIMEOUT) {
                    let me = u64::from(self.conn.connection_id());
                    metadata::name_blockers(&mut self.conn, me, e)
                } else {
                    e
                };
                Err(e.in_statement(range, None))
            }
        }
    }
}

/// Run `text` and read every result it gives. `query_drop` would drop them unread, and with
/// them an error the server sends after the first rows (a statement time limit hit while a
/// SELECT streams, a later statement of a multi-statement message): that must fail the run.
fn run_text(conn: &mut Conn, text: &str) -> Result<(), mysql::Error> {
    let mut result = conn.query_iter(text)?;
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

impl SessionHooks for MysqlDriver {
    fn before_script(
        &mut self,
        script: &Script,
        _drop_invalid: bool,
    ) -> Result<Vec<String>, DriverError> {
        if let Some(saved) = self.saved.take() {
            session::restore(&mut self.conn, saved)?;
        }
        self.saved = session::apply(&mut self.conn, self.mariadb, script)?;
        Ok(Vec::new())
    }

    fn after_script(&mut self) -> Result<(), DriverError> {
        match self.saved.take() {
            Some(saved) => session::restore(&mut self.conn, saved),
            None => Ok(()),
        }
    }

    fn rehearse(&mut self, _scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        Err(DriverError::Unsupported {
            what: "rehearse migrations (DDL commits by itself on MySQL; PostgreSQL can)",
        })
    }
}

impl Driver for MysqlDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: false,
            ..Capabilities::default()
        }
    }

    fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        if let Some(name) = &self.lock_name {
            lock::acquire(&mut self.conn, name, timeout)?;
        }
        self.locked = true;
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        self.locked = false;
        match &self.lock_name {
            Some(name) => lock::release(&mut self.conn, name),
            None => Ok(()),
        }
    }

    fn ensure_tables(&mut self) -> Result<(), DriverError> {
        tables::ensure(&mut self.conn, &self.tables)
    }

    fn read_state(&mut self) -> Result<LedgerState, DriverError> {
        tables::read_state(&mut self.conn, &self.tables)
    }

    fn write(&mut self, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        // golang-migrate writes its row in a SERIALIZABLE transaction; so do these.
        self.conn
            .query_drop("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            .map_err(err)?;
        self.transaction(|d| tables::apply(&mut d.conn, &d.tables, writes))
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<(), DriverError> {
        tables::append(&mut self.conn, &self.tables, entry)
    }

    fn run_in_transaction(
        &mut self,
        script: &Script,
        writes: &[LedgerWrite],
    ) -> Result<(), DriverError> {
        // The engine sends every migration through the dirty protocol here (DDL cannot roll
        // back); a caller that asks anyway gets the records committed with the statements,
        // which is all MySQL can promise.
        let ranges = script.statement_ranges(Dialect::Mysql);
        self.transaction(|d| {
            let started = Instant::now();
            for range in ranges {
                d.run_piece(&script.sql, range)?;
            }
            let ms = started.elapsed().as_millis() as i64;
            let stamped: Vec<_> = writes
                .iter()
                .cloned()
                .map(|w| w.with_duration(ms))
                .collect();
            tables::apply(&mut d.conn, &d.tables, &stamped)
        })
    }

    fn run_autocommit(&mut self, sql: &str) -> Result<(), DriverError> {
        self.run_piece(sql, 0..sql.len())
    }

    fn drop_all(&mut self) -> Result<DropReport, DriverError> {
        drop::drop_all(&mut self.conn)
    }

    fn read_log(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, DriverError> {
        tables::read_log(&mut self.conn, &self.tables, limit)
    }

    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<RawTable>, DriverError> {
        raw_table::read(&mut self.conn, schema, name)
    }

    fn session(&mut self) -> Option<&mut dyn SessionHooks> {
        Some(self)
    }
}
