//! Reading the action log back (`strata history`), and other tools' tracking tables
//! (`strata adopt`, [`read_table`]).
//!
//! The log is append-only and written by the same statements as the rest of the ledger
//! (`sql.rs`); this module only reads it, newest first. Times are rendered as RFC 3339 UTC with
//! milliseconds, the same text the SQLite driver stores, so `history` looks the same on both.

use super::errors::{db_error, sqlstate};
use super::session::Session;
use super::sql::qualified;
use strata_core::ledger::{Action, LogEntry, LogRecord};
use strata_core::{DriverError, RawTable};

/// `SELECT` of the log table `schema.table`, newest first; `$1` is the limit (`NULL`: all).
pub fn select_log(schema: &str, table: &str) -> String {
    format!(
        "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), \
         action, version, name, batch, checksum, duration_ms, actor, detail \
         FROM {} ORDER BY id DESC LIMIT $1",
        qualified(schema, table)
    )
}

/// The newest `limit` entries (all with `None`) of the log table `schema.table`. A missing table
/// reads as an empty log.
pub fn read_log(
    client: &mut Session,
    schema: &str,
    table: &str,
    limit: Option<usize>,
) -> Result<Vec<LogRecord>, DriverError> {
    let limit: Option<i64> = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let rows = match client.query(&select_log(schema, table), &[&limit]) {
        Ok(rows) => rows,
        Err(e) if sqlstate(&e) == Some("42P01") => return Ok(Vec::new()),
        Err(e) => return Err(db_error(&e)),
    };
    rows.iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let action: String = r.get(2);
            let version: Option<i64> = r.get(3);
            Ok(LogRecord {
                id,
                at: r.get(1),
                entry: LogEntry {
                    action: Action::parse(&action).ok_or_else(|| {
                        DriverError::Ledger(format!(
                            "log entry {id} has an unknown action {action:?}"
                        ))
                    })?,
                    version: version.map(|v| v as u64),
                    name: r.get(4),
                    batch: r.get(5),
                    checksum: r.get(6),
                    duration_ms: r.get(7),
                    actor: r.get(8),
                    detail: r.get(9),
                },
            })
        })
        .collect()
}

/// Columns of `schema.table` with their types, in table order.
pub const TABLE_COLUMNS: &str = "SELECT column_name::text, data_type::text \
     FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 \
     ORDER BY ordinal_position";

/// `SELECT` of every column of `schema.table` as text; timestamp columns as RFC 3339 UTC with
/// milliseconds (a `timestamp without time zone` is read in the session's time zone, which is
/// what `now()` wrote into it).
pub fn select_table(schema: &str, table: &str, columns: &[(String, String)]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|(name, kind)| {
            let q = super::sql::quote_ident(name);
            if kind.starts_with("timestamp") {
                format!("to_char({q}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
            } else {
                format!("{q}::text")
            }
        })
        .collect();
    format!(
        "SELECT {} FROM {}",
        list.join(", "),
        qualified(schema, table)
    )
}

/// Every row of `schema.table`, each value as text; `None` when the table does not exist (or
/// the role cannot see it).
pub fn read_table(
    client: &mut Session,
    schema: &str,
    table: &str,
) -> Result<Option<RawTable>, DriverError> {
    let columns: Vec<(String, String)> = client
        .query(TABLE_COLUMNS, &[&schema, &table])
        .map_err(|e| db_error(&e))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if columns.is_empty() {
        return Ok(None);
    }
    let rows = client
        .query(&select_table(schema, table, &columns), &[])
        .map_err(|e| db_error(&e))?
        .iter()
        .map(|r| (0..columns.len()).map(|i| r.get(i)).collect())
        .collect();
    Ok(Some(RawTable {
        columns: columns.into_iter().map(|(name, _)| name).collect(),
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_log_quotes_names_and_binds_the_limit() {
        let sql = select_log("my schema", "t\"_log");
        assert!(
            sql.contains("FROM \"my schema\".\"t\"\"_log\" ORDER BY id DESC LIMIT $1"),
            "{sql}"
        );
    }

    #[test]
    fn select_table_quotes_names_and_renders_timestamps_in_utc() {
        let cols = [
            ("id".to_string(), "text".to_string()),
            (
                "at\"x".to_string(),
                "timestamp without time zone".to_string(),
            ),
        ];
        let sql = select_table("s", "gorp", &cols);
        assert_eq!(
            sql,
            "SELECT \"id\"::text, to_char(\"at\"\"x\"::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM \"s\".\"gorp\""
        );
    }
}
