//! The migration lock's URL parameters: `x-lock-strategy=advisory|lease` and
//! `x-lock-lease=30s` (how long a lease lasts without renewal).

use super::{shown, UrlError};
use std::time::Duration;

/// How runners exclude each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStrategy {
    /// golang-migrate's session advisory lock: needs one server session for the whole run.
    Advisory,
    /// A lease row beside the ledger, renewed by a heartbeat and checked in every migration
    /// transaction: works where each transaction may run on another server session
    /// (PgBouncer `pool_mode=transaction`) and where advisory locks do not exist.
    Lease,
}

/// A lease lasts this long without renewal unless `x-lock-lease` says otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The shortest lease: the heartbeat renews every third of it, and a renewal is a round trip.
pub const MIN_LEASE: Duration = Duration::from_secs(1);

/// `x-lock-strategy`'s value; `None` when absent or empty (the driver chooses).
pub fn parse_strategy(value: Option<&str>) -> Result<Option<LockStrategy>, UrlError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some("advisory") => Ok(Some(LockStrategy::Advisory)),
        Some("lease") => Ok(Some(LockStrategy::Lease)),
        Some(other) => Err(UrlError::InvalidValue {
            key: "x-lock-strategy".into(),
            value: shown(other),
            expected: "expected advisory or lease",
        }),
    }
}

/// `x-lock-lease`'s value: a duration (`30s`, `1500ms`, `2m`) or a bare number of seconds, at
/// least [`MIN_LEASE`]; [`DEFAULT_LEASE`] when absent or empty.
pub fn parse_lease(value: Option<&str>) -> Result<Duration, UrlError> {
    let Some(text) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_LEASE);
    };
    let invalid = || UrlError::InvalidValue {
        key: "x-lock-lease".into(),
        value: shown(text),
        expected: "expected a duration of at least 1s, e.g. 30s, 2m or 45 (seconds)",
    };
    let lease = strata_core::duration::parse_duration_or_seconds(text).map_err(|_| invalid())?;
    if lease < MIN_LEASE {
        return Err(invalid());
    }
    Ok(lease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies() {
        assert_eq!(parse_strategy(None), Ok(None));
        assert_eq!(parse_strategy(Some("")), Ok(None));
        assert_eq!(
            parse_strategy(Some("advisory")),
            Ok(Some(LockStrategy::Advisory))
        );
        assert_eq!(parse_strategy(Some("lease")), Ok(Some(LockStrategy::Lease)));
        let e = parse_strategy(Some("table")).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid value \"table\" for x-lock-strategy: expected advisory or lease"
        );
    }

    #[test]
    fn leases() {
        assert_eq!(parse_lease(None), Ok(DEFAULT_LEASE));
        assert_eq!(parse_lease(Some("2s")), Ok(Duration::from_secs(2)));
        assert_eq!(parse_lease(Some("45")), Ok(Duration::from_secs(45)));
        assert_eq!(parse_lease(Some("1500ms")), Ok(Duration::from_millis(1500)));
        for bad in ["500ms", "0", "soon", "-3s"] {
            let e = parse_lease(Some(bad)).unwrap_err().to_string();
            assert!(
                e.contains("for x-lock-lease: expected a duration of at least 1s"),
                "{e}"
            );
        }
    }
}

#[cfg(test)]
mod url_tests {
    use crate::url::{DatabaseUrl, LockStrategy};
    use std::time::Duration;

    #[test]
    fn a_url_names_the_parameter_at_fault() {
        let u =
            DatabaseUrl::parse("postgres://h/db?x-lock-strategy=lease&x-lock-lease=2s").unwrap();
        assert_eq!(u.lock_strategy(), Some(LockStrategy::Lease));
        assert_eq!(u.lock_lease(), Duration::from_secs(2));
        let u = DatabaseUrl::parse("postgres://h/db").unwrap();
        assert_eq!(
            (u.lock_strategy(), u.lock_lease()),
            (None, Duration::from_secs(30))
        );
        let e = DatabaseUrl::parse("postgres://u:hunter2@h/db?x-lock-lease=1d")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid value \"1d\" for x-lock-lease"),
            "{e}"
        );
        assert!(!e.contains("hunter2"));
        let e = DatabaseUrl::parse("postgres://h/db?x-lock-strategy=LEASE")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("for x-lock-strategy: expected advisory or lease"),
            "{e}"
        );
    }
}
