//! Parsing and validating a database URL: the scheme, then the PostgreSQL, SQLite or MySQL
//! form, percent-decoding, the query, and golang-migrate's `x-` options.

use super::host::parse_hosts;
use super::redact::refuse_secrets_in_query;
use super::{holds_secret_key, lock, mysql, parse_port, quoted, shown, userinfo_end};
use super::{Backend, DatabaseUrl, Host, SslMode, UrlError};
use percent_encoding::percent_decode_str;
use std::path::PathBuf;

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
}

impl std::str::FromStr for DatabaseUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

pub(super) fn decode(s: &str, part: &'static str) -> Result<String, UrlError> {
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

pub(super) fn parse_query(raw: &str) -> Result<Vec<(String, String)>, UrlError> {
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

/// Go's `strconv.ParseBool`.
pub(super) fn go_parse_bool(key: &str, v: &str) -> Result<bool, UrlError> {
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
pub(super) fn go_atoi(key: &str, v: &str) -> Result<i64, UrlError> {
    v.parse::<i64>().map_err(|_| UrlError::InvalidOption {
        key: key.to_string(),
        reason: format!("strconv.Atoi: parsing {}: invalid syntax", quoted(v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;

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
    fn database_names() {
        assert_eq!(p("postgres://h/my%20db").database(), Some("my db"));
        assert_eq!(p("postgres://h/my%20db").path(), "/my db");
        assert_eq!(p("postgres://h/").database(), None);
        assert_eq!(p("postgres://h").database(), None);
        assert_eq!(p("postgres://h?dbname=other").database(), Some("other"));
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
