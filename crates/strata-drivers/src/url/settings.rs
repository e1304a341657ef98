//! What a parsed URL says: the backend, user, servers, database, TLS files, TCP and session
//! settings, and the `x-` options.

use super::lock::{self, LockStrategy, DEFAULT_LEASE};
use super::{go_parse_bool, mysql, Backend, DatabaseUrl, Host, SslMode};
use std::path::PathBuf;
use std::time::Duration;

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
    /// For MySQL and MariaDB URLs: everything the URL says, as [`mysql::MysqlUrl`] reads it.
    pub fn mysql(&self) -> Option<&mysql::MysqlUrl> {
        self.mysql.as_deref()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;

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
}
