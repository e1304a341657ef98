//! Strata's database drivers and database URL parsing.
//!
//! [`connect`] is the one place that turns a [`DatabaseUrl`] into a [`Driver`]: one `match` on
//! the URL's backend. Each backend lives in its own module behind a cargo feature (`postgres`,
//! `sqlite`). [`url`] parses URLs and never lets a password into any message.
#![warn(missing_docs)]
// `DriverError` (strata-core's contract type) is ~136 bytes; errors are the cold path of a
// migration run, so boxing it everywhere would buy nothing measurable.
#![allow(clippy::result_large_err)]

#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod url;

pub use strata_core::{Driver, DriverError};
pub use url::{Backend, DatabaseUrl, Host, SslMode, UrlError};

use std::time::Duration;

/// Session options that come from settings rather than from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `application_name` shown in `pg_stat_activity` (and in lock-holder messages of other
    /// runners). A URL `application_name=` wins over this. Default `strata`.
    pub application_name: String,
    /// Server-side `statement_timeout` for the session (`MIGRATION_TIMEOUT`). `None`: the URL's
    /// `x-statement-timeout`, if any, else the server's default.
    pub statement_timeout: Option<Duration>,
    /// PostgreSQL `lock_timeout` for the session, so DDL waiting on a busy table fails instead
    /// of queueing every other query behind it. `None`: left unset (server default).
    pub lock_timeout: Option<Duration>,
    /// Require TLS when the URL has no `sslmode` (`DATABASE_SSL=true`): the default `prefer`
    /// becomes `require`. An explicit `sslmode` in the URL is more specific and wins.
    pub require_tls: bool,
    /// Create nothing, for commands that only read: a SQLite file that does not exist reads
    /// as an empty database (held in memory) instead of being created.
    pub read_only: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            application_name: "strata".to_string(),
            statement_timeout: None,
            lock_timeout: None,
            require_tls: false,
            read_only: false,
        }
    }
}

impl From<UrlError> for DriverError {
    fn from(e: UrlError) -> Self {
        DriverError::Connect {
            message: e.to_string(),
            hint: None,
        }
    }
}

/// Open a driver for `url`.
///
/// PostgreSQL: one dedicated session, with `application_name`, `statement_timeout`,
/// `lock_timeout` and the URL's session settings (`search_path`, ...) applied. SQLite: the file
/// named by the URL, created if missing (unless [`ConnectOptions::read_only`]).
pub fn connect(url: &DatabaseUrl, opts: &ConnectOptions) -> Result<Box<dyn Driver>, DriverError> {
    match url.backend() {
        Backend::Postgres => {
            #[cfg(feature = "postgres")]
            {
                Ok(Box::new(postgres::PostgresDriver::connect(url, opts)?))
            }
            #[cfg(not(feature = "postgres"))]
            {
                let _ = opts;
                Err(not_built("postgres"))
            }
        }
        Backend::Sqlite => {
            #[cfg(feature = "sqlite")]
            {
                let path = url.sqlite_path().ok_or(UrlError::SqliteNoPath)?;
                let driver = if opts.read_only {
                    sqlite::SqliteDriver::open_read_only(&path, url.tables()?)?
                } else {
                    sqlite::SqliteDriver::open(&path, url.tables()?)?
                };
                Ok(Box::new(driver))
            }
            #[cfg(not(feature = "sqlite"))]
            {
                let _ = opts;
                Err(not_built("sqlite"))
            }
        }
    }
}

#[allow(dead_code)]
fn not_built(feature: &str) -> DriverError {
    DriverError::Connect {
        message: format!("this build of Strata has no {feature} support"),
        hint: Some(format!("rebuild with the `{feature}` cargo feature")),
    }
}
