//! `ddl-and-data`: schema changes and data changes to existing tables in one migration. In one
//! transaction the DDL's locks (often ACCESS EXCLUSIVE) are held until the data change
//! finishes, so a backfill of a large table blocks every query on it; and a failing data change
//! rolls back (or, without a transaction, strands) the schema change. Filling a table created by
//! the same migration (seed rows) is fine and not flagged.
use super::{Ctx, Stmt};
use crate::table_name::table_key;
use crate::Raw;
use strata_sql::Dialect;

pub(crate) const ID: &str = "ddl-and-data";

fn is_ddl(s: &Stmt) -> bool {
    matches!(s.word(0), "CREATE" | "ALTER" | "DROP")
}

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    let locks: Vec<_> = ctx
        .statements
        .iter()
        .map(|s| strata_sql::table_lock(s.text, ctx.dialect))
        .collect();
    let created: Vec<String> = locks
        .iter()
        .flatten()
        .filter(|l| l.verb == "CREATE TABLE")
        .map(|l| table_key(&l.table, ctx.dialect))
        .collect();
    let ddl = ctx.statements.iter().filter(|s| is_ddl(s)).count();
    if ddl == 0 {
        return Vec::new();
    }
    let data = ctx.statements.iter().zip(&locks).find_map(|(s, lock)| {
        let table = match (lock, s.word(0)) {
            (Some(l), _) if matches!(l.verb, "INSERT" | "UPDATE" | "DELETE") => l.table.clone(),
            (_, "MERGE" | "COPY") => String::new(),
            _ => return None,
        };
        (!created.contains(&table_key(&table, ctx.dialect))).then_some((s, table))
    });
    let Some((s, table)) = data else {
        return Vec::new();
    };
    let on = if table.is_empty() {
        String::new()
    } else {
        format!(" of `{table}`")
    };
    // MySQL commits each DDL statement by itself: no lock is held across, nothing is undone.
    let why = if ctx.dialect == Dialect::Mysql {
        "each DDL statement commits by itself, so a failing data change leaves the schema change applied, \
         and the data change runs in a migration that cannot be retried as a whole"
    } else {
        "the DDL's locks are held until the data change finishes, so a large backfill blocks the table, \
         and a failure undoes both"
    };
    vec![ctx.raw(
        ID,
        s.range.clone(),
        format!(
            "this migration changes the schema ({ddl} DDL statement(s)) and the data{on}: {why}"
        ),
        "put the data change in a migration of its own after the schema change (batched for large tables)",
    )]
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    fn hits(up: &str) -> Vec<String> {
        lint(up, Some("SELECT 1;"))
            .into_iter()
            .filter(|f| f.starts_with("ddl-and-data:"))
            .collect()
    }

    #[test]
    fn flags_a_backfill_next_to_ddl_at_the_data_statement() {
        let up = "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\nUPDATE users SET plan = 'free';";
        assert_eq!(hits(up), ["ddl-and-data:2:1"]);
    }

    #[test]
    fn accepts_seed_rows_of_a_new_table_and_data_only_migrations() {
        // A quoted name is case-sensitive: "Plans" is not plans.
        assert_eq!(
            hits("CREATE TABLE IF NOT EXISTS \"Plans\" (n text);\nINSERT INTO plans VALUES ('x');")
                .len(),
            1
        );
        assert!(hits(
            "CREATE TABLE IF NOT EXISTS plans (n text);\nINSERT INTO Plans VALUES ('free');"
        )
        .is_empty());
        assert!(hits("UPDATE users SET plan = 'free';\nDELETE FROM t;").is_empty());
        // The default schema written or not: one table.
        assert!(
            hits("CREATE TABLE public.plans (n text);\nINSERT INTO plans VALUES ('x');").is_empty()
        );
        assert!(
            hits("CREATE TABLE plans (n text);\nINSERT INTO PUBLIC.plans VALUES ('x');").is_empty()
        );
    }

    #[test]
    fn on_mysql_backticks_name_the_same_table() {
        let mysql = |up: &str| -> Vec<String> {
            crate::test_utils::lint_mysql(up)
                .into_iter()
                .filter(|f| f.starts_with("ddl-and-data:"))
                .collect()
        };
        assert!(
            mysql("CREATE TABLE `plans` (n text);\nINSERT INTO plans VALUES ('x');").is_empty()
        );
        assert_eq!(
            mysql("ALTER TABLE users ADD COLUMN plan text;\nUPDATE `users` SET plan = 'free';"),
            ["ddl-and-data:2:1"]
        );
    }
}
