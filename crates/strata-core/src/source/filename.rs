//! File-name patterns: which names are migrations, and why the others are not.
//!
//! Two names are migrations:
//! - golang-migrate pairs, `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, matched by hand with exactly the
//!   regex's semantics (greedy title, so the direction is the *last* `.up.`/`.down.`; any
//!   extension, even empty or an editor backup's `sql~`);
//! - single files `^([0-9]+)_(.*)\.sql$` (marker files and legacy up-only files).
//!
//! Everything else is ignored, with a reason that tells the user what Strata expected.

use crate::migration::{Direction, Version};

/// The generic reason for a name that is not a migration.
pub const EXPECTED_NAMES: &str =
    "name does not match N_title.up.ext / N_title.down.ext or N_title.sql";

/// A golang-migrate pair file name, split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairName<'a> {
    /// The version digits as written (leading zeros kept), for messages.
    pub digits: &'a str,
    /// The version; `None` when the digits exceed `i64::MAX` (a deliberate divergence:
    /// golang-migrate silently skips u64 overflow, Strata reports it).
    pub version: Option<Version>,
    /// The title (may be empty, may contain dots).
    pub title: &'a str,
    /// The direction: the last `.up.` or `.down.` in the name.
    pub direction: Direction,
    /// Whatever follows the direction (may be empty).
    pub ext: &'a str,
}

/// A single-file migration name, `<digits>_<title>.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleName<'a> {
    /// The version digits as written.
    pub digits: &'a str,
    /// The version; `None` when the digits exceed `i64::MAX`.
    pub version: Option<Version>,
    /// The text between `<digits>_` and `.sql` (may be empty).
    pub title: &'a str,
}

impl SingleName<'_> {
    /// Whether the title ends like a misspelt pair (`1_x_up.sql`, `2_y-down.sql`, `3_up.sql`).
    ///
    /// Such a file without markers must not be run as an up migration: if it is really a down
    /// script, running it "up" would drop data. golang-migrate ignores these names too.
    pub fn looks_like_misnamed_pair(&self) -> bool {
        let t = self.title.to_ascii_lowercase();
        ["up", "down"]
            .iter()
            .any(|d| t == *d || t.ends_with(&format!("_{d}")) || t.ends_with(&format!("-{d}")))
    }
}

/// What a file name says about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameKind<'a> {
    /// One half of a golang-migrate pair.
    Pair(PairName<'a>),
    /// A single `.sql` file (markers or legacy up-only).
    Single(SingleName<'a>),
    /// Not a migration, and why.
    Ignored(String),
}

/// Classify a base file name. Pairs win over single files (`1_x.up.sql` is a pair).
pub fn classify_name(name: &str) -> NameKind<'_> {
    if name.starts_with('.') {
        return NameKind::Ignored("hidden file".into());
    }
    if let Some(pair) = parse_pair_name(name) {
        return NameKind::Pair(pair);
    }
    if let Some(single) = parse_single_name(name) {
        return NameKind::Single(single);
    }
    NameKind::Ignored(ignore_reason(name))
}

/// Match `^([0-9]+)_(.*)\.(down|up)\.(.*)$` (golang-migrate's pattern) by hand.
///
/// ```
/// use strata_core::source::filename::parse_pair_name;
/// use strata_core::Direction;
/// let p = parse_pair_name("0001_a.down.b.up.sql").unwrap();
/// assert_eq!((p.version, p.title, p.direction, p.ext), (Some(1), "a.down.b", Direction::Up, "sql"));
/// assert!(parse_pair_name("1_x_up.sql").is_none());
/// ```
pub fn parse_pair_name(name: &str) -> Option<PairName<'_>> {
    // RE2's `.` does not match `\n`, so such a name never matches in golang-migrate either.
    if name.contains('\n') {
        return None;
    }
    let (digits, rest) = split_version(name)?;
    // Greedy `(.*)` before `\.(down|up)\.`: the match is the right-most occurrence. `.up.` and
    // `.down.` cannot start at the same byte, so the right-most start is unambiguous.
    let up = rest.rfind(".up.").map(|i| (i, Direction::Up, 4));
    let down = rest.rfind(".down.").map(|i| (i, Direction::Down, 6));
    let (at, direction, len) = match (up, down) {
        (Some(u), Some(d)) => {
            if u.0 > d.0 {
                u
            } else {
                d
            }
        }
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => return None,
    };
    Some(PairName {
        digits,
        version: parse_version(digits),
        title: &rest[..at],
        direction,
        ext: &rest[at + len..],
    })
}

/// Match `^([0-9]+)_(.*)\.sql$`: a single-file migration (marker or legacy).
pub fn parse_single_name(name: &str) -> Option<SingleName<'_>> {
    let (digits, rest) = split_version(name)?;
    let title = rest.strip_suffix(".sql")?;
    Some(SingleName {
        digits,
        version: parse_version(digits),
        title,
    })
}

/// Parse version digits; `None` above `i64::MAX` (a PostgreSQL `bigint` cannot hold them).
pub fn parse_version(digits: &str) -> Option<Version> {
    digits.parse::<u64>().ok().filter(|v| *v <= i64::MAX as u64)
}

/// `<digits>_<rest>` → `(digits, rest)`.
fn split_version(name: &str) -> Option<(&str, &str)> {
    let n = name.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || name.as_bytes().get(n) != Some(&b'_') {
        return None;
    }
    Some((&name[..n], &name[n + 1..]))
}

/// A helpful reason for a name that is neither a pair nor a single file.
fn ignore_reason(name: &str) -> String {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let lower = name.to_ascii_lowercase();
    if is_flyway(name) {
        return format!(
            "looks like a Flyway migration (V<version>__<description>.sql); {EXPECTED_NAMES}"
        );
    }
    if digits > 0 && name.as_bytes().get(digits) != Some(&b'_') && lower.ends_with(".sql") {
        return format!("the version must be followed by `_`; {EXPECTED_NAMES}");
    }
    if digits > 0 && (lower.ends_with(".up") || lower.ends_with(".down")) {
        return format!("no extension after the direction (golang-migrate needs N_title.up.ext); {EXPECTED_NAMES}");
    }
    if digits > 0 {
        return format!("single-file migrations must end in `.sql`; {EXPECTED_NAMES}");
    }
    EXPECTED_NAMES.to_string()
}

/// Flyway's `V<version>__<desc>.sql`, `U<version>__...` (undo) and `R__...` (repeatable).
fn is_flyway(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(['V', 'U', 'R']) else {
        return false;
    };
    match rest.find("__") {
        Some(i) => rest[..i]
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (Option<Version>, &str, Direction, &str) {
        let p = parse_pair_name(name).unwrap_or_else(|| panic!("{name} should match"));
        (p.version, p.title, p.direction, p.ext)
    }

    #[test]
    fn pair_name_takes_last_direction() {
        assert_eq!(
            pair("1_a.down.b.up.sql"),
            (Some(1), "a.down.b", Direction::Up, "sql")
        );
        assert_eq!(
            pair("1_x.up.down.sql"),
            (Some(1), "x.up", Direction::Down, "sql")
        );
        assert_eq!(
            pair("2_create_users.down.sql"),
            (Some(2), "create_users", Direction::Down, "sql")
        );
    }

    #[test]
    fn pair_name_accepts_any_extension_and_empty_title() {
        assert_eq!(pair("1_x.up."), (Some(1), "x", Direction::Up, ""));
        assert_eq!(pair("1_x.up.sql~"), (Some(1), "x", Direction::Up, "sql~"));
        assert_eq!(
            pair("1_x.up.sql.bak"),
            (Some(1), "x", Direction::Up, "sql.bak")
        );
        assert_eq!(pair("1_x.up.txt"), (Some(1), "x", Direction::Up, "txt"));
        assert_eq!(pair("1_.up.sql"), (Some(1), "", Direction::Up, "sql"));
        assert_eq!(pair("7_a b.up.sql"), (Some(7), "a b", Direction::Up, "sql"));
    }

    #[test]
    fn pair_name_leading_zeros_and_large_versions() {
        assert_eq!(pair("0001_a.up.sql").0, Some(1));
        assert_eq!(pair("0_a.up.sql").0, Some(0));
        assert_eq!(
            pair("9223372036854775807_a.up.sql").0,
            Some(i64::MAX as u64)
        );
        assert_eq!(pair("9223372036854775808_a.up.sql").0, None);
        assert_eq!(pair("99999999999999999999999_a.up.sql").0, None);
        assert_eq!(
            parse_pair_name("99999999999999999999999_a.up.sql")
                .unwrap()
                .digits,
            "99999999999999999999999"
        );
    }

    #[test]
    fn pair_name_rejects_non_matching() {
        for name in [
            "x_1.up.sql",
            "1_x_up.sql",
            "1_x.sql",
            "1x.up.sql",
            "1.up.sql",
            "_1.up.sql",
            "1_x.up",
            "README.md",
            "1_a\n.up.sql",
        ] {
            assert!(parse_pair_name(name).is_none(), "{name}");
        }
    }

    #[test]
    fn single_name_requires_digits_underscore_and_sql() {
        let s = parse_single_name("20240101120000_create_users.sql").unwrap();
        assert_eq!(
            (s.digits, s.version, s.title),
            ("20240101120000", Some(20240101120000), "create_users")
        );
        assert_eq!(parse_single_name("00_schema.sql").unwrap().version, Some(0));
        assert_eq!(parse_single_name("1_.sql").unwrap().title, "");
        assert!(parse_single_name("1-x.sql").is_none());
        assert!(parse_single_name("1_x.txt").is_none());
        assert!(parse_single_name("schema.sql").is_none());
    }

    #[test]
    fn misnamed_pairs_are_detected() {
        for name in ["1_x_up.sql", "1_x-DOWN.sql", "1_up.sql", "1_down.sql"] {
            assert!(
                parse_single_name(name).unwrap().looks_like_misnamed_pair(),
                "{name}"
            );
        }
        for name in ["1_setup.sql", "1_x_update.sql", "1_markdown.sql"] {
            assert!(
                !parse_single_name(name).unwrap().looks_like_misnamed_pair(),
                "{name}"
            );
        }
    }

    #[test]
    fn classify_name_explains_ignored_files() {
        let reason = |n: &str| match classify_name(n) {
            NameKind::Ignored(r) => r,
            other => panic!("{n}: {other:?}"),
        };
        assert_eq!(reason(".1_x.up.sql"), "hidden file");
        assert!(reason("V1__init.sql").contains("Flyway"));
        assert!(reason("V1_1__init.sql").contains("Flyway"));
        assert!(reason("R__views.sql").contains("Flyway"));
        assert!(reason("1-x.sql").contains("followed by `_`"));
        assert!(reason("1_x.up").contains("no extension"));
        assert!(reason("1_x.txt").contains("`.sql`"));
        assert_eq!(reason("README.md"), EXPECTED_NAMES);
        assert_eq!(reason("x_1.up.sql"), EXPECTED_NAMES);
        assert!(matches!(classify_name("1_x.up.sql"), NameKind::Pair(_)));
        assert!(matches!(classify_name("1_x.sql"), NameKind::Single(_)));
    }
}
