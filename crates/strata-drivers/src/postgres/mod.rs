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
pub mod catalog;
pub mod connect;
pub mod copy;
pub mod deadline;
pub mod drop;
mod durable;
pub mod errors;
pub mod history;
pub mod inspect;
pub mod invalid_index;
pub mod lease;
pub mod lock;
pub mod privileges;
pub mod rehearse;
pub mod schema_session;
pub mod session;
pub mod sql;
mod touched;
mod viewdef;
mod watch;

use crate::url::DatabaseUrl;
use crate::ConnectOptions;
use connect::Notices;
use errors::{db_error, server_position, sqlstate};
pub use inspect::{TableInfo, TableSession};
use postgres::Client;
use session::Session;
use sql::TableSql;
use std::ops::Range;
use std::time::Duration;
use strata_core::{
    AppliedMigration, Capabilities, CompatRow, DriverError, DropReport, Fix, LedgerState,
    LedgerWrite, LogEntry, Origin, Reached, RehearsalReport, Script, SessionHooks, TableNames,
    TxMode,
};
use strata_sql::Dialect;

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

impl PostgresDriver<'static> {
    /// Connect, apply session settings and resolve the schema, tables and lock keys.
    pub fn connect(
        url: &DatabaseUrl,
        opts: &ConnectOptions,
    ) -> Result<PostgresDriver<'static>, DriverError> {
        let (client, notices, tls, watchdog) = connect::open_watched(url, opts)?;
        let client = Session::watched(client, watchdog);
        PostgresDriver::start(client, notices, Some(tls), url, opts, None)
    }
}

impl<'c> PostgresDriver<'c> {
    /// Run on the application's own client, for as long as it lends it: the tables are named
    /// by `tables` (schema `None`: `current_schema()`). Nothing about the session is changed
    /// beyond a migration's own directives (restored after it) and the migration lock (released
    /// by `unlock`): no `application_name`, timeouts or `search_path` are set. Server notices go
    /// to the client's own notice callback; migrations run one per round trip (no batching,
    /// which watches notices) and a lost session is not confirmed through another one.
    /// Of `opts`, only the timeouts are used, set per migration as with an own session.
    pub fn borrowing(
        client: &'c mut Client,
        tables: TableNames,
        opts: &ConnectOptions,
    ) -> Result<PostgresDriver<'c>, DriverError> {
        // Never used to connect: the borrowed session opens no other (see `start`).
        let url = DatabaseUrl::parse("postgres://").map_err(DriverError::from)?;
        let session = Session::borrowed(client);
        PostgresDriver::start(session, Notices::default(), None, &url, opts, Some(tables))
    }

    fn start(
        mut client: Session<'c>,
        notices: Notices,
        tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
        url: &DatabaseUrl,
        opts: &ConnectOptions,
        tables: Option<TableNames>,
    ) -> Result<PostgresDriver<'c>, DriverError> {
        let borrowed = client.is_borrowed();
        let tables = match tables {
            Some(t) => t,
            None => url.tables()?,
        };
        // A simple query (text results): one round trip, where a parameterless prepared query
        // costs two.
        let sessionless = !borrowed && url.lock_strategy() == Some(crate::url::LockStrategy::Lease);
        // Without session settings, the URL's ones (a search_path) are set for this
        // transaction only, so the schema resolves as the migrations will see it.
        let facts_sql = if sessionless {
            format!(
                "BEGIN;{}
{};
COMMIT",
                url_settings_sql(url),
                sql::SESSION_FACTS
            )
        } else {
            sql::SESSION_FACTS.to_string()
        };
        let facts = client.simple_query(&facts_sql).map_err(|e| db_error(&e))?;
        let row = rows(&facts)
            .next()
            .ok_or_else(|| DriverError::Protocol("the server answered no session facts".into()))?;
        let current_schema: Option<String> = row.get(0).map(str::to_string);
        let current_database: String = row.get(1).unwrap_or_default().to_string();
        let backend_pid: i32 = row.get(2).and_then(|p| p.parse().ok()).unwrap_or_default();
        // A borrowed session's start is left unknown: its backend is never ended from another
        // session (the driver opens none on the application's behalf).
        // Nor one that may be pooled: ending it would end another client's session.
        let backend_start: i64 = if borrowed || sessionless {
            0
        } else {
            row.get(3).and_then(|p| p.parse().ok()).unwrap_or_default()
        };
        // A proxy (or a mapped port): the server listens on another port than the URL names.
        let behind_proxy = !borrowed
            && row
                .get(4)
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|server_port| {
                    url.hosts()
                        .iter()
                        .all(|(_, port)| port.unwrap_or(5432) != server_port)
                });
        let schema = match (&tables.schema, &current_schema) {
            (Some(s), _) => s.clone(),
            (None, Some(s)) => s.clone(),
            (None, None) => {
                return Err(DriverError::Connect {
                    message: "no schema: search_path names no existing schema".into(),
                    fix: Some(Fix::CreateSchema),
                    cause: None,
                })
            }
        };
        // golang-migrate's CLI form names the database as the URL's path.
        let key_path = if borrowed {
            format!("/{current_database}")
        } else {
            url.path().to_string()
        };
        let lock_keys = lock::lock_keys(&schema, &tables.compat, &key_path, &current_database);
        // A borrowed client has no URL to open the heartbeat's connection with: advisory.
        let version = row.get(5).unwrap_or_default();
        let lease = (!borrowed
            && lease::choose(url.lock_strategy(), version) == crate::url::LockStrategy::Lease)
            .then(|| lease::Lease::new(&schema, &tables.compat, url.lock_lease()));
        let tables = TableNames {
            schema: Some(schema.clone()),
            ..tables
        };
        let sql = TableSql::new(&schema, &tables);
        Ok(PostgresDriver {
            client,
            notices,
            schema,
            current_schema,
            tables,
            sql,
            lock_keys,
            locked: false,
            lease,
            heartbeat: None,
            lease_table_new: false,
            sessionless,
            tls,
            backend_pid,
            backend_start,
            behind_proxy,
            saved_settings: None,
            warnings: Vec::new(),
            url: url.clone(),
            opts: opts.clone(),
        })
    }

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

    /// Open the transaction and run a transactional script's body. Without explicit statements,
    /// `BEGIN` travels in the same message as the body (one round trip); the server's position
    /// is then shifted back by the prefix.
    fn run_body(&mut self, script: &Script) -> Result<(), BodyError> {
        self.client
            .allow_statement_timeout(script.statement_timeout);
        let prefix = format!(
            "BEGIN;{}\n{}",
            self.transaction_settings(script),
            self.lock_proof()
        );
        let prefix = prefix.as_str();
        // A file too large to hold in memory: read again, in chunks (see copy.rs).
        if script.streamed.is_some() {
            return self.run_streamed(prefix, script);
        }
        // COPY data blocks, or a large script: several messages (see copy.rs).
        if script.statements.is_none() {
            if let Some(pieces) = copy::pieces(&script.sql, copy::BATCH_BYTES) {
                return self.run_pieces(prefix, &script.sql, &pieces, true);
            }
        }
        match &script.statements {
            None => {
                let message = format!("{prefix}{}", script.sql);
                self.client.batch_execute(&message).map_err(|e| {
                    let mut err = db_error(&e);
                    let position = server_position(&e)
                        .filter(|p| *p as usize > prefix.len())
                        .map(|p| char_to_byte(&script.sql, p - prefix.len() as u32));
                    let statement = position.and_then(|b| statement_at(&script.sql, b));
                    set_location(&mut err, statement.clone(), position);
                    BodyError {
                        needs_search: statement.is_none() && rerun_helps(&e),
                        err,
                    }
                })
            }
            Some(ranges) => {
                self.client.batch_execute(prefix).map_err(|e| BodyError {
                    err: db_error(&e),
                    needs_search: false,
                })?;
                for r in ranges {
                    let piece = &script.sql[r.clone()];
                    if piece.trim().is_empty() {
                        continue;
                    }
                    if let Err(e) = self.client.batch_execute(piece) {
                        let mut err = db_error(&e);
                        let position =
                            server_position(&e).map(|p| r.start + char_to_byte(piece, p));
                        set_location(&mut err, Some(r.clone()), position);
                        return Err(BodyError {
                            err,
                            needs_search: false,
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// Re-run `sql`'s statements one by one in a transaction that is rolled back, to find the
    /// one that fails. The session must not be in a transaction.
    fn find_failing_statement(&mut self, sql: &str) -> Option<Range<usize>> {
        // Not `Script::statement_ranges`: `sql` is a sent message (a batch may join scripts).
        let statements = strata_sql::split(sql, Dialect::Postgres).statements;
        if statements.len() <= 1 {
            return statements.first().map(|s| s.range.clone());
        }
        self.quietly(|d| {
            d.client.batch_execute("BEGIN").ok()?;
            let found = statements
                .iter()
                .find(|s| d.client.batch_execute(s.text(sql)).is_err())
                .map(|s| s.range.clone());
            let _ = d.client.batch_execute("ROLLBACK");
            found
        })
    }
}

impl PostgresDriver<'_> {
    /// Add the `down_checksum` column to a ledger an older Strata created. Only the table's
    /// owner may: for another role, the run goes on without recording down checksums (reads
    /// already treat a ledger without the column as having none), with one warning naming the
    /// statement the owner can run.
    fn add_down_checksum(&mut self) -> Result<(), DriverError> {
        let alter = self.sql.add_down_checksum.clone();
        match self.quietly(|d| d.client.batch_execute(&alter)) {
            Ok(()) => Ok(()),
            Err(e) if sqlstate(&e) == Some("42501") => {
                self.sql.without_down_checksum();
                self.warnings.push(format!(
                    "the migrations ledger has no down_checksum column and this role may not add it \
                     ({}): edits to the .down.sql of migrations applied now go undetected; \
                     the table's owner or an administrator can run: {alter}",
                    db_error(&e)
                ));
                Ok(())
            }
            Err(e) => Err(db_error(&e)),
        }
    }

    /// [`strata_core::Driver::read_state`]'s two tables one query each, telling a missing table
    /// apart (first contact: golang-migrate's table alone, or nothing).
    fn read_tables_one_by_one(
        &mut self,
    ) -> Result<(Option<CompatRow>, Vec<AppliedMigration>), DriverError> {
        let compat = match self.client.query_opt(&self.sql.select_compat, &[]) {
            Ok(row) => row.map(|r| CompatRow {
                version: r.get(0),
                dirty: r.get(1),
            }),
            Err(e) if sqlstate(&e) == Some("42P01") => None,
            Err(e) => return Err(self.foreign_layout(&e).unwrap_or_else(|| db_error(&e))),
        };
        let rows = match self.client.query(&self.sql.select_ledger, &[]) {
            Err(e) if sqlstate(&e) == Some("42703") => {
                self.client.query(&self.sql.select_ledger_without_down, &[])
            }
            other => other,
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) if sqlstate(&e) == Some("42P01") => Vec::new(),
            Err(e) => return Err(db_error(&e)),
        };
        let mut applied = Vec::with_capacity(rows.len());
        for r in rows {
            let mode: String = r.get(7);
            let origin: String = r.get(8);
            applied.push(ledger_row(
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                &mode,
                &origin,
                r.get(9),
            )?);
        }
        Ok((compat, applied))
    }

    /// After an undefined-column error (42703) reading golang-migrate's table: the table's
    /// layout is another tool's, said with the ways out (`None` for any other error).
    fn foreign_layout(&mut self, e: &postgres::Error) -> Option<DriverError> {
        if sqlstate(e) != Some("42703") {
            return None;
        }
        let query = sql::columns_sql(&self.schema, &self.tables.compat);
        let out = self.quietly(|d| d.client.simple_query(&query)).ok()?;
        let columns: Vec<String> = rows(&out)
            .filter_map(|r| r.get(0).map(str::to_string))
            .collect();
        strata_core::adopt::foreign_compat_table(&self.tables.compat, &columns)
            .map(DriverError::ForeignTable)
    }

    /// After a `lock_timeout` failure (55P03), name the sessions holding locks on the tables the
    /// SQL mentions, in the error's detail: the server's message names neither. The session must
    /// not be in a failed transaction.
    /// A script's timeouts: its directives', else the run's (`--ddl-lock-timeout`,
    /// `MIGRATION_TIMEOUT`, `x-statement-timeout`). Set with each migration, not only once for
    /// the session, so that a migration resetting the session (`RESET ALL`) does
    /// not lift them for the migrations after it.
    fn timeouts(&self, script: &Script) -> Timeouts {
        Timeouts {
            lock: script.lock_timeout.or(self.opts.lock_timeout),
            statement: script
                .statement_timeout
                .or(self.opts.statement_timeout)
                .or(self.url.statement_timeout()),
        }
    }

    /// What a migration's transaction sets first, after `BEGIN`: the URL's session settings
    /// (`?search_path=app`), then the script's timeouts ([`Self::timeouts`]), each for this
    /// transaction only. Set with each migration so that one resetting the session does not
    /// change where or how the later ones run.
    fn transaction_settings(&self, script: &Script) -> String {
        let mut out = url_settings_sql(&self.url);
        if self.sessionless {
            out.push_str(&client_check_sql());
        }
        out.push_str(&set_local_sql(self.timeouts(script)));
        out
    }

    /// The URL's session settings, set again for the session (before a no-transaction
    /// migration: an earlier one may have reset them).
    fn reapply_url_settings(&mut self) -> Result<(), DriverError> {
        let settings: Vec<(String, String)> = self
            .url
            .session_settings()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in &settings {
            self.client
                .query_one("SELECT set_config($1, $2, false)", &[k, v])
                .map_err(|e| db_error(&e))?;
        }
        Ok(())
    }

    fn explain_lock_timeout(&mut self, err: &mut DriverError, sql: &str) {
        let DriverError::Statement {
            code, detail, hint, ..
        } = err
        else {
            return;
        };
        if code.as_deref() != Some("55P03") {
            return;
        }
        let words = identifiers(sql);
        let rows = self.quietly(|d| d.client.query(sql::TABLE_LOCK_HOLDERS, &[&words]));
        let holders: Vec<String> = rows
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let pid: i32 = r.get(0);
                let app: String = r.get(1);
                let state: String = r.get(3);
                let query = lock::shown_query(&r.get::<_, String>(4));
                let table: String = r.get(5);
                let mode: String = r.get(6);
                let state_for: f64 = r.get(7);
                format!(
                    "blocked by pid {pid} (application_name {app:?}, state {state:?} for {state_for:.1}s, query {query:?}), holding {mode} on {table}"
                )
            })
            .collect();
        if !holders.is_empty() {
            let mut text = holders.join("; ");
            if let Some(d) = detail.take() {
                text = format!("{d}; {text}");
            }
            *detail = Some(text);
        }
        if hint.is_none() {
            *hint = Some(
                "a table the migration alters stayed locked by another session longer than lock_timeout; retry when it ends, or end it with SELECT pg_terminate_backend(pid)".into(),
            );
        }
    }
}

/// The URL's session settings (`?search_path=app`) for the transaction only: a `DO` block after
/// `BEGIN` (empty when there are none).
fn url_settings_sql(url: &DatabaseUrl) -> String {
    let mut out = String::new();
    let settings = url.session_settings();
    if !settings.is_empty() {
        // A DO block returns no rows; names and values go hex-encoded, so that no text of
        // theirs can end the block.
        let text = |s: &str| {
            let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            format!("convert_from(decode('{hex}', 'hex'), 'UTF8')")
        };
        out.push_str(" DO $strata$BEGIN ");
        for (k, v) in settings {
            out.push_str(&format!(
                "PERFORM set_config({}, {}, true); ",
                text(k),
                text(v)
            ));
        }
        out.push_str("END$strata$;");
    }
    out
}

/// Without session settings (`x-lock-strategy=lease`), `client_connection_check_interval` for
/// the transaction (PostgreSQL 14+), as `connect::open` sets it for a session: a killed runner's
/// statement then ends within about a second rather than run on, holding its locks and, behind
/// a pooler, a server session.
fn client_check_sql() -> String {
    format!(
        " DO $strata$BEGIN IF current_setting('server_version_num')::int >= 140000 THEN \
         PERFORM set_config('client_connection_check_interval', '{}', true); END IF; END$strata$;",
        connect::CLIENT_CHECK_INTERVAL.as_millis()
    )
}

/// The `lock_timeout` and `statement_timeout` a script runs under.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timeouts {
    /// `lock_timeout`, if any.
    pub lock: Option<std::time::Duration>,
    /// `statement_timeout`, if any.
    pub statement: Option<std::time::Duration>,
}

/// `SET LOCAL` statements (each after a `;`, on one line) for the timeouts a script runs under;
/// empty when there are none.
pub fn set_local_sql(timeouts: Timeouts) -> String {
    let mut out = String::new();
    if let Some(t) = timeouts.lock {
        out.push_str(&format!(" SET LOCAL lock_timeout = '{}ms';", t.as_millis()));
    }
    if let Some(t) = timeouts.statement {
        out.push_str(&format!(
            " SET LOCAL statement_timeout = '{}ms';",
            t.as_millis()
        ));
    }
    out
}

/// The identifier-like words of `sql`, as written and lower-cased (candidate table names).
fn identifiers(sql: &str) -> Vec<String> {
    // A set: a large data file has millions of words (a list search per word was quadratic).
    let mut seen = std::collections::BTreeSet::new();
    for w in sql.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
        if w.is_empty() || w.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if !seen.contains(w) {
            seen.insert(w.to_lowercase());
            seen.insert(w.to_string());
        }
        // Table names come with the DDL, long before a data file's millionth word.
        if seen.len() >= 10_000 {
            break;
        }
    }
    seen.into_iter().collect()
}

/// A body failure, and whether the failing statement still has to be found by re-running.
struct BodyError {
    err: DriverError,
    needs_search: bool,
}

/// PostgreSQL-only features, outside the engine's contract: `plan`'s live table facts,
/// cancelling and stopping a run from another thread, round-trip counts, rehearsal.
impl PostgresDriver<'_> {
    /// Size, row estimate and current users of each table in `tables` (names as a migration
    /// wrote them, possibly qualified and quoted), for `plan`. Read-only.
    pub fn inspect_tables(&mut self, tables: &[String]) -> Result<Vec<TableInfo>, DriverError> {
        inspect::inspect_tables(&mut self.client, tables)
    }

    /// The table of the index named `index` (as a migration wrote it), as the catalog names it;
    /// `None` when there is no such index. For `plan`: `DROP INDEX` locks the index's table.
    pub fn index_table(&mut self, index: &str) -> Result<Option<String>, DriverError> {
        inspect::index_table(&mut self.client, index)
    }

    /// A handle that asks the server to cancel the statement this session is running, callable
    /// from another thread (e.g. a second Ctrl-C). `None` on a borrowed client (its TLS
    /// settings are the application's).
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        let token = self.client.cancel_token();
        let tls = self.tls.clone()?;
        Some(Box::new(move || {
            // Best effort: the statement may have ended, or the server be gone.
            let _ = token.cancel_query(tls.clone());
        }))
    }

    /// A handle that asks a running batch to stop before its next item (callable from another
    /// thread, e.g. a first Ctrl-C): the batch then fails with
    /// [`strata_core::BatchFailure::stopped`]. `None` on a borrowed client (stopping goes
    /// through a second session, which a borrowed client has no URL for) and under a lease: the
    /// run then stops after the running batch.
    pub fn stop_handle(&self) -> Option<CancelHandle> {
        // Under a lease the stop lock is not used: it is a session lock, which a transaction
        // pooler would leave behind on a pooled server session, and which CockroachDB lacks.
        if self.client.is_borrowed() || self.lease.is_some() {
            return None;
        }
        Some(batch::stop_handle(
            self.url.clone(),
            self.opts.clone(),
            self.backend_pid,
        ))
    }

    /// Round trips to the server so far.
    pub fn round_trips(&self) -> u64 {
        self.client.round_trips()
    }

    /// Run `scripts` in one transaction that is rolled back (see [`SessionHooks::rehearse`]).
    pub fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        self.rehearse_scripts(scripts)
    }

    fn apply_script_settings(&mut self, script: &Script) -> Result<(), DriverError> {
        self.reapply_url_settings()?;
        let timeouts = self.timeouts(script);
        if timeouts == Timeouts::default() {
            return Ok(());
        }
        let row = self
            .client
            .query_one(
                "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')",
                &[],
            )
            .map_err(|e| db_error(&e))?;
        self.saved_settings = Some((row.get(0), row.get(1)));
        self.client
            .allow_statement_timeout(script.statement_timeout);
        let set = set_local_sql(timeouts).replace("SET LOCAL", "SET");
        self.client.batch_execute(&set).map_err(|e| db_error(&e))
    }

    /// Without session state (`x-lock-strategy=lease`), a script outside a transaction has no
    /// way to carry settings: each of its statements may run on another server session, and a
    /// session `SET` would stay behind for another client there. Refused when it needs any,
    /// naming them, rather than run without them.
    fn refuse_session_settings(&self, script: &Script) -> Result<(), DriverError> {
        let timeouts = self.timeouts(script);
        let mut needs: Vec<String> = self
            .url
            .session_settings()
            .iter()
            .map(|(k, _)| format!("{k} (database URL)"))
            .collect();
        if timeouts.lock.is_some() {
            needs.push("lock_timeout".into());
        }
        if timeouts.statement.is_some() {
            needs.push("statement_timeout".into());
        }
        if needs.is_empty() {
            return Ok(());
        }
        Err(DriverError::Connect {
            message: format!(
                "cannot run a migration outside a transaction with session settings ({}) under x-lock-strategy=lease: \
                 its statements may each run on another server session; drop the settings for this \
                 migration, run it in a transaction, or use x-lock-strategy=advisory on a direct connection",
                needs.join(", ")
            ),
            fix: None,
            cause: None,
        })
    }

    fn restore_session(&mut self) -> Result<(), DriverError> {
        let Some((lock, statement)) = self.saved_settings.take() else {
            return Ok(());
        };
        self.client
            .query(
                "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
                &[&lock, &statement],
            )
            .map(|_| ())
            .map_err(|e| db_error(&e))
    }

    fn invalid_indexes(&mut self, script: &Script, drop: bool) -> Result<Vec<String>, DriverError> {
        self.quietly(|d| invalid_index::handle(&mut d.client, script, drop))
    }
}

impl SessionHooks for PostgresDriver<'_> {
    fn before_script(
        &mut self,
        script: &Script,
        drop_invalid: bool,
    ) -> Result<Vec<String>, DriverError> {
        let dropped = self.invalid_indexes(script, drop_invalid)?;
        if self.sessionless {
            self.refuse_session_settings(script)?;
        } else {
            self.apply_script_settings(script)?;
        }
        Ok(dropped)
    }

    fn refusal(&self, script: &Script) -> Option<String> {
        self.sessionless
            .then(|| self.refuse_session_settings(script).err())
            .flatten()
            .map(|e| e.to_string())
    }

    fn after_script(&mut self) -> Result<(), DriverError> {
        self.restore_session()
    }

    fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        self.rehearse_scripts(scripts)
    }
}

impl strata_core::Driver for PostgresDriver<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        if let Some(lease) = self.lease.clone() {
            let created = self.quietly(|d| lease::acquire(&mut d.client, &lease, timeout))?;
            match lease::Heartbeat::start(&self.url, &self.opts, lease.clone()) {
                Ok(beat) => self.heartbeat = Some(beat),
                Err(e) => {
                    let _ = self.quietly(|d| lease::release(&mut d.client, &lease, created));
                    return Err(e);
                }
            }
            self.lease_table_new = created;
            self.locked = true;
            return Ok(());
        }
        // Taken only by a statement running on the server session of connect: behind a
        // transaction-pooling proxy that fails (or finds another client's lock there) and is
        // refused, rather than run unprotected.
        let (keys, pid) = (self.lock_keys.clone(), self.backend_pid);
        // With an idle pool a lone runner's statements all run on one server session, which
        // other clients share between its transactions: only a second connection tells.
        if self.behind_proxy {
            lock::second_connection_shares(&self.url, &self.opts, pid)?;
        }
        self.quietly(|d| lock::acquire(&mut d.client, &keys, timeout, pid))?;
        self.locked = true;
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        if let Some(lease) = self.lease.clone() {
            self.locked = false;
            // Stopped first, so no renewal follows the release.
            self.heartbeat = None;
            let drop_table = std::mem::take(&mut self.lease_table_new);
            return self.quietly(|d| lease::release(&mut d.client, &lease, drop_table));
        }
        let (keys, pid) = (self.lock_keys.clone(), self.backend_pid);
        self.locked = false;
        self.quietly(|d| lock::release(&mut d.client, &keys, pid))
    }

    fn ensure_tables(&mut self) -> Result<(), DriverError> {
        // The run changes something: the lease table it may have created stays.
        self.lease_table_new = false;
        let names = vec![
            self.tables.compat.clone(),
            self.tables.ledger.clone(),
            self.tables.log.clone(),
        ];
        // Which tables exist, the compatibility table's columns and whether the ledger has the
        // down checksum: one round trip.
        let out = self
            .client
            .simple_query(&format!(
                "{};\n{};\n{}",
                sql::tables_present_sql(&self.schema, &names),
                sql::columns_sql(&self.schema, &self.tables.compat),
                sql::down_checksum_present_sql(&self.schema, &names[1])
            ))
            .map_err(|e| db_error(&e))?;
        let sets = result_sets(&out);
        let texts = |i: usize| -> Vec<String> {
            sets.get(i)
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.get(0).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let present = texts(0);
        let columns = texts(1);
        if !columns.is_empty() {
            if let Some(why) =
                strata_core::adopt::foreign_compat_table(&self.tables.compat, &columns)
            {
                return Err(DriverError::ForeignTable(why));
            }
        }
        // A ledger written by an older Strata is upgraded in place (its rows keep a NULL down
        // checksum: no drift is reported for them).
        if present.contains(&names[1]) && sets.get(2).is_none_or(|s| s.is_empty()) {
            self.add_down_checksum()?;
        }
        let creates: Vec<&str> = [
            (&names[0], &self.sql.create_compat),
            (&names[1], &self.sql.create_ledger),
            (&names[2], &self.sql.create_log),
        ]
        .into_iter()
        .filter(|(name, _)| !present.contains(name))
        .map(|(_, sql)| sql.as_str())
        .collect();
        if creates.is_empty() {
            return Ok(());
        }
        let batch = format!("BEGIN; {}; COMMIT", creates.join("; "));
        self.quietly(|d| d.client.batch_execute(&batch)).map_err(|e| {
            self.rollback();
            let mut err = db_error(&e);
            if let DriverError::Statement { hint, code, .. } = &mut err {
                if code.as_deref() == Some("42501") && hint.is_none() {
                    *hint = Some(format!(
                        "the role needs CREATE on schema \"{}\" to create the migrations tables, or an administrator creates them once",
                        self.schema
                    ));
                }
            }
            err
        })
    }

    fn read_state(&mut self) -> Result<LedgerState, DriverError> {
        // golang-migrate's row and the ledger in one simple query: one round trip (this is all
        // a no-op `up` asks). A missing table (first contact) takes the slower path below.
        let message = format!("{};\n{}", self.sql.select_compat, self.sql.select_ledger);
        let legacy = || {
            format!(
                "{};\n{}",
                self.sql.select_compat, self.sql.select_ledger_without_down
            )
        };
        let read = match self.client.simple_query(&message) {
            // A ledger not upgraded yet (only commands that write upgrade it).
            Err(e) if sqlstate(&e) == Some("42703") => self.client.simple_query(&legacy()),
            other => other,
        };
        let (compat, applied) = match read {
            Ok(out) => {
                let mut sets = result_sets(&out).into_iter();
                let compat = sets.next().unwrap_or_default();
                let ledger = sets.next().unwrap_or_default();
                let compat = match compat.first() {
                    Some(r) => Some(CompatRow {
                        version: text_int(r, 0, "schema_migrations.version")?,
                        dirty: r.get(1) == Some("t"),
                    }),
                    None => None,
                };
                let applied = ledger
                    .iter()
                    .map(|r| {
                        ledger_row(
                            text_int(r, 0, "ledger version")?,
                            r.get(1).unwrap_or_default().to_string(),
                            r.get(2).map(str::to_string),
                            text_int(r, 3, "ledger batch")?,
                            r.get(4).unwrap_or_default().to_string(),
                            text_int(r, 5, "ledger duration_ms")?,
                            r.get(6).unwrap_or_default().to_string(),
                            r.get(7).unwrap_or_default(),
                            r.get(8).unwrap_or_default(),
                            r.get(9).map(str::to_string),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (compat, applied)
            }
            Err(e) if sqlstate(&e) == Some("42P01") => self.read_tables_one_by_one()?,
            Err(e) => return Err(self.foreign_layout(&e).unwrap_or_else(|| db_error(&e))),
        };
        let reached = match compat.filter(|c| c.dirty) {
            Some(row) => match self.client.query_opt(&self.sql.select_last_reached, &[]) {
                Ok(Some(r)) => {
                    let (action, version, name, detail): (String, Option<i64>, String, String) =
                        (r.get(0), r.get(1), r.get(2), r.get(3));
                    Reached::from_log(row, &action, version, &name, &detail)
                }
                Ok(None) => None,
                Err(e) if sqlstate(&e) == Some("42P01") => None,
                Err(e) => return Err(db_error(&e)),
            },
            None => None,
        };
        Ok(LedgerState {
            compat,
            applied,
            reached,
        })
    }

    fn write(&mut self, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        if writes.is_empty() {
            return Ok(());
        }
        // One message, one round trip: the same statements `writes_sql` gives a migration's
        // COMMIT (values quoted in), in their own transaction. Committed synchronously: these
        // records are what a no-transaction or self-managed migration is reported by, and the
        // flush covers the migration's own earlier commits.
        for w in writes {
            match w {
                LedgerWrite::Insert(m) => to_i64(m.version).map(drop)?,
                LedgerWrite::Delete(v) => to_i64(*v).map(drop)?,
                LedgerWrite::Log(e) => e.version.map(to_i64).transpose().map(drop)?,
                LedgerWrite::SetCompat(_) => {}
            }
        }
        let message = write_message(&self.record_proof(), &self.sql.writes_sql(writes));
        let result = self
            .quietly(|d| d.client.batch_execute(&message))
            .map_err(|e| self.write_error(&e));
        if result.is_err() {
            self.rollback();
        }
        result
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<(), DriverError> {
        // One INSERT as a simple query: autocommit, one round trip. Under the lock, the proof
        // rides in the same message (an implicit transaction): a no-transaction migration writes
        // this before each statement after its first, so the lock is verified after every
        // statement it ran, before the next one.
        let sql = format!(
            "{}{}",
            self.record_proof(),
            self.sql.writes_sql(&[LedgerWrite::Log(entry.clone())])
        );
        self.client.batch_execute(&sql).map_err(|e| db_error(&e))
    }

    fn run_in_transaction(
        &mut self,
        script: &Script,
        writes: &[LedgerWrite],
    ) -> Result<(), DriverError> {
        let started = std::time::Instant::now();
        if let Err(BodyError {
            mut err,
            needs_search,
        }) = self.run_body(script)
        {
            self.rollback();
            self.explain_lock_timeout(&mut err, &script.sql);
            if needs_search {
                let found = self.find_failing_statement(&script.sql);
                set_location(&mut err, found, None);
            }
            return Err(err);
        }
        // The records and COMMIT: one more round trip.
        let ms = started.elapsed().as_millis() as i64;
        let stamped: Vec<LedgerWrite> = writes
            .iter()
            .cloned()
            .map(|w| w.with_duration(ms))
            .collect();
        let message = format!(
            "{}{}{}COMMIT",
            self.commit_proof(),
            self.sql.writes_sql(&stamped),
            durable::SYNC_COMMIT
        );
        let result = self
            .quietly(|d| d.client.batch_execute(&message))
            .map_err(|e| self.write_error(&e));
        if let Err(lost) = result {
            self.rollback();
            if self.client.is_closed() {
                // The COMMIT may have been carried out.
                return self.lost_commit_outcome(writes, lost);
            }
            return Err(lost);
        }
        result
    }

    fn run_autocommit(&mut self, sql: &str) -> Result<(), DriverError> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        if let Some(pieces) = copy::pieces(sql, copy::BATCH_BYTES) {
            return self.run_pieces("", sql, &pieces, false).map_err(|e| {
                let mut err = e.err;
                self.rollback();
                self.explain_lock_timeout(&mut err, sql);
                err
            });
        }
        self.client.batch_execute(sql).map_err(|e| {
            let mut err = db_error(&e);
            let position = server_position(&e).map(|p| char_to_byte(sql, p));
            let statement = match position {
                Some(b) => statement_at(sql, b),
                None => {
                    // The server's view of the message it got, not the script's statements.
                    let all = strata_sql::split(sql, Dialect::Postgres).statements;
                    (all.len() == 1).then(|| all[0].range.clone())
                }
            };
            set_location(&mut err, statement, position);
            // A self-managed file may have failed inside its own BEGIN: leave the session clean.
            self.rollback();
            self.explain_lock_timeout(&mut err, sql);
            err
        })
    }

    fn drop_all(&mut self) -> Result<DropReport, DriverError> {
        let Some(schema) = self.current_schema.clone() else {
            return Err(DriverError::Connect {
                message: "no schema: search_path names no existing schema".into(),
                fix: Some(Fix::CreateSchema),
                cause: None,
            });
        };
        let mut report = self.quietly(|d| drop::drop_schema_objects(&mut d.client, &schema))?;
        if self.schema != schema {
            // The migrations tables live in another schema (quoted `x-migrations-table`), so
            // they survived; left as they are they would still say the dropped migrations are
            // applied and a later `up` would do nothing (golang-migrate's stale row). Empty
            // golang-migrate's row and the ledger; the log keeps its history.
            let names = vec![self.tables.compat.clone(), self.tables.ledger.clone()];
            let present: Vec<String> = self
                .client
                .query(sql::TABLES_PRESENT, &[&self.schema, &names])
                .map_err(|e| db_error(&e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for name in names.iter().filter(|n| present.contains(n)) {
                let table = sql::qualified(&self.schema, name);
                self.client
                    .batch_execute(&format!("TRUNCATE {table}"))
                    .map_err(|e| db_error(&e))?;
                report.dropped.push(format!("rows of {table}"));
            }
        }
        Ok(report)
    }

    fn read_log(
        &mut self,
        limit: Option<usize>,
    ) -> Result<Vec<strata_core::LogRecord>, DriverError> {
        history::read_log(&mut self.client, &self.schema, &self.tables.log, limit)
    }

    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<strata_core::RawTable>, DriverError> {
        let schema = schema.unwrap_or(&self.schema).to_string();
        self.quietly(|d| history::read_table(&mut d.client, &schema, name))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A batch is watched through server notices, which a borrowed client delivers to
            // the application's callback instead.
            batch_limit: if self.client.is_borrowed() {
                1
            } else {
                batch::BATCH_LIMIT
            },
            single_transaction: true,
            transactional_ddl: true,
        }
    }

    fn run_batch(
        &mut self,
        items: &[strata_core::BatchItem<'_>],
        single_transaction: bool,
        progress: &mut dyn FnMut(strata_core::BatchProgress),
    ) -> Result<(), strata_core::BatchFailure> {
        self.batch(
            items,
            single_transaction,
            &mut batch::Progress::new(progress),
        )
    }

    fn session(&mut self) -> Option<&mut dyn SessionHooks> {
        Some(self)
    }

    fn take_notices(&mut self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// The message of [`strata_core::Driver::write`]: the lock proof and the records in one
/// transaction whose commit is flushed (see [`durable::SYNC_COMMIT`]) before anything reports
/// them.
fn write_message(lock_proof: &str, writes_sql: &str) -> String {
    format!(
        "BEGIN;\n{lock_proof}{writes_sql}{}COMMIT",
        durable::SYNC_COMMIT
    )
}

/// One ledger row, checked.
#[allow(clippy::too_many_arguments)]
fn ledger_row(
    version: i64,
    name: String,
    checksum: Option<String>,
    batch: i64,
    applied_at: String,
    duration_ms: i64,
    applied_by: String,
    mode: &str,
    origin: &str,
    down_checksum: Option<String>,
) -> Result<AppliedMigration, DriverError> {
    Ok(AppliedMigration {
        version: u64::try_from(version).map_err(|_| {
            DriverError::Ledger(format!("ledger holds a negative version {version}"))
        })?,
        name,
        checksum,
        down_checksum,
        batch,
        applied_at,
        duration_ms,
        applied_by,
        mode: TxMode::parse(mode).ok_or_else(|| {
            DriverError::Ledger(format!("ledger row {version} has an unknown mode {mode:?}"))
        })?,
        origin: Origin::parse(origin).ok_or_else(|| {
            DriverError::Ledger(format!(
                "ledger row {version} has an unknown origin {origin:?}"
            ))
        })?,
    })
}

/// The rows of a simple query's result, of all its statements.
fn rows(out: &[postgres::SimpleQueryMessage]) -> impl Iterator<Item = &postgres::SimpleQueryRow> {
    out.iter().filter_map(|m| match m {
        postgres::SimpleQueryMessage::Row(r) => Some(r),
        _ => None,
    })
}

/// The rows of a simple query's result, one set per statement.
fn result_sets(out: &[postgres::SimpleQueryMessage]) -> Vec<Vec<&postgres::SimpleQueryRow>> {
    let mut sets = vec![Vec::new()];
    for m in out {
        match m {
            postgres::SimpleQueryMessage::Row(r) => sets.last_mut().expect("one set").push(r),
            postgres::SimpleQueryMessage::CommandComplete(_) => sets.push(Vec::new()),
            _ => {}
        }
    }
    sets
}

/// Column `i` of a text row as an integer.
fn text_int(row: &postgres::SimpleQueryRow, i: usize, what: &str) -> Result<i64, DriverError> {
    row.get(i)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| DriverError::Protocol(format!("unreadable {what}: {:?}", row.get(i))))
}

fn to_i64(v: u64) -> Result<i64, DriverError> {
    i64::try_from(v).map_err(|_| {
        DriverError::Ledger(format!("version {v} is too large for PostgreSQL's bigint"))
    })
}

/// Whether re-running statements one by one can say more: not for errors that come from the
/// session or the server's state rather than from a statement (timeouts, lost connections,
/// deadlocks, resource limits), which would only repeat the wait.
fn rerun_helps(e: &postgres::Error) -> bool {
    // The lock's proof failed before the script ran: the re-run would run it unprotected.
    if errors::is_lock_lost(e) {
        return false;
    }
    match sqlstate(e) {
        None => false,
        // 55P03 (lock_timeout): the re-run would wait for the same lock again.
        Some(code) => !["57", "08", "53", "40", "58", "XX", "55P03"]
            .iter()
            .any(|class| code.starts_with(class)),
    }
}

fn set_location(err: &mut DriverError, stmt: Option<Range<usize>>, pos: Option<usize>) {
    if let DriverError::Statement {
        statement,
        position,
        ..
    } = err
    {
        if stmt.is_some() {
            *statement = stmt;
        }
        if pos.is_some() {
            *position = pos;
        }
    }
}

/// The byte offset in `text` of the server's 1-based character position (PostgreSQL counts
/// characters, not bytes); a position past the end maps to the end.
pub fn char_to_byte(text: &str, position: u32) -> usize {
    let index = (position as usize).saturating_sub(1);
    text.char_indices()
        .nth(index)
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}

/// The statement (as split by the lexer) containing byte `offset`, or the next one when the
/// offset falls between statements, or the last one when past the end.
pub fn statement_at(sql: &str, offset: usize) -> Option<Range<usize>> {
    // Not `Script::statement_ranges`: `sql` is a sent message, located as the server saw it.
    let statements = strata_sql::split(sql, Dialect::Postgres).statements;
    statements
        .iter()
        .find(|s| offset < s.range.end)
        .or(statements.last())
        .map(|s| s.range.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let sql = "SELECT 'é';\nSELEC 1;";
        // The server counts characters: position 13 is the `S` of `SELEC`.
        let b = char_to_byte(sql, 13);
        assert_eq!(&sql[b..b + 5], "SELEC");
        assert_eq!(char_to_byte(sql, 1), 0);
        assert_eq!(char_to_byte(sql, 999), sql.len());
    }

    #[test]
    fn ledger_writes_commit_synchronously_after_the_records() {
        let message = write_message("SELECT 1;\n", "INSERT INTO l VALUES (1);\n");
        let sync = message
            .find(durable::SYNC_COMMIT)
            .expect("the setting is sent");
        assert!(message.starts_with("BEGIN;\nSELECT 1;\nINSERT INTO l VALUES (1);\n"));
        assert!(message[sync..].ends_with("COMMIT"), "{message}");
    }

    #[test]
    fn statement_lookup() {
        let sql = "CREATE TABLE a (x int);\nCREATE TABLEE b (x int);\nSELECT 1;";
        let b = sql.find("TABLEE").unwrap();
        let r = statement_at(sql, b).unwrap();
        assert_eq!(&sql[r], "CREATE TABLEE b (x int);");
        assert_eq!(&sql[statement_at(sql, sql.len()).unwrap()], "SELECT 1;");
    }
}
