//! Reading the action log back (`strata history`).
//!
//! The log is append-only and written by the same statements as the rest of the ledger
//! (`sql.rs`); this module only reads it, newest first. Times are rendered as RFC 3339 UTC with
//! milliseconds, the same text the SQLite driver stores, so `history` looks the same on both.

use super::errors::{db_error, sqlstate};
use super::sql::qualified;
use postgres::Client;
use strata_core::ledger::{Action, LogEntry, LogRecord};
use strata_core::DriverError;

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
    client: &mut Client,
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
                        DriverError::Other(format!(
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
}
