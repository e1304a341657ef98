//! `strata wait` and `--wait`: until the database accepts connections. What a container's
//! entrypoint needs before `up`, when the database starts alongside.
//!
//! Retried: a server not there yet (connection refused, no socket, a host name the network
//! does not know yet, no answer) or starting up / shutting down / out of connection slots.
//! Not retried: anything a retry cannot fix (a failed login, a missing database, TLS), or a
//! failure the driver has no fix for. Decided from the driver's typed [`Fix`], not its text.

use super::open_read_only;
use crate::settings::Settings;
use crate::CliError;
use std::time::{Duration, Instant};
use strata_core::{DriverError, Fix};
use strata_drivers::Backend;

/// Pause between attempts.
const PAUSE: Duration = Duration::from_millis(250);

/// Wait up to `timeout` for the database to accept a connection.
pub fn wait(settings: &Settings, timeout: Duration) -> Result<(), CliError> {
    let url = settings.database_url()?;
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
                let (message, fix) = match &*e {
                    strata_core::Error::Driver(DriverError::Connect { message, fix, .. }) => {
                        (message.clone(), fix.clone())
                    }
                    _ => return Err(CliError::Engine(e)),
                };
                if !fix.as_ref().is_some_and(retryable) {
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

/// Whether a connection failure may pass by itself, decided by what the driver says to do
/// about it. Every fix is listed (no catch-all) so that a new one must be decided here.
pub fn retryable(fix: &Fix) -> bool {
    match fix {
        // Not there yet: the server is still starting, or its name not yet known to the
        // network (a container started alongside).
        Fix::StartServer
        | Fix::StartServerOnSocket
        | Fix::WaitForServerStart
        | Fix::WaitForConnectionSlot
        | Fix::CheckNetwork
        | Fix::RaiseConnectTimeout
        | Fix::CheckHostName => true,
        // A retry gets the same answer.
        Fix::CheckPassword { .. }
        | Fix::CheckHostBasedAuth
        | Fix::CreateDatabase { .. }
        | Fix::GrantConnect { .. }
        | Fix::EnableServerTls
        | Fix::CertificateName
        | Fix::CertificateIssuer
        | Fix::CheckTls
        | Fix::CheckTlsFiles
        | Fix::CheckMysqlTls
        | Fix::CheckUrlSettings
        | Fix::CreateSchema
        | Fix::UseSessionPooling
        | Fix::KeepLockSession
        | Fix::LongerLease
        | Fix::WaitForLockHolder { .. }
        | Fix::DropInvalidIndexes { .. }
        | Fix::DropOutsideDependents { .. }
        | Fix::CreateFolder
        | Fix::RebuildWithFeature { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_not_there_yet_is_retried() {
        for fix in [
            Fix::StartServer,
            Fix::StartServerOnSocket,
            Fix::WaitForServerStart,
            Fix::WaitForConnectionSlot,
            Fix::CheckNetwork,
            Fix::RaiseConnectTimeout,
            Fix::CheckHostName,
        ] {
            assert!(retryable(&fix), "{fix:?} should be retried");
        }
    }

    #[test]
    fn a_refusal_a_retry_cannot_change_is_not_retried() {
        for fix in [
            Fix::CheckPassword { user: "u".into() },
            Fix::CheckHostBasedAuth,
            Fix::CreateDatabase {
                database: "x".into(),
            },
            Fix::GrantConnect {
                database: "x".into(),
                user: "u".into(),
            },
            Fix::EnableServerTls,
            Fix::CertificateName,
            Fix::CertificateIssuer,
            Fix::CheckTls,
            Fix::CheckTlsFiles,
            Fix::CheckMysqlTls,
            Fix::CheckUrlSettings,
            Fix::CreateSchema,
            Fix::UseSessionPooling,
            Fix::CreateFolder,
        ] {
            assert!(!retryable(&fix), "{fix:?} should not be retried");
        }
    }
}
