//! A no-transaction migration records each statement it reaches before running it (issue 6):
//! killed or failed, the database is dirty and the log, `status` and the next `up`'s refusal
//! name the statement it stopped at.

use crate::faults::{active_query, assert_lock_released, finish, run, spawn, strata, wait_for};
use crate::support::{Output, Project};
use std::time::Duration;
use strata_testkit::TestDb;

/// Migration 3: three statements outside a transaction; statement 2 starts on line 4.
const THREE_STATEMENTS: &str = "-- strata:no-transaction\n\
CREATE TABLE IF NOT EXISTS s1 (id int);\n\
\n\
INSERT INTO gate (id) -- statement two\n\
  VALUES (1);\n\
CREATE TABLE IF NOT EXISTS s3 (id int);\n";

/// Where statement 2 is, as the log, `status` and the refusal say it.
const STATEMENT_2: &str =
    "statement 2 of 3 (migrations/3_add_index.up.sql:4: INSERT INTO gate (id) -- statement two)";

/// 1 creates `a`, 2 creates `gate`, 3 is [`THREE_STATEMENTS`] (or `three`).
fn project(three: &str) -> Project {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "gate",
        "CREATE TABLE gate (id int);",
        "DROP TABLE gate;",
    );
    p.pair("3", "add_index", three, "DROP TABLE s3; DROP TABLE s1;");
    p
}

/// `(action, detail)` of the log entries of `version`, oldest first, read through `history`.
fn log_of(out: &Output, version: u64) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("history JSON");
    let mut entries: Vec<(String, String)> = v["history"]
        .as_array()
        .expect("an array")
        .iter()
        .filter(|e| e["version"].as_u64() == Some(version))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    entries.reverse();
    entries
}

/// What every interrupted run of migration 3 must leave, whatever the backend: dirty at 3,
/// the log's start entry naming statement 1 and a progress entry naming statement 2 (and none
/// for 3), `status` showing 3 as dirty and where it stopped, `up` refusing with the same.
#[track_caller]
fn assert_stopped_at_statement_2(history: &Output, status: &Output, json: &Output, up: &Output) {
    let log = log_of(history, 3);
    let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert!(
        actions.starts_with(&["start", "progress"]) && !actions.contains(&"up"),
        "{log:?}"
    );
    // Each record carries the hash of the statements sent before it (none, then statement 1).
    let none = strata_core::resume::prefix_hash([]);
    let one = strata_core::resume::prefix_hash(["CREATE TABLE IF NOT EXISTS s1 (id int);"]);
    assert_eq!(
        log[0].1,
        format!(
            "no-transaction; up statement 1 of 3 after prefix {none} at \
             migrations/3_add_index.up.sql:2: CREATE TABLE IF NOT EXISTS s1 (id int);"
        )
    );
    assert_eq!(
        log[1].1,
        format!(
            "up statement 2 of 3 after prefix {one} at migrations/3_add_index.up.sql:4: \
             INSERT INTO gate (id) -- statement two"
        )
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "progress").count(),
        1,
        "statement 3 never started: {log:?}"
    );

    let row = status
        .stdout
        .lines()
        .find(|l| l.starts_with("3 "))
        .expect("a row for 3");
    assert!(row.contains("add_index  dirty"), "{}", status.stdout);
    status.stdout_has(&format!("dirty: 3/u add_index stopped at {STATEMENT_2}"));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let v = &v["status"];
    assert_eq!(v["dirty"], true);
    assert_eq!(v["reached"]["statement"], 2);
    assert_eq!(v["reached"]["total"], 3);
    assert_eq!(v["reached"]["line"], 4);
    assert_eq!(v["migrations"][2]["state"], "dirty");

    up.code(3)
        .stderr_has(&format!(
            "Dirty database version 3. Fix and force version. Migration 3/u add_index stopped at {STATEMENT_2}."
        ))
        .stderr_has("statement 1 of migrations/3_add_index.up.sql completed and statement 2 may have partly");
}

#[test]
fn sigkill_during_statement_2_of_a_no_transaction_migration_records_it_and_force_up_recovers() {
    let Some(db) = TestDb::postgres() else { return };
    let p = project(THREE_STATEMENTS);
    let mut c = db.client();
    if !crate::faults::server_notices_dead_clients(&mut c) {
        return;
    }
    run(&p, &db.url, &["up", "2"]).ok();
    // Statement 2 blocks on a lock the test holds, so the kill lands while it runs.
    let mut gate = db.client();
    gate.batch_execute("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "statement two")
    });
    assert!(found.is_some(), "statement 2 never started");
    child.kill().unwrap();
    let _ = child.wait();
    // The server ends the dead runner's session (and with it the blocked statement and the
    // migration lock) on its own; only then may the gate open, or the statement would go on.
    assert_lock_released(&mut c, &db.name);
    let ended = wait_for(Duration::from_secs(5), || {
        active_query(&mut c, &db.name, "statement two")
            .is_none()
            .then_some(())
    });
    assert!(ended.is_some(), "the killed runner's statement still runs");
    gate.batch_execute("ROLLBACK").unwrap();

    let compat: Vec<(i64, bool)> = c
        .query("SELECT version, dirty FROM schema_migrations", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(compat, [(3, true)], "golang-migrate's row");
    let tables: Vec<String> = c
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
             AND tablename IN ('s1', 's3') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        tables,
        ["s1"],
        "statement 1 took effect, statement 3 did not"
    );
    let gate_rows: i64 = c
        .query_one("SELECT count(*) FROM gate", &[])
        .unwrap()
        .get(0);
    assert_eq!(gate_rows, 0, "the killed statement 2 rolled back");

    assert_stopped_at_statement_2(
        &run(&p, &db.url, &["history", "--format", "json"]),
        &run(&p, &db.url, &["status"]),
        &run(&p, &db.url, &["status", "--format", "json"]),
        &run(&p, &db.url, &["up"]),
    );

    // The documented recovery for idempotent statements: force the previous version, run again.
    run(&p, &db.url, &["force", "2"]).ok();
    finish(spawn(strata(&p, &db.url, &["up"])), Duration::from_secs(30))
        .ok()
        .stderr_has("3/u add_index");
    let status = run(&p, &db.url, &["status"]);
    status.ok().stdout_has("version 3; 0 not applied");
    assert!(!status.stdout.contains("dirty"), "{}", status.stdout);
    let done: (i64, i64) = {
        let r = c
            .query_one(
                "SELECT (SELECT count(*) FROM gate), \
                 (SELECT count(*) FROM pg_tables WHERE tablename IN ('s1', 's3'))",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(done, (1, 2), "the complete schema after the rerun");
}

/// The same migration with a statement 2 that fails.
const FAILING_STATEMENT_2: &str = "-- strata:no-transaction\n\
CREATE TABLE IF NOT EXISTS s1 (id int);\n\
\n\
INSERT INTO gate (id) -- statement two\n\
  VALUES (1, 2);\n\
CREATE TABLE IF NOT EXISTS s3 (id int);\n";

#[track_caller]
fn failing_statement_2_records_it(p: &Project, url: &str) {
    p.run_on(url, &["up", "2"]).ok();
    p.run_on(url, &["up"])
        .code(1)
        .stderr_has("(statement 2 of 3)")
        .stderr_has("migrations/3_add_index.up.sql:");
    assert_stopped_at_statement_2(
        &p.run_on(url, &["history", "--format", "json"]),
        &p.run_on(url, &["status"]),
        &p.run_on(url, &["status", "--format", "json"]),
        &p.run_on(url, &["up"]),
    );
    let log = log_of(&p.run_on(url, &["history", "--format", "json"]), 3);
    assert_eq!(log.last().map(|(a, _)| a.as_str()), Some("fail"), "{log:?}");
}

#[test]
fn a_failing_no_transaction_statement_is_recorded_on_sqlite() {
    let p = project(FAILING_STATEMENT_2);
    failing_statement_2_records_it(&p, "sqlite://app.db");
    assert_eq!(p.compat(), Some((3, true)));
    assert_eq!(p.tables(), ["a", "gate", "s1"], "statement 3 never ran");
}

#[test]
fn a_failing_no_transaction_statement_is_recorded_on_postgres() {
    let Some(db) = TestDb::postgres() else { return };
    let p = project(FAILING_STATEMENT_2);
    failing_statement_2_records_it(&p, &db.url);
    let s3: i64 = db
        .client()
        .query_one("SELECT count(*) FROM pg_tables WHERE tablename = 's3'", &[])
        .unwrap()
        .get(0);
    assert_eq!(s3, 0, "statement 3 never ran");
}
