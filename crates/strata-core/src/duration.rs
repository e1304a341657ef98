//! The one parser of durations people write: migration directives (`-- strata:lock-timeout 2s`)
//! and the timeout settings (`MIGRATION_TIMEOUT`, `STRATA_LOCK_TIMEOUT`, `--ddl-lock-timeout`).
//!
//! Every duration here ends up as a PostgreSQL timeout, which the server takes as a whole number
//! of milliseconds in an `int`: so the range is 0 (no timeout) or 1ms to [`MAX_TIMEOUT`], and
//! anything else is an error here rather than a server error (too long) or a silent "no
//! timeout" (below 1ms, which rounds to 0). The arithmetic is exact and checked: no float, so no
//! value can overflow or panic on the way.

use std::time::Duration;

/// The longest timeout PostgreSQL accepts: `i32::MAX` milliseconds (about 24.8 days).
pub const MAX_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// Why a duration was refused. The text is the value as written; the caller names where it came
/// from (file and line, variable or flag).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not `<number><unit>` (or a bare number of seconds where that is allowed).
    #[error("{text:?} is not a duration (examples: 1500ms, 2s, 10m, 1h)")]
    Malformed {
        /// The value as written.
        text: String,
    },
    /// More than [`MAX_TIMEOUT`].
    #[error(
        "{text:?} is too long: PostgreSQL takes at most 2147483647ms (about 24 days) as a timeout"
    )]
    TooLong {
        /// The value as written.
        text: String,
    },
    /// Above zero but below PostgreSQL's 1ms resolution (it would round to 0: no timeout).
    #[error("{text:?} is shorter than 1ms, PostgreSQL's resolution (0 means no timeout)")]
    TooShort {
        /// The value as written.
        text: String,
    },
}

/// A duration with a unit: `1500ms`, `2s`, `1.5s`, `10m` (or `10min`), `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or_else(|| malformed(text))?;
    let (number, unit) = text.split_at(split);
    let nanos_per_unit: u128 = match unit {
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(malformed(text)),
    };
    in_range(text, number, nanos(text, number, nanos_per_unit)?)
}

/// [`parse_duration`], or a bare number of seconds (`60`, `1.5`), as golang-migrate's
/// environment variables take them. Surrounding blanks are ignored.
pub fn parse_duration_or_seconds(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return in_range(text, trimmed, nanos(text, trimmed, 1_000_000_000)?);
    }
    parse_duration(trimmed).map_err(|e| e.with_text(text))
}

impl DurationError {
    fn with_text(self, text: &str) -> DurationError {
        let text = text.to_string();
        match self {
            DurationError::Malformed { .. } => DurationError::Malformed { text },
            DurationError::TooLong { .. } => DurationError::TooLong { text },
            DurationError::TooShort { .. } => DurationError::TooShort { text },
        }
    }
}

fn malformed(text: &str) -> DurationError {
    DurationError::Malformed {
        text: text.to_string(),
    }
}

/// `number` (digits with at most one `.`, at least one digit) times `unit` nanoseconds, exactly;
/// digits beyond a nanosecond are dropped. `None` inside means too large for `u128`.
fn nanos(text: &str, number: &str, unit: u128) -> Result<Option<u128>, DurationError> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed(text));
    }
    let mut total = Some(0u128);
    for digit in whole.bytes() {
        total = total
            .and_then(|t| t.checked_mul(10))
            .and_then(|t| t.checked_add(u128::from(digit - b'0')));
    }
    let mut total = total.and_then(|t| t.checked_mul(unit));
    // The fraction, one digit at a time: each contributes unit / 10^k, exact for the first
    // digits (a unit is at most 3.6e12 ns, so after 13 digits nothing is left to add).
    let mut scale = unit;
    for digit in fraction.bytes().take(13) {
        scale /= 10;
        total = total.and_then(|t| t.checked_add(u128::from(digit - b'0') * scale));
    }
    Ok(total)
}

/// `nanos` (of `number`, written as `text`) within 0 or 1ms to [`MAX_TIMEOUT`]. A number with a
/// non-zero digit is never 0, even when it is below a nanosecond.
fn in_range(text: &str, number: &str, nanos: Option<u128>) -> Result<Duration, DurationError> {
    let nonzero = number.bytes().any(|b| (b'1'..=b'9').contains(&b));
    match nanos {
        Some(n) if n <= MAX_TIMEOUT.as_nanos() => {
            if nonzero && n < 1_000_000 {
                return Err(DurationError::TooShort {
                    text: text.to_string(),
                });
            }
            // In range, so it fits in u64 nanoseconds.
            Ok(Duration::from_nanos(n as u64))
        }
        _ => Err(DurationError::TooLong {
            text: text.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_required_and_exact() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("10min"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration(".5m"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "5", "5 days", "", "s", ".s", "1..2s", "1.2.3s", "-1s", "1e3s", "2S", "١s",
        ] {
            assert_eq!(parse_duration(bad), Err(malformed(bad)), "{bad:?}");
        }
    }

    #[test]
    fn out_of_range_is_an_error_not_a_panic() {
        let huge = "99999999999999999999h";
        assert_eq!(
            parse_duration(huge),
            Err(DurationError::TooLong { text: huge.into() })
        );
        let digits = "9".repeat(200) + "ms";
        assert!(matches!(
            parse_duration(&digits),
            Err(DurationError::TooLong { .. })
        ));
        assert_eq!(parse_duration("2147483647ms"), Ok(MAX_TIMEOUT));
        assert!(matches!(
            parse_duration("2147483648ms"),
            Err(DurationError::TooLong { .. })
        ));
        assert!(matches!(
            parse_duration("0.5ms"),
            Err(DurationError::TooShort { .. })
        ));
        assert_eq!(
            parse_duration("0.0000000000000000001h"),
            Err(DurationError::TooShort {
                text: "0.0000000000000000001h".into()
            })
        );
    }

    #[test]
    fn settings_also_take_bare_seconds() {
        assert_eq!(parse_duration_or_seconds("60"), Ok(Duration::from_secs(60)));
        assert_eq!(
            parse_duration_or_seconds(" 1.5 "),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_duration_or_seconds("5m"),
            Ok(Duration::from_secs(300))
        );
        assert_eq!(parse_duration_or_seconds("soon"), Err(malformed("soon")));
        assert_eq!(
            parse_duration_or_seconds(" 99999999999999999999h"),
            Err(DurationError::TooLong {
                text: " 99999999999999999999h".into()
            })
        );
        assert!(matches!(
            parse_duration_or_seconds("99999999999999999999"),
            Err(DurationError::TooLong { .. })
        ));
    }
}
