//! `missing-down`: a migration with no down part, or an empty one, cannot be reverted by
//! `down`, `rollback` or `goto` (Strata refuses to plan it; golang-migrate runs the empty file
//! and moves the version back although nothing was undone).
use super::Ctx;
use crate::Raw;

pub(crate) const ID: &str = "missing-down";

pub(crate) fn check(ctx: &Ctx) -> Vec<Raw> {
    let m = ctx.m;
    let problem = match &m.down {
        None => "has no down part",
        Some(d) if d.is_blank() => "has an empty down part",
        Some(_) => return Vec::new(),
    };
    // Point at the first statement, so `-- strata:ignore missing-down` before it suppresses.
    let at = ctx.statements.first().map_or(0..0, |s| s.range.clone());
    vec![ctx.raw(
        ID,
        at,
        format!(
            "migration {} {problem}: `down`, `rollback` and `goto` to an older version cannot revert it",
            m.version
        ),
        "add a down part that undoes the migration; if it cannot be undone, say so with \
         `-- strata:ignore missing-down` before the first statement",
    )]
}

#[cfg(test)]
mod tests {
    use crate::test_utils::lint;

    #[test]
    fn flags_a_missing_or_empty_down_at_the_first_statement() {
        let up = "-- users\nCREATE TABLE IF NOT EXISTS t (a int);";
        assert!(lint(up, None).contains(&"missing-down:2:1".to_string()));
        assert!(lint(up, Some("-- nothing\n")).contains(&"missing-down:2:1".to_string()));
    }

    #[test]
    fn accepts_a_down_part() {
        let up = "CREATE TABLE IF NOT EXISTS t (a int);";
        assert!(!lint(up, Some("DROP TABLE t;"))
            .iter()
            .any(|f| f.starts_with("missing-down")));
    }
}
