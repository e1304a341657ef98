//! `concurrently-in-transaction`: a statement PostgreSQL refuses inside a transaction block
//! (`CREATE INDEX CONCURRENTLY`, `VACUUM`, `ALTER SYSTEM`, ...) in a migration that will run
//! inside one: a transactional migration, or between the `BEGIN` and `COMMIT` of a file that
//! manages its own transaction. Strata switches a file containing such a statement to
//! no-transaction by itself, so this fires when something else forced a transaction.
use super::Ctx;
use crate::Raw;
use strata_core::TxMode;
use strata_sql::StatementKind;

pub(crate) const ID: &str = "concurrently-in-transaction";

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    let mut out = Vec::new();
    let mut in_block = ctx.mode == TxMode::Transaction;
    for s in &ctx.statements {
        match strata_sql::classify_with(s.text, ctx.dialect) {
            StatementKind::Begin if ctx.mode == TxMode::SelfManaged => in_block = true,
            StatementKind::Commit | StatementKind::Rollback
                if ctx.mode == TxMode::SelfManaged =>
            {
                in_block = false
            }
            StatementKind::NoTransaction(why) if in_block => out.push(ctx.raw(
                ID,
                s.range.clone(),
                format!(
                    "{why} cannot run inside a transaction block, and this migration runs it inside one ({}): \
                     the server refuses it with \"cannot run inside a transaction block\" and the migration fails",
                    match ctx.mode {
                        TxMode::SelfManaged => "the file's own BEGIN",
                        _ => "Strata's transaction",
                    }
                ),
                "move the statement to a migration of its own, which Strata runs without a transaction \
                 (or remove the BEGIN/COMMIT around it)",
            )),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    fn flagged(up: &str) -> bool {
        lint(up, Some("SELECT 1;"))
            .iter()
            .any(|f| f.starts_with("concurrently-in-transaction:"))
    }

    #[test]
    fn flags_concurrently_between_the_files_own_begin_and_commit() {
        assert!(flagged(
            "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;"
        ));
        let got = lint(
            "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;",
            Some("SELECT 1;"),
        );
        assert!(
            got.contains(&"concurrently-in-transaction:2:1".to_string()),
            "{got:?}"
        );
    }

    #[test]
    fn accepts_concurrently_outside_the_block_and_in_no_transaction_migrations() {
        assert!(!flagged(
            "BEGIN;\nCREATE TABLE IF NOT EXISTS t (a int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);"
        ));
        // Strata runs this one without a transaction by itself.
        assert!(!flagged(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);"
        ));
    }
}
