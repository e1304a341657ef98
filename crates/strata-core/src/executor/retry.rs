//! Retrying a migration (or, statement by statement, one statement) that timed out waiting for
//! a table lock: which failures qualify, how long to wait, and how the retry is told.

use crate::driver::DriverError;
use std::time::Duration;

/// Whether a failure is a lock's timeout, which a later attempt may not meet: PostgreSQL
/// `lock_not_available` (55P03), MySQL/MariaDB `ER_LOCK_WAIT_TIMEOUT` (1205, metadata and row
/// locks; the MySQL driver keeps the error number as the code).
pub fn is_lock_timeout(e: &DriverError) -> bool {
    matches!(e, DriverError::Statement { code: Some(c), .. } if c == "55P03" || c == "1205")
}

/// How long to wait before retry `attempt` (1-based): 1s, 2s, 4s, ... at most 30s.
pub fn retry_delay(attempt: u32) -> Duration {
    let secs = 1u64 << attempt.saturating_sub(1).min(5);
    Duration::from_secs(secs.min(30))
}

/// A driver error on one line, with the server's detail (e.g. the blocking session).
pub(crate) fn describe(e: &DriverError) -> String {
    match e {
        DriverError::Statement {
            message,
            detail: Some(d),
            ..
        } => format!("{message}: {d}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn statement_error(code: &str) -> DriverError {
        DriverError::Statement {
            message: "canceling statement due to lock timeout".into(),
            code: Some(code.into()),
            detail: Some("blocked by pid 7".into()),
            hint: None,
            statement: None,
            position: None,
        }
    }

    #[test]
    fn only_lock_not_available_is_retried() {
        assert!(is_lock_timeout(&statement_error("55P03")));
        assert!(is_lock_timeout(&statement_error("1205")));
        assert!(!is_lock_timeout(&statement_error("1213")));
        assert!(!is_lock_timeout(&statement_error("57014")));
        assert!(!is_lock_timeout(&statement_error("42P01")));
        assert!(!is_lock_timeout(&DriverError::statement("no code")));
        assert!(!is_lock_timeout(&DriverError::LockTimeout {
            waited: Duration::from_secs(1),
            holder: None
        }));
        assert!(!is_lock_timeout(&DriverError::Protocol("55P03".into())));
    }

    #[test]
    fn retry_back_off_doubles_from_one_second_up_to_thirty() {
        let waits: Vec<u64> = (1..=8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn retry_message_names_the_blocker_from_the_detail() {
        assert_eq!(
            describe(&statement_error("55P03")),
            "canceling statement due to lock timeout: blocked by pid 7"
        );
    }
}
