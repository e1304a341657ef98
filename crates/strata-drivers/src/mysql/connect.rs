//! Opening the one session a run uses: the URL's address, user, database and TLS as the
//! `mysql` crate's options, then the session settings every run needs.

use super::errors::connect_error;
use crate::url::mysql::{MysqlAddress, MysqlTls, MysqlUrl};
use crate::ConnectOptions;
use mysql::{ClientIdentity, Conn, OptsBuilder, SslOpts};
use std::time::Duration;
use strata_core::DriverError;

/// The `mysql` crate's TLS options for the URL's `tls` mode; `None`: plain TCP.
///
/// `tls=preferred` (TLS when offered, unverified) has no exact equivalent in the crate, which
/// either requires TLS or does not use it: it is taken as `skip-verify`, so a server without
/// TLS is refused rather than silently reached in plain text.
pub fn ssl_opts(tls: &MysqlTls) -> Option<SslOpts> {
    match tls {
        MysqlTls::Disabled => None,
        MysqlTls::Verified => Some(SslOpts::default()),
        MysqlTls::SkipVerify | MysqlTls::Preferred => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        MysqlTls::Custom {
            ca,
            client,
            insecure_skip_verify,
            ..
        } => Some(
            SslOpts::default()
                .with_root_cert_path(Some(ca.clone()))
                .with_client_identity(
                    client
                        .as_ref()
                        .map(|(cert, key)| ClientIdentity::new(cert.clone(), key.clone())),
                )
                .with_danger_accept_invalid_certs(*insecure_skip_verify)
                .with_danger_skip_domain_validation(*insecure_skip_verify),
        ),
    }
}

/// `host:port` or the socket path, for messages (no user, no password).
pub fn target(url: &MysqlUrl) -> String {
    let place = match url.address() {
        MysqlAddress::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
        MysqlAddress::Tcp { host, port } => format!("{host}:{port}"),
        MysqlAddress::Unix(path) => path.display().to_string(),
    };
    format!("MySQL server {place} (database {})", url.database())
}

/// The crate's connection options for `url`.
fn opts(url: &MysqlUrl) -> OptsBuilder {
    let mut b = OptsBuilder::new()
        .user(url.user())
        .pass(url.password())
        .db_name(Some(url.database()))
        .ssl_opts(ssl_opts(url.tls()))
        // The lock lives on this one session; a socket it prefers would be another one.
        .prefer_socket(false)
        // Strata never loads local files.
        .local_infile_handler(None);
    b = match url.address() {
        MysqlAddress::Tcp { host, port } => b.ip_or_hostname(Some(host.clone())).tcp_port(*port),
        MysqlAddress::Unix(path) => b.socket(Some(path.display().to_string())),
    };
    let secs = |k: &str| {
        url.driver_params()
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| go_duration(v))
    };
    b.tcp_connect_timeout(secs("timeout").or(Some(Duration::from_secs(30))))
        .read_timeout(secs("readTimeout"))
        .write_timeout(secs("writeTimeout"))
}

/// A Go duration as go-sql-driver takes it (`30s`, `500ms`, `1m`); `None` if unreadable.
fn go_duration(v: &str) -> Option<Duration> {
    let v = v.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs)).filter(|d| !d.is_zero())
}

/// Open the session and apply the settings every run needs: UTC timestamps, and the
/// statement and metadata-lock timeouts of `opts` (or the URL's `x-statement-timeout`).
/// Returns the session and the server's `VERSION()`.
pub fn open(url: &MysqlUrl, options: &ConnectOptions) -> Result<(Conn, String), DriverError> {
    let user = url.user().unwrap_or("");
    let mut conn =
        Conn::new(opts(url)).map_err(|e| connect_error(e, &target(url), user, url.database()))?;
    let version: String = {
        use mysql::prelude::Queryable;
        let version: Option<String> = conn
            .query_first("SELECT VERSION()")
            .map_err(super::errors::err)?;
        version.unwrap_or_default()
    };
    let mariadb = version.contains("MariaDB");
    let mut settings = vec!["time_zone = '+00:00'".to_string()];
    if let Some(t) = options.statement_timeout.or(url.statement_timeout()) {
        settings.push(statement_timeout_setting(mariadb, t));
    }
    if let Some(t) = options.lock_timeout {
        settings.push(lock_wait_setting(t));
    }
    {
        use mysql::prelude::Queryable;
        conn.query_drop(format!("SET SESSION {}", settings.join(", ")))
            .map_err(super::errors::err)?;
    }
    Ok((conn, version))
}

/// `lock_wait_timeout` (whole seconds, at least 1: 0 would mean "do not wait" on MariaDB
/// and is refused by MySQL).
pub fn lock_wait_setting(t: Duration) -> String {
    format!("lock_wait_timeout = {}", whole_seconds(t))
}

/// The server's statement time limit: MariaDB's `max_statement_time` (seconds, fractions
/// allowed; every statement), MySQL's `max_execution_time` (milliseconds; SELECT only).
pub fn statement_timeout_setting(mariadb: bool, t: Duration) -> String {
    if mariadb {
        format!("max_statement_time = {:.3}", t.as_secs_f64())
    } else {
        format!("max_execution_time = {}", t.as_millis().max(1))
    }
}

fn whole_seconds(t: Duration) -> u64 {
    let s = t.as_secs() + u64::from(t.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_become_the_servers_settings() {
        assert_eq!(
            lock_wait_setting(Duration::from_millis(1500)),
            "lock_wait_timeout = 2"
        );
        assert_eq!(
            lock_wait_setting(Duration::from_millis(10)),
            "lock_wait_timeout = 1"
        );
        assert_eq!(
            statement_timeout_setting(true, Duration::from_millis(2500)),
            "max_statement_time = 2.500"
        );
        assert_eq!(
            statement_timeout_setting(false, Duration::from_millis(2500)),
            "max_execution_time = 2500"
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(go_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(go_duration("0s"), None);
        assert_eq!(go_duration("soon"), None);
    }

    #[test]
    fn tls_modes_map_to_the_crates_options() {
        assert!(ssl_opts(&MysqlTls::Disabled).is_none());
        let verified = ssl_opts(&MysqlTls::Verified).unwrap();
        assert!(!verified.accept_invalid_certs());
        let skip = ssl_opts(&MysqlTls::SkipVerify).unwrap();
        assert!(skip.accept_invalid_certs() && skip.skip_domain_validation());
        let custom = ssl_opts(&MysqlTls::Custom {
            name: "custom".into(),
            ca: "/etc/ca.pem".into(),
            client: Some(("/c.pem".into(), "/k.pem".into())),
            insecure_skip_verify: false,
        })
        .unwrap();
        assert_eq!(
            custom.root_cert_path(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert!(custom.client_identity().is_some());
        assert!(!custom.accept_invalid_certs());
    }
}
