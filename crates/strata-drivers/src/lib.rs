//! Strata's database drivers and database URL parsing.
//!
//! [`connect`] is the one place that turns a [`DatabaseUrl`] into a [`Connection`]: one `match`
//! on the URL's backend. A [`Connection`] is a [`Driver`] (the engine's contract, through
//! `Deref`) and also gives each backend's own API (`.postgres()`: `plan`'s table facts, cancel
//! and stop handles, round-trip counts, rehearsal), which the engine never needs. Each backend lives in its own module behind a cargo feature (`postgres`,
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
pub mod schema;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
pub mod sqlite_schema;
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
            fix: None,
            cause: Some(std::sync::Arc::new(e)),
        }
    }
}

/// An open database, by backend. Dereferences to the engine's [`Driver`]; each backend's own
/// features are one method away ([`Connection::postgres`]).
///
/// An enum rather than `Box<dyn Driver>` plus downcasting: the set of backends is closed and
/// known here, a `match` shows every caller what a backend-only feature does elsewhere, and
/// the core trait stays free of methods only one backend can honour.
#[non_exhaustive]
pub enum Connection {
    /// A PostgreSQL session. (Both variants are boxed: drivers are large, and there is one per
    /// run.)
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PostgresDriver<'static>>),
    /// A SQLite file.
    #[cfg(feature = "sqlite")]
    Sqlite(Box<sqlite::SqliteDriver<'static>>),
    /// A MySQL or MariaDB session.
    #[cfg(feature = "mysql")]
    Mysql(Box<mysql::MysqlDriver>),
}

impl Connection {
    /// The engine's view of this database.
    pub fn driver(&mut self) -> &mut dyn Driver {
        &mut **self
    }

    /// The MySQL driver's own API, when this is MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    pub fn mysql(&mut self) -> Option<&mut mysql::MysqlDriver> {
        match self {
            Connection::Mysql(d) => Some(&mut **d),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The PostgreSQL driver's own API, when this is PostgreSQL.
    #[cfg(feature = "postgres")]
    pub fn postgres(&mut self) -> Option<&mut postgres::PostgresDriver<'static>> {
        match self {
            Connection::Postgres(d) => Some(&mut **d),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The table of the index named `index` (as a migration wrote it), as the catalog names it;
    /// `None` when there is no such index. For `plan`: `DROP INDEX` locks the index's table.
    pub fn index_table(&mut self, index: &str) -> Result<Option<String>, DriverError> {
        let _ = index;
        match *self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(ref mut d) => d.index_table(index),
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(ref mut d) => d.index_table(index),
            #[cfg(feature = "mysql")]
            Connection::Mysql(_) => Ok(None),
        }
    }
}

impl std::ops::Deref for Connection {
    type Target = dyn Driver;

    fn deref(&self) -> &Self::Target {
        match *self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(ref d) => &**d,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(ref d) => &**d,
            #[cfg(feature = "mysql")]
            Connection::Mysql(ref d) => &**d,
        }
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match *self {
            #[cfg(feature = "postgres")]
            Connection::Postgres(ref mut d) => &mut **d,
            #[cfg(feature = "sqlite")]
            Connection::Sqlite(ref mut d) => &mut **d,
            #[cfg(feature = "mysql")]
            Connection::Mysql(ref mut d) => &mut **d,
        }
    }
}

/// Open a driver for `url`.
///
/// PostgreSQL: one dedicated session, with `application_name`, `statement_timeout`,
/// `lock_timeout` and the URL's session settings (`search_path`, ...) applied. SQLite: the file
/// named by the URL, created if missing (unless [`ConnectOptions::read_only`]). MySQL and
/// MariaDB: one session, in UTC, with `lock_wait_timeout` and the statement time limit set.
pub fn connect(url: &DatabaseUrl, opts: &ConnectOptions) -> Result<Connection, DriverError> {
    match url.backend() {
        Backend::Postgres => {
            #[cfg(feature = "postgres")]
            {
                let driver = postgres::PostgresDriver::connect(url, opts)?;
                Ok(Connection::Postgres(Box::new(driver)))
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
                Ok(Connection::Sqlite(Box::new(driver)))
            }
            #[cfg(not(feature = "sqlite"))]
            {
                let _ = opts;
                Err(not_built("sqlite"))
            }
        }
        Backend::Mysql => {
            #[cfg(feature = "mysql")]
            {
                let driver = mysql::MysqlDriver::connect(url, opts)?;
                Ok(Connection::Mysql(Box::new(driver)))
            }
            #[cfg(not(feature = "mysql"))]
            {
                let _ = opts;
                Err(not_built("mysql"))
            }
        }
    }
}

#[allow(dead_code)]
pub(crate) fn not_built(feature: &'static str) -> DriverError {
    DriverError::Connect {
        message: format!("this build of Strata has no {feature} support"),
        fix: Some(strata_core::Fix::RebuildWithFeature { feature }),
        cause: None,
    }
}
