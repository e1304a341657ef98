//! Static checks of a set of migrations (feature `lint`): squawk's PostgreSQL rules plus the
//! rules only Strata can know (how each migration runs), as `strata lint` runs them.

use crate::error::Error;
use crate::migrations::Migrations;
use std::path::PathBuf;
use strata_sql::Dialect;

/// One problem [`Migrations::lint`] found in a migration's up part.
///
/// ```
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// for f in M.lint()? {
///     eprintln!("{}:{}:{}: {} ({})", f.path.display(), f.line, f.column, f.message, f.rule);
/// }
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The rule's kebab-case id, e.g. `missing-down` or `adding-not-nullable-field`.
    pub rule: String,
    /// Whether squawk or Strata defines the rule.
    pub squawk: bool,
    /// The migration's version.
    pub version: u64,
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
    /// The safe alternative, where there is one.
    pub help: Option<String>,
}

impl From<strata_lint::Finding> for Finding {
    fn from(f: strata_lint::Finding) -> Self {
        Finding {
            squawk: f.source == strata_lint::RuleSource::Squawk,
            rule: f.rule,
            version: f.version,
            name: f.name,
            path: f.path,
            line: f.line,
            column: f.column,
            message: f.message,
            help: f.help,
        }
    }
}

impl Migrations {
    /// Lint the up part of every migration with the default rules, as PostgreSQL would run it
    /// (squawk's rules are PostgreSQL's). Lines of `-- strata:ignore RULE` in a file silence a
    /// rule for the next statement, as for `strata lint`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("1_a.up.sql"), "ALTER TABLE t ADD COLUMN c int NOT NULL;\n").unwrap();
    /// let m = strata::Migrations::from_dir(dir.path())?;
    /// let findings = m.lint()?;
    /// assert!(findings.iter().any(|f| f.rule == "adding-required-field"));
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn lint(&self) -> Result<Vec<Finding>, Error> {
        let source = self.source(Dialect::Postgres)?;
        let options = strata_lint::LintOptions::default();
        Ok(
            strata_lint::lint_migrations(&source.migrations, Dialect::Postgres, &options)
                .into_iter()
                .map(Finding::from)
                .collect(),
        )
    }
}
