//! The `mysql` crate's errors as the engine's [`DriverError`]s.
//!
//! The server's error number is kept as the code (`1205`, `1064`, ...): MySQL's SQLSTATEs are
//! too coarse to act on (`HY000` covers most of them).

use mysql::Error;
use std::sync::Arc;
use strata_core::{DriverError, Fix};

/// `ER_LOCK_WAIT_TIMEOUT`: a metadata lock (DDL, `lock_wait_timeout`) or a row lock
/// (`innodb_lock_wait_timeout`) was not granted in time.
pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
/// `ER_DUP_ENTRY`.
pub const DUP_ENTRY: u16 = 1062;

/// An error while running SQL.
pub fn err(e: Error) -> DriverError {
    match e {
        Error::MySqlError(m) => DriverError::Statement {
            message: m.message.clone(),
            code: Some(m.code.to_string()),
            detail: None,
            hint: None,
            statement: None,
            position: None,
        },
        Error::IoError(_) | Error::CodecError(_) => DriverError::ConnectionLost {
            message: format!("the connection to the MySQL server was lost: {e}"),
            cause: Some(Arc::new(e)),
        },
        Error::DriverError(mysql::DriverError::ConnectTimeout)
        | Error::DriverError(mysql::DriverError::PacketOutOfSync) => DriverError::ConnectionLost {
            message: format!("the connection to the MySQL server was lost: {e}"),
            cause: Some(Arc::new(e)),
        },
        other => DriverError::Client {
            message: other.to_string(),
            cause: Some(Arc::new(other)),
        },
    }
}

/// A failed ledger INSERT: a version already recorded is [`DriverError::AlreadyApplied`].
pub fn already_applied(e: Error) -> DriverError {
    match &e {
        Error::MySqlError(m) if m.code == DUP_ENTRY => DriverError::AlreadyApplied {
            detail: m.message.clone(),
        },
        _ => err(e),
    }
}

/// Whether `e` is the server's error number `code`.
pub fn is_code(e: &DriverError, code: u16) -> bool {
    let want = code.to_string();
    matches!(e, DriverError::Statement { code: Some(c), .. } if *c == want)
}

/// An error while connecting, with what the user can do about it. `target` names the server
/// and database (never the password).
pub fn connect_error(e: Error, target: &str, user: &str, database: &str) -> DriverError {
    let (message, fix) = match &e {
        Error::MySqlError(m) => {
            let fix = match m.code {
                // ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR
                1045 => Some(Fix::CheckPassword {
                    user: user.to_string(),
                }),
                1044 => Some(Fix::GrantConnect {
                    database: database.to_string(),
                    user: user.to_string(),
                }),
                // ER_BAD_DB_ERROR
                1049 => Some(Fix::CreateDatabase {
                    database: database.to_string(),
                }),
                // ER_CON_COUNT_ERROR, ER_TOO_MANY_USER_CONNECTIONS
                1040 | 1203 => Some(Fix::WaitForConnectionSlot),
                _ => None,
            };
            (
                format!(
                    "cannot connect to {target}: {} (MySQL error {})",
                    m.message, m.code
                ),
                fix,
            )
        }
        Error::IoError(io) => {
            let fix = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Some(Fix::StartServer),
                std::io::ErrorKind::NotFound => Some(Fix::StartServerOnSocket),
                std::io::ErrorKind::TimedOut => Some(Fix::CheckNetwork),
                _ => None,
            };
            (format!("cannot connect to {target}: {io}"), fix)
        }
        Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, desc, kind)))) => {
            let fix = match kind {
                std::io::ErrorKind::ConnectionRefused => Some(Fix::StartServer),
                std::io::ErrorKind::NotFound => Some(Fix::StartServerOnSocket),
                std::io::ErrorKind::TimedOut => Some(Fix::CheckNetwork),
                _ => None,
            };
            (format!("cannot connect to {target}: {desc}"), fix)
        }
        Error::DriverError(mysql::DriverError::ConnectTimeout) => (
            format!("cannot connect to {target}: timed out"),
            Some(Fix::CheckNetwork),
        ),
        Error::TlsError(_) => (
            format!("cannot connect to {target}: TLS: {e}"),
            Some(Fix::CheckMysqlTls),
        ),
        // The handshake's failures (an unknown issuer, a name mismatch) come as the codec's
        // IO error wrapping rustls' own.
        Error::CodecError(c) => match tls_failure(c) {
            Some(tls) => (
                format!("cannot connect to {target}: TLS: {tls}"),
                Some(Fix::CheckMysqlTls),
            ),
            None => (format!("cannot connect to {target}: {c}"), None),
        },
        other => (format!("cannot connect to {target}: {other}"), None),
    };
    DriverError::Connect {
        message,
        fix,
        cause: Some(Arc::new(e)),
    }
}

/// The rustls error inside a codec error, if the failure was TLS's.
fn tls_failure<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(tls) = c.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(tls);
            }
        }
        cause = c.source();
    }
    None
}
