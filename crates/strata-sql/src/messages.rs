//! How a self-managed script (one with its own `BEGIN`/`COMMIT`) is cut into messages that run
//! exactly as the whole script sent at once would, so that a failure names its statement.
//!
//! PostgreSQL runs the statements of one simple-query message in an implicit transaction until a
//! `BEGIN`, which makes the statements before it part of the explicit block it opens; a
//! `COMMIT` or `ROLLBACK` ends whatever block is open, and the statements after it start a new
//! implicit one (protocol chapter, "Multiple Statements in a Simple Query"). So a message may
//! end wherever no implicit block is open: after a transaction's end, and after the `BEGIN` that
//! opens an explicit block. Inside an explicit block each statement may go alone: the block
//! holds them together, and an error aborts it either way (the caller stops at a failed
//! message, as the server skips the rest of one).
//!
//! A statement PostgreSQL refuses inside a transaction block (`VACUUM`, `CREATE INDEX
//! CONCURRENTLY`, ...) is refused in a multi-statement message too, but not alone: a script
//! with one is sent whole, as before. SQLite has no implicit multi-statement transaction: each
//! statement goes alone.

use crate::classify::{classify_with, StatementKind};
use crate::words::Words;
use crate::Dialect;
use std::ops::Range;

/// The messages to send for a self-managed script, as byte ranges into `sql`, given its
/// statements (`statements`, in order; a COPY's range includes its data). Together they run the
/// statements as one message holding all of them would.
///
/// ```
/// use strata_sql::{self_managed_messages, split, Dialect};
/// let sql = "CREATE TABLE a (x int);\nBEGIN;\nINSERT INTO a VALUES (1);\nCOMMIT;\nSELECT 1/0;";
/// let statements: Vec<_> = split(sql, Dialect::Postgres).statements.into_iter().map(|s| s.range).collect();
/// let messages: Vec<&str> = self_managed_messages(sql, &statements, Dialect::Postgres)
///     .into_iter()
///     .map(|r| &sql[r])
///     .collect();
/// assert_eq!(
///     messages,
///     ["CREATE TABLE a (x int);\nBEGIN;", "INSERT INTO a VALUES (1);", "COMMIT;", "SELECT 1/0;"]
/// );
/// ```
pub fn self_managed_messages(
    sql: &str,
    statements: &[Range<usize>],
    dialect: Dialect,
) -> Vec<Range<usize>> {
    let text = |r: &Range<usize>| sql.get(r.clone()).unwrap_or("");
    if dialect == Dialect::Sqlite {
        return statements.to_vec();
    }
    let kinds: Vec<StatementKind> = statements
        .iter()
        .map(|r| classify_with(text(r), dialect))
        .collect();
    if kinds
        .iter()
        .any(|k| matches!(k, StatementKind::NoTransaction(_)))
    {
        return match (statements.first(), statements.last()) {
            (Some(first), Some(last)) => std::iter::once(first.start..last.end).collect(),
            _ => Vec::new(),
        };
    }
    let mut out = Vec::new();
    // The implicit block being gathered: its first byte and its end so far.
    let mut pending: Option<Range<usize>> = None;
    let mut in_block = false;
    for (r, kind) in statements.iter().zip(kinds) {
        let ends = matches!(kind, StatementKind::Commit | StatementKind::Rollback)
            || prepares_transaction(text(r), dialect);
        if in_block {
            out.push(r.clone());
            in_block = !ends;
            continue;
        }
        let gathered = pending.take().map_or(r.clone(), |p| p.start..r.end);
        if kind == StatementKind::Begin {
            out.push(gathered);
            in_block = true;
        } else if ends {
            out.push(gathered);
        } else {
            pending = Some(gathered);
        }
    }
    out.extend(pending);
    out
}

/// `PREPARE TRANSACTION 'id'`: ends the session's transaction block like `COMMIT` does.
fn prepares_transaction(statement: &str, dialect: Dialect) -> bool {
    let w = Words::new(statement, dialect);
    w.get(0) == "PREPARE" && w.get(1) == "TRANSACTION"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split;

    fn messages(sql: &str, dialect: Dialect) -> Vec<&str> {
        let statements: Vec<Range<usize>> = split(sql, dialect)
            .statements
            .into_iter()
            .map(|s| s.range)
            .collect();
        self_managed_messages(sql, &statements, dialect)
            .into_iter()
            .map(|r| &sql[r])
            .collect()
    }

    #[test]
    fn explicit_blocks_go_statement_by_statement_and_implicit_ones_together() {
        let sql = "BEGIN; CREATE TABLE b (id int); COMMIT; SELECT 1/0;";
        assert_eq!(
            messages(sql, Dialect::Postgres),
            [
                "BEGIN;",
                "CREATE TABLE b (id int);",
                "COMMIT;",
                "SELECT 1/0;"
            ]
        );
        // Statements before BEGIN join its block; after a COMMIT, the rest is one implicit block.
        let sql =
            "SET LOCAL a = 1; SELECT 1; START TRANSACTION; SELECT 2; END; SELECT 3; SELECT 4;";
        assert_eq!(
            messages(sql, Dialect::Postgres),
            [
                "SET LOCAL a = 1; SELECT 1; START TRANSACTION;",
                "SELECT 2;",
                "END;",
                "SELECT 3; SELECT 4;"
            ]
        );
        // ROLLBACK and PREPARE TRANSACTION end a block; ROLLBACK TO SAVEPOINT does not.
        let sql = "BEGIN; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; ROLLBACK; SELECT 1; \
                   BEGIN; PREPARE TRANSACTION 'x'; SELECT 2; SELECT 3;";
        assert_eq!(
            messages(sql, Dialect::Postgres),
            [
                "BEGIN;",
                "SAVEPOINT s;",
                "ROLLBACK TO SAVEPOINT s;",
                "ROLLBACK;",
                "SELECT 1; BEGIN;",
                "PREPARE TRANSACTION 'x';",
                "SELECT 2; SELECT 3;"
            ]
        );
    }

    #[test]
    fn a_statement_refused_in_a_transaction_block_keeps_the_script_whole() {
        let sql = "BEGIN; SELECT 1; COMMIT; VACUUM t; SELECT 2;";
        assert_eq!(messages(sql, Dialect::Postgres), [sql]);
    }

    #[test]
    fn sqlite_statements_go_alone() {
        let sql = "SELECT 1; BEGIN; SELECT 2; COMMIT;";
        assert_eq!(
            messages(sql, Dialect::Sqlite),
            ["SELECT 1;", "BEGIN;", "SELECT 2;", "COMMIT;"]
        );
        assert!(messages("-- nothing", Dialect::Postgres).is_empty());
    }
}
