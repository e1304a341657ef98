//! Per-script session settings: `-- strata:lock-timeout` as `lock_wait_timeout` (how long DDL
//! waits for a metadata lock behind open transactions on its table) and
//! `-- strata:statement-timeout` as the server's statement time limit, for the script only.

use super::connect::{lock_wait_setting, statement_timeout_setting};
use super::errors::err;
use mysql::prelude::Queryable;
use mysql::Conn;
use strata_core::{DriverError, Script};

/// The session's own values, read before a script changes them.
#[derive(Debug, Clone)]
pub struct Saved {
    settings: Vec<(&'static str, String)>,
}

/// Apply `script`'s timeouts; `None` when it sets none (nothing to restore).
pub fn apply(
    conn: &mut Conn,
    mariadb: bool,
    script: &Script,
) -> Result<Option<Saved>, DriverError> {
    let mut sets = Vec::new();
    let mut saved = Vec::new();
    let statement_var = if mariadb {
        "max_statement_time"
    } else {
        "max_execution_time"
    };
    if let Some(t) = script.lock_timeout {
        saved.push(("lock_wait_timeout", current(conn, "lock_wait_timeout")?));
        sets.push(lock_wait_setting(t));
    }
    if let Some(t) = script.statement_timeout {
        saved.push((statement_var, current(conn, statement_var)?));
        sets.push(statement_timeout_setting(mariadb, t));
    }
    if sets.is_empty() {
        return Ok(None);
    }
    conn.query_drop(format!("SET SESSION {}", sets.join(", ")))
        .map_err(err)?;
    Ok(Some(Saved { settings: saved }))
}

/// Put the saved values back.
pub fn restore(conn: &mut Conn, saved: Saved) -> Result<(), DriverError> {
    let sets: Vec<String> = saved
        .settings
        .iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    conn.query_drop(format!("SET SESSION {}", sets.join(", ")))
        .map_err(err)
}

fn current(conn: &mut Conn, name: &'static str) -> Result<String, DriverError> {
    let v: Option<String> = conn
        .query_first(format!("SELECT @@SESSION.{name}"))
        .map_err(err)?;
    // Numbers only: the value goes back into SQL text.
    v.filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .ok_or_else(|| DriverError::Protocol(format!("@@SESSION.{name} is not a number")))
}
