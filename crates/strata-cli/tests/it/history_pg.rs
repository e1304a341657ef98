//! Batches and history on a real PostgreSQL server: rollback (the worked example, a missing
//! down part, a no-transaction migration in the batch), reset/refresh/redo, history, baseline,
//! validate and accept. Skipped with a printed reason when there is no server (fails under
//! `CI=true`).

use crate::pg::{pg, Pg};
use crate::support::three;

/// `(action, version, batch)` of every log entry, oldest first.
fn log(pg: &Pg) -> Vec<(String, Option<i64>, Option<i64>)> {
    pg.db
        .client()
        .query(
            "SELECT action, version, batch FROM public.schema_migrations_log ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn batches(pg: &Pg) -> Vec<i64> {
    pg.db
        .client()
        .query(
            "SELECT batch FROM public.schema_migrations_ledger ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn pg_rollback_reverts_the_whole_last_batch_and_leaves_001() {
    let pg = pg!();
    three(&pg.p);
    pg.run(&["up", "1"]).ok();
    pg.run(&["up"]).ok();
    assert_eq!(batches(&pg), [1, 2, 2]);
    let out = pg.run(&["rollback"]);
    out.ok();
    let three_at = out.stderr.find("3/d create_c").expect("3 reverted");
    let two_at = out.stderr.find("2/d create_b").expect("2 reverted");
    assert!(three_at < two_at, "newest first:\n{}", out.stderr);
    assert_eq!(pg.tables(), ["a"]);
    assert_eq!(pg.ledger_versions(), [1]);
    assert_eq!(pg.compat(), [(1, false)]);
    let rollbacks: Vec<_> = log(&pg).into_iter().filter(|e| e.0 == "rollback").collect();
    assert_eq!(
        rollbacks,
        [
            ("rollback".into(), Some(3), Some(2)),
            ("rollback".into(), Some(2), Some(2))
        ]
    );
}

#[test]
fn pg_rollback_of_a_batch_with_a_migration_without_down_changes_nothing() {
    let pg = pg!();
    let p = &pg.p;
    p.pair(
        "001",
        "create_a",
        "CREATE TABLE a (id int);",
        "DROP TABLE a;",
    );
    p.file("002_create_b.up.sql", "CREATE TABLE b (id int);");
    p.pair(
        "003",
        "create_c",
        "CREATE TABLE c (id int);",
        "DROP TABLE c;",
    );
    pg.run(&["up"]).ok();
    pg.run(&["rollback"])
        .code(3)
        .stderr_has("migration 2 (create_b) has no down part");
    assert_eq!(pg.tables(), ["a", "b", "c"]);
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_rollback_of_a_batch_with_a_no_transaction_migration_records_each_step() {
    let pg = pg!();
    let p = &pg.p;
    p.pair(
        "001",
        "create_a",
        "CREATE TABLE a (id int);",
        "DROP TABLE a;",
    );
    p.pair(
        "002",
        "idx",
        "CREATE TABLE b (id int);",
        "-- strata:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS b_idx;\nDROP TABLE b;\n",
    );
    p.pair(
        "003",
        "idx_concurrently",
        "CREATE INDEX CONCURRENTLY b_idx ON b (id);",
        "DROP INDEX CONCURRENTLY b_idx;",
    );
    pg.run(&["up", "1"]).ok();
    pg.run(&["up"]).ok();
    pg.run(&["rollback"])
        .ok()
        .stderr_has("3/d idx_concurrently")
        .stderr_has("2/d idx");
    assert_eq!(pg.tables(), ["a"]);
    assert_eq!(pg.ledger_versions(), [1]);
    assert_eq!(pg.compat(), [(1, false)]);
    let actions: Vec<String> = log(&pg).into_iter().map(|e| e.0).collect();
    assert!(
        // 2's down has two statements: the second is recorded (`progress`) before it runs.
        actions.ends_with(&[
            "start".into(),
            "rollback".into(),
            "start".into(),
            "progress".into(),
            "rollback".into()
        ]),
        "each no-transaction revert is recorded on its own: {actions:?}"
    );
}

#[test]
fn pg_reset_refresh_and_redo() {
    let pg = pg!();
    three(&pg.p);
    pg.run(&["up", "1"]).ok();
    pg.run(&["up"]).ok();
    pg.run(&["redo"])
        .ok()
        .stderr_has("3/d create_c")
        .stderr_has("3/u create_c");
    assert_eq!(batches(&pg), [1, 2, 3]);
    pg.run(&["refresh", "-f"]).ok();
    assert_eq!(batches(&pg), [4, 4, 4]);
    assert_eq!(pg.compat(), [(3, false)]);
    pg.run(&["reset"]).code(1).stderr_has("Not resetting");
    pg.run(&["reset", "-f"]).ok();
    assert!(pg.tables().is_empty());
    assert!(pg.compat().is_empty());
}

#[test]
fn pg_history_lists_actions_newest_first_with_limit_and_json() {
    let pg = pg!();
    let out = pg.run(&["history"]);
    out.ok().stdout_has("(no actions recorded)");
    three(&pg.p);
    pg.run(&["up"]).ok();
    pg.run(&["rollback"]).ok();
    let out = pg.run(&["history"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 6, "{}", out.stdout);
    assert!(lines[1].contains("rollback") && lines[1].contains("create_a"));
    assert!(lines[6].contains("  up  ") && lines[6].contains("create_a"));
    let out = pg.run(&["history", "--limit", "2", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = v["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "rollback");
    assert_eq!(entries[0]["version"], 1);
    assert_eq!(entries[1]["version"], 2);
    let at = entries[0]["at"].as_str().unwrap();
    assert!(
        at.ends_with('Z') && at.len() == "2026-01-01T00:00:00.000Z".len(),
        "{at}"
    );
}

#[test]
fn pg_baseline_marks_up_to_v_applied_and_refuses_a_tracked_database() {
    let pg = pg!();
    three(&pg.p);
    pg.run(&["baseline", "2"]).ok();
    assert!(pg.tables().is_empty(), "nothing was run");
    assert_eq!(
        pg.ledger(),
        [
            (1, "baseline".into(), "transaction".into()),
            (2, "baseline".into(), "transaction".into())
        ]
    );
    assert_eq!(pg.compat(), [(2, false)]);
    pg.run(&["baseline", "3"])
        .code(3)
        .stderr_has("already has migration records");
    pg.run(&["baseline", "--force", "1"]).ok();
    assert_eq!(pg.ledger_versions(), [1]);
    assert_eq!(pg.compat(), [(1, false)]);
    pg.run(&["history"]).ok().stdout_has("baseline");
}

#[test]
fn pg_validate_and_accept() {
    let pg = pg!();
    three(&pg.p);
    pg.run(&["up"]).ok();
    pg.run(&["validate"]).ok();
    pg.p.file(
        "000002_create_b.up.sql",
        "-- reformatted\nCREATE TABLE b (id INTEGER);",
    );
    pg.run(&["validate"])
        .code(3)
        .stdout_has("migration 2 (create_b) was edited");
    pg.run(&["status", "--check"]).code(3);
    pg.run(&["accept", "2"]).ok().stderr_has("accepted 2");
    pg.run(&["validate"]).ok();
    pg.run(&["status", "--check"]).ok();
    assert_eq!(log(&pg).last().map(|e| e.0.as_str()), Some("accept"));
}

#[test]
fn pg_progress_and_history_print_a_migration_s_duration_alike() {
    let pg = pg!();
    for v in 1..=5 {
        pg.p.pair(&v.to_string(), &format!("m{v}"), "SELECT 1;", "SELECT 1;");
    }
    let up = pg.run(&["up"]);
    up.ok().never_shows("0ns");
    // Both come from the log row the server timed; `status` reads the ledger's own timing
    // (taken a moment earlier in the same transaction) through the same formatting.
    let history = pg.run(&["history"]);
    history.ok();
    for v in 1..=5 {
        let head = format!("{v}/u m{v} (");
        let line = up
            .stderr
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("no progress line for {v}:\n{}", up.stderr));
        let shown = line[head.len()..].trim_end_matches(')');
        let row: Vec<&str> = history
            .stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|c| c.get(2) == Some(&"up") && c.get(3) == Some(&v.to_string().as_str()))
            .unwrap_or_else(|| panic!("no history row for {v}:\n{}", history.stdout));
        assert!(
            row.contains(&shown),
            "history shows {shown:?} for {v} like the progress line:\n{}",
            history.stdout
        );
    }
}
