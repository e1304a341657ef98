//! Turning `postgres` client errors into [`DriverError`]s.
//!
//! Statement errors keep the server's structure (SQLSTATE, message, detail, hint, position).
//! Connection errors become one line naming the server (never the password) plus a [`Fix`]
//! naming what to check: connection refused, wrong password (28P01), unknown database (3D000),
//! missing privilege (42501), TLS problems, timeouts.

use postgres::error::{DbError, ErrorPosition};
use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;
use strata_core::{DriverError, Fix};

thread_local! {
    /// Set when the watchdog cut the call this thread just made; read by the next
    /// [`db_error`] of a closed connection on this thread.
    static STALLED: std::cell::Cell<Option<Duration>> = const { std::cell::Cell::new(None) };
}

/// The watchdog ended this thread's call after `limit` without a byte from the server.
pub(crate) fn note_stall(limit: Duration) {
    STALLED.with(|s| s.set(Some(limit)));
}

/// The message for a call the watchdog cut.
pub fn stalled_message(limit: Duration) -> String {
    format!(
        "no answer from the server for {:.1}s (the statement timeout plus a grace): the connection stalled, \
         so Strata closed it; the server ends the session, and releases the migration lock, when it notices",
        limit.as_secs_f64()
    )
}

/// A statement error from the server, with no statement range or position yet (the caller
/// maps the server's position onto its own SQL). A lost or stalled session becomes
/// [`DriverError::ConnectionLost`], other client-side failures [`DriverError::Client`]; both keep
/// the client's error as their source.
pub(crate) fn db_error(e: &postgres::Error) -> DriverError {
    match e.as_db_error() {
        Some(db) => statement_from_db(db),
        None if STALLED.with(|s| s.get()).is_some() => {
            let limit = STALLED.with(|s| s.take()).unwrap_or_default();
            DriverError::ConnectionLost {
                message: stalled_message(limit),
                cause: None,
            }
        }
        None if e.is_closed() => DriverError::ConnectionLost {
            message: format!(
                "the connection to the server was lost: {}",
                one_line(&e.to_string())
            ),
            cause: Some(Arc::new(clone_error(e))),
        },
        None => DriverError::Client {
            message: one_line(&chain(e)),
            cause: Some(Arc::new(clone_error(e))),
        },
    }
}

/// [`db_error`], where a unique violation on the ledger's primary key (table `ledger` in
/// `schema`) becomes [`DriverError::AlreadyApplied`]: the version was recorded meanwhile by
/// another run.
pub(crate) fn write_error(e: &postgres::Error, schema: &str, ledger: &str) -> DriverError {
    match e.as_db_error() {
        Some(db)
            if db.code().code() == "23505"
                && db.table() == Some(ledger)
                && db.schema() == Some(schema) =>
        {
            DriverError::AlreadyApplied {
                detail: db.detail().unwrap_or(db.message()).to_string(),
            }
        }
        _ => db_error(e),
    }
}

fn statement_from_db(db: &DbError) -> DriverError {
    if let Some(detail) = lock_lost(db) {
        return DriverError::LockLost { detail };
    }
    if let Some(detail) = lease_lost(db) {
        return DriverError::LeaseLost { detail };
    }
    DriverError::Statement {
        message: db.message().to_string(),
        code: Some(db.code().code().to_string()),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
        statement: None,
        position: None,
    }
}

/// The exception the migration lock's proof raises (see [`super::lock::proof_sql`]), if `db`
/// is one: what it saw.
fn lock_lost(db: &DbError) -> Option<String> {
    if db.code().code() != "P0001" {
        return None;
    }
    db.message()
        .strip_prefix(super::lock::LOCK_LOST)
        .map(str::to_string)
}

/// The exception a failed lease check raises (see [`super::lease::Lease::check_sql`]), if
/// `db` is one: what it saw.
fn lease_lost(db: &DbError) -> Option<String> {
    if db.code().code() != "P0001" {
        return None;
    }
    db.message()
        .strip_prefix(super::lease::LEASE_LOST)
        .map(str::to_string)
}

/// Whether an error is the migration lock's proof (or the lease's check) failing.
pub(crate) fn is_lock_lost(e: &postgres::Error) -> bool {
    e.as_db_error()
        .and_then(|db| lock_lost(db).or_else(|| lease_lost(db)))
        .is_some()
}

/// The server's 1-based character position in the query that was sent, if it gave one.
pub(crate) fn server_position(e: &postgres::Error) -> Option<u32> {
    match e.as_db_error()?.position()? {
        ErrorPosition::Original(p) => Some(*p),
        ErrorPosition::Internal { .. } => None,
    }
}

/// The SQLSTATE of an error, if it came from the server.
pub(crate) fn sqlstate(e: &postgres::Error) -> Option<&str> {
    e.as_db_error().map(|d| d.code().code())
}

/// Where a connection was going, for messages. Holds no password.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `host:port` (or the socket directory), several joined by `, `.
    pub server: String,
    pub user: String,
    pub database: String,
    pub tls: &'static str,
}

/// `postgres::Error` is neither `Clone` nor shareable by reference into an error that outlives
/// it: its text chain stands in as the kept source.
fn clone_error(e: &postgres::Error) -> std::io::Error {
    std::io::Error::other(chain(e))
}

/// A one-line connection error with a fix. `secret` (the password) is scrubbed from the text
/// as a last line of defence, although neither the client nor the server ever echo it.
pub(crate) fn connect_error(e: &postgres::Error, t: &Target, secret: Option<&str>) -> DriverError {
    let (cause, fix): (String, Option<Fix>) = if let Some(db) = e.as_db_error() {
        let msg = db.message().to_string();
        match db.code().code() {
            "28P01" => (
                format!("password authentication failed for user \"{}\"", t.user),
                Some(Fix::CheckPassword {
                    user: t.user.clone(),
                }),
            ),
            "28000" => (msg, Some(Fix::CheckHostBasedAuth)),
            "3D000" => (
                format!("database \"{}\" does not exist", t.database),
                Some(Fix::CreateDatabase {
                    database: t.database.clone(),
                }),
            ),
            "42501" => (
                match db.detail() {
                    Some(d) => format!("{msg} ({d})"),
                    None => msg,
                },
                Some(Fix::GrantConnect {
                    database: t.database.clone(),
                    user: t.user.clone(),
                }),
            ),
            "53300" => (msg, Some(Fix::WaitForConnectionSlot)),
            "57P03" => (msg, Some(Fix::WaitForServerStart)),
            _ => (msg, None),
        }
    } else {
        let text = chain(e);
        let io = io_kind(e);
        if io == Some(std::io::ErrorKind::ConnectionRefused) {
            ("connection refused".into(), Some(Fix::StartServer))
        } else if io == Some(std::io::ErrorKind::ConnectionReset) {
            // A server going down or coming up drops connections mid-handshake.
            (
                "connection reset by peer".into(),
                Some(Fix::WaitForServerStart),
            )
        } else if io == Some(std::io::ErrorKind::NotFound) && t.server.starts_with('/') {
            (
                "no server socket in that directory".into(),
                Some(Fix::StartServerOnSocket),
            )
        } else if text.contains("server does not support TLS") {
            (
                "the server does not support TLS".into(),
                Some(Fix::EnableServerTls),
            )
        } else if text.contains("TLS") || text.contains("certificate") {
            let fix = if text.contains("NotValidForName") || text.contains("not valid for name") {
                Fix::CertificateName
            } else if [
                "UnknownIssuer",
                "unknown issuer",
                "BadSignature",
                "bad signature",
            ]
            .iter()
            .any(|s| text.contains(s))
            {
                Fix::CertificateIssuer
            } else {
                Fix::CheckTls
            };
            (
                format!("TLS handshake failed: {}", tls_cause(&text)),
                Some(fix),
            )
        } else if text.contains("timeout") || text.contains("timed out") {
            ("timed out".into(), Some(Fix::CheckNetwork))
        } else if text.contains("lookup address") || text.contains("Name or service not known") {
            ("unknown host name".into(), Some(Fix::CheckHostName))
        } else {
            (text, None)
        }
    };
    let message = scrub(
        &one_line(&format!(
            "cannot connect to {} as user \"{}\" ({}): {cause}",
            t.server, t.user, t.tls
        )),
        secret,
    );
    // The client's own words stay as the source, scrubbed like the message.
    let cause: strata_core::Cause = Arc::new(std::io::Error::other(scrub(&chain(e), secret)));
    DriverError::Connect {
        message,
        fix,
        cause: Some(cause),
    }
}

fn tls_cause(text: &str) -> String {
    // "error performing TLS handshake: invalid peer certificate: NotValidForName..." → the tail.
    let t = text
        .strip_prefix("error performing TLS handshake: ")
        .unwrap_or(text);
    t.to_string()
}

fn io_kind(e: &postgres::Error) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// The error and its sources, `: `-joined, without repeating a source already in the text.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

/// Collapse whitespace (newlines included) so a message is one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replace every occurrence of `secret` by `***` (only for secrets long enough not to mangle
/// ordinary words).
pub(crate) fn scrub(s: &str, secret: Option<&str>) -> String {
    match secret {
        Some(p) if p.len() >= 3 => s.replace(p, "***"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_and_one_line() {
        assert_eq!(
            scrub("user hunter2 failed", Some("hunter2")),
            "user *** failed"
        );
        assert_eq!(scrub("a b", Some("a")), "a b");
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }
}
