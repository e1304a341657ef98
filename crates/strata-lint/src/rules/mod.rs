//! The rules only Strata can know: they depend on how each migration runs (its
//! [`TxMode`](strata_core::TxMode)) and on the migration as a whole (its down part, all of its
//! statements). One file per rule; each is a plain function from a migration to findings.

mod alter_copies_table;
mod concurrently_in_transaction;
mod ddl_and_data;
mod existing_table_ddl;
mod missing_down;
mod mixed_no_transaction;
mod repeated_table_rebuild;
mod require_if_not_exists;

use crate::{LintOptions, Raw, RuleSource};
use std::ops::Range;
use strata_core::{Migration, Script, TxMode};
use strata_sql::{Dialect, TokenKind};

/// A Strata rule's id, whether it runs by default, and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// On unless excluded (`false`: only with `--include`).
    pub default_on: bool,
    /// One line for help texts.
    pub summary: &'static str,
    /// The dialects it judges; on the others it does not run.
    pub dialects: &'static [Dialect],
}

/// Every dialect.
const ALL: &[Dialect] = &[Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql];
/// MySQL and MariaDB only.
const MYSQL: &[Dialect] = &[Dialect::Mysql];

/// Every Strata rule.
pub const STRATA_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: concurrently_in_transaction::ID,
        default_on: true,
        summary: "a statement PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...) in a migration that will run inside one",
        // MySQL has no such statements (and no transactional DDL: each DDL statement commits).
        dialects: &[Dialect::Postgres, Dialect::Sqlite],
    },
    RuleInfo {
        id: mixed_no_transaction::ID,
        default_on: true,
        summary: "a no-transaction migration with several statements, one of which is not safe to rerun (no IF NOT EXISTS / IF EXISTS)",
        dialects: ALL,
    },
    RuleInfo {
        id: missing_down::ID,
        default_on: true,
        summary: "a migration without a down part (or with an empty one)",
        dialects: ALL,
    },
    RuleInfo {
        id: ddl_and_data::ID,
        default_on: true,
        summary: "schema changes and data changes (INSERT/UPDATE/DELETE) on existing tables in one migration",
        dialects: ALL,
    },
    RuleInfo {
        id: require_if_not_exists::ID,
        default_on: false,
        summary: "CREATE TABLE/INDEX/SCHEMA/SEQUENCE/EXTENSION without IF NOT EXISTS (opt-in, for teams that want idempotent migrations)",
        dialects: ALL,
    },
    RuleInfo {
        id: alter_copies_table::ID,
        default_on: true,
        summary: "MySQL/MariaDB: an ALTER of an existing table that runs with ALGORITHM=COPY (writes wait while the whole table is copied)",
        dialects: MYSQL,
    },
    RuleInfo {
        id: repeated_table_rebuild::ID,
        default_on: true,
        summary: "MySQL/MariaDB: several statements in one migration that each rebuild the same existing table (one ALTER would rebuild it once)",
        dialects: MYSQL,
    },
];

type RuleFn = fn(&Ctx) -> Vec<Raw>;

/// Run the enabled Strata rules on `m`'s up `script`.
pub(crate) fn check(
    m: &Migration,
    script: &Script,
    dialect: Dialect,
    options: &LintOptions,
) -> Vec<Raw> {
    let ctx = Ctx::new(m, script, dialect, options.statement_mode);
    let all: [(&str, RuleFn); 7] = [
        (
            concurrently_in_transaction::ID,
            concurrently_in_transaction::check,
        ),
        (mixed_no_transaction::ID, mixed_no_transaction::check),
        (missing_down::ID, missing_down::check),
        (ddl_and_data::ID, ddl_and_data::check),
        (require_if_not_exists::ID, require_if_not_exists::check),
        (alter_copies_table::ID, alter_copies_table::check),
        (repeated_table_rebuild::ID, repeated_table_rebuild::check),
    ];
    all.iter()
        .filter(|(id, _)| {
            let info = STRATA_RULES.iter().find(|r| r.id == *id).expect("listed");
            info.dialects.contains(&dialect) && options.enabled(id, info.default_on)
        })
        .flat_map(|(_, f)| f(&ctx))
        .collect()
}

/// What a rule sees: the migration, its up script, and the script's statements with their
/// upper-cased words.
pub(crate) struct Ctx<'a> {
    pub m: &'a Migration,
    pub script: &'a Script,
    pub dialect: Dialect,
    /// How the script will run ([`Script::run_mode`]: `x-multi-statement` included).
    pub mode: TxMode,
    /// golang-migrate's `x-multi-statement=true` is on.
    pub statement_mode: bool,
    pub statements: Vec<Stmt<'a>>,
}

/// One statement of the script.
pub(crate) struct Stmt<'a> {
    /// Byte range in the script's SQL, from its first significant token.
    pub range: Range<usize>,
    /// Its text.
    pub text: &'a str,
    /// Its keywords and punctuation, upper-cased; quoted text is `\0`.
    pub words: Vec<String>,
}

impl Stmt<'_> {
    pub fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }

    /// Whether `seq` occurs anywhere in the statement's words.
    pub fn has(&self, seq: &[&str]) -> bool {
        self.words
            .windows(seq.len())
            .any(|w| w.iter().zip(seq).all(|(a, b)| a == b))
    }
}

impl<'a> Ctx<'a> {
    fn new(m: &'a Migration, script: &'a Script, dialect: Dialect, statement_mode: bool) -> Self {
        let sql = script.sql.as_str();
        // A COPY's data is not SQL: rules see its statement without it.
        let statements = script
            .statement_spans(dialect)
            .into_iter()
            .map(|s| s.sql)
            .filter_map(|r| {
                let text = &sql[r.clone()];
                let (lead, words) = words(text, dialect);
                (!words.is_empty()).then(|| Stmt {
                    range: r.start + lead..r.end,
                    text: &text[lead..],
                    words,
                })
            })
            .collect();
        Ctx {
            m,
            script,
            dialect,
            mode: script.run_mode(statement_mode),
            statement_mode,
            statements,
        }
    }

    /// A finding of `rule` at `range`.
    pub fn raw(&self, rule: &str, range: Range<usize>, message: String, help: &str) -> Raw {
        Raw {
            rule: rule.to_string(),
            source: RuleSource::Strata,
            range,
            message,
            help: Some(help.to_string()),
        }
    }
}

/// Byte offset of the first significant token, and the upper-cased significant tokens.
fn words(text: &str, dialect: Dialect) -> (usize, Vec<String>) {
    let mut offset = 0;
    let mut lead = None;
    let mut out = Vec::new();
    for t in strata_sql::tokenize(text, dialect) {
        let raw = &text[offset..offset + t.len];
        if !t.is_trivia() {
            lead.get_or_insert(offset);
            out.push(match t.kind {
                TokenKind::Word | TokenKind::Punct | TokenKind::Semicolon => {
                    raw.to_ascii_uppercase()
                }
                _ => "\u{0}".to_string(),
            });
        }
        offset += t.len;
    }
    (lead.unwrap_or(0), out)
}

#[cfg(test)]
mod tests {
    use crate::test_utils::{lint, lint_mysql};

    fn has(findings: &[String], rule: &str) -> bool {
        findings.iter().any(|f| f.starts_with(&format!("{rule}:")))
    }

    #[test]
    fn each_rule_runs_on_its_dialects_only() {
        let copy =
            "ALTER TABLE t ADD PRIMARY KEY (id);\nALTER TABLE t CONVERT TO CHARACTER SET utf8mb4;";
        assert!(has(&lint_mysql(copy), "alter-copies-table"));
        assert!(has(&lint_mysql(copy), "repeated-table-rebuild"));
        let pg = lint(copy, Some("SELECT 1;"));
        assert!(!has(&pg, "alter-copies-table") && !has(&pg, "repeated-table-rebuild"));
        let conc = "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;";
        assert!(has(
            &lint(conc, Some("SELECT 1;")),
            "concurrently-in-transaction"
        ));
        assert!(!has(&lint_mysql(conc), "concurrently-in-transaction"));
        // Rules for every dialect still run on MySQL.
        assert!(has(
            &lint_mysql("CREATE TABLE t (a int);"),
            "require-if-not-exists"
        ));
    }
}
