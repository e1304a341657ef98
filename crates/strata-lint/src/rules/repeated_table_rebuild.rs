//! `repeated-table-rebuild` (MySQL/MariaDB): several statements of one migration that each
//! rebuild (or copy) the same existing table, as MySQL's online DDL tables document them
//! ([`strata_sql::online_ddl`]). Each rebuild rewrites the whole table and waits for its
//! metadata lock again; one `ALTER TABLE` with the changes separated by commas rebuilds it
//! once. Statements that do not rebuild (instant or in-place metadata changes, secondary
//! indexes) are not counted: combining those with a rebuild would make them slower.
use super::existing_table_ddl::existing_table_ddl;
use super::Ctx;
use crate::table_name::shown_mysql;
use crate::Raw;

pub(crate) const ID: &str = "repeated-table-rebuild";

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    let mut out = Vec::new();
    // Per table: the line of its first rebuild, and whether it was already reported.
    let mut rebuilt: Vec<(String, usize, bool)> = Vec::new();
    for (s, d, key) in existing_table_ddl(ctx) {
        if d.rebuilds != Some(true) {
            continue;
        }
        let line =
            ctx.script.first_line + strata_sql::line_col(&ctx.script.sql, s.range.start).line - 1;
        match rebuilt.iter_mut().find(|(t, _, _)| *t == key) {
            None => rebuilt.push((key, line, false)),
            Some((_, _, true)) => {}
            Some((_, first, reported)) => {
                *reported = true;
                out.push(ctx.raw(
                    ID,
                    s.range.clone(),
                    format!(
                        "table {} is rebuilt again here ({}), after the rebuild at line {first}: \
                         each rebuild rewrites the whole table and waits for its metadata lock anew",
                        shown_mysql(&d.table),
                        d.operations.join(", ")
                    ),
                    "make the rebuilding changes one ALTER TABLE, separated by commas, so the table is rebuilt once",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint_mysql;

    fn hits(up: &str) -> Vec<String> {
        lint_mysql(up)
            .into_iter()
            .filter(|f| f.starts_with("repeated-table-rebuild:"))
            .collect()
    }

    #[test]
    fn flags_the_second_rebuild_of_a_table_once() {
        let up = "ALTER TABLE t ADD PRIMARY KEY (id);\nALTER TABLE t ROW_FORMAT=DYNAMIC;\nALTER TABLE `t` FORCE;";
        assert_eq!(hits(up), ["repeated-table-rebuild:2:1"]);
        assert_eq!(
            hits("ALTER TABLE a MODIFY x bigint;\nALTER TABLE b MODIFY y bigint;\nALTER TABLE a MODIFY z bigint;"),
            ["repeated-table-rebuild:3:1"]
        );
    }

    #[test]
    fn accepts_one_rebuild_per_table_non_rebuilding_changes_and_new_tables() {
        assert!(hits("ALTER TABLE t MODIFY a bigint, MODIFY b bigint;").is_empty());
        assert!(hits("ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD INDEX i (a);\nALTER TABLE t MODIFY b bigint;").is_empty());
        assert!(hits("ALTER TABLE a FORCE;\nALTER TABLE b FORCE;").is_empty());
        assert!(hits(
            "CREATE TABLE t (a int);\nALTER TABLE t MODIFY a bigint;\nALTER TABLE t FORCE;"
        )
        .is_empty());
    }
}
