//! Who blocks a DDL statement that timed out waiting for a metadata lock
//! (`ER_LOCK_WAIT_TIMEOUT` after `lock_wait_timeout`): the sessions holding a granted metadata
//! lock in `performance_schema.metadata_locks` when it is enabled, else every other session
//! with an open transaction (`information_schema.INNODB_TRX`), which is what holds a metadata
//! lock past its statement.

use super::errors::err;
use super::lock::session;
use mysql::prelude::Queryable;
use mysql::Conn;
use strata_core::DriverError;

/// `e` (a lock wait timeout) with the blocking sessions as its detail, when they can be
/// found; `e` unchanged otherwise (the lookup is best effort: the error is what matters).
pub fn name_blockers(conn: &mut Conn, me: u64, mut e: DriverError) -> DriverError {
    let ids = match blockers(conn, me) {
        Ok(ids) if !ids.is_empty() => ids,
        _ => return e,
    };
    let described: Vec<String> = ids
        .into_iter()
        .map(|id| session(conn, id).unwrap_or_else(|_| format!("connection {id}")))
        .collect();
    if let DriverError::Statement { detail, .. } = &mut e {
        *detail = Some(format!(
            "blocked by {} (an open transaction on the table holds its metadata lock)",
            described.join(", ")
        ));
    }
    e
}

fn blockers(conn: &mut Conn, me: u64) -> Result<Vec<u64>, DriverError> {
    let enabled: Option<i64> = conn
        .query_first("SELECT @@performance_schema")
        .unwrap_or(None);
    if enabled == Some(1) {
        let ids: Result<Vec<u64>, _> = conn.exec(
            "SELECT DISTINCT t.PROCESSLIST_ID FROM performance_schema.metadata_locks m \
             JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID \
             WHERE m.OBJECT_SCHEMA = DATABASE() AND m.LOCK_STATUS = 'GRANTED' \
             AND t.PROCESSLIST_ID IS NOT NULL AND t.PROCESSLIST_ID <> ? ORDER BY 1",
            (me,),
        );
        if let Ok(ids) = ids {
            if !ids.is_empty() {
                return Ok(ids);
            }
        }
    }
    conn.exec(
        "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX \
         WHERE trx_mysql_thread_id <> ? ORDER BY trx_started",
        (me,),
    )
    .map_err(err)
}
