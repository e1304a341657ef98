//! Database URLs: parsing, validation and password redaction.
//!
//! Strata accepts golang-migrate's URLs unchanged:
//!
//! | scheme | backend |
//! |---|---|
//! | `postgres://`, `postgresql://`, `pgx://`, `pgx4://`, `pgx5://` | PostgreSQL |
//! | `sqlite://`, `sqlite3://` | SQLite (`sqlite://app.db` relative, `sqlite:///abs/app.db` absolute) |
//! | `mysql://`, `mariadb://` | MySQL and MariaDB (golang-migrate's DSN form and the plain form, see [`mysql`]) |
//!
//! PostgreSQL URLs have the libpq/lib/pq shape
//! `postgres://user:password@host:port[,host2:port2]/dbname?key=value&...`. Reserved characters
//! in the user and password should be percent-encoded, but an unencoded `@`, `/` or `?` in the
//! password is tolerated (the *last* `@` before the host separates the user info).
//!
//! Query parameters:
//! - golang-migrate's `x-migrations-table`, `x-migrations-table-quoted`, `x-statement-timeout`
//!   and `x-multi-statement` (same names, values and error texts); every other `x-` key is
//!   accepted and dropped, as golang-migrate does.
//! - Strata's `x-lock-strategy=advisory|lease` and `x-lock-lease=30s` (see [`LockStrategy`]).
//! - connection settings: `host` (a value starting with `/` is a Unix socket directory; a
//!   percent-encoded `/` in the host part works too), `port`, `user`, `password`, `dbname`,
//!   `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `connect_timeout`, `application_name`,
//!   `options`, `keepalives`, `keepalives_idle`, `keepalives_interval`, `keepalives_count`,
//!   `tcp_user_timeout`; accepted and ignored: `sslsni`, `binary_parameters`,
//!   `fallback_application_name`, `target_session_attrs`, `channel_binding`.
//! - anything else (`search_path`, `timezone`, ...) is a session setting, applied right after
//!   connecting, as lib/pq passes unknown keys as startup parameters.
//!
//! **A password never appears in any output of this module**: [`Display`](std::fmt::Display)
//! and [`Debug`] print `***` in its place (also for a `password=` query parameter), and no
//! [`UrlError`] quotes any part of the URL's user info or host section, so even a malformed URL
//! cannot leak it (golang-migrate issues #1242, #1278).

use std::path::PathBuf;

mod database;
mod error;
mod host;
mod lock;
pub mod mysql;
mod parse;
mod redact;
mod settings;
mod ssl_mode;
mod tables;
#[cfg(test)]
mod test_fixtures;

pub use database::with_database;
pub use error::UrlError;
pub use host::Host;
pub use lock::{LockStrategy, DEFAULT_LEASE};
pub use redact::{redact, secret_ranges};
pub use settings::SocketSettings;
pub use ssl_mode::SslMode;

use host::parse_port;
use parse::{decode, go_atoi, go_parse_bool, parse_query};
use redact::{holds_secret_key, quoted, secret_after, shown, userinfo_end, SECRET_KEYS};

/// The schemes Strata understands, in the order error messages list them.
pub const SUPPORTED_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "pgx",
    "pgx5",
    "sqlite",
    "sqlite3",
    "mysql",
    "mariadb",
];

/// PostgreSQL's identifier length limit in bytes (`NAMEDATALEN - 1`).
pub const PG_MAX_IDENTIFIER: usize = 63;

/// golang-migrate's default table name.
pub const DEFAULT_MIGRATIONS_TABLE: &str = "schema_migrations";

/// Which backend a URL addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// PostgreSQL (`postgres`, `postgresql`, `pgx`, `pgx4`, `pgx5`).
    Postgres,
    /// SQLite (`sqlite`, `sqlite3`).
    Sqlite,
    /// MySQL or MariaDB (`mysql`, `mariadb`).
    Mysql,
}

/// A parsed database URL. `Display` and `Debug` show it with the password replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    scheme: String,
    backend: Backend,
    user: Option<String>,
    password: Option<String>,
    /// The user info as given, without the password (for display).
    user_raw: Option<String>,
    hosts: Vec<(Host, Option<u16>)>,
    /// The host section as given (for display).
    hosts_raw: String,
    /// Decoded URL path including its leading `/` (golang-migrate's lock uses it as is).
    path: String,
    path_raw: String,
    /// Decoded query parameters in order, `x-` keys included.
    query: Vec<(String, String)>,
    query_raw: String,
    sqlite_path: Option<PathBuf>,
    /// For `mysql://` and `mariadb://`: the URL as its own parser read it.
    mysql: Option<Box<mysql::MysqlUrl>>,
}
