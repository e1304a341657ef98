//! Classification of a statement by its leading keywords, to choose how a migration runs.
//!
//! Only keyword tokens count: words inside strings, quoted identifiers and comments never match.
use crate::lexer::{Lexer, TokenKind};
use crate::words::Words;
use crate::{split, Dialect};
use std::ops::Range;

/// What a statement is, as far as choosing how to run a migration is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `BEGIN`, `START TRANSACTION` (not `BEGIN ATOMIC`, not a trigger body).
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// `ROLLBACK`, `ABORT` (not `ROLLBACK TO SAVEPOINT`).
    Rollback,
    /// A statement PostgreSQL refuses inside a transaction block; the payload names it, e.g.
    /// `"CREATE INDEX CONCURRENTLY"`.
    NoTransaction(&'static str),
    /// Anything else.
    Other,
}

/// Classify one statement's text (as returned by [`crate::split`]), lexed with PostgreSQL rules.
///
/// ```
/// use strata_sql::{classify, StatementKind};
/// assert_eq!(classify("-- go\nbegin transaction;"), StatementKind::Begin);
/// assert_eq!(classify("END;"), StatementKind::Commit);
/// assert_eq!(classify("ROLLBACK TO SAVEPOINT s;"), StatementKind::Other);
/// assert_eq!(
///     classify("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a);"),
///     StatementKind::NoTransaction("CREATE INDEX CONCURRENTLY"),
/// );
/// assert_eq!(classify("SELECT 'VACUUM'"), StatementKind::Other);
/// ```
pub fn classify(statement: &str) -> StatementKind {
    classify_with(statement, Dialect::Postgres)
}

/// Classify one statement's text, lexed with `dialect`'s quoting and comment rules. The keyword
/// rules are the same for both dialects (SQLite also refuses `VACUUM` inside a transaction).
pub fn classify_with(statement: &str, dialect: Dialect) -> StatementKind {
    // Mode detection classifies every statement of every file on every run: decide most of
    // them from their first two words, lexing only those, before lexing the whole statement.
    if !may_matter(statement, dialect) {
        return StatementKind::Other;
    }
    let words = Words::new(statement, dialect);
    classify_words(&words)
}

/// Whether the first two words can make [`classify_words`] return anything but `Other`.
fn may_matter(statement: &str, dialect: Dialect) -> bool {
    let mut head = Lexer::new(statement, dialect)
        .filter(|(_, t)| !t.is_trivia())
        .take(2)
        .map(|(offset, t)| (t.kind, &statement[offset..offset + t.len]));
    let word = |w: Option<(TokenKind, &str)>, list: &[&str]| {
        w.is_some_and(|(kind, text)| {
            kind == TokenKind::Word && list.iter().any(|k| text.eq_ignore_ascii_case(k))
        })
    };
    let (first, second) = (head.next(), head.next());
    if word(first, &["CREATE"]) {
        word(
            second,
            &["UNIQUE", "INDEX", "DATABASE", "TABLESPACE", "SUBSCRIPTION"],
        )
    } else if word(first, &["DROP"]) {
        word(second, &["INDEX", "DATABASE", "TABLESPACE", "SUBSCRIPTION"])
    } else {
        word(
            first,
            &[
                "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "VACUUM", "ALTER",
                "REINDEX", "CLUSTER", "DISCARD",
            ],
        )
    }
}

/// The first statement of `sql` that must run outside a transaction block, with the reason.
///
/// ```
/// use strata_sql::{requires_no_transaction, Dialect};
/// let sql = "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);";
/// let (range, why) = requires_no_transaction(sql, Dialect::Postgres).unwrap();
/// assert_eq!((&sql[range], why), ("CREATE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY"));
/// ```
pub fn requires_no_transaction(
    sql: &str,
    dialect: Dialect,
) -> Option<(Range<usize>, &'static str)> {
    split(sql, dialect).statements.into_iter().find_map(|s| {
        match classify_with(s.text(sql), dialect) {
            StatementKind::NoTransaction(why) => Some((s.range, why)),
            _ => None,
        }
    })
}

/// The first transaction-control statement (`BEGIN`, `COMMIT`, `ROLLBACK` and their synonyms)
/// of `sql`: a file containing one manages its own transactions.
///
/// ```
/// use strata_sql::{has_transaction_control, Dialect};
/// let sql = "-- BEGIN;\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;\nBEGIN IMMEDIATE;";
/// assert_eq!(has_transaction_control(sql, Dialect::Sqlite).map(|r| &sql[r]), Some("BEGIN IMMEDIATE;"));
/// ```
pub fn has_transaction_control(sql: &str, dialect: Dialect) -> Option<Range<usize>> {
    split(sql, dialect).statements.into_iter().find_map(|s| {
        match classify_with(s.text(sql), dialect) {
            StatementKind::Begin | StatementKind::Commit | StatementKind::Rollback => Some(s.range),
            _ => None,
        }
    })
}

fn classify_words(w: &Words) -> StatementKind {
    use StatementKind::*;
    let after_work = |i: usize| i + usize::from(matches!(w.get(i), "WORK" | "TRANSACTION"));
    match w.get(0) {
        // BEGIN [WORK|TRANSACTION] [modes]; SQLite BEGIN [DEFERRED|IMMEDIATE|EXCLUSIVE]. Any
        // other continuation (ATOMIC, a trigger body fragment) is not a transaction start.
        "BEGIN" => match w.get(1) {
            "" | ";" | "WORK" | "TRANSACTION" | "ISOLATION" | "READ" | "NOT" | "DEFERRABLE"
            | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE" => Begin,
            _ => Other,
        },
        "START" if w.get(1) == "TRANSACTION" => Begin,
        // COMMIT/END [WORK|TRANSACTION] [AND [NO] CHAIN].
        "COMMIT" | "END" => {
            let i = after_work(1);
            if w.ends_at(i) || w.get(i) == "AND" {
                Commit
            } else if w.at(1, &["PREPARED"]) {
                // COMMIT PREPARED: "cannot be executed inside a transaction block".
                NoTransaction("COMMIT PREPARED")
            } else {
                Other
            }
        }
        "ROLLBACK" | "ABORT" => {
            let i = after_work(1);
            if w.ends_at(i) || w.get(i) == "AND" {
                Rollback
            } else if w.at(0, &["ROLLBACK", "PREPARED"]) {
                // ROLLBACK PREPARED: "cannot be executed inside a transaction block".
                NoTransaction("ROLLBACK PREPARED")
            } else {
                // ROLLBACK [WORK] TO [SAVEPOINT] s only unwinds part of the transaction.
                Other
            }
        }
        // VACUUM: "cannot be executed inside a transaction block" (PostgreSQL and SQLite).
        "VACUUM" => NoTransaction("VACUUM"),
        "CREATE" => classify_create(w),
        "DROP" => {
            if w.at(1, &["INDEX", "CONCURRENTLY"]) {
                NoTransaction("DROP INDEX CONCURRENTLY")
            } else if w.at(1, &["DATABASE"]) {
                NoTransaction("DROP DATABASE")
            } else if w.at(1, &["TABLESPACE"]) {
                NoTransaction("DROP TABLESPACE")
            } else if w.at(1, &["SUBSCRIPTION"]) {
                // Refused when the subscription has a replication slot, the usual case.
                NoTransaction("DROP SUBSCRIPTION")
            } else {
                Other
            }
        }
        "ALTER" => classify_alter(w),
        "REINDEX" => {
            let i = w.skip_parens(1);
            if w.contains("CONCURRENTLY") {
                NoTransaction("REINDEX CONCURRENTLY")
            } else if matches!(w.get(i), "SCHEMA" | "DATABASE" | "SYSTEM") {
                // REINDEX: "REINDEX SCHEMA, REINDEX DATABASE and REINDEX SYSTEM cannot be
                // executed inside a transaction block".
                NoTransaction(match w.get(i) {
                    "SCHEMA" => "REINDEX SCHEMA",
                    "DATABASE" => "REINDEX DATABASE",
                    _ => "REINDEX SYSTEM",
                })
            } else {
                Other
            }
        }
        // CLUSTER: "CLUSTER without a table_name ... cannot be executed inside a transaction
        // block".
        "CLUSTER" => {
            let mut i = w.skip_parens(1);
            if w.get(i) == "VERBOSE" {
                i += 1;
            }
            if w.ends_at(i) {
                NoTransaction("CLUSTER")
            } else {
                Other
            }
        }
        // DISCARD ALL: "cannot be executed inside a transaction block".
        "DISCARD" if w.at(1, &["ALL"]) => NoTransaction("DISCARD ALL"),
        _ => Other,
    }
}

fn classify_create(w: &Words) -> StatementKind {
    use StatementKind::*;
    let index = 1 + usize::from(w.get(1) == "UNIQUE");
    if w.at(index, &["INDEX", "CONCURRENTLY"]) {
        NoTransaction("CREATE INDEX CONCURRENTLY")
    } else if w.at(1, &["DATABASE"]) {
        NoTransaction("CREATE DATABASE")
    } else if w.at(1, &["TABLESPACE"]) {
        NoTransaction("CREATE TABLESPACE")
    } else if w.at(1, &["SUBSCRIPTION"]) {
        // Refused unless `create_slot = false`; the default creates a slot, so assume it does.
        NoTransaction("CREATE SUBSCRIPTION")
    } else {
        Other
    }
}

fn classify_alter(w: &Words) -> StatementKind {
    use StatementKind::*;
    match w.get(1) {
        // ALTER SYSTEM: "cannot be executed inside a transaction block".
        "SYSTEM" => NoTransaction("ALTER SYSTEM"),
        // ALTER DATABASE name SET TABLESPACE moves files, so it is refused in a block.
        "DATABASE" if w.at(3, &["SET", "TABLESPACE"]) => {
            NoTransaction("ALTER DATABASE SET TABLESPACE")
        }
        // ALTER SUBSCRIPTION: REFRESH PUBLICATION, and SET/ADD/DROP PUBLICATION with the
        // default `refresh = true`, "cannot be executed inside a transaction block".
        "SUBSCRIPTION" => {
            if w.at(3, &["REFRESH", "PUBLICATION"]) {
                NoTransaction("ALTER SUBSCRIPTION REFRESH PUBLICATION")
            } else if matches!(w.get(3), "SET" | "ADD" | "DROP")
                && w.get(4) == "PUBLICATION"
                && !refresh_disabled(w)
            {
                NoTransaction("ALTER SUBSCRIPTION PUBLICATION")
            } else {
                Other
            }
        }
        // ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY: "cannot be run in a transaction
        // block".
        "TABLE" if w.contains("DETACH") && w.contains("CONCURRENTLY") => {
            NoTransaction("ALTER TABLE DETACH PARTITION CONCURRENTLY")
        }
        _ => Other,
    }
}

/// Whether a `WITH (refresh = false)` option is present (`false`/`off`; quoted values lex as
/// placeholders and are not recognised, which errs on the side of no transaction).
fn refresh_disabled(w: &Words) -> bool {
    (0..w.len()).any(|i| {
        w.get(i) == "REFRESH"
            && (matches!(w.get(i + 1), "FALSE" | "OFF")
                || w.get(i + 1) == "=" && matches!(w.get(i + 2), "FALSE" | "OFF"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dialect::{Postgres as Pg, Sqlite};
    use StatementKind::*;

    fn check(cases: &[(&str, StatementKind)]) {
        for (sql, want) in cases {
            assert_eq!(classify(sql), *want, "{sql}");
            // The two-word shortcut never changes an answer.
            let full = classify_words(&Words::new(sql, Pg));
            assert_eq!(full, *want, "full classification of {sql}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_two_word_shortcut_agrees_with_full_classification(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "CREATE", "create", "DROP", "ALTER", "INDEX", "UNIQUE", "CONCURRENTLY", "TABLE",
                "DATABASE", "TABLESPACE", "SUBSCRIPTION", "SYSTEM", "TYPE", "ADD", "VALUE", "SET",
                "BEGIN", "begin", "START", "TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT",
                "PREPARED", "WORK", "AND", "CHAIN", "NO", "VACUUM", "REINDEX", "CLUSTER", "VERBOSE",
                "DISCARD", "ALL", "SCHEMA", "DETACH", "PARTITION", "t", "\"INDEX\"", "'x'", "(", ")",
                ";", " ", "\n", "/* c */", "-- c\n", "$$ BEGIN; $$", "INSERT", "SELECT",
            ]), 0..8),
            sqlite in proptest::bool::ANY,
        ) {
            let sql = words.join(" ");
            let dialect = if sqlite { Sqlite } else { Pg };
            proptest::prop_assert_eq!(
                classify_with(&sql, dialect),
                classify_words(&Words::new(&sql, dialect)),
                "{}", sql
            );
        }
    }

    #[test]
    fn classify_recognises_begin_forms() {
        check(&[
            ("BEGIN", Begin),
            ("begin;", Begin),
            ("BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE;", Begin),
            ("Begin Work", Begin),
            ("START TRANSACTION READ ONLY;", Begin),
            ("BEGIN IMMEDIATE TRANSACTION;", Begin),
        ]);
    }

    #[test]
    fn classify_rejects_begin_atomic() {
        check(&[("BEGIN ATOMIC SELECT 1; END;", Other), ("START", Other)]);
    }

    #[test]
    fn classify_recognises_commit_forms() {
        check(&[
            ("COMMIT", Commit),
            ("commit work;", Commit),
            ("COMMIT AND NO CHAIN;", Commit),
            ("END;", Commit),
            ("END TRANSACTION", Commit),
            ("END IF;", Other),
        ]);
    }

    #[test]
    fn classify_recognises_rollback_forms() {
        check(&[
            ("ROLLBACK;", Rollback),
            ("abort", Rollback),
            ("ROLLBACK WORK AND CHAIN", Rollback),
            ("ROLLBACK TO SAVEPOINT s;", Other),
            ("ROLLBACK TRANSACTION TO s;", Other),
            ("ROLLBACK PREPARED 'x';", NoTransaction("ROLLBACK PREPARED")),
            ("COMMIT PREPARED 'x';", NoTransaction("COMMIT PREPARED")),
        ]);
    }

    #[test]
    fn classify_recognises_concurrent_index_statements() {
        check(&[
            (
                "CREATE INDEX CONCURRENTLY i ON t (a);",
                NoTransaction("CREATE INDEX CONCURRENTLY"),
            ),
            (
                "create unique index concurrently if not exists i on t (a)",
                NoTransaction("CREATE INDEX CONCURRENTLY"),
            ),
            (
                "DROP INDEX CONCURRENTLY IF EXISTS i;",
                NoTransaction("DROP INDEX CONCURRENTLY"),
            ),
            (
                "REINDEX (VERBOSE) TABLE CONCURRENTLY t;",
                NoTransaction("REINDEX CONCURRENTLY"),
            ),
            (
                "REINDEX INDEX CONCURRENTLY i;",
                NoTransaction("REINDEX CONCURRENTLY"),
            ),
            ("REINDEX TABLE t;", Other),
            ("REINDEX DATABASE d;", NoTransaction("REINDEX DATABASE")),
            ("CREATE INDEX i ON t (a);", Other),
            ("DROP INDEX i;", Other),
        ]);
    }

    #[test]
    fn classify_recognises_other_no_transaction_statements() {
        check(&[
            ("VACUUM;", NoTransaction("VACUUM")),
            ("vacuum (analyze) t", NoTransaction("VACUUM")),
            ("CREATE DATABASE d;", NoTransaction("CREATE DATABASE")),
            ("DROP DATABASE IF EXISTS d;", NoTransaction("DROP DATABASE")),
            (
                "CREATE TABLESPACE s LOCATION '/x';",
                NoTransaction("CREATE TABLESPACE"),
            ),
            ("DROP TABLESPACE s;", NoTransaction("DROP TABLESPACE")),
            (
                "ALTER SYSTEM SET work_mem = '64MB';",
                NoTransaction("ALTER SYSTEM"),
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p;",
                NoTransaction("CREATE SUBSCRIPTION"),
            ),
            ("DROP SUBSCRIPTION s;", NoTransaction("DROP SUBSCRIPTION")),
            (
                "ALTER SUBSCRIPTION s REFRESH PUBLICATION;",
                NoTransaction("ALTER SUBSCRIPTION REFRESH PUBLICATION"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p;",
                NoTransaction("ALTER SUBSCRIPTION PUBLICATION"),
            ),
            (
                "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false);",
                Other,
            ),
            ("ALTER SUBSCRIPTION s DISABLE;", Other),
            (
                "ALTER DATABASE d SET TABLESPACE s;",
                NoTransaction("ALTER DATABASE SET TABLESPACE"),
            ),
            ("ALTER DATABASE d SET work_mem = 1;", Other),
            (
                "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;",
                NoTransaction("ALTER TABLE DETACH PARTITION CONCURRENTLY"),
            ),
            ("ALTER TABLE p DETACH PARTITION c;", Other),
            ("CLUSTER;", NoTransaction("CLUSTER")),
            ("CLUSTER VERBOSE", NoTransaction("CLUSTER")),
            ("CLUSTER t USING i;", Other),
            ("DISCARD ALL;", NoTransaction("DISCARD ALL")),
        ]);
    }

    #[test]
    fn classify_ignores_words_in_strings_and_comments() {
        check(&[
            ("/* BEGIN; */ SELECT 1", Other),
            ("-- COMMIT\nSELECT 'VACUUM'", Other),
            ("SELECT 1 -- CREATE INDEX CONCURRENTLY", Other),
            ("\"BEGIN\"", Other),
            ("INSERT INTO t VALUES ('CONCURRENTLY')", Other),
            ("CREATE INDEX \"CONCURRENTLY\" ON t (a)", Other),
            ("$$BEGIN$$", Other),
        ]);
    }

    #[test]
    fn classify_skips_leading_comments() {
        check(&[
            ("/* a /* nested */ */\n-- b\n  COMMIT;", Commit),
            ("\n\n\tbegin", Begin),
        ]);
    }

    #[test]
    fn classify_with_uses_dialect_lexing() {
        // SQLite comments do not nest, so BEGIN follows the comment.
        assert_eq!(classify_with("/* /* */ BEGIN", Sqlite), Begin);
        assert_eq!(classify_with("/* /* */ BEGIN", Pg), Other);
        assert_eq!(classify_with("VACUUM", Sqlite), NoTransaction("VACUUM"));
    }

    #[test]
    fn classify_handles_unicode_and_empty_input() {
        check(&[
            ("", Other),
            ("-- only", Other),
            ("SELECT 'ß' AS ü", Other),
            ("é", Other),
        ]);
    }

    #[test]
    fn requires_no_transaction_finds_first_statement() {
        let sql = "CREATE TABLE t (a text DEFAULT 'VACUUM');\n-- VACUUM\nDROP INDEX CONCURRENTLY i;\nVACUUM;";
        let (range, why) = requires_no_transaction(sql, Pg).unwrap();
        assert_eq!(
            (&sql[range], why),
            ("DROP INDEX CONCURRENTLY i;", "DROP INDEX CONCURRENTLY")
        );
        assert_eq!(
            requires_no_transaction("SELECT 1; CREATE INDEX i ON t (a);", Pg),
            None
        );
    }

    #[test]
    fn has_transaction_control_finds_begin_or_commit() {
        let sql = "SELECT 'BEGIN';\nBEGIN;\nSELECT 1;\nCOMMIT;";
        assert_eq!(
            has_transaction_control(sql, Pg).map(|r| &sql[r]),
            Some("BEGIN;")
        );
        assert_eq!(
            has_transaction_control("SELECT 1;\nEND;", Pg).map(|r| r.start),
            Some(10)
        );
        assert_eq!(
            has_transaction_control("SELECT 1; ROLLBACK TO s;", Pg),
            None
        );
    }

    #[test]
    fn has_transaction_control_ignores_begin_atomic_and_trigger_bodies() {
        let f = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;";
        assert_eq!(has_transaction_control(f, Pg), None);
        let t = "CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;";
        assert_eq!(has_transaction_control(t, Sqlite), None);
    }
}
