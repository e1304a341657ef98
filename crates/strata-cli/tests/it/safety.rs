//! Drift, ordering, dirty state and locking: Strata refuses rather than guesses.

use crate::support::{three, Project};

#[test]
fn edited_applied_file_is_refused_until_restored() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    p.file(
        "000001_create_a.up.sql",
        "CREATE TABLE a (id INTEGER, extra TEXT);",
    );
    let out = p.run(&["up"]);
    out.code(3)
        .stderr_has("migration 1 (create_a) was edited after it was applied");
    assert_eq!(p.compat(), Some((2, false)));
    p.run(&["status"]).ok().stdout_has("edited");
    p.file("000001_create_a.up.sql", "CREATE TABLE a (id INTEGER);");
    p.run(&["up"]).ok();
}

#[test]
fn applied_file_missing_from_disk_is_refused() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    p.remove("000002_create_b.up.sql");
    p.remove("000002_create_b.down.sql");
    p.run(&["up"])
        .code(3)
        .stderr_has("migration 2 (create_b) is applied but its file is missing");
    p.run(&["status"]).ok().stdout_has("missing");
}

#[test]
fn all_conflicts_are_reported_at_once() {
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
    let out = p.run(&["up"]);
    out.code(3)
        .stderr_has("3 problems")
        .stderr_has("edited")
        .stderr_has("missing")
        .stderr_has("older than the newest applied version 3");
}

#[test]
fn out_of_order_migration_is_refused_unless_allowed() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.pair("3", "c", "CREATE TABLE c (id INTEGER);", "DROP TABLE c;");
    p.run(&["up"]).ok();
    p.pair("2", "b", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;");
    p.run(&["up"]).code(3).stderr_has("--allow-out-of-order");
    p.run(&["-allow-out-of-order", "up"])
        .ok()
        .stderr_has("2/u b");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    assert_eq!(
        p.compat(),
        Some((3, false)),
        "golang-migrate's row keeps the highest version"
    );
}

#[test]
fn failing_no_transaction_migration_leaves_dirty_state_and_blocks_next_run() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.pair(
        "2",
        "notx",
        "-- strata:no-transaction\nCREATE TABLE b (id INTEGER);\nINSERT INTO nope VALUES (1);\n",
        "DROP TABLE b;",
    );
    let out = p.run(&["up"]);
    out.code(1)
        .stderr_has("dirty")
        .stderr_has("2_notx.up.sql:3:1");
    assert_eq!(
        p.compat(),
        Some((2, true)),
        "golang-migrate's dirty semantics: the target version"
    );
    assert_eq!(
        p.tables(),
        ["a", "b"],
        "statements before the failure stay committed"
    );
    p.run(&["version"]).ok();
    assert_eq!(p.run(&["version"]).stdout, "2 (dirty)\n");
    p.run(&["up"])
        .code(3)
        .stderr_has("Dirty database version 2. Fix and force version.");
    // The documented recovery: repair, then force.
    p.run(&["force", "1"]).ok();
    p.db().execute_batch("DROP TABLE b").unwrap();
    p.file(
        "2_notx.up.sql",
        "-- strata:no-transaction\nCREATE TABLE b (id INTEGER);\n",
    );
    p.run(&["up"]).ok();
    assert_eq!(p.compat(), Some((2, false)));
}

#[test]
fn lock_held_by_another_runner_times_out_with_its_own_exit_code() {
    let p = Project::new();
    three(&p);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p.path().join("app.db.strata-lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = p.run(&["-lock-timeout", "1", "up"]);
    out.code(4).stderr_has("can't acquire database lock");
    assert!(p.tables().is_empty());
    lock.unlock().unwrap();
    p.run(&["up"]).ok();
}

#[test]
fn concurrent_runners_apply_each_migration_exactly_once() {
    let p = Project::new();
    for v in 1..=20 {
        p.pair(
            &format!("{v:03}"),
            &format!("t{v}"),
            &format!("CREATE TABLE t{v} (id INTEGER);"),
            "",
        );
    }
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"));
            cmd.current_dir(p.path())
                .args(["-path", "migrations", "-database", "sqlite://app.db", "up"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut lines = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines += String::from_utf8_lossy(&out.stderr).matches("/u ").count();
    }
    assert_eq!(lines, 20, "each migration applied by exactly one runner");
    assert_eq!(p.ledger_versions(), (1..=20).collect::<Vec<i64>>());
    let ups: i64 = p
        .db()
        .query_row(
            "SELECT count(*) FROM schema_migrations_log WHERE action = 'up'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ups, 20);
}

#[test]
fn ctrl_c_stops_after_the_running_migration_and_reports_what_was_applied() {
    let p = Project::new();
    // About two seconds of work, so the signal lands while it runs.
    p.pair(
        "1",
        "slow",
        "CREATE TABLE a (id INTEGER);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 8000000) SELECT count(*) FROM c;",
        "DROP TABLE a;",
    );
    p.pair("2", "next", "CREATE TABLE b (id INTEGER);", "DROP TABLE b;");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .current_dir(p.path())
        .args(["-path", "migrations", "-database", "sqlite://app.db", "up"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Stopping after this running migration"),
        "{stderr}"
    );
    assert!(stderr.contains("1/u slow"), "{stderr}");
    assert!(
        stderr.contains("interrupted: stopped after 1 migration(s) (1)"),
        "{stderr}"
    );
    assert_eq!(
        p.tables(),
        ["a"],
        "the running migration completed, the next did not start"
    );
    assert_eq!(p.compat(), Some((1, false)));
    p.run(&["up"]).ok().stderr_has("2/u next");
}

#[test]
fn runner_with_nothing_to_do_does_not_wait_for_a_held_lock() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(p.path().join("app.db.strata-lock"))
        .unwrap();
    lock.lock().unwrap();
    // Nothing pending: answered without the lock (a 1 s lock timeout would fail otherwise).
    p.run(&["-lock-timeout", "1", "up"])
        .ok()
        .stderr_has("no change");
    // Something pending: must wait for the lock, and times out.
    p.pair(
        "000004",
        "create_d",
        "CREATE TABLE d (id INTEGER);",
        "DROP TABLE d;",
    );
    p.run(&["-lock-timeout", "1", "up"]).code(4);
    lock.unlock().unwrap();
}

#[test]
fn out_of_order_directive_allows_one_file_and_the_log_says_so() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.pair("3", "c", "CREATE TABLE c (id INTEGER);", "DROP TABLE c;");
    p.run(&["up"]).ok();
    // A hotfix merged late: allowed by its own directive, while another late file is not.
    p.pair(
        "2",
        "hotfix",
        "-- strata:out-of-order\nCREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    p.pair(
        "0",
        "older",
        "CREATE TABLE o (id INTEGER);",
        "DROP TABLE o;",
    );
    let out = p.run(&["up"]);
    out.code(3)
        .stderr_has("migration 0 (older) is pending but older");
    assert!(
        !out.stderr.contains("migration 2 (hotfix)"),
        "{}",
        out.stderr
    );
    p.remove("0_older.up.sql");
    p.remove("0_older.down.sql");
    p.run(&["up"]).ok().stderr_has("2/u hotfix");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    assert_eq!(p.compat(), Some((3, false)));
    let detail: String = p
        .db()
        .query_row(
            "SELECT detail FROM schema_migrations_log WHERE action = 'up' AND version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains("applied out of order"), "{detail}");
}
