//! Static checks of Strata migrations, before they run.
//!
//! Two families of rules, one output:
//! * [squawk]'s PostgreSQL rules (`adding-not-nullable-field`, `require-concurrent-index-creation`,
//!   `changing-column-type`, `constraint-missing-not-valid`, `renaming-column`, `ban-drop-table`,
//!   ...), run on each script with squawk's parser. Strata tells squawk whether the script runs
//!   inside a transaction (it knows: [`strata_core::TxMode`]), so transaction-sensitive rules
//!   judge the migration as it will really run. The rules that protect an existing table
//!   (`changing-column-type`, `adding-required-field`, ...) skip a table the same file created
//!   before the statement: nothing uses it yet.
//! * Rules only Strata can know, because they depend on how a migration runs (see [`rules`]):
//!   `concurrently-in-transaction`, `mixed-no-transaction`, `missing-down`, `ddl-and-data`,
//!   the opt-in `require-if-not-exists`, and on MySQL/MariaDB `alter-copies-table` and
//!   `repeated-table-rebuild` (from MySQL's online DDL tables). Each rule names the dialects it
//!   judges ([`rules::RuleInfo::dialects`]); squawk's rules run on PostgreSQL only.
//!
//! Findings can be suppressed in the SQL (see [`ignore`]): `-- strata:ignore rule-a, rule-b` on
//! the lines before a statement, `-- strata:ignore-file rule-a` anywhere in a script. squawk's
//! own `-- squawk-ignore` comments work too.
//!
//! Only the up direction is linted: down scripts exist to drop things.
//!
//! [squawk]: https://squawkhq.com
#![warn(missing_docs)]

pub mod ignore;
pub mod rules;
mod squawk;
mod table_name;

use serde::Serialize;
use std::ops::Range;
use std::path::PathBuf;
use strata_core::{Direction, Migration, Script, Version};
use strata_sql::Dialect;

/// Which rules run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Rule ids to turn off (Strata's or squawk's).
    pub exclude: Vec<String>,
    /// Opt-in rule ids to turn on (e.g. `require-if-not-exists`, squawk's `require-timeout-settings`).
    pub include: Vec<String>,
    /// golang-migrate's `x-multi-statement=true` on the target: transactional migrations run
    /// statement by statement, so the rules judge them as they will run
    /// ([`strata_core::Script::run_mode`]).
    pub statement_mode: bool,
}

impl LintOptions {
    /// Whether rule `id` runs, given whether it is on by default.
    pub fn enabled(&self, id: &str, default_on: bool) -> bool {
        !self.exclude.iter().any(|r| r == id)
            && (default_on || self.include.iter().any(|r| r == id))
    }

    /// Every id in `exclude` and `include` that names no rule.
    pub fn unknown_rules(&self) -> Vec<String> {
        self.exclude
            .iter()
            .chain(&self.include)
            .filter(|id| !rules::STRATA_RULES.iter().any(|r| r.id == id.as_str()))
            .filter(|id| !squawk::is_rule(id))
            .cloned()
            .collect()
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSource {
    /// One of Strata's rules.
    Strata,
    /// A squawk rule.
    Squawk,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's kebab-case id, e.g. `missing-down` or `adding-not-nullable-field`.
    pub rule: String,
    /// Who defines the rule.
    pub source: RuleSource,
    /// The migration's version.
    pub version: Version,
    /// The migration's name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Why it is dangerous.
    pub message: String,
    /// The safe alternative.
    pub help: Option<String>,
    /// The statement the finding points into (for excerpts).
    #[serde(skip)]
    pub statement: String,
    /// 1-based file line on which `statement` starts.
    #[serde(skip)]
    pub statement_line: usize,
}

/// A finding inside one script, before positions are resolved: a byte range into `Script::sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    /// Rule id.
    pub rule: String,
    /// Who defines the rule.
    pub source: RuleSource,
    /// Byte range in the script's SQL.
    pub range: Range<usize>,
    /// Why it is dangerous.
    pub message: String,
    /// The safe alternative.
    pub help: Option<String>,
}

/// Lint the up part of each migration, in order.
pub fn lint_migrations<'a>(
    migrations: impl IntoIterator<Item = &'a Migration>,
    dialect: Dialect,
    options: &LintOptions,
) -> Vec<Finding> {
    migrations
        .into_iter()
        .flat_map(|m| lint_migration(m, dialect, options))
        .collect()
}

/// Lint the up part of one migration.
pub fn lint_migration(m: &Migration, dialect: Dialect, options: &LintOptions) -> Vec<Finding> {
    let Some(script) = m.script(Direction::Up) else {
        return Vec::new();
    };
    if script.streamed.is_some() {
        // Too large to hold in memory: not linted (the CLI says so).
        return Vec::new();
    }
    let mut raw = rules::check(m, script, dialect, options);
    if dialect == Dialect::Postgres {
        raw.extend(squawk::check(script, options));
    }
    let ignores = ignore::Ignores::parse(&script.sql, dialect);
    raw.retain(|r| !ignores.suppresses(&r.rule, r.range.start));
    raw.sort_by_key(|r| r.range.start);
    raw.into_iter()
        .map(|r| resolve(m, script, dialect, r))
        .collect()
}

/// A suppression comment naming a rule that does not exist: it suppresses nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownIgnore {
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the comment in the file.
    pub line: usize,
    /// The id as written.
    pub rule: String,
}

/// The ids in the suppression comments of each migration's up part that name no rule.
pub fn unknown_ignores<'a>(
    migrations: impl IntoIterator<Item = &'a Migration>,
    dialect: Dialect,
) -> Vec<UnknownIgnore> {
    let mut out = Vec::new();
    for m in migrations {
        let Some(script) = m.script(Direction::Up).filter(|s| s.streamed.is_none()) else {
            continue;
        };
        for (at, rule) in ignore::Ignores::parse(&script.sql, dialect).unknown() {
            let lc = strata_sql::line_col(&script.sql, *at);
            out.push(UnknownIgnore {
                path: script.path.clone(),
                line: script.first_line + lc.line - 1,
                rule: rule.clone(),
            });
        }
    }
    out
}

/// Turn a script-relative finding into a file position with its statement.
fn resolve(m: &Migration, script: &Script, dialect: Dialect, r: Raw) -> Finding {
    let at = r.range.start.min(script.sql.len());
    let lc = strata_sql::line_col(&script.sql, at);
    // Not `Script::statement_spans`: a finding (squawk's or a rule's) shows the lexer's statement.
    let split = strata_sql::split(&script.sql, dialect);
    let stmt = split
        .statements
        .iter()
        .find(|s| s.range.start <= at && at < s.range.end.max(s.range.start + 1))
        .or_else(|| split.statements.iter().find(|s| s.range.start >= at));
    let (statement, statement_line) = match stmt {
        Some(s) if s.range.start <= at => (s.text(&script.sql).to_string(), s.start.line),
        _ => {
            let line = script
                .sql
                .lines()
                .nth(lc.line - 1)
                .unwrap_or("")
                .to_string();
            (line, lc.line)
        }
    };
    Finding {
        rule: r.rule,
        source: r.source,
        version: m.version,
        name: m.name.clone(),
        path: script.path.clone(),
        line: script.first_line + lc.line - 1,
        column: lc.column,
        message: r.message,
        help: r.help,
        statement,
        statement_line: script.first_line + statement_line - 1,
    }
}

/// Every rule id Strata knows, with its source and whether it is on by default, for `--help`
/// and validation.
pub fn strata_rule_ids() -> impl Iterator<Item = &'static str> {
    rules::STRATA_RULES.iter().map(|r| r.id)
}

#[cfg(test)]
pub(crate) mod test_utils {
    use std::path::{Path, PathBuf};
    use strata_core::source::{assemble, RawFile};
    use strata_core::Migration;

    /// Migration 1 read by the real source code from `m/1_m.up.sql` (and `.down.sql` when
    /// `down` is given), so its mode is the one Strata would choose.
    pub fn migration(up: &str, down: Option<&str>) -> Migration {
        migration_in(up, down, strata_sql::Dialect::Postgres)
    }

    /// [`migration`] read as `dialect`.
    pub fn migration_in(up: &str, down: Option<&str>, dialect: strata_sql::Dialect) -> Migration {
        let mut files = vec![RawFile {
            path: PathBuf::from("m/1_m.up.sql"),
            bytes: up.as_bytes().to_vec(),
        }];
        if let Some(down) = down {
            files.push(RawFile {
                path: PathBuf::from("m/1_m.down.sql"),
                bytes: down.as_bytes().to_vec(),
            });
        }
        let source = assemble(Path::new("m"), files, dialect).unwrap();
        source.migrations.into_iter().next().unwrap()
    }

    /// `rule:line:column` of each finding with all rules on.
    pub fn lint(up: &str, down: Option<&str>) -> Vec<String> {
        let options = crate::LintOptions {
            include: vec!["require-if-not-exists".into()],
            ..Default::default()
        };
        crate::lint_migration(
            &migration(up, down),
            strata_sql::Dialect::Postgres,
            &options,
        )
        .into_iter()
        .map(|f| format!("{}:{}:{}", f.rule, f.line, f.column))
        .collect()
    }

    /// `rule:line:column` of each finding on the MySQL dialect, with all rules on and a down
    /// part.
    pub fn lint_mysql(up: &str) -> Vec<String> {
        let options = crate::LintOptions {
            include: vec!["require-if-not-exists".into()],
            ..Default::default()
        };
        let m = migration_in(up, Some("SELECT 1;"), strata_sql::Dialect::Mysql);
        crate::lint_migration(&m, strata_sql::Dialect::Mysql, &options)
            .into_iter()
            .map(|f| format!("{}:{}:{}", f.rule, f.line, f.column))
            .collect()
    }
}
