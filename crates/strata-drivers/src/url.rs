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

use percent_encoding::percent_decode_str;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use strata_core::TableNames;

mod database;
mod lock;
pub mod mysql;

pub use database::with_database;
pub use lock::{LockStrategy, DEFAULT_LEASE};

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

/// PostgreSQL `sslmode`, with libpq's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Use TLS if the server offers it, without verifying the certificate; else plain text.
    Prefer,
    /// Always use TLS; the certificate is not verified (unless `sslrootcert` is given, in which
    /// case it behaves as `verify-ca`, like libpq).
    Require,
    /// Always use TLS and verify the certificate chain against `sslrootcert`, not the host name.
    VerifyCa,
    /// Always use TLS, verify the chain and that the certificate names the host.
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// One server address of a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A host name or IP address (IPv6 without brackets).
    Tcp(String),
    /// A directory holding the server's Unix socket.
    Unix(PathBuf),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Tcp(h) if h.contains(':') => write!(f, "[{h}]"),
            Host::Tcp(h) => f.write_str(h),
            Host::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

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

/// Query keys whose value is a secret.
const SECRET_KEYS: &[&str] = &["password", "sslpassword"];

/// Byte offset just past the first `password=` / `sslpassword=` (any case) in `s` that starts
/// a key: at the start or after a character that cannot be part of a key name (`?`, `&`, a
/// space...). Everything from there on is treated as a secret.
fn secret_after(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut best: Option<usize> = None;
    for key in SECRET_KEYS {
        let mut from = 0;
        while let Some(i) = lower[from..].find(key).map(|i| i + from) {
            let end = i + key.len();
            let starts_key = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
            if starts_key && b.get(end) == Some(&b'=') {
                let cut = end + 1;
                best = Some(best.map_or(cut, |c: usize| c.min(cut)));
                break;
            }
            from = i + 1;
        }
    }
    best
}

/// Whether `s` (a part that is not itself a password) holds a password-like key, raw or
/// percent-decoded.
fn holds_secret_key(s: &str) -> bool {
    secret_after(s).is_some() || secret_after(&percent_decode_str(s).decode_utf8_lossy()).is_some()
}

/// `s` with everything after a password-like key replaced by `***`.
fn mask_secret_tail(s: &str) -> String {
    match secret_after(s) {
        Some(cut) => format!("{}***", &s[..cut]),
        None if secret_after(&percent_decode_str(s).decode_utf8_lossy()).is_some() => {
            "***".to_string()
        }
        None => s.to_string(),
    }
}

/// A query value as it may appear in an error message. A value holding `=`, `?`, `&` or `@` is
/// not shown: it is most likely two parameters run together (`?sslmode=require?password=...`,
/// a second `?` for `&`), and the rest may be a password.
fn shown(v: &str) -> String {
    if v.contains(['=', '?', '&', '@']) {
        "(not shown: it holds '=', '?', '&' or '@'; use '&' between parameters)".to_string()
    } else {
        v.to_string()
    }
}

/// [`shown`], quoted like Go's `%q` when shown.
fn quoted(v: &str) -> String {
    let s = shown(v);
    if s == v {
        format!("{v:?}")
    } else {
        s
    }
}

/// The TCP settings of a PostgreSQL URL ([`DatabaseUrl::socket_settings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SocketSettings {
    /// `keepalives`: TCP keepalives on or off.
    pub keepalives: Option<bool>,
    /// `keepalives_idle`: silence before the first probe.
    pub keepalives_idle: Option<Duration>,
    /// `keepalives_interval`: between probes.
    pub keepalives_interval: Option<Duration>,
    /// `keepalives_count`: unanswered probes before the connection is dropped.
    pub keepalives_count: Option<u32>,
    /// `tcp_user_timeout`: how long sent data may stay unacknowledged.
    pub tcp_user_timeout: Option<Duration>,
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

/// Keys understood by the PostgreSQL connector itself (not session settings).
const CONNECTION_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslsni",
    "sslpassword",
    "connect_timeout",
    "application_name",
    "fallback_application_name",
    "options",
    "binary_parameters",
    "target_session_attrs",
    "channel_binding",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "disable_prepared_binary_result",
];

impl DatabaseUrl {
    /// Parse and validate a database URL.
    ///
    /// Every setting is checked here (sslmode, ports, `x-` options), so a bad URL fails before
    /// any connection attempt.
    pub fn parse(input: &str) -> Result<DatabaseUrl, UrlError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(UrlError::Empty);
        }
        let Some(sep) = s.find("://") else {
            return Err(UrlError::NoScheme);
        };
        let scheme_raw = &s[..sep];
        let valid_scheme = scheme_raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme_raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme {
            // Not quoted: text before `://` could be anything, including a password.
            return Err(UrlError::NoScheme);
        }
        let scheme = scheme_raw.to_ascii_lowercase();
        let rest = &s[sep + 3..];
        match scheme.as_str() {
            "postgres" | "postgresql" | "pgx" | "pgx4" | "pgx5" => {
                Self::parse_postgres(scheme, rest)
            }
            "sqlite" | "sqlite3" => Self::parse_sqlite(scheme, rest),
            // Checked now, so a bad URL is told before the missing driver.
            "mysql" | "mariadb" => Self::from_mysql(scheme, mysql::MysqlUrl::parse(s)?),
            _ => Err(UrlError::UnknownScheme(scheme)),
        }
    }

    fn from_mysql(scheme: String, m: mysql::MysqlUrl) -> Result<DatabaseUrl, UrlError> {
        Ok(DatabaseUrl {
            scheme,
            backend: Backend::Mysql,
            user: m.user().map(str::to_string),
            password: m.password().map(str::to_string),
            user_raw: None,
            hosts: vec![m.host()],
            hosts_raw: String::new(),
            path: format!("/{}", m.database()),
            path_raw: String::new(),
            query: Vec::new(),
            query_raw: String::new(),
            sqlite_path: None,
            mysql: Some(Box::new(m)),
        })
    }

    /// For MySQL and MariaDB URLs: everything the URL says, as [`mysql::MysqlUrl`] reads it.
    pub fn mysql(&self) -> Option<&mysql::MysqlUrl> {
        self.mysql.as_deref()
    }

    fn parse_sqlite(scheme: String, rest: &str) -> Result<DatabaseUrl, UrlError> {
        let (path_raw, query_raw) = rest.split_once('?').unwrap_or((rest, ""));
        let path = decode(path_raw, "path")?;
        if path.starts_with(":memory:") || path.contains("mode=memory") {
            return Err(UrlError::SqliteMemory);
        }
        if path.is_empty() || path == "/" {
            return Err(UrlError::SqliteNoPath);
        }
        let query = parse_query(query_raw)?;
        if holds_secret_key(path_raw) {
            return Err(UrlError::SecretInValue("path".into()));
        }
        refuse_secrets_in_query(&query)?;
        let url = DatabaseUrl {
            scheme,
            backend: Backend::Sqlite,
            user: None,
            password: None,
            user_raw: None,
            hosts: Vec::new(),
            hosts_raw: String::new(),
            path: path.clone(),
            path_raw: path_raw.to_string(),
            query,
            query_raw: query_raw.to_string(),
            sqlite_path: Some(PathBuf::from(path)),
            mysql: None,
        };
        url.validate_x_options()?;
        Ok(url)
    }

    fn parse_postgres(scheme: String, rest: &str) -> Result<DatabaseUrl, UrlError> {
        let at = userinfo_end(rest);
        let (userinfo, after) = match at {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (mut user, mut password, mut user_raw) = (None, None, None);
        if let Some(info) = userinfo {
            let (u, p) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            user = Some(decode(u, "user name")?).filter(|u| !u.is_empty());
            password = match p {
                Some(p) => Some(decode(p, "password")?),
                None => None,
            };
            user_raw = Some(u.to_string());
        }
        let host_end = after.find(['/', '?']).unwrap_or(after.len());
        let hosts_raw = &after[..host_end];
        let after_host = &after[host_end..];
        let (path_raw, query_raw) = after_host.split_once('?').unwrap_or((after_host, ""));
        if holds_secret_key(hosts_raw) {
            return Err(UrlError::SecretInValue("host".into()));
        }
        if holds_secret_key(path_raw) {
            return Err(UrlError::SecretInValue("database name".into()));
        }
        if user_raw.as_deref().is_some_and(holds_secret_key) {
            return Err(UrlError::SecretInValue("user name".into()));
        }
        let path = decode(path_raw, "database name")?;
        let mut hosts = parse_hosts(hosts_raw)?;
        let query = parse_query(query_raw)?;
        refuse_secrets_in_query(&query)?;

        let first = |k: &str| {
            query
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        // libpq: query parameters override the URI's components.
        if let Some(h) = first("host") {
            let ports: Vec<Option<u16>> = hosts.iter().map(|(_, p)| *p).collect();
            hosts = h
                .split(',')
                .enumerate()
                .map(|(i, h)| {
                    let host = if h.starts_with('/') {
                        Host::Unix(PathBuf::from(h))
                    } else {
                        Host::Tcp(h.to_string())
                    };
                    (host, ports.get(i).copied().flatten())
                })
                .collect();
        }
        if let Some(p) = first("port") {
            let ports = p
                .split(',')
                .map(parse_port)
                .collect::<Result<Vec<u16>, UrlError>>()?;
            if hosts.is_empty() {
                hosts.push((Host::Tcp("localhost".into()), None));
            }
            for (i, (_, port)) in hosts.iter_mut().enumerate() {
                *port = ports.get(i).or(ports.first()).copied();
            }
        }
        if let Some(u) = first("user") {
            user = Some(u.to_string());
        }
        if let Some(p) = first("password") {
            password = Some(p.to_string());
        }
        let mut url = DatabaseUrl {
            scheme,
            backend: Backend::Postgres,
            user,
            password,
            user_raw,
            hosts,
            hosts_raw: hosts_raw.to_string(),
            path,
            path_raw: path_raw.to_string(),
            query,
            query_raw: query_raw.to_string(),
            sqlite_path: None,
            mysql: None,
        };
        if let Some(db) = url.param("dbname").map(str::to_string) {
            url.path = format!("/{db}");
        }
        url.validate_postgres()?;
        url.validate_x_options()?;
        Ok(url)
    }

    fn validate_postgres(&self) -> Result<(), UrlError> {
        if let Some(v) = self.param("sslmode") {
            if SslMode::parse(v).is_none() {
                return Err(UrlError::InvalidValue {
                    key: "sslmode".into(),
                    value: shown(v),
                    expected: "expected disable, prefer, require, verify-ca or verify-full",
                });
            }
        }
        for (key, expected) in [
            ("connect_timeout", "expected a whole number of seconds"),
            ("keepalives_idle", "expected a whole number of seconds"),
            ("keepalives_interval", "expected a whole number of seconds"),
            ("keepalives_count", "expected a whole number of probes"),
            (
                "tcp_user_timeout",
                "expected a whole number of milliseconds",
            ),
        ] {
            if let Some(v) = self.param(key) {
                if v.trim().parse::<u32>().is_err() {
                    return Err(UrlError::InvalidValue {
                        key: key.into(),
                        value: shown(v),
                        expected,
                    });
                }
            }
        }
        if let Some(v) = self.param("keepalives") {
            if !matches!(v.trim(), "0" | "1") {
                return Err(UrlError::InvalidValue {
                    key: "keepalives".into(),
                    value: shown(v),
                    expected: "expected 1 (on) or 0 (off)",
                });
            }
        }
        Ok(())
    }

    /// TCP settings with libpq's names: `keepalives` (1/0), `keepalives_idle`,
    /// `keepalives_interval` (seconds), `keepalives_count`, `tcp_user_timeout` (milliseconds; 0
    /// or absent: the system's). `None` where the URL says nothing.
    pub fn socket_settings(&self) -> SocketSettings {
        let num = |k: &str| self.param(k).and_then(|v| v.trim().parse::<u32>().ok());
        let secs = |k: &str| {
            num(k)
                .filter(|n| *n > 0)
                .map(|n| Duration::from_secs(n.into()))
        };
        SocketSettings {
            keepalives: self.param("keepalives").map(|v| v.trim() != "0"),
            keepalives_idle: secs("keepalives_idle"),
            keepalives_interval: secs("keepalives_interval"),
            keepalives_count: num("keepalives_count").filter(|n| *n > 0),
            tcp_user_timeout: num("tcp_user_timeout")
                .filter(|n| *n > 0)
                .map(|n| Duration::from_millis(n.into())),
        }
    }

    fn validate_x_options(&self) -> Result<(), UrlError> {
        if let Some(v) = self.param("x-multi-statement") {
            go_parse_bool("x-multi-statement", v)?;
        }
        if let Some(v) = self.param("x-statement-timeout") {
            go_atoi("x-statement-timeout", v)?;
        }
        if let Some(v) = self.param("x-multi-statement-max-size") {
            go_atoi("x-multi-statement-max-size", v)?;
        }
        lock::parse_strategy(self.param("x-lock-strategy"))?;
        lock::parse_lease(self.param("x-lock-lease"))?;
        self.tables().map(|_| ())
    }

    /// The first value of a query parameter (golang-migrate reads the first one, like Go's
    /// `url.Values.Get`). Crate-private: `password` must not escape.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The scheme as written (lower-cased), e.g. `postgres` or `pgx5`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Which backend the URL addresses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQL dialect of the backend, for splitting statements.
    pub fn dialect(&self) -> strata_sql::Dialect {
        match self.backend {
            Backend::Postgres => strata_sql::Dialect::Postgres,
            Backend::Sqlite => strata_sql::Dialect::Sqlite,
            Backend::Mysql => strata_sql::Dialect::Mysql,
        }
    }

    /// The user name, if given.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Whether a password was given (the password itself stays inside this crate).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password, for the connector only.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The servers to try, in order, with their ports if given (default 5432).
    pub fn hosts(&self) -> &[(Host, Option<u16>)] {
        &self.hosts
    }

    /// The database name: the URL path without its leading `/` (or `dbname=`); `None` if empty.
    pub fn database(&self) -> Option<&str> {
        Some(self.path.strip_prefix('/').unwrap_or(&self.path)).filter(|d| !d.is_empty())
    }

    /// The URL path as golang-migrate's CLI sees it (decoded, with its leading `/`, e.g.
    /// `/mydb`): part of the CLI's advisory lock key.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `sslmode`. When the URL has none, Strata uses **`prefer`**: try TLS, fall back to
    /// plain text if the server does not offer it.
    ///
    /// This is a deliberate divergence from golang-migrate's lib/pq, whose default is
    /// `require` (a server without TLS then fails with "SSL is not enabled on the server"
    /// unless every URL says `sslmode=disable`). `prefer` is libpq's and pgx's default, so the
    /// same URL that works with `psql` works with Strata, and a TLS server still gets TLS.
    /// To insist on TLS, say `sslmode=require` (or stronger), or set `DATABASE_SSL=true`
    /// (which the CLI turns into [`ConnectOptions::require_tls`](crate::ConnectOptions)).
    pub fn ssl_mode(&self) -> SslMode {
        self.param("sslmode")
            .and_then(SslMode::parse)
            .unwrap_or(SslMode::Prefer)
    }

    /// Whether `sslmode` was given explicitly.
    pub fn ssl_mode_given(&self) -> bool {
        self.param("sslmode").is_some()
    }

    /// `sslrootcert`: the CA certificate file (PEM) for `verify-ca`/`verify-full`.
    pub fn ssl_root_cert(&self) -> Option<PathBuf> {
        self.param("sslrootcert").map(PathBuf::from)
    }

    /// `sslcert`: client certificate file (PEM).
    pub fn ssl_cert(&self) -> Option<PathBuf> {
        self.param("sslcert").map(PathBuf::from)
    }

    /// `sslkey`: client private key file (PEM).
    pub fn ssl_key(&self) -> Option<PathBuf> {
        self.param("sslkey").map(PathBuf::from)
    }

    /// `application_name`, if the URL sets one.
    pub fn application_name(&self) -> Option<&str> {
        self.param("application_name")
    }

    /// `options` (passed to the server at startup, e.g. `-c geqo=off`).
    pub fn options(&self) -> Option<&str> {
        self.param("options")
    }

    /// `connect_timeout` in seconds (0 or absent: none).
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.param("connect_timeout")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
    }

    /// `search_path`, if given.
    pub fn search_path(&self) -> Option<&str> {
        self.param("search_path")
    }

    /// Session settings to apply after connecting: every query parameter that is neither an
    /// `x-` option nor a connection key (`search_path`, `timezone`, `lock_timeout`, ...), in
    /// URL order, first value per key.
    pub fn session_settings(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for (k, v) in &self.query {
            if k.starts_with("x-") || CONNECTION_KEYS.contains(&k.as_str()) {
                continue;
            }
            if out.iter().any(|(seen, _)| seen == k) {
                continue;
            }
            out.push((k, v));
        }
        out
    }

    /// The compatibility table's name and schema (from `x-migrations-table` and
    /// `x-migrations-table-quoted`, with golang-migrate's rules), and the ledger and log names
    /// derived from it.
    ///
    /// Unquoted mode: the value is **one** identifier (a `.` is part of the name), schema
    /// `None` (the connection's `current_schema()`). Quoted mode: the value must start and end
    /// with `"`; each `"..."` part is taken (`"s"."t"` → schema `s`, table `t`; `"t"` → table
    /// `t`); three or more parts are an error. Names are always quoted when used in SQL, so
    /// any character is harmless.
    pub fn tables(&self) -> Result<TableNames, UrlError> {
        if let Some(m) = &self.mysql {
            return self.checked_names(TableNames::new(None, m.migrations_table()));
        }
        let given = self.param("x-migrations-table").unwrap_or("");
        let quoted = match self.param("x-migrations-table-quoted") {
            Some(v) if !v.is_empty() => go_parse_bool("x-migrations-table-quoted", v)?,
            _ => false,
        };
        if given.is_empty() {
            return Ok(TableNames::new(None, DEFAULT_MIGRATIONS_TABLE));
        }
        if !quoted {
            return self.checked_names(TableNames::new(None, given));
        }
        if given.len() < 2 || !given.starts_with('"') || !given.ends_with('"') {
            return Err(UrlError::TableNotQuoted(shown(given)));
        }
        // Go: regexp `"(.*?)"`, FindAllStringSubmatch.
        let mut parts = Vec::new();
        let mut rest = given;
        while let Some(open) = rest.find('"') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            parts.push(&after[..close]);
            rest = &after[close + 1..];
        }
        let (schema, table) = match parts.as_slice() {
            [table] => (None, *table),
            [schema, table] => (Some(schema.to_string()), *table),
            [] => return Err(UrlError::TableNotQuoted(shown(given))),
            _ => return Err(UrlError::TableTooManyDots(shown(given))),
        };
        if table.is_empty() || schema.as_deref() == Some("") {
            return Err(UrlError::EmptyTable);
        }
        self.checked_names(TableNames::new(schema, table))
    }

    /// Refuse names the database cannot keep apart: a NUL byte (neither PostgreSQL nor SQLite
    /// accepts one in a name), and on PostgreSQL a name over 63 bytes, which the server
    /// silently truncates, so that the table, `<table>_ledger` and `<table>_log` could all
    /// become the same table.
    fn checked_names(&self, names: TableNames) -> Result<TableNames, UrlError> {
        let all = [
            names.schema.as_deref(),
            Some(names.compat.as_str()),
            Some(names.ledger.as_str()),
            Some(names.log.as_str()),
        ];
        if all.iter().flatten().any(|n| n.contains('\0')) {
            return Err(UrlError::BadTableName(
                "the name holds a NUL byte (%00), which no database accepts in a name".into(),
            ));
        }
        if self.backend == Backend::Postgres {
            if let Some(schema) = names
                .schema
                .as_deref()
                .filter(|s| s.len() > PG_MAX_IDENTIFIER)
            {
                return Err(UrlError::BadTableName(format!(
                    "the schema name is {} bytes long; PostgreSQL names are at most {PG_MAX_IDENTIFIER} bytes",
                    schema.len()
                )));
            }
            let longest = names.ledger.len().max(names.log.len());
            if longest > PG_MAX_IDENTIFIER {
                return Err(UrlError::BadTableName(format!(
                    "the table name is {} bytes long, so Strata's ledger table (<table>_ledger) would be {longest} bytes; \
                     PostgreSQL names are at most {PG_MAX_IDENTIFIER} bytes (longer ones are cut, and the tables would collide): \
                     use a table name of at most {} bytes",
                    names.compat.len(),
                    PG_MAX_IDENTIFIER - (longest - names.compat.len())
                )));
            }
        }
        Ok(names)
    }

    /// `x-multi-statement`: golang-migrate's opt-in to run statements one by one (Strata
    /// splits them with its real lexer, not at every `;`).
    pub fn multi_statement(&self) -> bool {
        self.param("x-multi-statement")
            .and_then(|v| go_parse_bool("x-multi-statement", v).ok())
            .unwrap_or(false)
    }

    /// `x-statement-timeout` in milliseconds (0 or absent: none).
    pub fn statement_timeout(&self) -> Option<Duration> {
        if let Some(m) = &self.mysql {
            return m.statement_timeout();
        }
        self.param("x-statement-timeout")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms as u64))
    }

    /// `x-lock-strategy`: `None` when the URL does not say (the driver chooses).
    pub fn lock_strategy(&self) -> Option<LockStrategy> {
        lock::parse_strategy(self.param("x-lock-strategy"))
            .ok()
            .flatten()
    }

    /// `x-lock-lease`: how long a lease lasts without renewal ([`DEFAULT_LEASE`] when absent).
    pub fn lock_lease(&self) -> Duration {
        lock::parse_lease(self.param("x-lock-lease")).unwrap_or(DEFAULT_LEASE)
    }

    /// For SQLite URLs: the database file (`sqlite://app.db` → `app.db`, relative to the
    /// working directory; `sqlite:///abs/app.db` → `/abs/app.db`).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.sqlite_path.clone()
    }

    /// The URL with its password replaced by `***` (same as `Display`).
    pub fn redacted(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.mysql {
            return m.fmt(f);
        }
        write!(f, "{}://", self.scheme)?;
        if self.user_raw.is_some() || self.password.is_some() {
            if let Some(u) = &self.user_raw {
                f.write_str(&mask_secret_tail(u))?;
            }
            if self.password.is_some() && self.param("password").is_none() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&mask_secret_tail(&self.hosts_raw))?;
        f.write_str(&mask_secret_tail(&self.path_raw))?;
        if !self.query_raw.is_empty() {
            f.write_str("?")?;
            f.write_str(&redact_query(&self.query_raw))?;
        }
        Ok(())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

/// Best-effort redaction of a URL string that may not parse (for messages about a URL that
/// was refused): the user info's password and any `password=` query value become `***`.
///
/// ```
/// use strata_drivers::url::redact;
/// assert_eq!(redact("postgres://u:p@ss@h:x/db"), "postgres://u:***@h:x/db");
/// assert_eq!(redact("postgres://h/db?password=s3cret&a=1"), "postgres://h/db?password=***&a=1");
/// ```
pub fn redact(raw: &str) -> String {
    let Some(sep) = raw.find("://") else {
        // No scheme: we cannot tell where a password is; show nothing of it.
        return if raw.contains('@') || raw.contains(':') {
            "<database URL>".to_string()
        } else {
            raw.to_string()
        };
    };
    let (head, rest) = raw.split_at(sep + 3);
    let first_q = rest.find('?').unwrap_or(rest.len());
    let mut at = rest[..first_q].rfind('@');
    if let Some(last_at) = rest.rfind('@') {
        if last_at > first_q {
            let between = &rest[first_q..last_at];
            if !between.contains('=') && !between.contains('&') {
                at = Some(last_at);
            }
        }
    }
    let (info, after) = match at {
        Some(i) => {
            let info = &rest[..i];
            let user = info.split_once(':').map(|(u, _)| u);
            let shown = match user {
                Some(u) => format!("{u}:***@"),
                None => format!("{info}@"),
            };
            (shown, &rest[i + 1..])
        }
        None => (String::new(), rest),
    };
    match after.split_once('?') {
        Some((before, q)) => format!(
            "{head}{info}{}?{}",
            mask_secret_tail(before),
            redact_query(q)
        ),
        None => format!("{head}{info}{}", mask_secret_tail(after)),
    }
}

/// Where the user info of a URL's part after `scheme://` ends (the index of its `@`), if it has
/// one: normally the last `@` before the query. A password containing an unencoded `?` puts its
/// `@` after the first `?`; that is told apart from a query value containing `@`
/// (`application_name=me@host`) by the absence of `=`/`&` between the `?` and the `@`. The
/// parser and [`secret_ranges`] share it, so what is redacted is what was parsed as secret.
fn userinfo_end(rest: &str) -> Option<usize> {
    let first_q = rest.find('?').unwrap_or(rest.len());
    let before_query = rest[..first_q].rfind('@');
    match rest.rfind('@') {
        Some(last_at) if last_at > first_q => {
            let between = &rest[first_q..last_at];
            if between.contains('=') || between.contains('&') {
                before_query
            } else {
                Some(last_at)
            }
        }
        _ => before_query,
    }
}

/// Byte ranges of `raw` (a database URL as typed, possibly after `-database=`, possibly
/// malformed) that hold a secret: the password of the user info, and every value after a
/// password-like key (`password=`, `sslpassword=`, also inside another value) up to the next
/// `&`. For overwriting a command line in place; the ranges do not overlap.
///
/// ```
/// use strata_drivers::url::secret_ranges;
/// let url = "postgres://u:pw@h/db?host=h?password=s3&a=1";
/// let r = secret_ranges(url);
/// assert_eq!(r.iter().map(|r| &url[r.clone()]).collect::<Vec<_>>(), ["pw", "s3"]);
/// ```
pub fn secret_ranges(raw: &str) -> Vec<std::ops::Range<usize>> {
    let Some(sep) = raw.find("://") else {
        return Vec::new();
    };
    let base = sep + 3;
    let rest = &raw[base..];
    let at = userinfo_end(rest);
    let mut out = Vec::new();
    let mut from = 0;
    if let Some(i) = at {
        if let Some(colon) = rest[..i].find(':') {
            if colon + 1 < i {
                out.push(base + colon + 1..base + i);
            }
        }
        from = i + 1;
    }
    while let Some(cut) = secret_after(&rest[from..]) {
        let start = from + cut;
        let end = rest[start..].find('&').map_or(rest.len(), |e| start + e);
        if end > start {
            out.push(base + start..base + end);
        }
        from = end;
        if from >= rest.len() {
            break;
        }
    }
    out
}

fn redact_query(q: &str) -> String {
    // A second `?` where `&` was meant (`?sslmode=require?password=x`) still hides a password:
    // within each piece, everything after a password-like key is masked.
    q.split('&').map(redact_piece).collect::<Vec<_>>().join("&")
}

fn redact_piece(piece: &str) -> String {
    let key = piece.split_once('=').map_or(piece, |(k, _)| k);
    let key_dec = percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    if SECRET_KEYS.iter().any(|s| key_dec.eq_ignore_ascii_case(s)) {
        format!("{key}=***")
    } else {
        mask_secret_tail(piece)
    }
}

fn decode(s: &str, part: &'static str) -> Result<String, UrlError> {
    if !valid_escapes(s) {
        return Err(UrlError::BadEncoding(part));
    }
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| UrlError::BadEncoding(part))
}

/// Go's url package refuses `%` not followed by two hex digits.
fn valid_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn parse_query(raw: &str) -> Result<Vec<(String, String)>, UrlError> {
    let mut out = Vec::new();
    for piece in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        // Go's ParseQuery: `+` means space.
        let k = decode(&k.replace('+', " "), "query")?;
        let v = decode(&v.replace('+', " "), "query")?;
        out.push((k, v));
    }
    Ok(out)
}

fn parse_port(s: &str) -> Result<u16, UrlError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort);
    }
    match s.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(UrlError::InvalidPort),
    }
}

fn parse_hosts(raw: &str) -> Result<Vec<(Host, Option<u16>)>, UrlError> {
    let mut out = Vec::new();
    if raw.is_empty() {
        return Ok(out);
    }
    for item in raw.split(',') {
        let (host, port) = if let Some(v6) = item.strip_prefix('[') {
            let Some(end) = v6.find(']') else {
                return Err(UrlError::InvalidHost("unclosed [ in an IPv6 address"));
            };
            let after = &v6[end + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(parse_port(p)?),
                None if after.is_empty() => None,
                None => {
                    return Err(UrlError::InvalidHost(
                        "unexpected text after an IPv6 address",
                    ))
                }
            };
            (v6[..end].to_string(), port)
        } else {
            match item.rsplit_once(':') {
                Some((h, p)) => (decode(h, "host")?, Some(parse_port(p)?)),
                None => (decode(item, "host")?, None),
            }
        };
        if host.is_empty() && port.is_none() {
            continue;
        }
        let host = if host.starts_with('/') {
            Host::Unix(PathBuf::from(host))
        } else if host.is_empty() {
            Host::Tcp("localhost".to_string())
        } else {
            Host::Tcp(host)
        };
        out.push((host, port));
    }
    Ok(out)
}

/// Refuse a query whose keys or non-secret values hold a password-like key: the value after it
/// would be shown as a host, user, path or setting.
fn refuse_secrets_in_query(query: &[(String, String)]) -> Result<(), UrlError> {
    for (k, v) in query {
        // Exact names: the connector reads only these (`Password` is a session setting).
        let secret_key = SECRET_KEYS.contains(&k.as_str());
        if !secret_key && secret_after(&format!("{k}=")).is_some() {
            return Err(UrlError::SecretInValue("query".into()));
        }
        if !secret_key && secret_after(v).is_some() {
            let part = if k.contains(['=', '?', '&', '@']) || !k.is_ascii() {
                "query".to_string()
            } else {
                format!("parameter {k}")
            };
            return Err(UrlError::SecretInValue(part));
        }
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(key: &str, v: &str) -> Result<bool, UrlError> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(UrlError::InvalidOption {
            key: key.to_string(),
            reason: format!("strconv.ParseBool: parsing {}: invalid syntax", quoted(v)),
        }),
    }
}

/// Go's `strconv.Atoi` (as golang-migrate uses it for `x-statement-timeout`).
fn go_atoi(key: &str, v: &str) -> Result<i64, UrlError> {
    v.parse::<i64>().map_err(|_| UrlError::InvalidOption {
        key: key.to_string(),
        reason: format!("strconv.Atoi: parsing {}: invalid syntax", quoted(v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DatabaseUrl {
        DatabaseUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn err(s: &str) -> String {
        DatabaseUrl::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn full_postgres_url() {
        let u = p("postgres://alice:s3cret@db.example.com:6543/app?sslmode=require&search_path=app,public");
        assert_eq!(u.backend(), Backend::Postgres);
        assert_eq!(u.user(), Some("alice"));
        assert_eq!(u.password(), Some("s3cret"));
        assert_eq!(
            u.hosts(),
            &[(Host::Tcp("db.example.com".into()), Some(6543))]
        );
        assert_eq!(u.database(), Some("app"));
        assert_eq!(u.path(), "/app");
        assert_eq!(u.ssl_mode(), SslMode::Require);
        assert_eq!(u.search_path(), Some("app,public"));
        assert_eq!(u.session_settings(), vec![("search_path", "app,public")]);
        assert_eq!(
            u.to_string(),
            "postgres://alice:***@db.example.com:6543/app?sslmode=require&search_path=app,public"
        );
        assert!(!format!("{u:?}").contains("s3cret"));
    }

    #[test]
    fn all_postgres_schemes() {
        for s in ["postgres", "postgresql", "pgx", "pgx4", "pgx5", "POSTGRES"] {
            assert_eq!(
                p(&format!("{s}://h/db")).backend(),
                Backend::Postgres,
                "{s}"
            );
        }
    }

    #[test]
    fn percent_encoded_password_and_user() {
        let u = p("postgres://us%40er:p%40ss%2Fw%3Ard%3F@h/db");
        assert_eq!(u.user(), Some("us@er"));
        assert_eq!(u.password(), Some("p@ss/w:rd?"));
        assert_eq!(u.to_string(), "postgres://us%40er:***@h/db");
    }

    #[test]
    fn unencoded_reserved_characters_in_password_are_tolerated() {
        let u = p("postgres://u:p@ss@h:5432/db");
        assert_eq!(u.password(), Some("p@ss"));
        assert_eq!(u.hosts()[0], (Host::Tcp("h".into()), Some(5432)));
        let u = p("postgres://u:pa/ss@h/db");
        assert_eq!(u.password(), Some("pa/ss"));
        assert_eq!(u.database(), Some("db"));
        let u = p("postgres://u:pa?ss@h/db?sslmode=disable");
        assert_eq!(u.password(), Some("pa?ss"));
        assert_eq!(u.ssl_mode(), SslMode::Disable);
        // `@` in a query value is not user info.
        let u = p("postgres://h/db?application_name=me@laptop");
        assert_eq!(u.user(), None);
        assert_eq!(u.application_name(), Some("me@laptop"));
    }

    #[test]
    fn errors_never_contain_the_password() {
        let cases = [
            "postgres://u:p@ss@h:notaport/db",
            "postgres://u:hunter2secret@h:99999/db",
            "postgres://u:hunter2secret@h:/db",
            "postgres://u:hunter2%zzsecret@h/db",
            "postgres://u:hunter2secret@[::1/db",
            "postgres://u:hunter2secret@h/db?sslmode=bogus",
            "postgres://u:hunter2secret@h/db?x-multi-statement=maybe",
            "postgres://u:hunter2secret@h/db?x-migrations-table=a.b&x-migrations-table-quoted=1",
            "postgres://u:hunter2?secret@h:x/db",
            "postgres://u:hunter2/secret@h:x/db",
            "postgres://u:hunter2#secret@h:x/db",
            "mysql://u:hunter2secret@tcp(h:99999)/db",
            "mysql://u:hunter2secret@tcp(h:3306)/db?tls=custom",
            "u:hunter2secret@h/db",
            "post gres://u:hunter2secret@h/db",
            "pg:hunter2secret@h://",
            // Found by `fuzz/fuzz_targets/url.rs`: a second `?` for `&` put the password into
            // the sslmode value, which the error quoted.
            "postgres://h/db?sslmode=require?password=hunter2secret",
            "postgres://h/db?connect_timeout=5?password=hunter2secret",
            "postgres://h/db?x-multi-statement=true?password=hunter2secret",
            "postgres://h/db?x-migrations-table=a?password=hunter2secret&x-migrations-table-quoted=1",
        ];
        for c in cases {
            let e = DatabaseUrl::parse(c).expect_err(c).to_string();
            for secret in ["hunter2", "secret", "p@ss", "ss@h"] {
                assert!(!e.contains(secret), "{c} -> {e}");
            }
        }
        assert_eq!(
            err("postgres://u:p@ss@h:notaport/db"),
            UrlError::InvalidPort.to_string()
        );
    }

    #[test]
    fn a_password_key_inside_another_value_is_refused_unshown() {
        let cases = [
            (
                "postgres://h/db?host=h?password=hunter2secret",
                "parameter host",
            ),
            (
                "postgres://h/db?user=u?password=hunter2secret",
                "parameter user",
            ),
            (
                "postgres://h/db?sslrootcert=/x?password=hunter2secret",
                "parameter sslrootcert",
            ),
            (
                "postgres://h/db?search_path=app?password=hunter2secret",
                "parameter search_path",
            ),
            (
                "postgres://h/db?application_name=a?SSLPassword=hunter2secret",
                "parameter application_name",
            ),
            (
                "postgres://h/db?sslmode=disable?password%3Dhunter2secret",
                "parameter sslmode",
            ),
            ("postgres://h/db?a?password=hunter2secret", "query"),
            // Fuzz finding: the `@` after `?` made `x&sslpassword=...` the host section.
            ("postgres://u@[::1]:1/?@x&sslpassword=hunter2secret", "host"),
            ("postgres://h/db&password=hunter2secret", "database name"),
            ("sqlite://app.db&password=hunter2secret", "path"),
        ];
        for (c, part) in cases {
            let e = err(c);
            assert!(!e.contains("hunter2"), "{c} -> {e}");
            assert_eq!(e, UrlError::SecretInValue(part.into()).to_string(), "{c}");
            assert!(!redact(c).contains("hunter2"), "{c} -> {}", redact(c));
        }
        // Keys merely containing the word are fine.
        let u = p("postgres://h/db?options=-c%20password_encryption=scram-sha-256&application_name=password");
        assert_eq!(u.application_name(), Some("password"));
    }

    #[test]
    fn password_query_parameter_is_redacted() {
        let u = p("postgres://bob@h/db?password=t0psecret&sslmode=disable");
        assert_eq!(u.password(), Some("t0psecret"));
        assert_eq!(
            u.to_string(),
            "postgres://bob@h/db?password=***&sslmode=disable"
        );
        assert!(!format!("{u:?}").contains("t0psecret"));
        assert!(u.session_settings().is_empty());
    }

    #[test]
    fn redact_strings_that_do_not_parse() {
        assert_eq!(
            redact("postgres://u:p@ss@h:notaport/db"),
            "postgres://u:***@h:notaport/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("u:secret@h"), "<database URL>");
        assert_eq!(redact("pg://h/db?password=x"), "pg://h/db?password=***");
    }

    #[test]
    fn schemes() {
        assert_eq!(err(""), "URL cannot be empty");
        assert!(err("localhost/db").starts_with("no scheme"));
        let e = err("oracle://h/db");
        assert!(e.contains("\"oracle\""), "{e}");
        assert!(
            e.contains("postgres, postgresql, pgx, pgx5, sqlite, sqlite3"),
            "{e}"
        );
        let u = p("mariadb://u:hunter2secret@tcp(h:3307)/shop?x-migrations-table=v");
        assert_eq!(u.backend(), Backend::Mysql);
        assert_eq!(u.database(), Some("shop"));
        assert_eq!(u.tables().unwrap().compat, "v");
        assert_eq!(u.hosts(), [(Host::Tcp("h".into()), Some(3307))]);
        assert_eq!(
            u.to_string(),
            "mariadb://u:***@tcp(h:3307)/shop?x-migrations-table=v"
        );
        assert!(!format!("{u:?}").contains("hunter2"));
    }

    #[test]
    fn hosts_ports_sockets() {
        let u = p("postgres://u@%2Fvar%2Frun%2Fpostgresql/db");
        assert_eq!(
            u.hosts(),
            &[(Host::Unix("/var/run/postgresql".into()), None)]
        );
        let u = p("postgres:///db?host=/tmp&port=5433");
        assert_eq!(u.hosts(), &[(Host::Unix("/tmp".into()), Some(5433))]);
        let u = p("postgres://u@[::1]:5433/db");
        assert_eq!(u.hosts(), &[(Host::Tcp("::1".into()), Some(5433))]);
        let u = p("postgres://u@h1:5432,h2:5433/db");
        assert_eq!(
            u.hosts(),
            &[
                (Host::Tcp("h1".into()), Some(5432)),
                (Host::Tcp("h2".into()), Some(5433))
            ]
        );
        let u = p("postgres://u@/db");
        assert!(u.hosts().is_empty());
        assert_eq!(err("postgres://h:0/db"), UrlError::InvalidPort.to_string());
        assert_eq!(
            err("postgres://h:70000/db"),
            UrlError::InvalidPort.to_string()
        );
    }

    #[test]
    fn database_names() {
        assert_eq!(p("postgres://h/my%20db").database(), Some("my db"));
        assert_eq!(p("postgres://h/my%20db").path(), "/my db");
        assert_eq!(p("postgres://h/").database(), None);
        assert_eq!(p("postgres://h").database(), None);
        assert_eq!(p("postgres://h?dbname=other").database(), Some("other"));
    }

    #[test]
    fn sslmode_values_and_default() {
        assert_eq!(p("postgres://h/db").ssl_mode(), SslMode::Prefer);
        assert!(!p("postgres://h/db").ssl_mode_given());
        for (v, m) in [
            ("disable", SslMode::Disable),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyCa),
            ("verify-full", SslMode::VerifyFull),
        ] {
            assert_eq!(p(&format!("postgres://h/db?sslmode={v}")).ssl_mode(), m);
        }
        let e = err("postgres://h/db?sslmode=enable");
        assert!(e.contains("sslmode") && e.contains("\"enable\""), "{e}");
        let u = p(
            "postgres://h/db?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem",
        );
        assert_eq!(u.ssl_root_cert(), Some(PathBuf::from("/ca.pem")));
        assert_eq!(u.ssl_cert(), Some(PathBuf::from("/c.pem")));
        assert_eq!(u.ssl_key(), Some(PathBuf::from("/k.pem")));
    }

    #[test]
    fn x_options_and_stripping() {
        let u = p("postgres://h/db?x-statement-timeout=1500&x-multi-statement=true&x-custom=1&timezone=UTC&connect_timeout=7&application_name=ci");
        assert_eq!(u.statement_timeout(), Some(Duration::from_millis(1500)));
        assert!(u.multi_statement());
        assert_eq!(u.connect_timeout(), Some(Duration::from_secs(7)));
        assert_eq!(u.application_name(), Some("ci"));
        assert_eq!(u.session_settings(), vec![("timezone", "UTC")]);
        assert_eq!(
            p("postgres://h/db?x-statement-timeout=0").statement_timeout(),
            None
        );
        assert!(!p("postgres://h/db").multi_statement());
        assert_eq!(
            err("postgres://h/db?x-multi-statement=yes"),
            "unable to parse option x-multi-statement: strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
        assert_eq!(
            err("postgres://h/db?x-statement-timeout=1s"),
            "unable to parse option x-statement-timeout: strconv.Atoi: parsing \"1s\": invalid syntax"
        );
        assert!(err("postgres://h/db?connect_timeout=abc").contains("connect_timeout"));
    }

    #[test]
    fn migrations_table_rules() {
        let t = p("postgres://h/db").tables().unwrap();
        assert_eq!(t, TableNames::new(None, "schema_migrations"));
        let t = p("postgres://h/db?x-migrations-table=my.table")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "my.table"));
        assert_eq!(t.ledger, "my.table_ledger");
        let t = p("postgres://h/db?x-migrations-table=%22migrate%22.%22schema_migrations%22&x-migrations-table-quoted=1")
            .tables()
            .unwrap();
        assert_eq!(
            t,
            TableNames::new(Some("migrate".into()), "schema_migrations")
        );
        let t = p("postgres://h/db?x-migrations-table=\"only\"&x-migrations-table-quoted=true")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "only"));
        let t = p("postgres://h/db?x-migrations-table=\"a.b\"&x-migrations-table-quoted=t")
            .tables()
            .unwrap();
        assert_eq!(t, TableNames::new(None, "a.b"));
        // quoted=false keeps the quotes as part of the one identifier
        let t = p("postgres://h/db?x-migrations-table=\"s\".\"t\"&x-migrations-table-quoted=false")
            .tables()
            .unwrap();
        assert_eq!(t.compat, "\"s\".\"t\"");
        assert_eq!(
            err("postgres://h/db?x-migrations-table=migrate.schema_migrations&x-migrations-table-quoted=1"),
            "x-migrations-table must be quoted (for instance '\"migrate\".\"schema_migrations\"') when x-migrations-table-quoted is enabled, current value is: migrate.schema_migrations"
        );
        assert_eq!(
            err("postgres://h/db?x-migrations-table=\"migrate\".\"schema_migrations\".\"toomany\"&x-migrations-table-quoted=1"),
            "\"\"migrate\".\"schema_migrations\".\"toomany\"\" MigrationsTable contains too many dot characters"
        );
        assert_eq!(
            err("postgres://h/db?x-migrations-table-quoted=maybe"),
            "unable to parse option x-migrations-table-quoted: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        // An injection attempt is just a strange (quoted) name.
        let t = p("postgres://h/db?x-migrations-table=a%22;drop%20table%20x;--")
            .tables()
            .unwrap();
        assert_eq!(t.compat, "a\";drop table x;--");
    }

    #[test]
    fn secret_ranges_cover_every_password_of_a_typed_url() {
        let masked = |raw: &str| {
            let mut b = raw.as_bytes().to_vec();
            for r in secret_ranges(raw) {
                b[r].fill(b'*');
            }
            String::from_utf8(b).unwrap()
        };
        assert_eq!(masked("postgres://u:pw@h/db"), "postgres://u:**@h/db");
        assert_eq!(
            masked("-database=postgres://u:p@ss@h/db?sslmode=disable"),
            "-database=postgres://u:****@h/db?sslmode=disable"
        );
        assert_eq!(
            masked("postgres://h/db?host=h?password=s3&sslpassword=k&a=1"),
            "postgres://h/db?host=h?password=**&sslpassword=*&a=1"
        );
        // The parser's reading: the last `@` ends the user info, so `:1]:1/?` is a password.
        assert_eq!(
            masked("postgres://u@[::1]:1/?@x&sslpassword=abc"),
            "postgres://u@[:*******@x&sslpassword=***"
        );
        assert_eq!(masked("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(masked("migrations"), "migrations");
    }

    #[test]
    fn table_names_postgres_would_truncate_or_that_hold_nul_are_refused() {
        let name = |n: usize| "t".repeat(n);
        // `<table>_ledger` is the longest derived name: 56 + 7 = 63 bytes.
        let ok = p(&format!("postgres://h/db?x-migrations-table={}", name(56)));
        assert_eq!(ok.tables().unwrap().ledger.len(), 63);
        let e = err(&format!("postgres://h/db?x-migrations-table={}", name(57)));
        assert!(
            e.starts_with("x-migrations-table: the table name is 57 bytes long"),
            "{e}"
        );
        assert!(e.contains("at most 56 bytes"), "{e}");
        let e = err(&format!("postgres://h/db?x-migrations-table={}", name(63)));
        assert!(e.starts_with("x-migrations-table:"), "{e}");
        // Quoted mode: the schema is one name too.
        let e = err(&format!(
            "postgres://h/db?x-migrations-table=\"{}\".\"t\"&x-migrations-table-quoted=1",
            name(64)
        ));
        assert!(e.contains("schema name is 64 bytes"), "{e}");
        for c in [
            "postgres://h/db?x-migrations-table=a%00b",
            "postgres://h/db?x-migrations-table=\"s%00\".\"t\"&x-migrations-table-quoted=1",
            "sqlite://app.db?x-migrations-table=a%00b",
        ] {
            assert!(err(c).contains("NUL byte"), "{c}");
        }
        // SQLite has no such limit.
        let t = p(&format!("sqlite://app.db?x-migrations-table={}", name(80)))
            .tables()
            .unwrap();
        assert_eq!(t.compat.len(), 80);
    }

    #[test]
    fn sqlite_urls() {
        let u = p("sqlite://app.db");
        assert_eq!(u.backend(), Backend::Sqlite);
        assert_eq!(u.sqlite_path(), Some(PathBuf::from("app.db")));
        assert_eq!(
            p("sqlite:///abs/app.db").sqlite_path(),
            Some(PathBuf::from("/abs/app.db"))
        );
        assert_eq!(
            p("sqlite3://./data/app.db?x-migrations-table=mig").sqlite_path(),
            Some(PathBuf::from("./data/app.db"))
        );
        assert_eq!(
            p("sqlite3://app.db?x-migrations-table=mig")
                .tables()
                .unwrap()
                .compat,
            "mig"
        );
        assert_eq!(
            p("sqlite://my%20app.db").sqlite_path(),
            Some(PathBuf::from("my app.db"))
        );
        assert_eq!(err("sqlite://:memory:"), UrlError::SqliteMemory.to_string());
        assert_eq!(err("sqlite://"), UrlError::SqliteNoPath.to_string());
        assert_eq!(p("sqlite://app.db").to_string(), "sqlite://app.db");
    }
}
