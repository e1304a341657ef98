//! PostgreSQL's `sslmode` setting and its libpq spellings.

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

    pub(super) fn parse(s: &str) -> Option<SslMode> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;
    use std::path::PathBuf;

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
}
