//! `alter-copies-table` (MySQL/MariaDB): an `ALTER TABLE` (or `CREATE`/`DROP INDEX`) of an
//! existing table that runs with `ALGORITHM=COPY` as MySQL's online DDL tables document it
//! ([`strata_sql::online_ddl`]): the server copies the table row by row and writes to it wait
//! until the copy ends, minutes to hours on a large table. A table the same migration created
//! is empty and not flagged; `SET foreign_key_checks = 0` earlier in the script is taken into
//! account (it makes `ADD FOREIGN KEY` in-place).
use super::existing_table_ddl::existing_table_ddl;
use super::Ctx;
use crate::table_name::shown_mysql;
use crate::Raw;
use strata_sql::Algorithm;

pub(crate) const ID: &str = "alter-copies-table";

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    let mut out = Vec::new();
    for (s, d, _) in existing_table_ddl(ctx) {
        if d.algorithm != Some(Algorithm::Copy) {
            continue;
        }
        let why = if d.explicit_algorithm {
            "its ALGORITHM=COPY clause asks for it".to_string()
        } else {
            format!("{} needs it", d.operations.join(", "))
        };
        out.push(ctx.raw(
            ID,
            s.range.clone(),
            format!(
                "this copies table {} row by row (ALGORITHM=COPY: {why}): writes to it wait until the copy ends, \
                 which takes as long as rewriting the whole table",
                shown_mysql(&d.table)
            ),
            "on a large table use an online schema change tool (gh-ost, pt-online-schema-change), or a change \
             MySQL does in place (e.g. add a new column and backfill it instead of changing a column's type); \
             add ALGORITHM=INPLACE, LOCK=NONE to make the server refuse rather than copy",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint_mysql;

    fn hits(up: &str) -> Vec<String> {
        lint_mysql(up)
            .into_iter()
            .filter(|f| f.starts_with("alter-copies-table:"))
            .collect()
    }

    #[test]
    fn flags_a_copying_alter_of_an_existing_table() {
        assert_eq!(
            hits("ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users MODIFY email varchar(500) NOT NULL;"),
            ["alter-copies-table:2:1"]
        );
        assert_eq!(
            hits("ALTER TABLE `users` CONVERT TO CHARACTER SET utf8mb4;"),
            ["alter-copies-table:1:1"]
        );
        assert_eq!(
            hits("ALTER TABLE t ADD INDEX i (a), ALGORITHM=COPY;"),
            ["alter-copies-table:1:1"]
        );
        assert_eq!(
            hits("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES p (id);"),
            ["alter-copies-table:1:1"]
        );
    }

    #[test]
    fn accepts_in_place_changes_new_tables_and_unchecked_foreign_keys() {
        assert!(
            hits("ALTER TABLE t ADD COLUMN a int, ADD INDEX i (a);\nCREATE INDEX j ON t (b);")
                .is_empty()
        );
        assert!(hits("CREATE TABLE `t` (a int);\nALTER TABLE t MODIFY a bigint;").is_empty());
        assert!(hits(
            "SET foreign_key_checks = 0;\nALTER TABLE t ADD FOREIGN KEY (p) REFERENCES p (id);\nSET foreign_key_checks = 1;"
        )
        .is_empty());
        // Unknown is not COPY.
        assert!(hits("ALTER TABLE t ADD CHECK (a > 0);").is_empty());
    }
}
