//! Batches and history on SQLite: rollback, reset, refresh, redo, history, baseline, validate,
//! accept, status --check.

use crate::support::{three, Project};

/// `(action, version, batch)` of every log entry, oldest first.
fn log(p: &Project) -> Vec<(String, Option<i64>, Option<i64>)> {
    let db = p.db();
    let mut s = db
        .prepare("SELECT action, version, batch FROM schema_migrations_log ORDER BY id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// `(version, batch, origin)` of every ledger row.
fn ledger(p: &Project) -> Vec<(i64, i64, String)> {
    let db = p.db();
    let mut s = db
        .prepare("SELECT version, batch, origin FROM schema_migrations_ledger ORDER BY version")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn checksum(p: &Project, version: i64) -> String {
    p.db()
        .query_row(
            "SELECT checksum FROM schema_migrations_ledger WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .unwrap()
}

/// The worked example: 001 in batch 1, 002 and 003 in batch 2.
fn two_batches(p: &Project) {
    three(p);
    p.run(&["up", "1"]).ok();
    p.run(&["up"]).ok();
    assert_eq!(ledger(p).iter().map(|r| r.1).collect::<Vec<_>>(), [1, 2, 2]);
}

#[test]
fn rollback_reverts_the_whole_last_batch_and_leaves_001() {
    let p = Project::new();
    two_batches(&p);
    let out = p.run(&["rollback"]);
    out.ok();
    let three_at = out.stderr.find("3/d create_c").expect("3 reverted");
    let two_at = out.stderr.find("2/d create_b").expect("2 reverted");
    assert!(three_at < two_at, "newest first:\n{}", out.stderr);
    assert_eq!(p.tables(), ["a"]);
    assert_eq!(p.ledger_versions(), [1]);
    assert_eq!(p.compat(), Some((1, false)));
    let rollbacks: Vec<_> = log(&p).into_iter().filter(|e| e.0 == "rollback").collect();
    assert_eq!(
        rollbacks,
        [
            ("rollback".into(), Some(3), Some(2)),
            ("rollback".into(), Some(2), Some(2))
        ]
    );
}

#[test]
fn rollback_batches_n_reverts_that_many_batches_and_accepts_go_style_flag() {
    let p = Project::new();
    three(&p);
    for _ in 0..3 {
        p.run(&["up", "1"]).ok();
    }
    p.run(&["rollback", "-batches", "2"])
        .ok()
        .stderr_has("3/d")
        .stderr_has("2/d");
    assert_eq!(p.tables(), ["a"]);
    p.run(&["rollback", "--batches=5"]).ok().stderr_has("1/d");
    assert!(p.tables().is_empty());
    assert_eq!(p.compat(), None);
}

#[test]
fn rollback_with_nothing_applied_says_no_change() {
    let p = Project::new();
    three(&p);
    p.run(&["rollback"]).ok().stderr_has("no change");
    p.run(&["rollback", "--batches", "0"])
        .ok()
        .stderr_has("no change");
}

#[test]
fn rollback_of_a_batch_with_a_migration_without_down_changes_nothing_and_names_it() {
    let p = Project::new();
    p.pair(
        "001",
        "create_a",
        "CREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    p.file("002_create_b.up.sql", "CREATE TABLE b (id INTEGER);");
    p.pair(
        "003",
        "create_c",
        "CREATE TABLE c (id INTEGER);",
        "DROP TABLE c;",
    );
    p.run(&["up", "1"]).ok();
    p.run(&["up"]).ok();
    p.run(&["rollback"])
        .code(3)
        .stderr_has("migration 2 (create_b) has no down part");
    assert_eq!(p.tables(), ["a", "b", "c"], "003 was not reverted either");
    assert_eq!(p.ledger_versions(), [1, 2, 3]);
    assert_eq!(p.compat(), Some((3, false)));
}

#[test]
fn rollback_of_a_batch_with_a_no_transaction_migration_records_state_after_each() {
    let p = Project::new();
    p.pair(
        "001",
        "create_a",
        "CREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    p.pair(
        "002",
        "notx",
        "CREATE TABLE b (id INTEGER);",
        "-- strata:no-transaction\nDROP TABLE b;\nDROP TABLE nope;\n",
    );
    p.pair(
        "003",
        "create_c",
        "CREATE TABLE c (id INTEGER);",
        "DROP TABLE c;",
    );
    p.run(&["up", "1"]).ok();
    p.run(&["up"]).ok();
    // 003 is reverted and recorded; 002's down fails at its second statement.
    p.run(&["rollback"])
        .code(1)
        .stderr_has("3/d create_c")
        .stderr_has("2_notx.down.sql:3:1");
    assert_eq!(
        p.ledger_versions(),
        [1, 2],
        "003's revert was recorded on its own"
    );
    assert_eq!(p.tables(), ["a"], "002's first statement ran");
    assert_eq!(
        p.compat(),
        Some((1, true)),
        "golang-migrate's dirty row for a failed down of 2"
    );
    // Recovery as documented: 002 is reverted by hand, force the version below it.
    p.run(&["force", "1"]).ok();
    assert_eq!(p.ledger_versions(), [1]);
    p.file(
        "002_notx.down.sql",
        "-- strata:no-transaction\nDROP TABLE b;\n",
    );
    p.run(&["up"]).ok();
    p.run(&["rollback"]).ok();
    assert_eq!(p.tables(), ["a"]);
    let actions: Vec<String> = log(&p).into_iter().map(|e| e.0).collect();
    assert!(
        actions.ends_with(&["rollback".into(), "start".into(), "rollback".into()]),
        "{actions:?}"
    );
}

#[test]
fn rollback_never_reverts_rows_adopted_from_golang_migrate() {
    let p = Project::new();
    three(&p);
    p.db()
        .execute_batch(
            "CREATE TABLE schema_migrations (version uint64, dirty bool);
             INSERT INTO schema_migrations VALUES (2, 0);
             CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);",
        )
        .unwrap();
    p.run(&["up"]).ok();
    p.run(&["rollback"]).ok().stderr_has("3/d create_c");
    p.run(&["rollback"]).ok().stderr_has("no change");
    assert_eq!(p.tables(), ["a", "b"]);
    assert_eq!(p.compat(), Some((2, false)));
}

#[test]
fn concurrent_rollbacks_are_serialised_by_the_lock() {
    let p = Project::new();
    three(&p);
    for _ in 0..3 {
        p.run(&["up", "1"]).ok();
    }
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"))
                .current_dir(p.path())
                .args([
                    "-path",
                    "migrations",
                    "-database",
                    "sqlite://app.db",
                    "rollback",
                ])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut reverted = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        reverted.extend(
            stderr
                .lines()
                .filter(|l| l.contains("/d "))
                .map(String::from),
        );
    }
    reverted.sort();
    assert_eq!(reverted.len(), 2, "one batch each: {reverted:?}");
    assert!(reverted[0].starts_with("2/d") && reverted[1].starts_with("3/d"));
    assert_eq!(p.tables(), ["a"]);
}

#[test]
fn reset_f_reverts_everything_and_without_terminal_refuses() {
    let p = Project::new();
    two_batches(&p);
    p.run(&["reset"])
        .code(1)
        .stderr_has("Are you sure you want to revert every applied migration? [y/N]")
        .stderr_has("Not resetting");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    p.run(&["reset", "-f"]).ok().stderr_has("1/d create_a");
    assert!(p.tables().is_empty());
    assert!(p.ledger_versions().is_empty());
    assert_eq!(p.compat(), None);
    p.run(&["reset", "--force"]).ok().stderr_has("no change");
}

#[test]
fn refresh_f_reverts_everything_and_applies_it_again_in_a_new_batch() {
    let p = Project::new();
    two_batches(&p);
    p.db().execute("INSERT INTO a VALUES (1)", []).unwrap();
    p.run(&["refresh"]).code(1).stderr_has("Not refreshing");
    p.run(&["refresh", "-f"])
        .ok()
        .stderr_has("1/d create_a")
        .stderr_has("3/u create_c");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    let rows: i64 = p
        .db()
        .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "table a was dropped and created again");
    assert_eq!(
        ledger(&p).iter().map(|r| r.1).collect::<Vec<_>>(),
        [3, 3, 3]
    );
    assert_eq!(p.compat(), Some((3, false)));
}

#[test]
fn refresh_stops_before_anything_when_a_migration_has_no_down() {
    let p = Project::new();
    p.file("001_keep.up.sql", "CREATE TABLE a (id INTEGER);");
    p.pair(
        "002",
        "create_b",
        "CREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    p.run(&["up"]).ok();
    p.run(&["refresh", "-f"])
        .code(3)
        .stderr_has("migration 1 (keep) has no down part");
    assert_eq!(p.tables(), ["a", "b"]);
    assert_eq!(p.ledger_versions(), [1, 2]);
}

#[test]
fn redo_reverts_and_reapplies_the_newest_migration() {
    let p = Project::new();
    p.run(&["redo"]).ok().stderr_has("no change");
    two_batches(&p);
    p.db().execute("INSERT INTO c VALUES (1)", []).unwrap();
    p.run(&["redo"])
        .ok()
        .stderr_has("3/d create_c")
        .stderr_has("3/u create_c");
    let rows: i64 = p
        .db()
        .query_row("SELECT count(*) FROM c", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(
        ledger(&p).iter().map(|r| r.1).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(p.compat(), Some((3, false)));
    p.run(&["reset", "-f"]).ok();
    p.run(&["redo"]).ok().stderr_has("no change");
}

#[test]
fn history_lists_every_action_newest_first_with_limit_and_json() {
    let p = Project::new();
    two_batches(&p);
    p.run(&["rollback"]).ok();
    p.run(&["force", "1"]).ok();
    let out = p.run(&["history"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("ID  "), "{}", out.stdout);
    assert_eq!(lines.len(), 1 + 6, "{}", out.stdout);
    assert!(lines[1].contains("force"), "{}", out.stdout);
    assert!(lines[2].contains("rollback") && lines[2].contains("create_b"));
    assert!(lines[6].contains("  up  ") && lines[6].contains("create_a"));
    assert!(lines[6].contains("tester@"), "{}", out.stdout);

    let out = p.run(&["history", "-limit", "2", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = v["history"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "force");
    assert_eq!(entries[1]["action"], "rollback");
    assert_eq!(entries[1]["version"], 2);
    assert_eq!(entries[1]["batch"], 2);
    assert!(entries[0]["id"].as_i64() > entries[1]["id"].as_i64());
    let at = entries[0]["at"].as_str().unwrap();
    assert!(at.ends_with('Z') && at.contains('T'), "{at}");
}

#[test]
fn history_of_an_untouched_database_is_empty_and_creates_no_tables() {
    let p = Project::new();
    let out = p.run(&["history"]);
    out.ok().stdout_has("(no actions recorded)");
    let out = p.run(&["history", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["history"], serde_json::json!([]));
    let tables: i64 = p
        .db()
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn baseline_marks_migrations_up_to_v_applied_without_running_them() {
    let p = Project::new();
    three(&p);
    p.run(&["baseline", "2"])
        .ok()
        .stderr_has("2 migration(s) recorded as applied");
    assert!(p.tables().is_empty(), "nothing was run");
    assert_eq!(
        ledger(&p),
        [(1, 0, "baseline".into()), (2, 0, "baseline".into())]
    );
    assert_eq!(
        p.compat(),
        Some((2, false)),
        "golang-migrate's row is set to V"
    );
    let baselines = log(&p).iter().filter(|e| e.0 == "baseline").count();
    assert_eq!(baselines, 2);
    p.run(&["history"]).ok().stdout_has("baseline");
    // The existing schema is the user's; the next `up` applies only what is above V.
    p.db()
        .execute_batch("CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);")
        .unwrap();
    p.run(&["up"])
        .ok()
        .stderr_has("3/u create_c")
        .never_shows("1/u");
    p.run(&["status"]).ok().stdout_has("applied (baseline)");
}

#[test]
fn baseline_refuses_a_database_with_records_unless_forced() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.run(&["baseline", "2"])
        .code(3)
        .stderr_has("already has migration records (3 ledger row(s), golang-migrate version 3)")
        .stderr_has("--force");
    assert_eq!(p.ledger_versions(), [1, 2, 3]);
    p.run(&["baseline", "-force", "2"]).ok();
    assert_eq!(p.ledger_versions(), [1, 2]);
    assert_eq!(p.compat(), Some((2, false)));
    assert_eq!(
        p.tables(),
        ["a", "b", "c"],
        "baseline never runs a migration"
    );
}

#[test]
fn baseline_of_a_version_with_no_file_or_no_argument_fails() {
    let p = Project::new();
    three(&p);
    p.run(&["baseline", "7"])
        .code(3)
        .stderr_has("no migration found for version 7");
    p.run(&["baseline"])
        .code(2)
        .stderr_has("please specify version argument V");
    assert!(p.ledger_versions().is_empty());
}

#[test]
fn validate_passes_with_exit_zero_and_changes_nothing() {
    let p = Project::new();
    three(&p);
    p.run(&["validate"])
        .ok()
        .stdout_has("ok: 3 migration file(s)");
    let tables: i64 = p
        .db()
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0, "validate creates nothing");
    p.run(&["up", "2"]).ok();
    let out = p.run(&["validate", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"], serde_json::json!([]));
}

#[test]
fn validate_reports_edited_missing_out_of_order_and_dirty_with_exit_3() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.file("000001_create_a.up.sql", "CREATE TABLE a (x INTEGER);");
    p.remove("000002_create_b.up.sql");
    p.remove("000002_create_b.down.sql");
    p.pair(
        "000000",
        "older",
        "CREATE TABLE o (id INTEGER);",
        "DROP TABLE o;",
    );
    p.db()
        .execute("UPDATE schema_migrations SET dirty = 1", [])
        .unwrap();
    let before = log(&p).len();
    let out = p.run(&["validate"]);
    out.code(3)
        .stdout_has("4 problems")
        .stdout_has("Dirty database version 3")
        .stdout_has("migration 1 (create_a) was edited")
        .stdout_has("migration 2 (create_b) is applied but its file is missing")
        .stdout_has("migration 0 (older) is pending but older");
    let out = p.run(&["validate", "--format", "json"]);
    out.code(3);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let kinds: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["dirty", "edited", "missing", "out-of-order"]);
    assert!(v["problems"][1]["message"]
        .as_str()
        .unwrap()
        .contains("edited"));
    assert_eq!(log(&p).len(), before, "validate writes nothing");
    assert_eq!(p.compat(), Some((3, true)));
}

#[test]
fn accept_records_the_new_checksum_and_logs_old_and_new() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    let old = checksum(&p, 1);
    p.file(
        "000001_create_a.up.sql",
        "-- reformatted\nCREATE TABLE a (id INTEGER);",
    );
    p.run(&["up"]).code(3).stderr_has("edited");
    p.run(&["accept", "1"])
        .ok()
        .stderr_has(&format!("accepted 1: checksum {}", &old[..12]));
    let new = checksum(&p, 1);
    assert_ne!(old, new);
    let (action, detail): (String, String) = p
        .db()
        .query_row(
            "SELECT action, detail FROM schema_migrations_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(action, "accept");
    assert!(detail.contains(&old) && detail.contains(&new), "{detail}");
    assert_eq!(
        ledger(&p)[0],
        (1, 1, "applied".into()),
        "batch and origin kept"
    );
    p.run(&["validate"]).ok();
    p.run(&["up"]).ok().stderr_has("no change");
    p.run(&["accept", "1"]).ok().stderr_has("no change");
}

#[test]
fn accept_of_a_version_that_is_not_applied_is_refused() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "1"]).ok();
    p.run(&["accept", "2"])
        .code(3)
        .stderr_has("migration 2 is not applied");
    p.run(&["accept", "x"])
        .code(2)
        .stderr_has("can't read version argument V");
}

#[test]
fn status_check_exits_3_while_anything_is_pending_or_in_conflict() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    p.run(&["status"]).ok().stdout_has("pending");
    p.run(&["status", "--check"])
        .code(3)
        .stdout_has("pending")
        .stderr_has("1 migration(s) pending or in conflict");
    p.run(&["up"]).ok();
    p.run(&["status", "-check"]).ok();
    p.file("000003_create_c.up.sql", "CREATE TABLE c (x INTEGER);");
    p.run(&["status", "--check", "--format", "json"]).code(3);
}
