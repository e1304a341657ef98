//! Why a database URL was refused.

use super::mysql;

/// Why a database URL was refused. No variant ever quotes the URL's user info or host section,
/// so a password cannot leak through these messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The URL is empty.
    #[error("URL cannot be empty")]
    Empty,
    /// No `scheme://` prefix.
    #[error("no scheme: a database URL starts with a scheme, e.g. postgres://user@host:5432/db")]
    NoScheme,
    /// A scheme Strata does not know.
    #[error("unknown database URL scheme \"{0}\": supported schemes are postgres, postgresql, pgx, pgx5, sqlite, sqlite3, mysql, mariadb")]
    UnknownScheme(String),
    /// A backend Strata will support later.
    #[error("{0}:// is not supported yet: supported schemes are postgres, postgresql, pgx, pgx5, sqlite, sqlite3, mysql, mariadb")]
    NotSupportedYet(String),
    /// A bad port number (the text is not quoted: it could be part of a mistyped password).
    #[error("invalid port in the database URL: expected a number from 1 to 65535 after the host (percent-encode reserved characters such as @ / ? : in the password)")]
    InvalidPort,
    /// Bad percent-encoding in some part of the URL.
    #[error("invalid percent-encoding in the database URL's {0}")]
    BadEncoding(&'static str),
    /// A malformed host section.
    #[error("invalid host in the database URL: {0}")]
    InvalidHost(&'static str),
    /// A query parameter with a bad value (the value is quoted only for non-secret keys).
    #[error("invalid value {value:?} for {key}: {expected}")]
    InvalidValue {
        /// The parameter.
        key: String,
        /// What was given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// golang-migrate's "unable to parse option" error for `x-` booleans and numbers.
    #[error("unable to parse option {key}: {reason}")]
    InvalidOption {
        /// The parameter.
        key: String,
        /// Go's `strconv` error text, e.g. `strconv.ParseBool: parsing "x": invalid syntax`.
        reason: String,
    },
    /// `x-migrations-table-quoted=true` with an unquoted table (golang-migrate's text).
    #[error("x-migrations-table must be quoted (for instance '\"migrate\".\"schema_migrations\"') when x-migrations-table-quoted is enabled, current value is: {0}")]
    TableNotQuoted(String),
    /// `x-migrations-table-quoted=true` with three or more quoted parts (golang-migrate's text).
    #[error("\"{0}\" MigrationsTable contains too many dot characters")]
    TableTooManyDots(String),
    /// An empty table name, e.g. `x-migrations-table=""` in quoted mode.
    #[error("x-migrations-table names an empty table")]
    EmptyTable,
    /// A part of the URL other than a password holds a `password=` (or `sslpassword=`): most
    /// likely parameters run together (`?host=h?password=...`, a `?` where `&` was meant). The
    /// value is never quoted: what follows the key is a password.
    #[error("the database URL's {0} holds \"password=\" (value not shown): separate parameters with '&', not '?', and percent-encode reserved characters")]
    SecretInValue(String),
    /// `x-migrations-table` (or its schema) makes a name PostgreSQL would truncate to 63 bytes,
    /// or one holding a NUL byte: the compatibility table, ledger and log would collapse.
    #[error("x-migrations-table: {0}")]
    BadTableName(String),
    /// `sqlite://:memory:`.
    #[error("sqlite://:memory: is not supported: an in-memory database vanishes when Strata exits; use a file such as sqlite://app.db")]
    SqliteMemory,
    /// A malformed `mysql://` or `mariadb://` URL.
    #[error(transparent)]
    Mysql(#[from] mysql::MysqlUrlError),
    /// `sqlite://` with no path.
    #[error("the sqlite URL names no file: use sqlite://app.db (relative) or sqlite:///abs/app.db (absolute)")]
    SqliteNoPath,
}
