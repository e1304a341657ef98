//! The three tables on MySQL: golang-migrate's compatibility table exactly as its driver
//! creates and writes it, and Strata's ledger and log beside it with the same columns and
//! meaning as on PostgreSQL and SQLite, in MySQL types (InnoDB, so their writes commit or
//! roll back together).

use super::errors::{already_applied, err};
use mysql::prelude::Queryable;
use mysql::{Conn, Value};
use strata_core::ledger::{
    Action, AppliedMigration, CompatRow, LedgerState, LedgerWrite, LogEntry, LogRecord, Origin,
    Reached,
};
use strata_core::{DriverError, TableNames, TxMode};

/// `` `name` `` with embedded backticks doubled.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A column of RFC 3339 UTC text from a `datetime(3)` written in UTC.
fn rfc3339(column: &str) -> String {
    format!("DATE_FORMAT({column}, '%Y-%m-%dT%H:%i:%s.%fZ')")
}

/// golang-migrate's `CREATE TABLE` (its driver creates it only after `SHOW TABLES LIKE`
/// finds nothing; so does [`ensure`]).
pub fn create_compat(table: &str) -> String {
    format!(
        "CREATE TABLE {} (version bigint not null primary key, dirty boolean not null)",
        quote(table)
    )
}

fn create_ledger(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         version bigint NOT NULL PRIMARY KEY, \
         name varchar(512) NOT NULL DEFAULT '', \
         checksum varchar(128) NULL, \
         batch bigint NOT NULL DEFAULT 0, \
         applied_at datetime(6) NOT NULL, \
         duration_ms bigint NOT NULL DEFAULT 0, \
         applied_by varchar(512) NOT NULL DEFAULT '', \
         mode varchar(32) NOT NULL DEFAULT 'transaction', \
         origin varchar(32) NOT NULL DEFAULT 'applied', \
         down_checksum varchar(128) NULL\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        quote(table)
    )
}

fn create_log(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\
         id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, \
         action varchar(32) NOT NULL, \
         version bigint NULL, \
         name varchar(512) NOT NULL DEFAULT '', \
         batch bigint NULL, \
         checksum varchar(128) NULL, \
         duration_ms bigint NOT NULL DEFAULT 0, \
         actor varchar(512) NOT NULL DEFAULT '', \
         detail mediumtext NOT NULL, \
         at datetime(6) NOT NULL\
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        quote(table)
    )
}

/// The columns of `table` in the current database, in order (none: no such table).
pub fn columns(conn: &mut Conn, table: &str) -> Result<Vec<String>, DriverError> {
    conn.exec(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        (table,),
    )
    .map_err(err)
}

/// Whether `table` exists in the current database (exactly that name: golang-migrate's
/// `SHOW TABLES LIKE` would also match `_` and `%` as wildcards).
pub fn exists(conn: &mut Conn, table: &str) -> Result<bool, DriverError> {
    let n: Option<i64> = conn
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            (table,),
        )
        .map_err(err)?;
    Ok(n.unwrap_or(0) > 0)
}

/// Refuse a compatibility table without golang-migrate's layout (another tool's table of the
/// same name), before anything is created or read.
fn check_compat_layout(conn: &mut Conn, tables: &TableNames) -> Result<(), DriverError> {
    let columns = columns(conn, &tables.compat)?;
    if columns.is_empty() {
        return Ok(());
    }
    match strata_core::adopt::foreign_compat_table(&tables.compat, &columns) {
        Some(why) => Err(DriverError::ForeignTable(why)),
        None => Ok(()),
    }
}

/// Create the tables that are missing.
pub fn ensure(conn: &mut Conn, tables: &TableNames) -> Result<(), DriverError> {
    check_compat_layout(conn, tables)?;
    if !exists(conn, &tables.compat)? {
        conn.query_drop(create_compat(&tables.compat))
            .map_err(err)?;
    }
    conn.query_drop(create_ledger(&tables.ledger))
        .map_err(err)?;
    conn.query_drop(create_log(&tables.log)).map_err(err)
}

/// `2024-01-02T03:04:05.678Z` (RFC 3339 UTC, as `adopt` keeps another tool's time) as a
/// MySQL `datetime` literal's text; `None` for any other form.
pub fn datetime_of(rfc3339: &str) -> Option<String> {
    let s = rfc3339.trim();
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .unwrap_or(s);
    let b = s.as_bytes();
    let shape = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':'
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19]
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit))
        && (b.len() == 19 || (b[19] == b'.' && b[20..].iter().all(u8::is_ascii_digit)));
    shape.then(|| format!("{} {}", &s[..10], &s[11..]))
}

/// Apply `writes` on the session as they come (the caller holds the transaction).
pub fn apply(
    conn: &mut Conn,
    tables: &TableNames,
    writes: &[LedgerWrite],
) -> Result<(), DriverError> {
    let compat = quote(&tables.compat);
    let ledger = quote(&tables.ledger);
    let log = quote(&tables.log);
    for w in writes {
        match w {
            LedgerWrite::SetCompat(row) => {
                conn.query_drop(format!("DELETE FROM {compat}"))
                    .map_err(err)?;
                if let Some(CompatRow { version, dirty }) = row {
                    conn.exec_drop(
                        format!("INSERT INTO {compat} (version, dirty) VALUES (?, ?)"),
                        (*version, *dirty),
                    )
                    .map_err(err)?;
                }
            }
            LedgerWrite::Insert(r) => {
                let applied_at = if r.applied_at.is_empty() {
                    None
                } else {
                    Some(datetime_of(&r.applied_at).ok_or_else(|| {
                        DriverError::Ledger(format!(
                            "version {}: applied_at {:?} is not RFC 3339 UTC text",
                            r.version, r.applied_at
                        ))
                    })?)
                };
                let params: Vec<Value> = vec![
                    (r.version as i64).into(),
                    r.name.clone().into(),
                    r.checksum.clone().into(),
                    r.batch.into(),
                    applied_at.into(),
                    r.duration_ms.into(),
                    r.applied_by.clone().into(),
                    r.mode.as_str().into(),
                    r.origin.as_str().into(),
                    r.down_checksum.clone().into(),
                ];
                conn.exec_drop(
                    format!(
                        "INSERT INTO {ledger} (version, name, checksum, batch, applied_at, duration_ms, applied_by, mode, origin, down_checksum) \
                         VALUES (?, ?, ?, ?, COALESCE(?, UTC_TIMESTAMP(6)), ?, ?, ?, ?, ?)"
                    ),
                    params,
                )
                .map_err(already_applied)?;
            }
            LedgerWrite::Delete(v) => {
                conn.exec_drop(
                    format!("DELETE FROM {ledger} WHERE version = ?"),
                    (*v as i64,),
                )
                .map_err(err)?;
            }
            LedgerWrite::Log(e) => append_log(conn, &log, e)?,
        }
    }
    Ok(())
}

/// One INSERT into the log (`log` quoted).
fn append_log(conn: &mut Conn, log: &str, e: &LogEntry) -> Result<(), DriverError> {
    let params: Vec<Value> = vec![
        e.action.as_str().into(),
        e.version.map(|v| v as i64).into(),
        e.name.clone().into(),
        e.batch.into(),
        e.checksum.clone().into(),
        e.duration_ms.into(),
        e.actor.clone().into(),
        e.detail.clone().into(),
    ];
    conn.exec_drop(
        format!(
            "INSERT INTO {log} (action, version, name, batch, checksum, duration_ms, actor, detail, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"
        ),
        params,
    )
    .map_err(err)
}

/// One log entry on its own, in autocommit.
pub fn append(conn: &mut Conn, tables: &TableNames, e: &LogEntry) -> Result<(), DriverError> {
    append_log(conn, &quote(&tables.log), e)
}

type LedgerRow = (
    i64,
    String,
    Option<String>,
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
);

/// The compatibility row, the ledger and, while the row is dirty, the statement reached.
pub fn read_state(conn: &mut Conn, tables: &TableNames) -> Result<LedgerState, DriverError> {
    let mut state = LedgerState::default();
    check_compat_layout(conn, tables)?;
    if exists(conn, &tables.compat)? {
        let row: Option<(i64, i64)> = conn
            .query_first(format!(
                "SELECT version, dirty FROM {} LIMIT 1",
                quote(&tables.compat)
            ))
            .map_err(err)?;
        state.compat = row.map(|(version, dirty)| CompatRow {
            version,
            dirty: dirty != 0,
        });
    }
    if exists(conn, &tables.ledger)? {
        let rows: Vec<LedgerRow> = conn
            .query(format!(
                "SELECT version, name, checksum, batch, {}, duration_ms, applied_by, mode, origin, down_checksum \
                 FROM {} ORDER BY version",
                rfc3339("applied_at"),
                quote(&tables.ledger)
            ))
            .map_err(err)?;
        for (
            version,
            name,
            checksum,
            batch,
            applied_at,
            duration_ms,
            applied_by,
            mode,
            origin,
            down,
        ) in rows
        {
            state.applied.push(AppliedMigration {
                version: u64::try_from(version).map_err(|_| {
                    DriverError::Ledger(format!(
                        "{} holds a negative version {version}",
                        tables.ledger
                    ))
                })?,
                name,
                checksum,
                down_checksum: down,
                batch,
                applied_at: millis(&applied_at),
                duration_ms,
                applied_by,
                mode: TxMode::parse(&mode).unwrap_or(TxMode::Transaction),
                origin: Origin::parse(&origin).unwrap_or(Origin::Applied),
            });
        }
    }
    if let Some(row) = state.compat.filter(|c| c.dirty) {
        if exists(conn, &tables.log)? {
            let newest: Option<(String, Option<i64>, String, String)> = conn
                .query_first(format!(
                    "SELECT action, version, name, detail FROM {} \
                     WHERE action <> 'fail' ORDER BY id DESC LIMIT 1",
                    quote(&tables.log)
                ))
                .map_err(err)?;
            state.reached = newest.and_then(|(action, version, name, detail)| {
                Reached::from_log(row, &action, version, &name, &detail)
            });
        }
    }
    Ok(state)
}

/// `...:05.678000Z` (microseconds, as `%f` gives them) cut to milliseconds, as SQLite keeps
/// them.
fn millis(t: &str) -> String {
    match (t.find('.'), t.strip_suffix('Z')) {
        (Some(dot), Some(_)) if t.len() > dot + 4 => format!("{}Z", &t[..dot + 4]),
        _ => t.to_string(),
    }
}

type LogRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    Option<i64>,
    Option<String>,
    i64,
    String,
    String,
);

/// The log, newest first, at most `limit` entries.
pub fn read_log(
    conn: &mut Conn,
    tables: &TableNames,
    limit: Option<usize>,
) -> Result<Vec<LogRecord>, DriverError> {
    if !exists(conn, &tables.log)? {
        return Ok(Vec::new());
    }
    let limit = limit.map_or(u64::MAX, |n| n as u64);
    let rows: Vec<LogRow> = conn
        .exec(
            format!(
                "SELECT id, {}, action, version, name, batch, checksum, duration_ms, actor, detail \
                 FROM {} ORDER BY id DESC LIMIT ?",
                rfc3339("at"),
                quote(&tables.log)
            ),
            (limit,),
        )
        .map_err(err)?;
    rows.into_iter()
        .map(
            |(id, at, action, version, name, batch, checksum, duration_ms, actor, detail)| {
                let action = Action::parse(&action).ok_or_else(|| {
                    DriverError::Ledger(format!("log entry {id} has an unknown action {action:?}"))
                })?;
                Ok(LogRecord {
                    id,
                    at: millis(&at),
                    entry: LogEntry {
                        action,
                        version: version.map(|v| v as u64),
                        name,
                        batch,
                        checksum,
                        duration_ms,
                        actor,
                        detail,
                    },
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_becomes_a_datetime_and_anything_else_is_refused() {
        assert_eq!(
            datetime_of("2024-01-02T03:04:05Z").as_deref(),
            Some("2024-01-02 03:04:05")
        );
        assert_eq!(
            datetime_of("2024-01-02T03:04:05.678+00:00").as_deref(),
            Some("2024-01-02 03:04:05.678")
        );
        assert_eq!(datetime_of("2024-01-02T03:04:05+02:00"), None);
        assert_eq!(datetime_of("yesterday"), None);
    }

    #[test]
    fn names_are_quoted_with_backticks_doubled() {
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(
            create_compat("schema_migrations"),
            "CREATE TABLE `schema_migrations` (version bigint not null primary key, dirty boolean not null)"
        );
    }

    #[test]
    fn times_are_cut_to_milliseconds() {
        assert_eq!(
            millis("2024-01-02T03:04:05.678901Z"),
            "2024-01-02T03:04:05.678Z"
        );
        assert_eq!(millis("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05Z");
    }
}
