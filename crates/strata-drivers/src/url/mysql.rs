//! MySQL and MariaDB URLs, as golang-migrate takes them.
//!
//! Two forms, with `mysql://` or `mariadb://`:
//!
//! * go-sql-driver's DSN, which golang-migrate passes on after removing its scheme:
//!   `mysql://user:password@tcp(host:3306)/dbname?params` (also `unix(/path/to/socket)`);
//! * the plain URL form `mysql://user:password@host:3306/dbname?params`.
//!
//! User and password are percent-decoded (golang-migrate does so). Parameters: golang-migrate's
//! `x-migrations-table`, `x-no-lock`, `x-statement-timeout` (milliseconds), `tls=true|false|
//! skip-verify|preferred` or the name of a custom configuration built from `x-tls-ca`
//! (required), `x-tls-cert` with `x-tls-key`, `x-tls-insecure-skip-verify`; and the
//! go-sql-driver settings in [`DRIVER_PARAMS`], kept for the driver. Anything else is refused,
//! naming the parameter: go-sql-driver would send an unknown one to the server as a system
//! variable, and golang-migrate drops unknown `x-` ones silently.
//!
//! As everywhere in [`crate::url`], no password reaches any message: errors never quote the
//! user info, address or database, [`fmt::Display`] redacts, [`fmt::Debug`] prints `***`.

use super::{
    decode, go_atoi, go_parse_bool, holds_secret_key, parse_port, parse_query, redact,
    secret_after, userinfo_end, SECRET_KEYS,
};
use super::{Host, DEFAULT_MIGRATIONS_TABLE};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// MySQL's default port.
pub const DEFAULT_PORT: u16 = 3306;

/// MySQL's identifier length limit in characters.
pub const MAX_IDENTIFIER: usize = 64;

/// go-sql-driver's own settings that a URL may carry; the driver applies or ignores them.
pub const DRIVER_PARAMS: &[&str] = &[
    "charset",
    "collation",
    "parseTime",
    "loc",
    "timeout",
    "readTimeout",
    "writeTimeout",
    "multiStatements",
    "interpolateParams",
    "allowNativePasswords",
    "clientFoundRows",
    "maxAllowedPacket",
    "rejectReadOnly",
];

/// Why a MySQL URL was refused. No variant quotes the user info, address or database name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MysqlUrlError {
    /// The address part (`tcp(...)`, `unix(...)`, `host:port`) is malformed.
    #[error("invalid server address in the MySQL URL: {0} (e.g. mysql://user:password@tcp(host:3306)/dbname)")]
    Address(&'static str),
    /// No `/` before the database name.
    #[error("the MySQL URL names no database: put /dbname after the server address (e.g. mysql://user:password@tcp(host:3306)/dbname)")]
    NoDatabase,
    /// Bad percent-encoding.
    #[error("invalid percent-encoding in the MySQL URL's {0}")]
    BadEncoding(&'static str),
    /// A bad port.
    #[error("invalid port in the MySQL URL: expected a number from 1 to 65535 (percent-encode reserved characters such as @ / ? : in the password)")]
    BadPort,
    /// A parameter neither golang-migrate nor go-sql-driver (as Strata supports it) knows.
    #[error("unknown parameter {0} in the MySQL URL: supported are x-migrations-table, x-no-lock, x-statement-timeout, tls, x-tls-ca, x-tls-cert, x-tls-key, x-tls-insecure-skip-verify and go-sql-driver's charset, collation, parseTime, loc, timeout, readTimeout, writeTimeout, multiStatements, interpolateParams, allowNativePasswords, clientFoundRows, maxAllowedPacket, rejectReadOnly")]
    UnknownParameter(String),
    /// A parameter given twice.
    #[error("parameter {0} is given twice in the MySQL URL")]
    Repeated(String),
    /// A parameter with a bad value.
    #[error("invalid value {value} for {key} in the MySQL URL: {expected}")]
    InvalidValue {
        /// The parameter.
        key: &'static str,
        /// The value, quoted (or a note that it is not shown).
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// golang-migrate's "unable to parse option" for `x-` booleans and numbers.
    #[error("unable to parse option {key}: {reason}")]
    InvalidOption {
        /// The parameter.
        key: String,
        /// Go's `strconv` error text.
        reason: String,
    },
    /// A part other than the password holds `password=`: most likely parameters run together
    /// (a `?` or `&` where another separator was meant). Nothing after it is shown.
    #[error("the MySQL URL's {0} holds \"password=\" (value not shown): the password goes in user:password@, and parameters are separated by '&'")]
    SecretInValue(&'static str),
    /// A TLS setting that needs another (`x-tls-ca` for a custom `tls`, `x-tls-cert` with
    /// `x-tls-key`, `x-tls-*` only with a custom `tls`).
    #[error("{0}")]
    Tls(&'static str),
}

/// How to use TLS (go-sql-driver's `tls` parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlTls {
    /// `tls=false`, or no `tls`: plain TCP.
    Disabled,
    /// `tls=preferred`: TLS when the server offers it, its certificate not verified.
    Preferred,
    /// `tls=true`: TLS, the server's certificate verified against the system roots.
    Verified,
    /// `tls=skip-verify`: TLS, any certificate accepted.
    SkipVerify,
    /// `tls=<name>`: golang-migrate's custom configuration from the `x-tls-*` parameters.
    Custom {
        /// The configuration's name (the value of `tls`).
        name: String,
        /// `x-tls-ca`: the CA certificate file the server's certificate is checked against.
        ca: PathBuf,
        /// `x-tls-cert` and `x-tls-key`: a client certificate and its key.
        client: Option<(PathBuf, PathBuf)>,
        /// `x-tls-insecure-skip-verify`: accept any server certificate.
        insecure_skip_verify: bool,
    },
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlAddress {
    /// A host name or IP address and a port.
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// Port (3306 when not given).
        port: u16,
    },
    /// A Unix socket file (`unix(/path)`).
    Unix(PathBuf),
}

/// A parsed `mysql://` or `mariadb://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct MysqlUrl {
    raw: String,
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    address: MysqlAddress,
    database: String,
    migrations_table: String,
    no_lock: bool,
    statement_timeout: Option<Duration>,
    tls: MysqlTls,
    driver_params: Vec<(String, String)>,
}

impl MysqlUrl {
    /// Parse `input`, a whole URL starting with `mysql://` or `mariadb://` (any case).
    ///
    /// ```
    /// use strata_drivers::url::mysql::{MysqlAddress, MysqlUrl};
    /// let u = MysqlUrl::parse("mysql://app:s%40cret@tcp(db:3307)/shop?x-no-lock=true").unwrap();
    /// assert_eq!(u.address(), &MysqlAddress::Tcp { host: "db".into(), port: 3307 });
    /// assert_eq!((u.user(), u.password(), u.database()), (Some("app"), Some("s@cret"), "shop"));
    /// assert!(u.no_lock());
    /// assert_eq!(u.to_string(), "mysql://app:***@tcp(db:3307)/shop?x-no-lock=true");
    /// ```
    pub fn parse(input: &str) -> Result<MysqlUrl, MysqlUrlError> {
        let s = input.trim();
        let (scheme, rest) = s
            .split_once("://")
            .filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("mysql") || scheme.eq_ignore_ascii_case("mariadb")
            })
            .ok_or(MysqlUrlError::Address(
                "the URL must start with mysql:// or mariadb://",
            ))?;
        let at = userinfo_end(rest);
        let (user, password, after) = match at {
            Some(i) => {
                let info = &rest[..i];
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = decode(user, "user").map_err(|_| MysqlUrlError::BadEncoding("user"))?;
                let password = password
                    .map(|p| decode(p, "password"))
                    .transpose()
                    .map_err(|_| MysqlUrlError::BadEncoding("password"))?;
                ((!user.is_empty()).then_some(user), password, &rest[i + 1..])
            }
            None => (None, None, rest),
        };
        if holds_secret_key(after.split('?').next().unwrap_or(after)) {
            return Err(MysqlUrlError::SecretInValue("address or database"));
        }
        let (address, path_and_query) = parse_address(after)?;
        let path_and_query = path_and_query
            .strip_prefix('/')
            .ok_or(MysqlUrlError::NoDatabase)?;
        let (database, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        // Checked again as parsed: a `?` inside `tcp(...)` is no query, so the database name
        // may run on into what was meant as parameters.
        if holds_secret_key(&after[..after.len() - query.len()]) {
            return Err(MysqlUrlError::SecretInValue("address or database"));
        }
        let database =
            decode(database, "database").map_err(|_| MysqlUrlError::BadEncoding("database"))?;
        // With an `@` but no user info found, a query key may be a piece of a mistyped
        // password: keys are then not shown.
        let keys_shown = at.is_some() || !rest.contains('@');
        let mut url = MysqlUrl {
            raw: s.to_string(),
            scheme: scheme.to_ascii_lowercase(),
            user,
            password,
            address,
            database,
            migrations_table: DEFAULT_MIGRATIONS_TABLE.to_string(),
            no_lock: false,
            statement_timeout: None,
            tls: MysqlTls::Disabled,
            driver_params: Vec::new(),
        };
        url.apply_query(query, keys_shown)?;
        Ok(url)
    }

    fn apply_query(&mut self, query: &str, keys_shown: bool) -> Result<(), MysqlUrlError> {
        let params = parse_query(query).map_err(|_| MysqlUrlError::BadEncoding("query"))?;
        let name = |k: &str| {
            if keys_shown && !k.contains(['=', '?', '&', '@', ':', '/']) {
                format!("{k:?}")
            } else {
                "(name not shown: it may hold part of a password; separate parameters with '&')"
                    .to_string()
            }
        };
        let mut seen: Vec<&str> = Vec::new();
        let (mut tls, mut ca, mut cert, mut key, mut skip) = (None, None, None, None, None);
        for (k, v) in &params {
            let secret_key = SECRET_KEYS.contains(&k.as_str());
            if !secret_key
                && (secret_after(&format!("{k}=")).is_some() || secret_after(v).is_some())
            {
                return Err(MysqlUrlError::SecretInValue("query"));
            }
            if seen.contains(&k.as_str()) {
                return Err(MysqlUrlError::Repeated(name(k)));
            }
            seen.push(k);
            let path = || (!v.is_empty()).then(|| PathBuf::from(v));
            match k.as_str() {
                "x-migrations-table" => {
                    if v.is_empty() || v.chars().count() > MAX_IDENTIFIER {
                        return Err(MysqlUrlError::InvalidValue {
                            key: "x-migrations-table",
                            value: shown(v),
                            expected: "a table name of 1 to 64 characters",
                        });
                    }
                    self.migrations_table = v.clone();
                }
                "x-no-lock" => self.no_lock = go_bool(k, v)?,
                "x-statement-timeout" => {
                    let ms = go_atoi(k, v).map_err(option_error)?;
                    if ms < 0 {
                        return Err(MysqlUrlError::InvalidValue {
                            key: "x-statement-timeout",
                            value: shown(v),
                            expected: "milliseconds, 0 or more",
                        });
                    }
                    self.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms as u64));
                }
                "tls" => tls = Some(v.as_str()),
                "x-tls-ca" => ca = path(),
                "x-tls-cert" => cert = path(),
                "x-tls-key" => key = path(),
                "x-tls-insecure-skip-verify" => skip = Some(go_bool(k, v)?),
                _ if DRIVER_PARAMS.contains(&k.as_str()) => {
                    self.driver_params.push((k.clone(), v.clone()));
                }
                _ => return Err(MysqlUrlError::UnknownParameter(name(k))),
            }
        }
        let custom_given = ca.is_some() || cert.is_some() || key.is_some() || skip.is_some();
        self.tls =
            match tls {
                None | Some("false" | "0" | "FALSE" | "False") => MysqlTls::Disabled,
                Some("true" | "1" | "TRUE" | "True") => MysqlTls::Verified,
                Some(v) if v.eq_ignore_ascii_case("skip-verify") => MysqlTls::SkipVerify,
                Some(v) if v.eq_ignore_ascii_case("preferred") => MysqlTls::Preferred,
                Some("") => return Err(MysqlUrlError::InvalidValue {
                    key: "tls",
                    value: "\"\"".into(),
                    expected:
                        "true, false, skip-verify, preferred or the name of a custom configuration",
                }),
                Some(name) => MysqlTls::Custom {
                    name: name.to_string(),
                    ca: ca.take().ok_or(MysqlUrlError::Tls(
                        "a custom tls configuration needs x-tls-ca (the CA certificate file)",
                    ))?,
                    client: match (cert.take(), key.take()) {
                        (Some(c), Some(k)) => Some((c, k)),
                        (None, None) => None,
                        _ => {
                            return Err(MysqlUrlError::Tls(
                                "x-tls-cert and x-tls-key go together: give both or neither",
                            ))
                        }
                    },
                    insecure_skip_verify: skip.unwrap_or(false),
                },
            };
        if custom_given && !matches!(self.tls, MysqlTls::Custom { .. }) {
            return Err(MysqlUrlError::Tls(
                "x-tls-ca, x-tls-cert, x-tls-key and x-tls-insecure-skip-verify apply only to a custom tls configuration: set tls=<a name>, e.g. tls=custom",
            ));
        }
        Ok(())
    }

    /// `mysql` or `mariadb`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }
    /// The user name, percent-decoded.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }
    /// The password, percent-decoded. Never print it.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
    /// Where the server listens.
    pub fn address(&self) -> &MysqlAddress {
        &self.address
    }
    /// The address as [`Host`] and port, as the PostgreSQL URLs give it.
    pub fn host(&self) -> (Host, Option<u16>) {
        match &self.address {
            MysqlAddress::Tcp { host, port } => (Host::Tcp(host.clone()), Some(*port)),
            MysqlAddress::Unix(p) => (Host::Unix(p.clone()), None),
        }
    }
    /// The database name (golang-migrate's `DatabaseName`, part of the lock name).
    pub fn database(&self) -> &str {
        &self.database
    }
    /// `x-migrations-table` (default `schema_migrations`).
    pub fn migrations_table(&self) -> &str {
        &self.migrations_table
    }
    /// `x-no-lock`: take no `GET_LOCK`.
    pub fn no_lock(&self) -> bool {
        self.no_lock
    }
    /// `x-statement-timeout`, when given and not 0.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }
    /// The TLS mode.
    pub fn tls(&self) -> &MysqlTls {
        &self.tls
    }
    /// go-sql-driver settings given in the URL ([`DRIVER_PARAMS`]), in order.
    pub fn driver_params(&self) -> &[(String, String)] {
        &self.driver_params
    }
}

impl fmt::Display for MysqlUrl {
    /// The URL as given, its password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.raw))
    }
}

impl fmt::Debug for MysqlUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlUrl")
            .field("url", &redact(&self.raw))
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("address", &self.address)
            .field("database", &self.database)
            .field("migrations_table", &self.migrations_table)
            .field("no_lock", &self.no_lock)
            .field("statement_timeout", &self.statement_timeout)
            .field("tls", &self.tls)
            .field("driver_params", &self.driver_params)
            .finish()
    }
}

/// The server address at the start of `after` (the text after the user info) and the rest
/// (from the `/` before the database name on).
fn parse_address(after: &str) -> Result<(MysqlAddress, &str), MysqlUrlError> {
    let tcp = |hostport: &str| -> Result<MysqlAddress, MysqlUrlError> {
        let (host, port) = split_host_port(hostport)?;
        let host = decode(host, "host").map_err(|_| MysqlUrlError::BadEncoding("host"))?;
        Ok(MysqlAddress::Tcp {
            host: if host.is_empty() {
                "127.0.0.1".to_string()
            } else {
                host
            },
            port: port.unwrap_or(DEFAULT_PORT),
        })
    };
    let word_end = after
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(after.len());
    if after[word_end..].starts_with('(') {
        // go-sql-driver's `net(addr)`.
        let net = &after[..word_end];
        let inner_start = word_end + 1;
        let close = after[inner_start..]
            .find(')')
            .map(|i| inner_start + i)
            .ok_or(MysqlUrlError::Address(
                "a `(` after the protocol is never closed",
            ))?;
        let inner = &after[inner_start..close];
        let address = match net {
            "tcp" | "tcp4" | "tcp6" => tcp(inner)?,
            "unix" if inner.is_empty() => MysqlAddress::Unix(PathBuf::from("/tmp/mysql.sock")),
            "unix" => MysqlAddress::Unix(PathBuf::from(
                decode(inner, "socket path")
                    .map_err(|_| MysqlUrlError::BadEncoding("socket path"))?,
            )),
            _ => return Err(MysqlUrlError::Address("the protocol must be tcp or unix")),
        };
        return Ok((address, &after[close + 1..]));
    }
    if after[..word_end].eq_ignore_ascii_case("tcp") && after[word_end..].starts_with('/') {
        return Ok((tcp("")?, &after[word_end..]));
    }
    let end = after.find(['/', '?']).unwrap_or(after.len());
    Ok((tcp(&after[..end])?, &after[end..]))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(s: &str) -> Result<(&str, Option<u16>), MysqlUrlError> {
    let port = |p: &str| parse_port(p).map(Some).map_err(|_| MysqlUrlError::BadPort);
    if let Some(v6) = s.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or(MysqlUrlError::Address("unclosed [ in an IPv6 address"))?;
        return match &v6[end + 1..] {
            "" => Ok((&v6[..end], None)),
            after => match after.strip_prefix(':') {
                Some(p) => Ok((&v6[..end], port(p)?)),
                None => Err(MysqlUrlError::Address(
                    "unexpected text after an IPv6 address",
                )),
            },
        };
    }
    match s.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => Err(MysqlUrlError::Address(
            "an IPv6 address goes in brackets, e.g. tcp([::1]:3306)",
        )),
        Some((h, p)) => Ok((h, port(p)?)),
        None => Ok((s, None)),
    }
}

fn shown(v: &str) -> String {
    super::quoted(v)
}

fn option_error(e: super::UrlError) -> MysqlUrlError {
    match e {
        super::UrlError::InvalidOption { key, reason } => {
            MysqlUrlError::InvalidOption { key, reason }
        }
        _ => MysqlUrlError::InvalidOption {
            key: "option".into(),
            reason: "invalid".into(),
        },
    }
}

fn go_bool(k: &str, v: &str) -> Result<bool, MysqlUrlError> {
    go_parse_bool(k, v).map_err(option_error)
}

#[cfg(test)]
#[path = "mysql_tests.rs"]
mod tests;
