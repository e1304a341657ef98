//! A list of target databases: one URL per line, `#` comments, optional `name=` and `group=`
//! labels after the URL; or the rows of `--targets-query` (a URL or a database name, then
//! optional name and group columns). Pure: text or rows in, targets (or an error naming the
//! line or row) out.

use std::fmt;
use strata_drivers::url::redact;

/// One database of the fleet.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    /// What output calls it: the `name=` label, else the database (or file) name of the URL.
    pub name: String,
    /// The URL as written (may hold a password: show [`Target::shown_url`]).
    pub url: String,
    /// The `group=` label.
    pub group: Option<String>,
    /// The host (and port) the URL addresses, for the per-host limit; `None` for SQLite files.
    pub host: Option<String>,
    /// Where it was read: `FILE:LINE`.
    pub origin: String,
}

impl Target {
    /// The same target at `url` (e.g. completed by libpq's conventions): its host follows.
    pub fn with_url(self, url: String) -> Target {
        let host = self
            .host
            .as_ref()
            .and_then(|_| url.split_once("://").map(|(_, rest)| host_of(rest)));
        Target { url, host, ..self }
    }

    /// The same target with `x-migrations-table=TABLE` added, unless its URL names one.
    pub fn with_table(self, table: &str) -> Target {
        if self.url.contains("x-migrations-table=") {
            return self;
        }
        // A `?` in the user info (a password) is not the query's.
        let after_userinfo = self.url.rsplit('@').next().unwrap_or(&self.url);
        let sep = if after_userinfo.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!(
            "{}{sep}x-migrations-table={}",
            self.url,
            crate::libpq::dsn::encode(table)
        );
        Target { url, ..self }
    }

    /// The URL with its password replaced by `***`.
    pub fn shown_url(&self) -> String {
        redact(&self.url)
    }
}

// Debug must not print the password either.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("url", &self.shown_url())
            .field("group", &self.group)
            .field("host", &self.host)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A line of a target list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetsError {
    /// The URL has no `scheme://`.
    #[error("{origin}: {shown:?} is not a database URL (expected e.g. postgres://host/db or sqlite://file.db)")]
    NotAUrl {
        /// `FILE:LINE`.
        origin: String,
        /// The word, redacted.
        shown: String,
    },
    /// A word after the URL that is not `name=` or `group=`.
    #[error("{origin}: unknown label {label:?} after the URL (expected name=... or group=...)")]
    UnknownLabel {
        /// `FILE:LINE`.
        origin: String,
        /// The word (up to its `=`).
        label: String,
    },
    /// `name=` or `group=` given twice, or empty.
    #[error("{origin}: {problem}")]
    BadLabel {
        /// `FILE:LINE`.
        origin: String,
        /// What is wrong.
        problem: String,
    },
    /// Two targets with one name.
    #[error("{origin}: a second target named {name:?} (the first is at {first}); give one a name=... label")]
    DuplicateName {
        /// `FILE:LINE` of the second.
        origin: String,
        /// The name.
        name: String,
        /// `FILE:LINE` of the first.
        first: String,
    },
    /// A `--targets-query` row whose column is NULL or empty where a value is needed.
    #[error("{origin}: column {column} is {what} (expected {expected})")]
    BadColumn {
        /// `--targets-query ... row N`.
        origin: String,
        /// 1-based.
        column: usize,
        /// `NULL` or `empty`.
        what: &'static str,
        /// What the column holds.
        expected: &'static str,
    },
    /// A `--targets-query` row with more than three columns.
    #[error(
        "{origin}: {count} columns (expected at most 3: a URL or database name, a name, a group)"
    )]
    TooManyColumns {
        /// `--targets-query ... row N`.
        origin: String,
        /// How many.
        count: usize,
    },
    /// `--targets-query` returned nothing.
    #[error("{source_name}: returned no row (one database URL or name per row)")]
    NoRows {
        /// The query, shortened.
        source_name: String,
    },
    /// No target at all.
    #[error("{source_name}: no target in it (one database URL per line)")]
    Empty {
        /// The file or command.
        source_name: String,
    },
}

/// Parse `text`, read from `source_name` (a file path, or `command 'CMD'`), into targets in
/// list order.
pub fn parse(text: &str, source_name: &str) -> Result<Vec<Target>, TargetsError> {
    let mut targets: Vec<Target> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let origin = format!("{source_name}:{}", i + 1);
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        push(&mut targets, parse_line(line, origin)?)?;
    }
    finish(targets, source_name)
}

/// The rows of `--targets-query`, each column as text (`None`: NULL), read from `source_name`
/// (the query, shortened). The first column is a URL, or a database name on the server of
/// `base` (the `-database` URL, its options kept); the optional second and third are the
/// name and group labels (NULL: none).
pub fn from_rows(
    rows: &[Vec<Option<String>>],
    base: &str,
    source_name: &str,
) -> Result<Vec<Target>, TargetsError> {
    if rows.is_empty() {
        return Err(TargetsError::NoRows {
            source_name: source_name.to_string(),
        });
    }
    let mut targets: Vec<Target> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let origin = format!("{source_name} row {}", i + 1);
        if row.len() > 3 {
            return Err(TargetsError::TooManyColumns {
                origin,
                count: row.len(),
            });
        }
        let first = match row.first().and_then(Option::as_deref).map(str::trim) {
            Some(v) if !v.is_empty() => v,
            other => {
                return Err(TargetsError::BadColumn {
                    origin,
                    column: 1,
                    what: if other.is_none() { "NULL" } else { "empty" },
                    expected: "a database URL or name",
                })
            }
        };
        let url = if first.contains("://") {
            first.to_string()
        } else {
            let name = percent_encoding::utf8_percent_encode(first, NAME_ESCAPES).to_string();
            strata_drivers::url::with_database(base, &name)
        };
        let label = |column: usize| -> Result<Option<String>, TargetsError> {
            match row.get(column - 1).cloned().flatten() {
                Some(v) if v.trim().is_empty() => Err(TargetsError::BadColumn {
                    origin: origin.clone(),
                    column,
                    what: "empty",
                    expected: if column == 2 {
                        "a name, or NULL"
                    } else {
                        "a group, or NULL"
                    },
                }),
                v => Ok(v.map(|v| v.trim().to_string())),
            }
        };
        let (name, group) = (label(2)?, label(3)?);
        push(&mut targets, build(url, name, group, origin.clone())?)?;
    }
    Ok(targets)
}

/// What a database name must not hold raw in a URL path.
const NAME_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'-')
    .remove(b'.');

/// Add `target` unless its name is taken.
fn push(targets: &mut Vec<Target>, target: Target) -> Result<(), TargetsError> {
    if let Some(first) = targets.iter().find(|t| t.name == target.name) {
        return Err(TargetsError::DuplicateName {
            origin: target.origin,
            name: target.name,
            first: first.origin.clone(),
        });
    }
    targets.push(target);
    Ok(())
}

fn finish(targets: Vec<Target>, source_name: &str) -> Result<Vec<Target>, TargetsError> {
    if targets.is_empty() {
        return Err(TargetsError::Empty {
            source_name: source_name.to_string(),
        });
    }
    Ok(targets)
}

/// A `#` starts a comment at the start of a line or after whitespace (a `#` inside a URL,
/// e.g. in a percent-unencoded password, is kept).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn parse_line(line: &str, origin: String) -> Result<Target, TargetsError> {
    let mut words = line.split_whitespace();
    let url = words.next().unwrap_or_default().to_string();
    if !url.contains("://") {
        return Err(TargetsError::NotAUrl {
            origin,
            shown: redact(&url),
        });
    }
    let mut name = None;
    let mut group = None;
    for word in words {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        let slot = match key {
            "name" => &mut name,
            "group" => &mut group,
            _ => {
                return Err(TargetsError::UnknownLabel {
                    origin,
                    label: key.to_string(),
                })
            }
        };
        if value.is_empty() {
            return Err(TargetsError::BadLabel {
                origin,
                problem: format!("{key}= has no value"),
            });
        }
        if slot.replace(value.to_string()).is_some() {
            return Err(TargetsError::BadLabel {
                origin,
                problem: format!("{key}= given twice"),
            });
        }
    }
    build(url, name, group, origin)
}

/// A target at `url` with its labels; the name defaults to the URL's database (or file) name.
fn build(
    url: String,
    name: Option<String>,
    group: Option<String>,
    origin: String,
) -> Result<Target, TargetsError> {
    let Some(scheme_end) = url.find("://") else {
        return Err(TargetsError::NotAUrl {
            origin,
            shown: redact(&url),
        });
    };
    let rest = &url[scheme_end + 3..];
    let sqlite = url[..scheme_end].starts_with("sqlite");
    let name = name.unwrap_or_else(|| default_name(rest, sqlite));
    Ok(Target {
        name,
        host: (!sqlite).then(|| host_of(rest)),
        url,
        group,
        origin,
    })
}

/// After `scheme://`: `user:pass@host:port/db?query` (PostgreSQL) or a file path (SQLite).
fn host_of(rest: &str) -> String {
    let before_path = rest.split(['/', '?']).next().unwrap_or_default();
    // The user info ends at the last `@` (a password may hold one).
    let host = before_path.rsplit('@').next().unwrap_or_default();
    host.to_ascii_lowercase()
}

/// The database name (PostgreSQL) or the file name (SQLite): the last path segment.
fn default_name(rest: &str, sqlite: bool) -> String {
    let path = rest.split('?').next().unwrap_or_default();
    let path = if sqlite {
        path
    } else {
        // Skip `user:pass@host:port`; the path starts at the first `/` after the user info.
        let after_at = path.rfind('@').map_or(path, |i| &path[i + 1..]);
        after_at.find('/').map_or("", |i| &after_at[i..])
    };
    let last = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or_default();
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    if decoded.is_empty() {
        // No name in the path: the rest of the URL, its password masked whether in the user
        // info or the query (`redact` needs a scheme to find them; which one does not matter).
        let shown = redact(&format!("x://{rest}"));
        shown.strip_prefix("x://").unwrap_or(&shown).to_string()
    } else {
        decoded.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urls_labels_and_comments() {
        let text = "# tenants\n\
                    postgres://app:s3cret@db1:5432/tenant_a?sslmode=disable  group=eu  # first\n\
                    \n\
                    postgres://db2/tenant_b name=b group=us\n\
                    sqlite:///var/data/c.db\n";
        let t = parse(text, "fleet.txt").unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].name, "tenant_a");
        assert_eq!(t[0].group.as_deref(), Some("eu"));
        assert_eq!(t[0].host.as_deref(), Some("db1:5432"));
        assert_eq!(t[0].origin, "fleet.txt:2");
        assert_eq!(
            t[0].shown_url(),
            "postgres://app:***@db1:5432/tenant_a?sslmode=disable"
        );
        assert_eq!(t[1].name, "b");
        assert_eq!(t[1].host.as_deref(), Some("db2"));
        assert_eq!(t[1].origin, "fleet.txt:4");
        assert_eq!(t[2].name, "c.db");
        assert_eq!(t[2].host, None);
        assert_eq!(t[2].group, None);
    }

    #[test]
    fn a_completed_url_brings_its_host() {
        let t = parse("postgres:///db", "f").unwrap().remove(0);
        assert_eq!(t.host.as_deref(), Some(""));
        let t = t.with_url("postgres://u:pw@db9:6432/db".into());
        assert_eq!(t.host.as_deref(), Some("db9:6432"));
        let f = parse("sqlite://a.db", "f").unwrap().remove(0);
        assert_eq!(f.with_url("sqlite://a.db".into()).host, None);
    }

    #[test]
    fn the_migrations_table_is_added_unless_the_url_names_one() {
        let t = |url: &str| parse(url, "f").unwrap().remove(0);
        assert_eq!(
            t("postgres://u:p?w@h/db").with_table("app.migs").url,
            "postgres://u:p?w@h/db?x-migrations-table=app%2Emigs"
        );
        assert_eq!(
            t("sqlite://a.db?x=1").with_table("m").url,
            "sqlite://a.db?x=1&x-migrations-table=m"
        );
        assert_eq!(
            t("sqlite://a.db?x-migrations-table=own")
                .with_table("m")
                .url,
            "sqlite://a.db?x-migrations-table=own"
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let t = parse("postgres://u:hunter2@h/db", "f").unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
    }

    #[test]
    fn a_hash_inside_a_url_is_not_a_comment() {
        let t = parse("postgres://u:pa#ss@h/db", "f").unwrap();
        assert_eq!(t[0].url, "postgres://u:pa#ss@h/db");
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        let e = parse("postgres://h/a\nhost=h dbname=b\n", "list").unwrap_err();
        assert!(e.to_string().starts_with("list:2: "), "{e}");
        let e = parse("postgres://h/a colour=red\n", "list").unwrap_err();
        assert_eq!(
            e.to_string(),
            "list:1: unknown label \"colour\" after the URL (expected name=... or group=...)"
        );
        let e = parse("postgres://h/a name=\n", "list").unwrap_err();
        assert_eq!(e.to_string(), "list:1: name= has no value");
        let e = parse("postgres://h/a group=x group=y\n", "list").unwrap_err();
        assert_eq!(e.to_string(), "list:1: group= given twice");
    }

    #[test]
    fn a_bad_url_is_shown_without_its_password() {
        let e = parse("user:hunter2@h/db\n", "list").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().starts_with("list:1: "), "{e}");
    }

    #[test]
    fn duplicate_names_name_both_lines() {
        let e = parse("postgres://h1/app\npostgres://h2/app\n", "list").unwrap_err();
        assert_eq!(
            e.to_string(),
            "list:2: a second target named \"app\" (the first is at list:1); give one a name=... label"
        );
        assert!(parse("postgres://h1/app\npostgres://h2/app name=app2\n", "list").is_ok());
    }

    #[test]
    fn an_empty_list_is_an_error() {
        let e = parse("# nothing\n\n", "list").unwrap_err();
        assert_eq!(
            e.to_string(),
            "list: no target in it (one database URL per line)"
        );
    }

    fn row(cols: &[Option<&str>]) -> Vec<Option<String>> {
        cols.iter().map(|c| c.map(str::to_string)).collect()
    }

    #[test]
    fn query_rows_give_urls_names_on_the_same_server_and_labels() {
        let base = "postgres://app:s3cret@db1:5432/catalog?sslmode=disable&dbname=catalog";
        let rows = [
            row(&[Some("tenant_a")]),
            row(&[Some("postgres://db2/tenant_b"), Some("b"), Some("us")]),
            row(&[Some("tenant c/x"), None, Some("eu")]),
        ];
        let t = from_rows(&rows, base, "--targets-query").unwrap();
        assert_eq!(
            t[0].url,
            "postgres://app:s3cret@db1:5432/tenant_a?sslmode=disable"
        );
        assert_eq!(t[0].name, "tenant_a");
        assert_eq!(t[0].host.as_deref(), Some("db1:5432"));
        assert_eq!(t[0].origin, "--targets-query row 1");
        assert_eq!(t[1].url, "postgres://db2/tenant_b");
        assert_eq!(
            (t[1].name.as_str(), t[1].group.as_deref()),
            ("b", Some("us"))
        );
        // A name is percent-encoded into the path, and read back decoded.
        assert_eq!(
            t[2].url,
            "postgres://app:s3cret@db1:5432/tenant%20c%2Fx?sslmode=disable"
        );
        assert_eq!(t[2].name, "tenant c/x");
        assert_eq!(t[2].group.as_deref(), Some("eu"));
    }

    #[test]
    fn bad_query_rows_are_named_by_row_and_column() {
        let base = "postgres://u:hunter2@h/catalog";
        let e = |rows: &[Vec<Option<String>>]| from_rows(rows, base, "q").unwrap_err().to_string();
        assert_eq!(
            e(&[row(&[Some("a")]), row(&[None])]),
            "q row 2: column 1 is NULL (expected a database URL or name)"
        );
        assert_eq!(
            e(&[row(&[Some(" ")])]),
            "q row 1: column 1 is empty (expected a database URL or name)"
        );
        assert_eq!(
            e(&[row(&[Some("a"), Some("")])]),
            "q row 1: column 2 is empty (expected a name, or NULL)"
        );
        assert_eq!(
            e(&[row(&[Some("a"), None, None, Some("x")])]),
            "q row 1: 4 columns (expected at most 3: a URL or database name, a name, a group)"
        );
        assert_eq!(
            e(&[row(&[Some("a")]), row(&[Some("postgres://other/a")])]),
            "q row 2: a second target named \"a\" (the first is at q row 1); give one a name=... label"
        );
        assert_eq!(
            e(&[]),
            "q: returned no row (one database URL or name per row)"
        );
    }

    proptest::proptest! {
        /// Any list (one line holding a password among arbitrary lines) parses or is refused,
        /// never panics, and neither the targets' `Debug` nor the error shows the password.
        #[test]
        fn any_list_is_parsed_or_refused_without_showing_the_password(
            before in "[^\\x00]{0,60}",
            rest in "[^\\x00\n]{0,40}",
            after in "[^\\x00]{0,60}",
            secret in "[A-Za-z0-9]{8,16}",
        ) {
            proptest::prop_assume!(![&before, &rest, &after].iter().any(|t| t.contains(&secret)));
            let text = format!("{before}\npostgres://u:{secret}@{rest}\n{after}");
            let shown = match parse(&text, "list") {
                Ok(targets) => format!("{targets:?}"),
                Err(e) => format!("{e} {e:?}"),
            };
            proptest::prop_assert!(!shown.contains(&secret), "{shown}");
        }
    }
}
