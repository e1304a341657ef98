//! The server addresses of a PostgreSQL URL: host names, IPv6 addresses, Unix socket
//! directories and ports.

use super::{decode, UrlError};
use std::fmt;
use std::path::PathBuf;

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

pub(super) fn parse_port(s: &str) -> Result<u16, UrlError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::InvalidPort);
    }
    match s.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(UrlError::InvalidPort),
    }
}

pub(super) fn parse_hosts(raw: &str) -> Result<Vec<(Host, Option<u16>)>, UrlError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::test_fixtures::*;

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
}
