//! `strata wait` and `--wait`: until the database accepts connections. What a container's
//! entrypoint needs before `up`, when the database starts alongside.
//!
//! Retried: a server not there yet (connection refused, no socket, a host name the network
//! does not know yet, no answer) or starting up / shutting down / out of connection slots.
//! Not retried: anything a retry cannot fix (a failed login, a missing database, TLS).

use super::open_read_only;
use crate::settings::Settings;
use crate::CliError;
use std::time::{Duration, Instant};
use strata_core::DriverError;
use strata_drivers::{Backend, DatabaseUrl};

/// Pause between attempts.
const PAUSE: Duration = Duration::from_millis(250);

/// Wait up to `timeout` for the database to accept a connection.
pub fn wait(settings: &Settings, timeout: Duration) -> Result<(), CliError> {
    let raw = settings.require_database()?;
    let url = DatabaseUrl::parse(raw).map_err(|e| CliError::Failed(e.to_string()))?;
    if url.backend() == Backend::Sqlite {
        // A file is there or is created: nothing to wait for.
        return Ok(());
    }
    let start = Instant::now();
    let mut announced = false;
    loop {
        match open_read_only(settings) {
            Ok(_) => {
                if announced {
                    errln!("database is accepting connections");
                }
                return Ok(());
            }
            Err(CliError::Engine(e)) => {
                let message = match &*e {
                    strata_core::Error::Driver(DriverError::Connect { message, .. }) => {
                        message.clone()
                    }
                    _ => return Err(CliError::Engine(e)),
                };
                if !retryable(&message) {
                    return Err(CliError::Engine(e));
                }
                if start.elapsed() + PAUSE > timeout {
                    return Err(CliError::Failed(format!(
                        "the database did not accept connections within {}s (--wait-timeout): {}",
                        timeout.as_secs_f64(),
                        message
                    )));
                }
                if !announced {
                    errln!(
                        "waiting for the database (up to {}s): {message}",
                        timeout.as_secs_f64()
                    );
                    announced = true;
                }
                std::thread::sleep(PAUSE);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether a connection failure may pass by itself (the cause ends the message).
pub fn retryable(message: &str) -> bool {
    const PASSING: &[&str] = &[
        "connection refused",
        "no server socket in that directory",
        "unknown host name",
        "timed out",
        "no answer within",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is not yet accepting connections",
        "the database system is in recovery mode",
        "too many clients already",
        "connection reset by peer",
    ];
    let m = message.to_ascii_lowercase();
    PASSING.iter().any(|p| m.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_starting_up_are_retried_a_failed_login_is_not() {
        assert!(retryable(
            "cannot connect to 127.0.0.1:5999 as user \"u\" (TLS if offered): connection refused"
        ));
        assert!(retryable(
            "cannot connect to h:5432 as user \"u\" (plain): the database system is starting up"
        ));
        assert!(!retryable(
            "cannot connect to h:5432 as user \"u\" (plain): password authentication failed for user \"u\""
        ));
        assert!(!retryable(
            "cannot connect to h:5432 as user \"u\" (plain): database \"x\" does not exist"
        ));
    }
}
