//! Opening the one PostgreSQL session a driver uses: client configuration, TLS and session
//! settings.
//!
//! TLS is rustls with the `ring` provider (no C toolchain beyond a C compiler, no cmake).
//! `sslmode` follows libpq:
//!
//! | sslmode | TLS | verification |
//! |---|---|---|
//! | `disable` | never | — |
//! | `prefer` (Strata's default) | if the server offers it (plain text otherwise, and after a failed handshake) | none |
//! | `require` | always | none; with `sslrootcert`, as `verify-ca` (libpq's rule) |
//! | `verify-ca` | always | chain against `sslrootcert` (default `~/.postgresql/root.crt`) |
//! | `verify-full` | always | chain and host name |
//!
//! `sslcert` + `sslkey` add a client certificate. Session settings (`statement_timeout`,
//! `lock_timeout`, the URL's `search_path` and other settings) are applied right after
//! connecting with `set_config`, the values bound as parameters.

use super::deadline::{self, Watchdog};
use super::errors::{connect_error, one_line, Target};
use crate::url::{DatabaseUrl, Host, SslMode};
use crate::ConnectOptions;
use postgres::config::SslMode as PgSslMode;
use postgres::Client;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata_core::{DriverError, Fix};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Used when the URL has no `connect_timeout`, so an unreachable host fails instead of hanging.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Server notices collected by the client's notice callback.
pub(crate) type Notices = Arc<Mutex<Vec<String>>>;

/// The sslmode actually used: the URL's; without one, `require` when `require_tls` (e.g.
/// `DATABASE_SSL=true`) asks for TLS, else `prefer`. A `sslmode` written in the URL is the most
/// specific setting and wins.
pub fn effective_ssl_mode(url: &DatabaseUrl, opts: &ConnectOptions) -> SslMode {
    let mode = url.ssl_mode();
    if opts.require_tls && !url.ssl_mode_given() && mode < SslMode::Require {
        SslMode::Require
    } else {
        mode
    }
}

/// How often the server checks, during a long statement, that the client is still there
/// (`client_connection_check_interval`, PostgreSQL 14+). Without it a killed runner's statement
/// (and its transaction and the migration lock) lives on until the statement ends by itself.
pub const CLIENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// TCP keepalive defaults (libpq leaves them to the system, typically 2 hours idle): a peer
/// that vanishes during a long statement is noticed within about a minute.
pub const DEFAULT_KEEPALIVES_IDLE: Duration = Duration::from_secs(30);
/// See [`DEFAULT_KEEPALIVES_IDLE`].
pub const DEFAULT_KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);
/// See [`DEFAULT_KEEPALIVES_IDLE`].
pub const DEFAULT_KEEPALIVES_COUNT: u32 = 3;

/// A connected session: the client, its notice buffer, the TLS connector (for cancel
/// requests) and the watchdog bounding its calls (when a statement timeout is set).
pub(crate) type Opened = (Client, Notices, MakeRustlsConnect, Option<Watchdog>);

/// Connect and apply session settings, all within `connect_timeout` (default
/// [`DEFAULT_CONNECT_TIMEOUT`], per host tried): a server, proxy or firewall that accepts the
/// connection and then never answers fails with a clear error instead of hanging.
pub(crate) fn open(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
) -> Result<(Client, Notices, MakeRustlsConnect), DriverError> {
    open_watched(url, opts).map(|(client, notices, tls, _)| (client, notices, tls))
}

/// [`open`], plus the watchdog for the session's calls.
pub(crate) fn open_watched(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
) -> Result<Opened, DriverError> {
    let per_host = url.connect_timeout().unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let limit = per_host * (url.hosts().len().max(1) as u32);
    let (tx, rx) = std::sync::mpsc::channel();
    let (u, o) = (url.clone(), opts.clone());
    // The client offers no bound on start-up itself, so it runs on its own thread; one that
    // never returns is left behind (blocked on a socket nobody answers) and ends with the
    // process.
    std::thread::Builder::new()
        .name("strata-pg-connect".into())
        .spawn(move || {
            let _ = tx.send(open_now(&u, &o));
        })
        .map_err(|e| DriverError::Client {
            message: format!("cannot start a thread to connect: {e}"),
            cause: Some(std::sync::Arc::new(e)),
        })?;
    match rx.recv_timeout(limit) {
        Ok(opened) => opened,
        Err(_) => Err(DriverError::Connect {
            message: one_line(&format!(
                "cannot connect to {}: no answer within {}s (connect_timeout): the server accepted \
                 the connection but did not finish start-up and authentication",
                servers(url).join(", "),
                limit.as_secs_f64()
            )),
            fix: Some(Fix::RaiseConnectTimeout),
            cause: None,
        }),
    }
}

/// `host:port` (or the socket file) of every server in `url`, for messages.
fn servers(url: &DatabaseUrl) -> Vec<String> {
    if url.hosts().is_empty() {
        return vec!["localhost:5432".to_string()];
    }
    url.hosts()
        .iter()
        .map(|(host, port)| {
            let port = port.unwrap_or(5432);
            match host {
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
                h => format!("{h}:{port}"),
            }
        })
        .collect()
}

/// The client-side statement bound: the statement timeout plus a grace (`None` without one).
pub fn reply_limit(url: &DatabaseUrl, opts: &ConnectOptions) -> Option<Duration> {
    opts.statement_timeout
        .or(url.statement_timeout())
        .map(|t| t + deadline::grace(t))
}

/// [`open`] itself, on the connecting thread.
fn open_now(url: &DatabaseUrl, opts: &ConnectOptions) -> Result<Opened, DriverError> {
    let mode = effective_ssl_mode(url, opts);
    let user = url
        .user()
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .unwrap_or_else(|| "postgres".to_string());
    let database = url.database().unwrap_or(&user).to_string();
    let notices: Notices = Arc::new(Mutex::new(Vec::new()));

    let mut cfg = postgres::Config::new();
    cfg.user(&user);
    if let Some(p) = url.password() {
        cfg.password(p);
    }
    if url.hosts().is_empty() {
        cfg.host("localhost").port(5432);
    }
    for (host, port) in url.hosts() {
        match host {
            Host::Tcp(h) => {
                cfg.host(h);
            }
            Host::Unix(dir) => {
                cfg.host_path(dir);
            }
        }
        cfg.port(port.unwrap_or(5432));
    }
    cfg.dbname(&database);
    cfg.application_name(url.application_name().unwrap_or(&opts.application_name));
    cfg.connect_timeout(url.connect_timeout().unwrap_or(DEFAULT_CONNECT_TIMEOUT));
    socket_options(&mut cfg, url);
    if let Some(o) = url.options() {
        cfg.options(o);
    }
    let sink = notices.clone();
    cfg.notice_callback(move |n| {
        let line = format!("{}: {}", n.severity(), n.message());
        if let Ok(mut v) = sink.lock() {
            v.push(line);
        }
    });

    let target = Target {
        server: servers(url).join(", "),
        user: user.clone(),
        database: database.clone(),
        tls: match mode {
            SslMode::Disable => "sslmode=disable",
            SslMode::Prefer => "sslmode=prefer",
            SslMode::Require => "sslmode=require",
            SslMode::VerifyCa => "sslmode=verify-ca",
            SslMode::VerifyFull => "sslmode=verify-full",
        },
    };
    let tls = tls_connector(url, mode).map_err(|e| DriverError::Connect {
        message: one_line(&format!("cannot connect to {}: {e}", target.server)),
        fix: Some(Fix::CheckTlsFiles),
        cause: None,
    })?;
    cfg.ssl_mode(match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        _ => PgSslMode::Require,
    });
    let before = deadline::sockets();
    let mut client = match cfg.connect(tls.clone()) {
        Ok(c) => c,
        // libpq's `prefer` falls back to plain text when the TLS handshake itself fails.
        Err(e)
            if mode == SslMode::Prefer
                && e.as_db_error().is_none()
                && e.to_string().contains("TLS") =>
        {
            cfg.ssl_mode(PgSslMode::Disable);
            cfg.connect(postgres::NoTls)
                .map_err(|e| connect_error(&e, &target, url.password()))?
        }
        Err(e) => return Err(connect_error(&e, &target, url.password())),
    };
    // Only over TCP: then the one new TCP socket is certainly this client's (over a Unix
    // socket, a TCP socket another thread opened meanwhile could be mistaken for it).
    let over_tcp = url.hosts().iter().all(|(h, _)| matches!(h, Host::Tcp(_)));
    let watchdog = match reply_limit(url, opts).filter(|_| over_tcp) {
        Some(limit) => deadline::new_tcp_socket(&before, &deadline::sockets())
            .and_then(|fd| Watchdog::start(fd, limit)),
        None => None,
    };

    // With x-lock-strategy=lease each transaction may run on another server session (a
    // transaction-pooling proxy): a session setting would stay behind there for other clients
    // and be missing here. Migrations set them per transaction instead.
    if url.lock_strategy() == Some(crate::url::LockStrategy::Lease) {
        return Ok((client, notices, tls, watchdog));
    }
    // Session settings, one round trip, names and values bound.
    let mut settings: Vec<(String, String)> = url
        .session_settings()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(t) = opts.statement_timeout.or(url.statement_timeout()) {
        settings.push(("statement_timeout".into(), t.as_millis().to_string()));
    }
    if let Some(t) = opts.lock_timeout {
        settings.push(("lock_timeout".into(), t.as_millis().to_string()));
    }
    if !settings.is_empty() {
        let calls: Vec<String> = (0..settings.len())
            .map(|i| format!("set_config(${}, ${}, false)", 2 * i + 1, 2 * i + 2))
            .collect();
        let query = format!("SELECT {}", calls.join(", "));
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = settings
            .iter()
            .flat_map(|(k, v)| [k as &(dyn postgres::types::ToSql + Sync), v as _])
            .collect();
        client.query_one(&query, &params).map_err(|e| {
            let mut cause = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_string());
            // The server quotes bad values; one holding `=`/`?`/`&`/`@` may be parameters run
            // together (`?search_path=app?password=...`) and must not be echoed.
            for (_, v) in &settings {
                if v.contains(['=', '?', '&', '@']) {
                    cause = cause.replace(v.as_str(), "(value not shown)");
                }
            }
            DriverError::Connect {
                message: one_line(&format!(
                    "cannot apply the session settings from the database URL ({}): {cause}",
                    settings
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                fix: Some(Fix::CheckUrlSettings),
                cause: None,
            }
        })?;
    }
    // Best effort (PostgreSQL 14+ on platforms with the needed kernel events; the URL may set
    // its own): let the server notice a dead client mid-statement, so a killed runner's
    // transaction and lock end within about a second, not when its statement would have.
    if !url
        .session_settings()
        .iter()
        .any(|(k, _)| *k == "client_connection_check_interval")
    {
        // A simple query: one round trip (a prepared one with a parameter costs two).
        let _ = client.batch_execute(&format!(
            "SELECT CASE WHEN current_setting('server_version_num')::int >= 140000 \
             THEN set_config('client_connection_check_interval', '{}', false) END",
            CLIENT_CHECK_INTERVAL.as_millis()
        ));
    }
    Ok((client, notices, tls, watchdog))
}

/// TCP keepalives (on by default, with [`DEFAULT_KEEPALIVES_IDLE`] and friends) and
/// `tcp_user_timeout` from the URL, with libpq's names and units.
pub fn socket_options(cfg: &mut postgres::Config, url: &DatabaseUrl) {
    let s = url.socket_settings();
    cfg.keepalives(s.keepalives.unwrap_or(true));
    cfg.keepalives_idle(s.keepalives_idle.unwrap_or(DEFAULT_KEEPALIVES_IDLE));
    cfg.keepalives_interval(s.keepalives_interval.unwrap_or(DEFAULT_KEEPALIVES_INTERVAL));
    cfg.keepalives_retries(s.keepalives_count.unwrap_or(DEFAULT_KEEPALIVES_COUNT));
    if let Some(t) = s.tcp_user_timeout {
        cfg.tcp_user_timeout(t);
    }
}

/// Build the rustls connector for `mode`.
fn tls_connector(url: &DatabaseUrl, mode: SslMode) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let root = url.ssl_root_cert();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::Disable | SslMode::Prefer => Arc::new(NoVerify(provider.clone())),
        SslMode::Require => match &root {
            Some(path) => Arc::new(VerifyCa(webpki(path, provider.clone())?)),
            None => Arc::new(NoVerify(provider.clone())),
        },
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let path = match root.or_else(default_root_cert) {
                Some(p) => p,
                None => {
                    return Err(format!(
                        "sslmode={} needs the CA certificate that signed the server's: set sslrootcert=/path/to/ca.pem",
                        mode.as_str()
                    ))
                }
            };
            let v = webpki(&path, provider.clone())?;
            if mode == SslMode::VerifyCa {
                Arc::new(VerifyCa(v))
            } else {
                v
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (url.ssl_cert(), url.ssl_key()) {
        (Some(cert), Some(key)) => {
            let certs = load_certs(&cert, "sslcert")?;
            let key = PrivateKeyDer::from_pem_file(&key)
                .map_err(|e| format!("cannot read sslkey {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("bad client certificate or key: {e}"))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("sslcert and sslkey must be given together".into()),
    };
    Ok(MakeRustlsConnect::new(config))
}

fn default_root_cert() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".postgresql/root.crt");
    p.exists().then_some(p)
}

fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certs)
}

fn webpki(path: &Path, provider: Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for c in load_certs(path, "sslrootcert")? {
        roots
            .add(c)
            .map_err(|e| format!("bad certificate in sslrootcert {}: {e}", path.display()))?;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("cannot use sslrootcert {}: {e}", path.display()))
}

/// `prefer`/`require`: encrypt, but accept any certificate (libpq's behaviour). Handshake
/// signatures are still checked.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full chain check, minus the host name.
#[derive(Debug)]
struct VerifyCa(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for VerifyCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> DatabaseUrl {
        DatabaseUrl::parse(s).unwrap()
    }

    #[test]
    fn the_urls_sslmode_wins_over_require_tls() {
        let require = ConnectOptions {
            require_tls: true,
            ..ConnectOptions::default()
        };
        assert_eq!(
            effective_ssl_mode(&url("postgres://h/db"), &require),
            SslMode::Require
        );
        assert_eq!(
            effective_ssl_mode(&url("postgres://h/db?sslmode=disable"), &require),
            SslMode::Disable
        );
        assert_eq!(
            effective_ssl_mode(&url("postgres://h/db?sslmode=prefer"), &require),
            SslMode::Prefer
        );
        assert_eq!(
            effective_ssl_mode(&url("postgres://h/db"), &ConnectOptions::default()),
            SslMode::Prefer
        );
    }

    #[test]
    fn keepalives_and_tcp_user_timeout_reach_the_client() {
        let mut cfg = postgres::Config::new();
        socket_options(&mut cfg, &url("postgres://h/db"));
        assert!(cfg.get_keepalives());
        assert_eq!(cfg.get_keepalives_idle(), DEFAULT_KEEPALIVES_IDLE);
        assert_eq!(
            cfg.get_keepalives_interval(),
            Some(DEFAULT_KEEPALIVES_INTERVAL)
        );
        assert_eq!(cfg.get_keepalives_retries(), Some(DEFAULT_KEEPALIVES_COUNT));
        assert_eq!(cfg.get_tcp_user_timeout(), None);
        let mut cfg = postgres::Config::new();
        socket_options(
            &mut cfg,
            &url("postgres://h/db?keepalives=0&keepalives_idle=7&keepalives_interval=2&keepalives_count=5&tcp_user_timeout=1500"),
        );
        assert!(!cfg.get_keepalives());
        assert_eq!(cfg.get_keepalives_idle(), Duration::from_secs(7));
        assert_eq!(cfg.get_keepalives_interval(), Some(Duration::from_secs(2)));
        assert_eq!(cfg.get_keepalives_retries(), Some(5));
        assert_eq!(
            cfg.get_tcp_user_timeout(),
            Some(&Duration::from_millis(1500))
        );
    }

    #[test]
    fn the_reply_limit_is_the_statement_timeout_plus_a_grace() {
        let none = ConnectOptions::default();
        assert_eq!(reply_limit(&url("postgres://h/db"), &none), None);
        assert_eq!(
            reply_limit(&url("postgres://h/db?x-statement-timeout=500"), &none),
            Some(Duration::from_millis(1500))
        );
        let opts = ConnectOptions {
            statement_timeout: Some(Duration::from_secs(60)),
            ..ConnectOptions::default()
        };
        assert_eq!(
            reply_limit(&url("postgres://h/db"), &opts),
            Some(Duration::from_secs(70))
        );
    }
}
