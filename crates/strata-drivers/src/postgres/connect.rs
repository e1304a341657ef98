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
use strata_core::DriverError;
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

/// Connect and apply session settings. Returns the client, its notice buffer and the TLS
/// connector (for cancel requests).
pub(crate) fn open(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
) -> Result<(Client, Notices, MakeRustlsConnect), DriverError> {
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
    let mut servers = Vec::new();
    if url.hosts().is_empty() {
        cfg.host("localhost").port(5432);
        servers.push("localhost:5432".to_string());
    }
    for (host, port) in url.hosts() {
        let port = port.unwrap_or(5432);
        match host {
            Host::Tcp(h) => {
                cfg.host(h);
            }
            Host::Unix(dir) => {
                cfg.host_path(dir);
            }
        }
        cfg.port(port);
        servers.push(match host {
            Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            h => format!("{h}:{port}"),
        });
    }
    cfg.dbname(&database);
    cfg.application_name(url.application_name().unwrap_or(&opts.application_name));
    cfg.connect_timeout(url.connect_timeout().unwrap_or(DEFAULT_CONNECT_TIMEOUT));
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
        server: servers.join(", "),
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
        hint: Some("check sslrootcert, sslcert and sslkey in the database URL".into()),
    })?;
    cfg.ssl_mode(match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        _ => PgSslMode::Require,
    });
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
            let mut cause = e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string());
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
                    settings.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
                )),
                hint: Some("check the query parameters of the database URL: unknown keys are passed to the server as settings".into()),
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
    Ok((client, notices, tls))
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
