//! The SQLite driver (rusqlite with a bundled SQLite: nothing to install).
//!
//! - golang-migrate's SQLite table is kept as its drivers create it:
//!   `(version uint64, dirty bool)` plus the unique index `version_unique`.
//! - Transactional migrations run statement by statement inside `BEGIN IMMEDIATE ... COMMIT`
//!   together with their records, so the failing statement is always known.
//! - The migration lock is an OS file lock on a sidecar file `<db>.strata-lock` (SQLite has no
//!   advisory locks, and golang-migrate's SQLite drivers lock nothing across processes). The lock
//!   dies with the process, so a killed runner never leaves it behind.

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_core::ledger::{
    Action, AppliedMigration, CompatRow, LedgerState, LedgerWrite, LogEntry, LogRecord, Origin,
    Reached,
};
use strata_core::{Driver, DriverError, DropReport, Fix, RawTable, Script, TableNames, TxMode};
use strata_sql::Dialect;

/// The SQLite driver: one connection to one database file (its own, or the application's,
/// borrowed for a run with [`SqliteDriver::borrowing`]).
pub struct SqliteDriver<'c> {
    conn: Conn<'c>,
    /// The database file with every symlink and `..` resolved: the lock is named after it, so
    /// runners reaching one file by different paths share one lock.
    canonical: PathBuf,
    tables: TableNames,
    lock: Option<File>,
    /// An in-memory stand-in for a file that does not exist: no other process can reach it, so
    /// locking it creates no lock file.
    stand_in: bool,
}

/// The driver's connection: opened by it, or the application's own.
enum Conn<'c> {
    Owned(Connection),
    Borrowed(&'c mut Connection),
}

impl std::ops::Deref for Conn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Conn::Owned(c) => c,
            Conn::Borrowed(c) => c,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            Conn::Owned(c) => c,
            Conn::Borrowed(c) => c,
        }
    }
}

/// `"name"` with embedded quotes doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

// language=SQL
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

impl SqliteDriver<'static> {
    /// Open the database file at `path` for a command that only reads: nothing is created. A
    /// file that does not exist reads as an empty database (an in-memory one stands in).
    pub fn open_read_only(
        path: &Path,
        tables: TableNames,
    ) -> Result<SqliteDriver<'static>, DriverError> {
        if !path.exists() {
            let conn = Connection::open_in_memory().map_err(|e| DriverError::Client {
                message: format!("cannot open an empty stand-in for {}: {e}", path.display()),
                cause: Some(Arc::new(e)),
            })?;
            let mut driver = Self::with_connection(conn, path, tables)?;
            driver.stand_in = true;
            return Ok(driver);
        }
        // Without SQLITE_OPEN_CREATE: a file removed since the check is not recreated.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        Self::with_connection(conn, path, tables)
    }

    /// Open (or create) the database file at `path`.
    pub fn open(path: &Path, tables: TableNames) -> Result<SqliteDriver<'static>, DriverError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(DriverError::Connect {
                    message: format!(
                        "cannot open SQLite database {}: folder {} does not exist",
                        path.display(),
                        dir.display()
                    ),
                    fix: Some(Fix::CreateFolder),
                    cause: None,
                });
            }
        }
        let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
        Self::with_connection(conn, path, tables)
    }

    fn with_connection(
        conn: Connection,
        path: &Path,
        tables: TableNames,
    ) -> Result<SqliteDriver<'static>, DriverError> {
        // Readers of the same file (an app at start-up) may hold it briefly.
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| DriverError::Client {
                message: e.to_string(),
                cause: Some(Arc::new(e)),
            })?;
        // The file exists once opened, so it resolves; a path that still does not (an odd
        // file system) keeps the path as given.
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(SqliteDriver {
            conn: Conn::Owned(conn),
            canonical,
            tables,
            lock: None,
            stand_in: false,
        })
    }
}

impl<'c> SqliteDriver<'c> {
    /// Run on the application's own connection, for as long as it lends it. Its settings (the
    /// busy timeout included) are left as they are. An in-memory database takes no lock file:
    /// no other process can reach it.
    pub fn borrowing(
        conn: &'c mut Connection,
        tables: TableNames,
    ) -> Result<SqliteDriver<'c>, DriverError> {
        let path = conn.path().filter(|p| !p.is_empty()).map(PathBuf::from);
        Ok(SqliteDriver {
            canonical: path
                .as_ref()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                .unwrap_or_default(),
            stand_in: path.is_none(),
            conn: Conn::Borrowed(conn),
            tables,
            lock: None,
        })
    }

    /// The underlying connection, for tests and embedders.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn lock_path(&self) -> PathBuf {
        let mut p = self.canonical.clone().into_os_string();
        p.push(".strata-lock");
        PathBuf::from(p)
    }

    /// Refuse a compatibility table without golang-migrate's layout (e.g. dbmate's table of the
    /// same name), before anything is created or read.
    fn check_compat_layout(&self) -> Result<(), DriverError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .map_err(err)?;
        let columns: Vec<String> = stmt
            .query_map([&self.tables.compat], |r| r.get(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        if columns.is_empty() {
            return Ok(());
        }
        match strata_core::adopt::foreign_compat_table(&self.tables.compat, &columns) {
            Some(why) => Err(DriverError::ForeignTable(why)),
            None => Ok(()),
        }
    }

    /// Whether the ledger has the `down_checksum` column (a ledger written by an older Strata
    /// lacks it until a command that writes upgrades it).
    fn ledger_has_down_checksum(&self) -> Result<bool, DriverError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name = 'down_checksum'",
                [&self.tables.ledger],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(err)
    }

    fn table_exists(&self, name: &str) -> Result<bool, DriverError> {
        self.conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(err)
    }

    fn apply_writes(&self, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        let compat = quote(&self.tables.compat);
        let ledger = quote(&self.tables.ledger);
        let log = quote(&self.tables.log);
        for w in writes {
            match w {
                LedgerWrite::SetCompat(row) => {
                    self.conn
                        .execute(&format!("DELETE FROM {compat}"), [])
                        .map_err(err)?;
                    if let Some(CompatRow { version, dirty }) = row {
                        self.conn
                            .execute(
                                &format!("INSERT INTO {compat} (version, dirty) VALUES (?1, ?2)"),
                                params![version, dirty],
                            )
                            .map_err(err)?;
                    }
                }
                LedgerWrite::Insert(r) => {
                    self.conn
                        .execute(
                            &format!(
                                "INSERT INTO {ledger} (version, name, checksum, batch, applied_at, duration_ms, applied_by, mode, origin, down_checksum) \
                                 VALUES (?1, ?2, ?3, ?4, coalesce(nullif(?9, ''), {NOW}), ?5, ?6, ?7, ?8, ?10)"
                            ),
                            params![
                                r.version as i64,
                                r.name,
                                r.checksum,
                                r.batch,
                                r.duration_ms,
                                r.applied_by,
                                r.mode.as_str(),
                                r.origin.as_str(),
                                r.applied_at,
                                r.down_checksum
                            ],
                        )
                        .map_err(already_applied)?;
                }
                LedgerWrite::Delete(v) => {
                    self.conn
                        .execute(
                            &format!("DELETE FROM {ledger} WHERE version = ?1"),
                            [*v as i64],
                        )
                        .map_err(err)?;
                }
                LedgerWrite::Log(e) => {
                    self.conn
                        .execute(
                            &format!(
                                "INSERT INTO {log} (action, version, name, batch, checksum, duration_ms, actor, detail, at) \
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {NOW})"
                            ),
                            params![
                                e.action.as_str(),
                                e.version.map(|v| v as i64),
                                e.name,
                                e.batch,
                                e.checksum,
                                e.duration_ms,
                                e.actor,
                                e.detail
                            ],
                        )
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }

    /// Run `f` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back on error.
    fn transaction<T>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT").map_err(err)?;
                Ok(v)
            }
            Err(e) => {
                // The transaction may already be gone (e.g. the script ended it).
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// A rusqlite error as a driver error (statement context is added by callers).
/// A failed ledger INSERT: a version already recorded (its primary key) is
/// [`DriverError::AlreadyApplied`], never overwritten.
fn already_applied(e: rusqlite::Error) -> DriverError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            DriverError::AlreadyApplied {
                detail: msg.clone().unwrap_or_else(|| e.to_string()),
            }
        }
        _ => err(e),
    }
}

/// The file named by the URL cannot be opened as a SQLite database.
fn open_error(path: &Path, e: rusqlite::Error) -> DriverError {
    DriverError::Connect {
        message: format!("cannot open SQLite database {}: {e}", path.display()),
        fix: None,
        cause: Some(Arc::new(e)),
    }
}

fn err(e: rusqlite::Error) -> DriverError {
    // SQLite's generic SQLITE_ERROR says nothing the message does not; name only specific codes
    // (constraint violations, busy, read-only...).
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) | rusqlite::Error::SqlInputError { error: f, .. } => {
            Some(f.code).filter(|c| *c != rusqlite::ErrorCode::Unknown)
        }
        _ => None,
    }
    .map(|c| format!("{c:?}"));
    let message = match &e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    };
    DriverError::Statement {
        message,
        code,
        detail: None,
        hint: None,
        statement: None,
        position: None,
    }
}

/// A `COPY ... FROM stdin` statement with its data block (pg_dump's format) is PostgreSQL's client
/// protocol, which SQLite has no equivalent of: refused before anything runs, naming it.
fn refuse_copy(sql: &str) -> Result<(), DriverError> {
    if !sql
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"copy"))
    {
        return Ok(());
    }
    // Not `Script::statement_spans`: what matters is the lexer's COPY data block, not bounds.
    let split = strata_sql::split(sql, Dialect::Sqlite);
    match split.statements.into_iter().find(|s| s.copy_data.is_some()) {
        None => Ok(()),
        Some(s) => Err(DriverError::Statement {
            message: "COPY ... FROM stdin is PostgreSQL-only: SQLite cannot load a COPY data block"
                .into(),
            code: None,
            detail: None,
            hint: Some("turn the data into INSERT statements for SQLite".into()),
            statement: Some(s.range),
            position: None,
        }),
    }
}

impl SqliteDriver<'_> {
    /// A streamed script (see `strata_core::source::stream`): the file is read again in chunks
    /// and its statements run one by one in the transaction with the records. Error offsets
    /// are absolute offsets in the file's normalised text.
    fn run_streamed(&mut self, script: &Script, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        use strata_core::source::stream::{Piece, ReadError, StatementReader};
        let path = script.path.display().to_string();
        let mut reader = StatementReader::open(script, Dialect::Sqlite)
            .map_err(|e| DriverError::io(path.clone(), e))?;
        self.transaction(|d| {
            let started = Instant::now();
            loop {
                let piece = reader.next().map_err(|e| match e {
                    ReadError::Stopped(t) => DriverError::from(t),
                    ReadError::Io(e) => DriverError::io(path.clone(), e),
                    ReadError::NotUtf8(e) => DriverError::BadFile(format!(
                        "{path}:{}: not valid UTF-8 (byte {})",
                        e.line, e.byte
                    )),
                })?;
                let Some(piece) = piece else { break };
                let Piece::Statement {
                    statement,
                    text,
                    copy,
                } = piece
                else {
                    continue;
                };
                let at = statement.range.start;
                if copy {
                    return Err(DriverError::Statement {
                        message: "COPY ... FROM stdin is PostgreSQL-only: SQLite cannot load a COPY data block".into(),
                        code: None,
                        detail: None,
                        hint: Some("turn the data into INSERT statements for SQLite".into()),
                        statement: Some(statement.range),
                        position: None,
                    });
                }
                run_statement(&d.conn, &text, 0..text.len()).map_err(|e| e.shifted(at))?;
            }
            if let Some(expected) = &script.streamed {
                reader
                    .check(expected)
                    .map_err(|m| DriverError::BadFile(format!("{path}: {m}")))?;
            }
            let ms = started.elapsed().as_millis() as i64;
            let stamped: Vec<_> = writes
                .iter()
                .cloned()
                .map(|w| w.with_duration(ms))
                .collect();
            d.apply_writes(&stamped)
        })
    }
}

/// Run one statement's text; errors carry the statement's range and SQLite's error offset,
/// both relative to the script that `range` indexes.
fn run_statement(
    conn: &Connection,
    sql: &str,
    range: std::ops::Range<usize>,
) -> Result<(), DriverError> {
    let text = &sql[range.clone()];
    conn.execute_batch(text).map_err(|e| {
        let offset = match &e {
            rusqlite::Error::SqlInputError { offset, .. } if *offset >= 0 => {
                Some(range.start + *offset as usize)
            }
            _ => None,
        };
        err(e).in_statement(range, offset)
    })
}

impl SqliteDriver<'_> {
    /// The table of the index named `index` (as a migration wrote it), as the catalog names it;
    /// `None` when there is no such index. For `plan`: `DROP INDEX` locks the index's table.
    pub fn index_table(&mut self, index: &str) -> Result<Option<String>, DriverError> {
        // The name as a migration wrote it: the main schema's index of that name, quotes
        // removed, compared as SQLite compares names (ignoring ASCII case).
        let name = index.rsplit('.').next().unwrap_or(index);
        let name = ["\"\"", "[]", "``"]
            .iter()
            .find_map(|q| {
                let (open, close) = (&q[..1], &q[1..]);
                name.strip_prefix(open)?.strip_suffix(close)
            })
            .unwrap_or(name);
        self.conn
            .query_row(
                "SELECT tbl_name FROM main.sqlite_master WHERE type = 'index' AND name = ?1 COLLATE NOCASE",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)
    }
}

impl Driver for SqliteDriver<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.stand_in {
            return Ok(());
        }
        let path = self.lock_path();
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| DriverError::io(format!("cannot open lock file {}", path.display()), e))?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= timeout {
                        let mut holder = String::new();
                        let _ = file.read_to_string(&mut holder);
                        let holder = holder.trim();
                        return Err(DriverError::LockTimeout {
                            waited: started.elapsed(),
                            holder: Some(if holder.is_empty() {
                                format!("another process (lock file {})", path.display())
                            } else {
                                format!("{holder} (lock file {})", path.display())
                            }),
                        });
                    }
                    std::thread::sleep(pause.min(timeout.saturating_sub(started.elapsed())));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(DriverError::io(
                        format!("cannot lock {}", path.display()),
                        e,
                    ))
                }
            }
        }
        // Say who holds it, for the next runner's timeout message.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "pid {}", std::process::id());
        let _ = file.flush();
        self.lock = Some(file);
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), DriverError> {
        if let Some(file) = self.lock.take() {
            let _ = file.set_len(0);
            file.unlock()
                .map_err(|e| DriverError::io("cannot unlock", e))?;
        }
        Ok(())
    }

    fn ensure_tables(&mut self) -> Result<(), DriverError> {
        let compat = quote(&self.tables.compat);
        let index = quote(&format!("{}_version_unique", self.tables.compat));
        let ledger = quote(&self.tables.ledger);
        let log = quote(&self.tables.log);
        // The compatibility table exactly as golang-migrate's SQLite drivers create it (their
        // index is always named `version_unique`; ours is per table so two sets can coexist,
        // and golang-migrate's `IF NOT EXISTS` leaves it alone).
        self.check_compat_layout()?;
        let compat_sql = if self.table_exists(&self.tables.compat)? {
            String::new()
        } else {
            format!(
                "CREATE TABLE IF NOT EXISTS {compat} (version uint64, dirty bool);\n\
                 CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {compat} (version);"
            )
        };
        // No AUTOINCREMENT: it creates sqlite_sequence, which golang-migrate's drop cannot drop.
        self.conn
            .execute_batch(&format!(
                "{compat_sql}
                 CREATE TABLE IF NOT EXISTS {ledger} (
                     version INTEGER PRIMARY KEY,
                     name TEXT NOT NULL,
                     checksum TEXT,
                     batch INTEGER NOT NULL,
                     applied_at TEXT NOT NULL,
                     duration_ms INTEGER NOT NULL,
                     applied_by TEXT NOT NULL,
                     mode TEXT NOT NULL,
                     origin TEXT NOT NULL,
                     down_checksum TEXT
                 );
                 CREATE TABLE IF NOT EXISTS {log} (
                     id INTEGER PRIMARY KEY,
                     action TEXT NOT NULL,
                     version INTEGER,
                     name TEXT NOT NULL,
                     batch INTEGER,
                     checksum TEXT,
                     duration_ms INTEGER NOT NULL,
                     actor TEXT NOT NULL,
                     detail TEXT NOT NULL,
                     at TEXT NOT NULL
                 );"
            ))
            .map_err(err)?;
        // A ledger written by an older Strata is upgraded in place (its rows keep a NULL down
        // checksum: no drift is reported for them).
        if !self.ledger_has_down_checksum()? {
            self.conn
                .execute_batch(&format!(
                    "ALTER TABLE {ledger} ADD COLUMN down_checksum TEXT"
                ))
                .map_err(err)?;
        }
        Ok(())
    }

    fn read_state(&mut self) -> Result<LedgerState, DriverError> {
        let mut state = LedgerState::default();
        self.check_compat_layout()?;
        if self.table_exists(&self.tables.compat)? {
            state.compat = self
                .conn
                .query_row(
                    &format!(
                        "SELECT version, dirty FROM {} LIMIT 1",
                        quote(&self.tables.compat)
                    ),
                    [],
                    |r| {
                        Ok(CompatRow {
                            version: r.get(0)?,
                            dirty: r.get(1)?,
                        })
                    },
                )
                .optional()
                .map_err(err)?;
        }
        if self.table_exists(&self.tables.ledger)? {
            let down = if self.ledger_has_down_checksum()? {
                "down_checksum"
            } else {
                "NULL"
            };
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT version, name, checksum, batch, applied_at, duration_ms, applied_by, mode, origin, {down} \
                     FROM {} ORDER BY version",
                    quote(&self.tables.ledger)
                ))
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    let mode: String = r.get(7)?;
                    let origin: String = r.get(8)?;
                    Ok(AppliedMigration {
                        version: r.get::<_, i64>(0)? as u64,
                        name: r.get(1)?,
                        checksum: r.get(2)?,
                        down_checksum: r.get(9)?,
                        batch: r.get(3)?,
                        applied_at: r.get(4)?,
                        duration_ms: r.get(5)?,
                        applied_by: r.get(6)?,
                        mode: TxMode::parse(&mode).unwrap_or(TxMode::Transaction),
                        origin: Origin::parse(&origin).unwrap_or(Origin::Applied),
                    })
                })
                .map_err(err)?;
            for row in rows {
                state.applied.push(row.map_err(err)?);
            }
        }
        if let Some(row) = state.compat.filter(|c| c.dirty) {
            if self.table_exists(&self.tables.log)? {
                let newest = self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT action, version, name, detail FROM {} \
                             WHERE action <> 'fail' ORDER BY id DESC LIMIT 1",
                            quote(&self.tables.log)
                        ),
                        [],
                        |r| {
                            Ok((
                                r.get::<_, String>(0)?,
                                r.get::<_, Option<i64>>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, String>(3)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(err)?;
                state.reached = newest.and_then(|(action, version, name, detail)| {
                    Reached::from_log(row, &action, version, &name, &detail)
                });
            }
        }
        Ok(state)
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<(), DriverError> {
        // One INSERT outside a transaction: SQLite commits it on its own.
        self.apply_writes(&[LedgerWrite::Log(entry.clone())])
    }

    fn write(&mut self, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        self.transaction(|d| d.apply_writes(writes))
    }

    fn read_log(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, DriverError> {
        if !self.table_exists(&self.tables.log)? {
            return Ok(Vec::new());
        }
        // LIMIT -1 is SQLite's "no limit".
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, at, action, version, name, batch, checksum, duration_ms, actor, detail \
                 FROM {} ORDER BY id DESC LIMIT ?1",
                quote(&self.tables.log)
            ))
            .map_err(err)?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    LogEntry {
                        action: Action::Up,
                        version: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                        name: r.get(4)?,
                        batch: r.get(5)?,
                        checksum: r.get(6)?,
                        duration_ms: r.get(7)?,
                        actor: r.get(8)?,
                        detail: r.get(9)?,
                    },
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, action, entry) = row.map_err(err)?;
            let action = Action::parse(&action).ok_or_else(|| {
                DriverError::Ledger(format!("log entry {id} has an unknown action {action:?}"))
            })?;
            out.push(LogRecord {
                id,
                at,
                entry: LogEntry { action, ..entry },
            });
        }
        Ok(out)
    }

    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<RawTable>, DriverError> {
        let prefix = schema.map_or(String::new(), |s| format!("{}.", quote(s)));
        let exists = self
            .conn
            .query_row(
                &format!("SELECT 1 FROM {prefix}sqlite_master WHERE type IN ('table', 'view') AND name = ?1"),
                [name],
                |_| Ok(()),
            )
            .optional()
            .map_err(err)?;
        if exists.is_none() {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT * FROM {prefix}{}", quote(name)))
            .map_err(err)?;
        let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
        let width = columns.len();
        let rows = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| {
                        use rusqlite::types::ValueRef;
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => None,
                            ValueRef::Integer(n) => Some(n.to_string()),
                            ValueRef::Real(x) => Some(x.to_string()),
                            ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Blob(b) => {
                                Some(b.iter().map(|byte| format!("{byte:02x}")).collect())
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok(Some(RawTable { columns, rows }))
    }

    fn run_in_transaction(
        &mut self,
        script: &Script,
        writes: &[LedgerWrite],
    ) -> Result<(), DriverError> {
        if script.streamed.is_some() {
            return self.run_streamed(script, writes);
        }
        refuse_copy(&script.sql)?;
        let ranges = script.statement_ranges(Dialect::Sqlite);
        self.transaction(|d| {
            let started = Instant::now();
            for range in ranges {
                run_statement(&d.conn, &script.sql, range)?;
            }
            let ms = started.elapsed().as_millis() as i64;
            let stamped: Vec<_> = writes
                .iter()
                .cloned()
                .map(|w| w.with_duration(ms))
                .collect();
            d.apply_writes(&stamped)
        })
    }

    fn run_autocommit(&mut self, sql: &str) -> Result<(), DriverError> {
        refuse_copy(sql)?;
        run_statement(&self.conn, sql, 0..sql.len())
    }

    fn drop_all(&mut self) -> Result<DropReport, DriverError> {
        let mut report = DropReport::default();
        let objects: Vec<(String, String)> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT type, name FROM sqlite_master \
                     WHERE type IN ('view', 'table', 'trigger') AND name NOT LIKE 'sqlite_%' \
                     ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, name",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(err)?;
            rows.collect::<Result<_, _>>().map_err(err)?
        };
        // Foreign keys would make the drop order matter; they are not checked while dropping.
        self.conn
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(err)?;
        let result = self.transaction(|d| {
            for (kind, name) in &objects {
                d.conn
                    .execute_batch(&format!(
                        "DROP {} IF EXISTS {}",
                        kind.to_uppercase(),
                        quote(name)
                    ))
                    .map_err(err)?;
            }
            // sqlite_sequence cannot be dropped (golang-migrate's drop fails on it); empty it.
            if d.table_exists("sqlite_sequence")? {
                d.conn
                    .execute_batch("DELETE FROM sqlite_sequence")
                    .map_err(err)?;
            }
            Ok(())
        });
        let _ = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        result?;
        self.conn.execute_batch("VACUUM").map_err(err)?;
        report.dropped = objects
            .into_iter()
            .map(|(kind, name)| format!("{kind} {name}"))
            .collect();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_reached_by_two_paths_has_one_lock() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.db");
        let link = dir.path().join("link.db");
        let mut a = SqliteDriver::open(&real, TableNames::default()).unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut b = SqliteDriver::open(&link, TableNames::default()).unwrap();
        a.lock(Duration::from_secs(5)).unwrap();
        let e = b.lock(Duration::from_millis(50)).unwrap_err();
        assert!(matches!(e, DriverError::LockTimeout { .. }), "{e:?}");
        // So does a path with `..` in it.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let mut c = SqliteDriver::open(&sub.join("../real.db"), TableNames::default()).unwrap();
        assert!(matches!(
            c.lock(Duration::from_millis(50)),
            Err(DriverError::LockTimeout { .. })
        ));
        a.unlock().unwrap();
        b.lock(Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn open_read_only_creates_nothing_and_a_missing_file_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo.db");
        let mut d = SqliteDriver::open_read_only(&missing, TableNames::default()).unwrap();
        assert_eq!(d.read_state().unwrap(), LedgerState::default());
        assert!(d.read_log(None).unwrap().is_empty());
        drop(d);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut d = SqliteDriver::open(&missing, TableNames::default()).unwrap();
        d.ensure_tables().unwrap();
        drop(d);
        let mut d = SqliteDriver::open_read_only(&missing, TableNames::default()).unwrap();
        assert_eq!(d.read_state().unwrap(), LedgerState::default());
    }
}
