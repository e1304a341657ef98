//! File-name patterns: which names are migrations, and why the others are not.
//!
//! Two names are migrations:
//! - golang-migrate pairs, `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, matched by hand with exactly the
//!   regex's semantics (greedy title, so the direction is the *last* `.up.`/`.down.`; any
//!   extension, even empty or an editor backup's `sql~`);
//! - single files `^([0-9]+)[_-](.*)\.sql$`: marker files and, with `_` only, legacy up-only
//!   files (`-` is sql-migrate's and the npm `sqlite` package's naming, read only with markers).
//!
//! Every other name is not read, with a reason that tells the user what Strata expected. A name
//! that looks like a migration but matches neither pattern (`1.up.sql`, `4_y.UP.sql`,
//! `V1__init.sql`) is [`NameKind::Malformed`]: a warning, never silently skipped. A name that
//! could be a migration and holds a control character (`1_a<newline>b.down.sql`) is refused:
//! it cannot be shown as it is, and what it means depends on the tool reading it.

use crate::migration::{Direction, Version};

/// The generic reason for a name that is not a migration.
pub const EXPECTED_NAMES: &str =
    "name does not match N_title.up.ext / N_title.down.ext, N_title.sql or N-title.sql (with markers)";

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

/// What separates the version from the title in a single-file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `N_title.sql`: marker files and legacy up-only files.
    Underscore,
    /// `N-title.sql` (sql-migrate, npm `sqlite`): marker files only. Without markers such a file
    /// is a warning, not an up migration (`2024-01-01-notes.sql` must not run).
    Dash,
}

impl Separator {
    /// The character itself.
    pub fn as_char(self) -> char {
        match self {
            Separator::Underscore => '_',
            Separator::Dash => '-',
        }
    }
}

/// A single-file migration name, `<digits>_<title>.sql` or `<digits>-<title>.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleName<'a> {
    /// The version digits as written.
    pub digits: &'a str,
    /// The version; `None` when the digits exceed `i64::MAX`.
    pub version: Option<Version>,
    /// `_` or `-` after the digits.
    pub separator: Separator,
    /// The text between `<digits><separator>` and `.sql` (may be empty).
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
    /// Looks like a migration but matches no layout, and why: not read, reported as a warning.
    Malformed(String),
    /// Could be a migration and holds this control character: refused (an error).
    ControlCharacter(char),
    /// Not a migration, and why.
    Ignored(String),
}

/// Classify a base file name. Pairs win over single files (`1_x.up.sql` is a pair).
///
/// ```
/// use strata_core::source::filename::{classify_name, NameKind};
/// assert!(matches!(classify_name("1_x.up.sql"), NameKind::Pair(_)));
/// assert!(matches!(classify_name("20240101120000-add_users.sql"), NameKind::Single(_)));
/// assert!(matches!(classify_name("4_y.UP.sql"), NameKind::Malformed(_)));
/// assert!(matches!(classify_name("1.up.sql"), NameKind::Malformed(_)));
/// assert_eq!(classify_name("1_a\nb.down.sql"), NameKind::ControlCharacter('\n'));
/// assert!(matches!(classify_name("README.md"), NameKind::Ignored(_)));
/// ```
pub fn classify_name(name: &str) -> NameKind<'_> {
    if name.starts_with('.') {
        return NameKind::Ignored("hidden file".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        // Stray files such as macOS's `Icon\r` are not migrations; anything that could be one is
        // refused rather than guessed at.
        return if could_be_migration(name) {
            NameKind::ControlCharacter(c)
        } else {
            NameKind::Ignored("name contains a control character".into())
        };
    }
    if let Some(pair) = parse_pair_name(name) {
        return NameKind::Pair(pair);
    }
    if let Some(single) = parse_single_name(name) {
        return match misspelt_pair(&single) {
            Some(reason) => NameKind::Malformed(reason),
            None => NameKind::Single(single),
        };
    }
    let reason = ignore_reason(name);
    if could_be_migration(name) {
        NameKind::Malformed(reason)
    } else {
        NameKind::Ignored(reason)
    }
}

/// A name someone may have meant as a migration: a version with an SQL or direction suffix, a
/// pair's suffix, or Flyway's pattern.
fn could_be_migration(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let versioned = name.starts_with(|c: char| c.is_ascii_digit());
    let directed = [".up.", ".down."].iter().any(|d| lower.contains(d))
        || lower.ends_with(".up")
        || lower.ends_with(".down");
    (versioned && (lower.ends_with(".sql") || directed))
        || lower.ends_with(".up.sql")
        || lower.ends_with(".down.sql")
        || is_flyway(name)
}

/// Why a name that parses as a single file is a misspelt pair: `4_y.UP.sql` (golang-migrate
/// matches `.up.` and `.down.` in lower case only) or `1-x.up.sql` (a pair needs `_`).
fn misspelt_pair(s: &SingleName<'_>) -> Option<String> {
    let lower = s.title.to_ascii_lowercase();
    let (stem, direction) = match (lower.strip_suffix(".up"), lower.strip_suffix(".down")) {
        (Some(stem), _) => (stem.len(), "up"),
        (_, Some(stem)) => (stem.len(), "down"),
        _ => return None,
    };
    let rename = format!("{}_{}.{direction}.sql", s.digits, &s.title[..stem]);
    Some(match s.separator {
        Separator::Dash => format!(
            "looks like a pair file, but a pair needs `_` after the version; rename it to {rename}"
        ),
        Separator::Underscore => format!(
            "looks like a pair file, but the direction must be lower-case `.{direction}.` (golang-migrate ignores other cases); rename it to {rename}"
        ),
    })
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
    let (digits, Separator::Underscore, rest) = split_version(name)? else {
        return None;
    };
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

/// Match `^([0-9]+)[_-](.*)\.sql$`: a single-file migration (marker or legacy).
///
/// ```
/// use strata_core::source::filename::{parse_single_name, Separator};
/// let s = parse_single_name("001-initial.sql").unwrap();
/// assert_eq!((s.version, s.separator, s.title), (Some(1), Separator::Dash, "initial"));
/// assert_eq!(parse_single_name("1_x.sql").unwrap().separator, Separator::Underscore);
/// assert!(parse_single_name("1.x.sql").is_none());
/// ```
pub fn parse_single_name(name: &str) -> Option<SingleName<'_>> {
    let (digits, separator, rest) = split_version(name)?;
    let title = rest.strip_suffix(".sql")?;
    Some(SingleName {
        digits,
        version: parse_version(digits),
        separator,
        title,
    })
}

/// Parse version digits; `None` above `i64::MAX` (a PostgreSQL `bigint` cannot hold them).
pub fn parse_version(digits: &str) -> Option<Version> {
    digits.parse::<u64>().ok().filter(|v| *v <= i64::MAX as u64)
}

/// `<digits>_<rest>` or `<digits>-<rest>` → `(digits, separator, rest)`.
fn split_version(name: &str) -> Option<(&str, Separator, &str)> {
    let n = name.bytes().take_while(u8::is_ascii_digit).count();
    let separator = match name.as_bytes().get(n) {
        Some(b'_') if n > 0 => Separator::Underscore,
        Some(b'-') if n > 0 => Separator::Dash,
        _ => return None,
    };
    Some((&name[..n], separator, &name[n + 1..]))
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
    if digits > 0
        && !matches!(name.as_bytes().get(digits), Some(b'_' | b'-'))
        && lower.ends_with(".sql")
    {
        return format!("the version must be followed by `_` (or `-` in a single file with markers); {EXPECTED_NAMES}");
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
    fn single_name_requires_digits_a_separator_and_sql() {
        let s = parse_single_name("20240101120000_create_users.sql").unwrap();
        assert_eq!(
            (s.digits, s.version, s.separator, s.title),
            (
                "20240101120000",
                Some(20240101120000),
                Separator::Underscore,
                "create_users"
            )
        );
        assert_eq!(parse_single_name("00_schema.sql").unwrap().version, Some(0));
        assert_eq!(parse_single_name("1_.sql").unwrap().title, "");
        let d = parse_single_name("20240101120000-add-users.sql").unwrap();
        assert_eq!(
            (d.version, d.separator, d.title),
            (Some(20240101120000), Separator::Dash, "add-users")
        );
        assert_eq!(
            parse_single_name("001-initial.sql").unwrap().version,
            Some(1)
        );
        assert!(parse_single_name("1x.sql").is_none());
        assert!(parse_single_name("-1_x.sql").is_none());
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
        assert!(reason("1_x.txt").contains("`.sql`"));
        assert_eq!(reason("README.md"), EXPECTED_NAMES);
        assert_eq!(reason("schema.sql"), EXPECTED_NAMES);
        assert!(matches!(classify_name("1_x.up.sql"), NameKind::Pair(_)));
        assert!(matches!(classify_name("1_x.sql"), NameKind::Single(_)));
        assert!(matches!(classify_name("1-x.sql"), NameKind::Single(_)));
    }

    #[test]
    fn names_that_look_like_migrations_but_match_no_layout_are_malformed() {
        let reason = |n: &str| match classify_name(n) {
            NameKind::Malformed(r) => r,
            other => panic!("{n}: {other:?}"),
        };
        assert!(reason("4_y.UP.sql").contains("rename it to 4_y.up.sql"));
        assert!(reason("4_y.Down.sql").contains("lower-case `.down.`"));
        assert!(
            reason("1-x.up.sql").contains("needs `_` after the version; rename it to 1_x.up.sql")
        );
        assert!(reason("1.up.sql").contains("followed by `_`"));
        assert!(reason("1x.sql").contains("followed by `_`"));
        assert!(reason("1_x.up").contains("no extension"));
        assert!(reason("V1__init.sql").contains("Flyway"));
        assert!(reason("V1_1__init.sql").contains("Flyway"));
        assert!(reason("R__views.sql").contains("Flyway"));
        assert_eq!(reason("x_1.up.sql"), EXPECTED_NAMES);
        assert_eq!(reason("_1.down.sql"), EXPECTED_NAMES);
    }

    #[test]
    fn control_characters_are_refused_in_names_that_could_be_migrations() {
        assert_eq!(
            classify_name("000001_new\nline.down.sql"),
            NameKind::ControlCharacter('\n')
        );
        assert_eq!(
            classify_name("1_x.up.sql\u{1b}[2J"),
            NameKind::ControlCharacter('\u{1b}')
        );
        assert_eq!(
            classify_name("x\r.up.sql"),
            NameKind::ControlCharacter('\r')
        );
        // macOS's custom-icon file is no migration: listed, not an error.
        assert!(matches!(classify_name("Icon\r"), NameKind::Ignored(_)));
    }
}
