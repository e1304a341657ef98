//! `mixed-no-transaction`: a migration that runs without a transaction and has several
//! statements, one of which is not safe to run twice. If a later statement fails, the database
//! is left dirty with the earlier ones applied; after `force`, rerunning the migration fails on
//! the first statement that already ran (or, for a failed `CREATE INDEX CONCURRENTLY`, on the
//! INVALID index it left behind).
use super::{Ctx, Stmt};
use crate::Raw;
use strata_core::TxMode;

pub(crate) const ID: &str = "mixed-no-transaction";

/// Statements that are harmless to run again.
const RERUNNABLE: &[&str] = &[
    "VACUUM",
    "ANALYZE",
    "ANALYSE",
    "SET",
    "RESET",
    "SELECT",
    "REINDEX",
    "CLUSTER",
    "COMMENT",
    "GRANT",
    "REVOKE",
    "REFRESH",
    "CHECKPOINT",
    "DISCARD",
    "LOCK",
];

fn guarded(s: &Stmt) -> bool {
    RERUNNABLE.contains(&s.word(0))
        || s.has(&["IF", "NOT", "EXISTS"])
        || s.has(&["IF", "EXISTS"])
        || s.has(&["OR", "REPLACE"])
}

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    if ctx.mode != TxMode::NoTransaction || ctx.statements.len() < 2 {
        return Vec::new();
    }
    let why = ctx
        .script
        .run_mode_reason(ctx.statement_mode)
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    ctx.statements
        .iter()
        .filter(|s| !guarded(s))
        .map(|s| {
            ctx.raw(
                ID,
                s.range.clone(),
                format!(
                    "this migration runs without a transaction{why} and has {} statements: if a later one fails, \
                     this one stays applied and the database is left dirty, and running the migration again fails here \
                     because the statement is not safe to rerun",
                    ctx.statements.len()
                ),
                "give the statement that needs no transaction a migration of its own, or make every statement \
                 safe to rerun (IF NOT EXISTS / IF EXISTS / OR REPLACE)",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    fn hits(up: &str) -> Vec<String> {
        lint(up, Some("SELECT 1;"))
            .into_iter()
            .filter(|f| f.starts_with("mixed-no-transaction:"))
            .collect()
    }

    #[test]
    fn flags_each_unguarded_statement_of_a_multi_statement_no_transaction_migration() {
        let up = "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;";
        assert_eq!(
            hits(up),
            ["mixed-no-transaction:1:1", "mixed-no-transaction:2:1"]
        );
    }

    #[test]
    fn accepts_guarded_statements_single_statements_and_transactional_migrations() {
        assert!(hits(
            "CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);"
        )
        .is_empty());
        assert!(hits("CREATE INDEX CONCURRENTLY i ON t (a);").is_empty());
        assert!(hits("CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);").is_empty());
    }
}
