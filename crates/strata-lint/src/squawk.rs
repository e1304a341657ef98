//! squawk's rules on one script. squawk's byte ranges are relative to the text it parsed, which
//! is exactly `Script::sql`.
use crate::table_name::table_key;
use crate::{LintOptions, Raw, RuleSource};
use squawk_linter::{Linter, Rule};
use std::ops::Range;
use strata_core::{Script, TxMode};
use strata_sql::Dialect;

/// squawk rules that protect an existing table (from a rewrite, a scan or a long lock while it
/// is in use): nothing to protect on a table the same file created before the statement.
/// (squawk itself already exempts new tables from its constraint and index rules.)
const EXISTING_TABLE_RULES: &[&str] = &[
    "adding-serial-primary-key-field",
    "adding-required-field",
    "changing-column-type",
    "adding-not-nullable-field",
    "adding-field-with-default",
    "adding-primary-key-constraint",
];

/// Whether `id` names a squawk rule.
pub(crate) fn is_rule(id: &str) -> bool {
    id.parse::<Rule>().is_ok() || id == "syntax-error"
}

/// Run squawk's default rules (minus `exclude`, plus `include`) on `script`.
pub(crate) fn check(script: &Script, options: &LintOptions) -> Vec<Raw> {
    let parse_ids =
        |ids: &[String]| -> Vec<Rule> { ids.iter().filter_map(|id| id.parse().ok()).collect() };
    // Strata sets the session's lock_timeout/statement_timeout itself (-ddl-lock-timeout,
    // MIGRATION_TIMEOUT), so squawk's timeout rules are opt-in here.
    let mut exclude = parse_ids(&options.exclude);
    for rule in [Rule::RequireLockTimeout, Rule::RequireStatementTimeout] {
        if !options
            .include
            .iter()
            .any(|id| *id == rule.to_string() || id == "require-timeout-settings")
        {
            exclude.push(rule);
        }
    }
    let mut linter = Linter::with_rules(&parse_ids(&options.include), &exclude);
    // Strata wraps a transactional migration in BEGIN/COMMIT itself: tell squawk, so rules such
    // as prefer-robust-stmts and ban-concurrent-index-creation-in-transaction judge the file as
    // it will run.
    linter.settings.assume_in_transaction =
        script.run_mode(options.statement_mode) == TxMode::Transaction;
    let file = squawk_syntax::SourceFile::parse(&script.sql);
    let mut out: Vec<Raw> = Vec::new();
    if options.enabled("syntax-error", true) {
        out.extend(file.errors().iter().map(|e| {
            let start = usize::from(e.range().start());
            Raw {
                rule: "syntax-error".into(),
                source: RuleSource::Squawk,
                range: start..usize::from(e.range().end()).max(start),
                message: format!("squawk could not parse this: {}", e.message()),
                help: Some(
                    "squawk's rules may miss problems in this file; check the syntax, or exclude syntax-error if the server accepts it".into(),
                ),
            }
        }));
    }
    let new_tables = alters_of_new_tables(&script.sql);
    let on_new_table = |offset: usize| {
        new_tables
            .iter()
            .any(|r| r.start <= offset && offset < r.end)
    };
    out.extend(linter.lint(&file, &script.sql).into_iter().filter_map(|v| {
        let start = usize::from(v.text_range.start());
        let rule = v.code.to_string();
        if EXISTING_TABLE_RULES.contains(&rule.as_str()) && on_new_table(start) {
            return None;
        }
        Some(Raw {
            rule,
            source: RuleSource::Squawk,
            range: start..usize::from(v.text_range.end()).max(start),
            message: v.message,
            help: v.help,
        })
    }));
    out
}

/// Whether a `CREATE ...` statement says `IF NOT EXISTS` before its name.
fn if_not_exists(statement: &str) -> bool {
    let mut offset = 0;
    let mut head = Vec::new();
    for t in strata_sql::tokenize(statement, Dialect::Postgres) {
        if !t.is_trivia() {
            head.push(statement[offset..offset + t.len].to_ascii_uppercase());
        }
        offset += t.len;
        if head.len() == 8 {
            break;
        }
    }
    head.windows(3).any(|w| w == ["IF", "NOT", "EXISTS"])
}

/// The `ALTER TABLE` statements of `sql` (byte ranges) whose table a `CREATE TABLE` earlier in
/// `sql` made (and no `DROP TABLE` removed since).
fn alters_of_new_tables(sql: &str) -> Vec<Range<usize>> {
    let mut created: Vec<String> = Vec::new();
    let mut out = Vec::new();
    // Not `Script::statement_spans`: squawk reports on the lexer's statements of the raw text.
    for s in strata_sql::split(sql, Dialect::Postgres).statements {
        let Some(lock) = strata_sql::table_lock(s.text(sql), Dialect::Postgres) else {
            continue;
        };
        let table = table_key(&lock.table, Dialect::Postgres);
        match lock.verb {
            // `IF NOT EXISTS` may find an existing table: still worth protecting.
            "CREATE TABLE" if !if_not_exists(s.text(sql)) => created.push(table),
            "DROP TABLE" => {
                let dropped: Vec<String> = std::iter::once(table)
                    .chain(lock.more.iter().map(|t| table_key(t, Dialect::Postgres)))
                    .collect();
                created.retain(|t| !dropped.contains(t))
            }
            "ALTER TABLE" if created.contains(&table) => out.push(s.range),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    const ALTERS: &str = "ALTER TABLE t ADD COLUMN id serial PRIMARY KEY;\n\
                          ALTER TABLE t ADD COLUMN b int NOT NULL;\n\
                          ALTER TABLE t ALTER COLUMN a TYPE bigint;\n";

    fn rules(findings: &[String]) -> Vec<&str> {
        findings
            .iter()
            .map(|f| f.split(':').next().unwrap())
            .filter(|r| {
                [
                    "adding-serial-primary-key-field",
                    "adding-required-field",
                    "changing-column-type",
                ]
                .contains(r)
            })
            .collect()
    }

    #[test]
    fn rules_protecting_existing_tables_skip_a_table_created_earlier_in_the_file() {
        let existing = lint(ALTERS, Some("SELECT 1;"));
        assert_eq!(
            rules(&existing),
            [
                "adding-serial-primary-key-field",
                "adding-required-field",
                "changing-column-type"
            ],
            "{existing:?}"
        );
        let created = lint(
            &format!("CREATE TABLE t (a int);\n{ALTERS}"),
            Some("DROP TABLE t;"),
        );
        assert!(rules(&created).is_empty(), "{created:?}");
        // Dropped and altered again: an existing table by that name again is not assumed.
        let recreated = lint(
            &format!("CREATE TABLE t (a int);\nDROP TABLE t;\n{ALTERS}"),
            Some("SELECT 1;"),
        );
        assert_eq!(rules(&recreated).len(), 3, "{recreated:?}");
        // IF NOT EXISTS may have found an existing table.
        let maybe = lint(
            &format!("CREATE TABLE IF NOT EXISTS t (a int);\n{ALTERS}"),
            Some("SELECT 1;"),
        );
        assert_eq!(rules(&maybe).len(), 3, "{maybe:?}");
    }

    #[test]
    fn a_table_created_schema_qualified_is_the_same_table_unqualified() {
        for create in [
            "CREATE TABLE public.t (a int);",
            "CREATE TABLE \"public\".T (a int);",
        ] {
            let created = lint(&format!("{create}\n{ALTERS}"), Some("DROP TABLE t;"));
            assert!(rules(&created).is_empty(), "{create}: {created:?}");
        }
        let created = lint(
            "CREATE TABLE t (a int);\nALTER TABLE public.t ADD COLUMN b int NOT NULL;\n",
            Some("DROP TABLE t;"),
        );
        assert!(rules(&created).is_empty(), "{created:?}");
        // Another schema, or a quoted name of another case, is another table.
        for create in [
            "CREATE TABLE app.t (a int);",
            "CREATE TABLE public.\"T\" (a int);",
        ] {
            let other = lint(&format!("{create}\n{ALTERS}"), Some("SELECT 1;"));
            assert_eq!(rules(&other).len(), 3, "{create}: {other:?}");
        }
        // Dropped in a list, qualified: no longer assumed new.
        let dropped = lint(
            &format!("CREATE TABLE t (a int);\nDROP TABLE u, public.t;\n{ALTERS}"),
            Some("SELECT 1;"),
        );
        assert_eq!(rules(&dropped).len(), 3, "{dropped:?}");
    }
}
