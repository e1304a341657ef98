//! `lint [PATHS]`: static checks of migrations (see `strata_lint`). Needs no database when
//! PATHS are given; without them it checks the pending migrations of -path (all of them when no
//! database is given). Exit 5 when anything is found. The dialect comes from -database, else
//! `--dialect`, else PostgreSQL; the summary line says which.

use super::open_read_only_with_source;
use crate::args::{LintDialect, LintFormat};
use crate::settings::Settings;
use crate::{exit, render, CliError};
use std::path::{Path, PathBuf};
use strata_core::printable::{printable, printable_path};
use strata_core::status::State;
use strata_core::{Location, Migration};
use strata_drivers::{Backend, DatabaseUrl};
use strata_lint::{Finding, LintOptions};
use strata_sql::Dialect;

/// `lint [PATHS] [--format text|json|line] [--exclude R,..] [--include R,..] [--dialect D]`.
pub fn lint(
    settings: &Settings,
    paths: &[String],
    format: LintFormat,
    dialect_flag: Option<LintDialect>,
    mut options: LintOptions,
) -> Result<(), CliError> {
    let unknown = options.unknown_rules();
    if !unknown.is_empty() {
        return Err(CliError::Usage(format!(
            "unknown rule id(s): {} (Strata's rules: {})",
            unknown.join(", "),
            strata_lint::strata_rule_ids()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let url = settings.database.as_deref().map(DatabaseUrl::parse);
    let database = settings
        .database
        .as_deref()
        .zip(url.as_ref())
        .map(|(raw, u)| match u.as_ref().map(|u| u.backend()) {
            Ok(Backend::Sqlite) => Dialect::Sqlite,
            _ if is_mysql_url(raw) => Dialect::Mysql,
            _ => Dialect::Postgres,
        });
    // The rules judge each migration as the run will run it (x-multi-statement included).
    options.statement_mode = matches!(&url, Some(Ok(u)) if u.multi_statement());
    let (dialect, why) = choose_dialect(database, dialect_flag)?;
    let migrations = if paths.is_empty() {
        pending(settings, dialect)?
    } else {
        from_paths(paths, dialect)?
    };
    for m in &migrations {
        if let Some(s) = m.up.as_ref().filter(|s| s.streamed.is_some()) {
            errln!(
                "lint: {} not linted: too large to hold in memory (it is streamed when applied)",
                printable_path(&s.path)
            );
        }
    }
    for u in strata_lint::unknown_ignores(&migrations, dialect) {
        errln!(
            "warning: {}:{}: strata:ignore names the unknown rule {:?}; it suppresses nothing",
            printable_path(&u.path),
            u.line,
            printable(&u.rule)
        );
    }
    let findings = strata_lint::lint_migrations(&migrations, dialect, &options);
    match format {
        LintFormat::Text => {
            for f in &findings {
                outln!("{}", finding_text(f));
            }
        }
        LintFormat::Line => {
            for f in &findings {
                outln!(
                    "{}:{}:{}: {}: {}",
                    printable_path(&f.path),
                    f.line,
                    f.column,
                    f.rule,
                    printable(&f.message)
                );
            }
        }
        LintFormat::Json => {
            let value = serde_json::json!({
                "schema_version": 1,
                "dialect": dialect_name(dialect),
                "migrations_checked": migrations.len(),
                "findings": findings,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("findings serialise")
            );
        }
    }
    let rules = format!("{} rules, {why}", dialect_name(dialect));
    if findings.is_empty() {
        errln!(
            "lint: no findings in {} migration(s) ({rules})",
            migrations.len()
        );
        Ok(())
    } else {
        errln!(
            "lint: {} finding(s) in {} migration(s) ({rules})",
            findings.len(),
            migrations.len()
        );
        Err(CliError::Exit(exit::LINT))
    }
}

/// The dialect to lint by and where it came from: -database's backend when given, else
/// `--dialect`, else PostgreSQL. A `--dialect` that contradicts -database is a usage error.
fn choose_dialect(
    database: Option<Dialect>,
    flag: Option<LintDialect>,
) -> Result<(Dialect, &'static str), CliError> {
    let flag = flag.map(|f| match f {
        LintDialect::Postgres => Dialect::Postgres,
        LintDialect::Sqlite => Dialect::Sqlite,
        LintDialect::Mysql => Dialect::Mysql,
    });
    match (database, flag) {
        (Some(db), Some(f)) if db != f => Err(CliError::Usage(format!(
            "--dialect {} contradicts -database, which is {}; drop one of them",
            dialect_name(f),
            dialect_name(db)
        ))),
        (Some(db), _) => Ok((db, "from -database")),
        (None, Some(f)) => Ok((f, "from --dialect")),
        (None, None) => Ok((
            Dialect::Postgres,
            "the default without -database; --dialect sqlite for SQLite",
        )),
    }
}

/// Whether -database names a MySQL or MariaDB server (by its scheme, whether or not the URL is
/// otherwise valid: the dialect is all `lint` needs from it).
fn is_mysql_url(raw: &str) -> bool {
    let scheme = raw.split_once("://").map_or("", |(s, _)| s);
    scheme.eq_ignore_ascii_case("mysql") || scheme.eq_ignore_ascii_case("mariadb")
}

fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
        Dialect::Mysql => "mysql",
    }
}

/// A finding for people: the rule and why, an excerpt with a caret, the safe alternative.
fn finding_text(f: &Finding) -> String {
    let loc = Location {
        path: f.path.clone(),
        line: f.line,
        column: f.column,
        statement: f.statement.clone(),
        statement_line: f.statement_line,
    };
    let mut out = format!(
        "{}: {}\n{}",
        f.rule,
        printable(&f.message),
        render::excerpt(&loc)
    );
    if let Some(help) = &f.help {
        out.push_str(&format!("  = help: {}\n", printable(help)));
    }
    out
}

/// The pending migrations of -path (every migration when no database is given).
fn pending(settings: &Settings, dialect: Dialect) -> Result<Vec<Migration>, CliError> {
    if settings.database.is_none() {
        let dir = settings.require_dir()?;
        let source =
            strata_core::source::read_dir(dir, dialect).map_err(strata_core::Error::from)?;
        return Ok(source.migrations);
    }
    let (mut target, source) = open_read_only_with_source(settings)?;
    let state = target.driver.read_state()?;
    let status = strata_core::status::status(&source, &state);
    Ok(source
        .migrations
        .into_iter()
        .filter(|m| {
            status
                .migrations
                .iter()
                // A dirty migration did not finish: `up` runs it again once forced back.
                .any(|r| r.version == m.version && matches!(r.state, State::Pending | State::Dirty))
        })
        .collect())
}

/// The migrations in the given folders, and those the given files belong to (read with their
/// folder, so marker files, pairs and modes are understood exactly as a run would).
fn from_paths(paths: &[String], dialect: Dialect) -> Result<Vec<Migration>, CliError> {
    let mut out: Vec<Migration> = Vec::new();
    for raw in paths {
        let path = Path::new(raw);
        if path.is_dir() {
            let source =
                strata_core::source::read_dir(path, dialect).map_err(strata_core::Error::from)?;
            out.extend(source.migrations);
        } else if path.is_file() {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let source = strata_core::source::read_dir(&parent, dialect)
                .map_err(strata_core::Error::from)?;
            let name = path.file_name();
            let found: Vec<Migration> = source
                .migrations
                .into_iter()
                .filter(|m| {
                    [&m.up, &m.down]
                        .into_iter()
                        .flatten()
                        .any(|s| s.path.file_name() == name)
                })
                .collect();
            if found.is_empty() {
                return Err(CliError::Failed(format!(
                    "{raw} is not a migration file (expected e.g. 1_name.up.sql or a file with -- UP/-- DOWN markers)"
                )));
            }
            out.extend(found);
        } else {
            return Err(CliError::Failed(format!("{raw}: no such file or folder")));
        }
    }
    // A file given twice, or a folder and a file in it: lint each migration once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|m| {
        let key =
            m.up.as_ref()
                .or(m.down.as_ref())
                .map(|s| s.path.clone())
                .unwrap_or_default();
        seen.insert((m.version, key))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_from_database_then_flag_then_postgres() {
        let pick = |db, flag| choose_dialect(db, flag).map(|(d, _)| d).ok();
        assert_eq!(pick(Some(Dialect::Sqlite), None), Some(Dialect::Sqlite));
        assert_eq!(
            pick(Some(Dialect::Sqlite), Some(LintDialect::Sqlite)),
            Some(Dialect::Sqlite)
        );
        assert_eq!(pick(None, Some(LintDialect::Sqlite)), Some(Dialect::Sqlite));
        assert_eq!(pick(None, None), Some(Dialect::Postgres));
        assert!(matches!(
            choose_dialect(Some(Dialect::Postgres), Some(LintDialect::Sqlite)),
            Err(CliError::Usage(m)) if m.contains("--dialect sqlite contradicts -database")
        ));
        assert_eq!(pick(None, Some(LintDialect::Mysql)), Some(Dialect::Mysql));
        assert_eq!(
            pick(Some(Dialect::Mysql), Some(LintDialect::Mysql)),
            Some(Dialect::Mysql)
        );
        assert!(matches!(
            choose_dialect(Some(Dialect::Mysql), Some(LintDialect::Postgres)),
            Err(CliError::Usage(m)) if m.contains("--dialect postgres contradicts -database, which is mysql")
        ));
    }

    #[test]
    fn mysql_and_mariadb_urls_choose_the_mysql_dialect() {
        assert!(is_mysql_url("mysql://u:p@tcp(h:3306)/db"));
        assert!(is_mysql_url("MariaDB://u@h/db"));
        assert!(!is_mysql_url("postgres://u@h/db"));
        assert!(!is_mysql_url("sqlite3://mysql.db"));
        assert!(!is_mysql_url("mysql.db"));
    }
}
