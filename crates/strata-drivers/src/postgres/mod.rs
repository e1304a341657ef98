//! The PostgreSQL driver.
//!
//! One dedicated session does everything: the lock, the ledger reads and writes and the
//! migration bodies, as golang-migrate does (§4.2 of the compat notes). What it keeps:
//!
//! - golang-migrate's compatibility table, created with golang-migrate's exact statement in the
//!   schema golang-migrate would use (`current_schema()`, or the schema of the quoted
//!   `x-migrations-table`), only when `information_schema` says it is absent (so a read-only
//!   role can still read the version); its one row replaced by DELETE + INSERT, which leaves
//!   exactly the row golang-migrate's TRUNCATE + INSERT leaves, without TRUNCATE's ACCESS
//!   EXCLUSIVE lock (a dashboard reading the version never blocks a migration, nor waits for
//!   one) or its new relation file per migration (13% of a 300-migration run);
//! - Strata's ledger `<table>_ledger` and log `<table>_log` beside it.
//!
//! Transactional migrations run as `BEGIN; <body>; <ledger writes>; COMMIT` on that session,
//! so a failure leaves nothing behind — not even golang-migrate's dirty flag (a deliberate
//! improvement: golang-migrate marks the version dirty although PostgreSQL rolled the body
//! back). The body goes to the server as one simple-query message (a `$$` body full of
//! semicolons is just text to the server); a failing statement is located from the server's
//! error position, or, without one, by re-running the statements one by one in a transaction
//! that is rolled back.
//!
//! Server notices raised by migration SQL (`RAISE NOTICE`, `WARNING`s) are collected as
//! `"<SEVERITY>: <message>"` lines and handed out by `take_notices`; notices caused by the
//! driver's own statements (e.g. "relation ... already exists, skipping") are dropped.
//!
//! Deliberate divergences from golang-migrate, all safer: the lock is taken by polling with a
//! timeout (never a blocking call), and every transaction that applies or records a migration
//! first proves that its server session holds it (see [`lock::proof_sql`]); with
//! `x-lock-strategy=lease` (or on CockroachDB/YugabyteDB) a lease row replaces the session lock
//! and each such transaction checks the lease instead (see [`lease`]); `x-statement-timeout` becomes the server-side
//! `statement_timeout` of the session (golang-migrate cancels from the client); `drop_all`
//! removes every kind of object in the schema, not only tables.

pub mod batch;
mod body;
pub mod catalog;
pub mod connect;
pub mod copy;
pub mod deadline;
mod driver;
pub mod drop;
mod durable;
pub mod errors;
mod extras;
pub mod history;
pub mod inspect;
pub mod invalid_index;
pub mod lease;
mod ledger;
pub mod lock;
mod prepared;
pub mod privileges;
pub mod rehearse;
mod results;
pub mod schema_session;
pub mod session;
mod settings;
pub mod sql;
mod start;
mod touched;
mod viewdef;
mod watch;

use crate::url::DatabaseUrl;
use crate::ConnectOptions;
pub use body::{char_to_byte, statement_at};
use body::{rerun_helps, set_location, BodyError};
use connect::Notices;
pub use inspect::{TableInfo, TableSession};
use postgres::Client;
use results::{result_sets, rows};
use session::Session;
pub use settings::{set_local_sql, Timeouts};
use sql::TableSql;
use strata_core::{DriverError, TableNames};

/// Asks the session (or its running batch) to stop, from another thread (see
/// [`PostgresDriver::cancel_handle`], [`PostgresDriver::stop_handle`]).
pub type CancelHandle = Box<dyn Fn() + Send + Sync>;

/// A PostgreSQL session running migrations. Build it with [`PostgresDriver::connect`] (or
/// [`crate::connect`]), or on the application's own client with [`PostgresDriver::borrowing`].
pub struct PostgresDriver<'c> {
    client: Session<'c>,
    notices: Notices,
    /// Schema of the three tables.
    schema: String,
    /// `current_schema()` at connect (the schema `drop_all` empties); `None` if the search path
    /// names no existing schema.
    current_schema: Option<String>,
    tables: TableNames,
    sql: TableSql,
    lock_keys: Vec<i64>,
    locked: bool,
    /// The lease, when the run locks with one (`x-lock-strategy=lease`, or a server without
    /// advisory locks); `None`: the advisory lock.
    lease: Option<lease::Lease>,
    /// Renews the lease while it is held.
    heartbeat: Option<lease::Heartbeat>,
    /// Taking the lease created its table, and the run has not gone on to create the
    /// migrations tables (every change does first): the release drops it again.
    lease_table_new: bool,
    /// `x-lock-strategy=lease`: each transaction may run on another server session, so nothing
    /// is set for the session (see `connect::open`, `before_script`).
    sessionless: bool,
    /// The connector the session was opened with, for cancel requests (`None`: a borrowed
    /// client, whose connector is the application's).
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// `pg_backend_pid()` at connect: a change means a transaction-pooling proxy.
    backend_pid: i32,
    /// When that backend started (µs since the epoch): with the pid, names it unambiguously,
    /// so that a lost session's backend can be ended without touching a reused pid.
    backend_start: i64,
    /// The server listens on another port than the URL's: a proxy may sit in between.
    behind_proxy: bool,
    /// The session's `lock_timeout` and `statement_timeout` while a script's own are applied.
    saved_settings: Option<(String, String)>,
    /// For [`strata_core::Driver::take_warnings`].
    warnings: Vec<String>,
    /// How to open another session like this one: to read the ledger after this one was lost
    /// mid-batch, and for the stop request of a first Ctrl-C.
    url: DatabaseUrl,
    opts: ConnectOptions,
}

impl std::fmt::Debug for PostgresDriver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDriver")
            .field("schema", &self.schema)
            .field("tables", &self.tables)
            .field("lock_keys", &self.lock_keys)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl PostgresDriver<'_> {
    /// The schema holding the compatibility table, ledger and log.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table names, with the schema resolved.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    /// The advisory lock keys taken by [`lock`](strata_core::Driver::lock): golang-migrate's CLI
    /// form (`/dbname`) first, then its library form (`dbname`).
    pub fn lock_keys(&self) -> &[i64] {
        &self.lock_keys
    }

    /// The underlying session, for tests and diagnostics.
    pub fn client(&mut self) -> &mut Client {
        self.client.client_mut()
    }

    /// Run `f` and drop the notices it produced (the driver's own statements, e.g. "relation
    /// already exists, skipping", are not the user's).
    fn quietly<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let mark = self.notices.lock().map(|v| v.len()).unwrap_or(0);
        let out = f(self);
        if let Ok(mut v) = self.notices.lock() {
            v.truncate(mark);
        }
        out
    }

    /// The statement proving, at the start of a transaction, that this server session holds the
    /// migration lock (see [`lock::proof_sql`]); empty when the driver was not asked to lock.
    fn lock_proof(&self) -> String {
        match (&self.lease, self.locked) {
            (_, false) => String::new(),
            (Some(lease), true) => lease.check_statement(false),
            (None, true) => lock::proof_statement(&self.lock_keys, self.backend_pid),
        }
    }

    /// The proof for a transaction that goes on to record and commit: the lease's check that
    /// holds its row until the commit ([`lease::Lease::check_sql`]); the advisory proof
    /// otherwise.
    fn record_proof(&self) -> String {
        match (&self.lease, self.locked) {
            (Some(lease), true) => lease.check_statement(true),
            _ => self.lock_proof(),
        }
    }

    /// Checked again just before a migration's records and `COMMIT`: the lease may have run out
    /// while the body ran. Empty for the advisory lock (a session lock cannot expire).
    fn commit_proof(&self) -> String {
        match (&self.lease, self.locked) {
            (Some(lease), true) => lease.check_statement(true),
            _ => String::new(),
        }
    }

    /// A failed ledger write as an error: a version recorded twice is
    /// [`DriverError::AlreadyApplied`].
    fn write_error(&self, e: &postgres::Error) -> DriverError {
        errors::write_error(e, &self.schema, &self.tables.ledger)
    }

    fn rollback(&mut self) {
        // A failed ROLLBACK means the connection is gone; the original error says more.
        self.quietly(|d| {
            let _ = d.client.batch_execute("ROLLBACK");
        });
    }
}
