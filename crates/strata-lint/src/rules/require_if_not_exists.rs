//! `require-if-not-exists` (opt-in): `CREATE TABLE`, `CREATE INDEX`, `CREATE SCHEMA`,
//! `CREATE SEQUENCE`, `CREATE EXTENSION` or `CREATE MATERIALIZED VIEW` without `IF NOT EXISTS`,
//! for teams that want every migration safe to rerun.
use super::{Ctx, Stmt};
use crate::Raw;

pub(crate) const ID: &str = "require-if-not-exists";

/// The object kind a `CREATE` makes, if it can take `IF NOT EXISTS`.
fn creates(s: &Stmt) -> Option<&'static str> {
    if s.word(0) != "CREATE" {
        return None;
    }
    let mut i = 1;
    while matches!(
        s.word(i),
        "UNIQUE" | "GLOBAL" | "LOCAL" | "TEMP" | "TEMPORARY" | "UNLOGGED"
    ) {
        i += 1;
    }
    Some(match s.word(i) {
        "TABLE" => "TABLE",
        "INDEX" => "INDEX",
        "SCHEMA" => "SCHEMA",
        "SEQUENCE" => "SEQUENCE",
        "EXTENSION" => "EXTENSION",
        "MATERIALIZED" => "MATERIALIZED VIEW",
        _ => return None,
    })
}

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    ctx.statements
        .iter()
        .filter_map(|s| {
            let kind = creates(s)?;
            if s.has(&["IF", "NOT", "EXISTS"]) {
                return None;
            }
            Some(ctx.raw(
                ID,
                s.range.clone(),
                format!("CREATE {kind} without IF NOT EXISTS fails when run twice (e.g. after a partial no-transaction run)"),
                "write CREATE ... IF NOT EXISTS",
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    fn hits(up: &str) -> Vec<String> {
        lint(up, Some("SELECT 1;"))
            .into_iter()
            .filter(|f| f.starts_with("require-if-not-exists:"))
            .collect()
    }

    #[test]
    fn flags_create_without_if_not_exists() {
        assert_eq!(
            hits("CREATE UNLOGGED TABLE t (a int);"),
            ["require-if-not-exists:1:1"]
        );
        assert_eq!(
            hits("SELECT 1;\n  CREATE UNIQUE INDEX i ON t (a);"),
            ["require-if-not-exists:2:3"]
        );
    }

    #[test]
    fn accepts_if_not_exists_and_other_creates() {
        assert!(hits("CREATE TABLE IF NOT EXISTS t (a int);").is_empty());
        assert!(
            hits("CREATE OR REPLACE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql;")
                .is_empty()
        );
    }
}
