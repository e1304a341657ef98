//! golang-migrate's migration lock: `GET_LOCK(name, timeout)` on the run's one session,
//! released with `RELEASE_LOCK` from the same session (a named lock belongs to the session
//! that took it, and dies with it, so a killed runner never leaves it behind).

use super::errors::err;
use mysql::prelude::Queryable;
use mysql::Conn;
use std::time::{Duration, Instant};
use strata_core::DriverError;

/// Take `name`, waiting at most `timeout` on the server. On a timeout the error names the
/// session holding it.
pub fn acquire(conn: &mut Conn, name: &str, timeout: Duration) -> Result<(), DriverError> {
    let started = Instant::now();
    let got: Option<i64> = conn
        .exec_first("SELECT GET_LOCK(?, ?)", (name, timeout.as_secs_f64()))
        .map_err(err)?
        .flatten();
    match got {
        Some(1) => Ok(()),
        Some(_) => Err(DriverError::LockTimeout {
            waited: started.elapsed(),
            holder: holder(conn, name)?,
        }),
        None => Err(DriverError::Protocol(format!(
            "GET_LOCK('{name}') returned NULL (the server could not take the lock)"
        ))),
    }
}

/// Release `name`. golang-migrate ignores a NULL or 0 answer (the lock was not held): so does
/// this.
pub fn release(conn: &mut Conn, name: &str) -> Result<(), DriverError> {
    conn.exec_drop("SELECT RELEASE_LOCK(?)", (name,))
        .map_err(err)
}

/// Who holds `name`: `connection 12 (strata@127.0.0.1:5813, running for 3 s: Sleep)`;
/// `None` once nobody does.
pub fn holder(conn: &mut Conn, name: &str) -> Result<Option<String>, DriverError> {
    let id: Option<u64> = conn
        .exec_first("SELECT IS_USED_LOCK(?)", (name,))
        .map_err(err)?
        .flatten();
    let Some(id) = id else { return Ok(None) };
    session(conn, id).map(Some)
}

/// `USER, HOST, TIME, COMMAND` of a process list row.
type ProcessRow = (Option<String>, Option<String>, Option<u64>, Option<String>);

/// A server session described from the process list (its id alone when the list does not
/// show it: another user's session without the PROCESS privilege).
pub fn session(conn: &mut Conn, id: u64) -> Result<String, DriverError> {
    let row: Option<ProcessRow> = conn
        .exec_first(
            "SELECT USER, HOST, TIME, COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?",
            (id,),
        )
        .map_err(err)?;
    Ok(match row {
        Some((user, host, time, command)) => format!(
            "connection {id} ({}@{}, {} for {} s)",
            user.unwrap_or_default(),
            host.unwrap_or_default(),
            command.unwrap_or_default(),
            time.unwrap_or_default()
        ),
        None => format!("connection {id}"),
    })
}
