//! `strata testdb create|drop|prune`: fresh migrated databases for shell-based test runners,
//! cloned from a template per migration set (see `strata::testing`).

use crate::settings::Settings;
use crate::CliError;
use clap::Subcommand;
use strata::testing::{self, TestDb};
use strata_core::duration::parse_duration_or_seconds;

/// `strata testdb` actions. `-database` is the admin URL (a role that may CREATE DATABASE;
/// for SQLite, `sqlite://` or `sqlite://CACHE_DIR`).
#[derive(Debug, Subcommand)]
pub enum TestdbCommand {
    /// Create a database migrated to the latest version (cloned from the migration set's
    /// template, built first if needed) and print its URL. It is kept until `drop` or `prune`.
    Create {
        /// Print the URL with the admin URL's password in it (default: left out; the client
        /// then needs PGPASSWORD or a .pgpass entry)
        #[arg(long)]
        with_password: bool,
    },
    /// Drop a test database Strata created, by name or URL (anything else is refused).
    Drop {
        /// The database's name or URL (SQLite: its URL or path).
        #[arg(value_name = "NAME|URL")]
        target: String,
    },
    /// Drop templates of other migration sets than -path's built before --older-than, with
    /// their spare databases; test databases older than --older-than; and spares whose
    /// template is gone. Lists what it dropped, and the spares it kept.
    Prune {
        /// Age after which a test database is dropped, e.g. 30m, 1h, 48h.
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        older_than: String,
    },
}

/// Run a `testdb` action.
pub fn testdb(settings: &Settings, action: &TestdbCommand) -> Result<(), CliError> {
    let admin = settings.require_database()?;
    match action {
        TestdbCommand::Create { with_password } => {
            let migrations = migrations(settings)?;
            let url = TestDb::new(&migrations, admin)
                .map_err(|e| failed(&e))?
                .keep();
            let shown = if *with_password {
                url
            } else {
                let (shown, removed) = without_password(&url);
                if removed {
                    errln!("note: the password is left out of the URL; pass --with-password to print it");
                }
                shown
            };
            outln!("{shown}");
            Ok(())
        }
        TestdbCommand::Drop { target } => {
            testing::drop_database(admin, target).map_err(|e| failed(&e))?;
            errln!("dropped {}", strata_drivers::url::redact(target.trim()));
            Ok(())
        }
        TestdbCommand::Prune { older_than } => {
            let age = parse_duration_or_seconds(older_than)
                .map_err(|e| CliError::Usage(format!("--older-than: {e}")))?;
            let migrations = migrations(settings)?;
            let pruned = testing::prune(&migrations, admin, age).map_err(|e| failed(&e))?;
            for name in &pruned.templates {
                outln!("dropped template {name}");
            }
            for name in &pruned.databases {
                outln!("dropped database {name}");
            }
            for name in &pruned.spares {
                outln!("dropped spare {name}");
            }
            for name in &pruned.kept_spares {
                outln!("kept spare {name}");
            }
            Ok(())
        }
    }
}

fn migrations(settings: &Settings) -> Result<strata::Migrations, CliError> {
    strata::Migrations::from_dir(settings.require_dir()?).map_err(|e| failed(&e))
}

/// An error with its causes, `: `-separated (the library's messages never hold a password).
fn failed(e: &dyn std::error::Error) -> CliError {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let line = c.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = c.source();
    }
    CliError::Failed(text)
}

/// `url` without its secrets: the user info's `:password`, and `password=` query pairs.
/// `true` if something was removed.
fn without_password(url: &str) -> (String, bool) {
    let ranges = strata_drivers::url::secret_ranges(url);
    let mut out = url.to_string();
    for r in ranges.iter().rev() {
        let before = &out[..r.start];
        let start = if before.ends_with(':') && !before.ends_with("://") {
            r.start - 1
        } else {
            // `key=` of a query pair, with the `&` before it (or the one after, if first).
            before.rfind(['?', '&']).map_or(r.start, |i| i + 1)
        };
        let mut end = r.end;
        let mut start = start;
        if out[..start].ends_with('&') {
            start -= 1;
        } else if out[end..].starts_with('&') {
            end += 1;
        }
        out.replace_range(start..end, "");
    }
    let out = out.strip_suffix('?').map(str::to_string).unwrap_or(out);
    (out, !ranges.is_empty())
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn secrets_are_left_out_of_the_printed_url() {
        let cases = [
            ("postgres://u:pw@h/db", "postgres://u@h/db", true),
            ("postgres://u@h/db", "postgres://u@h/db", false),
            (
                "postgres://h/db?password=pw&sslmode=disable",
                "postgres://h/db?sslmode=disable",
                true,
            ),
            (
                "postgres://h/db?sslmode=disable&password=pw",
                "postgres://h/db?sslmode=disable",
                true,
            ),
            ("postgres://h/db?password=pw", "postgres://h/db", true),
            ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db", false),
        ];
        for (url, want, removed) in cases {
            assert_eq!(without_password(url), (want.to_string(), removed), "{url}");
        }
    }
}
