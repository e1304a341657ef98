//! Fault injection on PostgreSQL (issue 6): the server goes away, the session is terminated,
//! Ctrl-C, table-lock contention and statement timeouts. Each ends with a one-line cause, a
//! consistent database and a rerun that completes.

use crate::faults::{
    active_query, assert_lock_released, finish, run, spawn, strata, wait_for, State,
};
use crate::support::{Output, Project};
use std::time::{Duration, Instant};
use strata_testkit::{PrivateCluster, TestDb, PASSWORD, PASSWORD_USER};

fn abc(v: i64) -> String {
    ["a", "b", "c"][v as usize - 1].to_string()
}

/// 1 creates `a`, 2 (`slow`) creates `b` then runs `sql`, 3 creates `c`.
fn slow_project(slow: &str) -> Project {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair("2", "slow", slow, "DROP TABLE b;");
    p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    p
}

fn make_quick(p: &Project) {
    p.pair("2", "slow", "CREATE TABLE b (id int);", "DROP TABLE b;");
}

/// The `error:` line is there and says something; no panic, no password.
#[track_caller]
fn one_line_cause(o: &Output, needle: &str) {
    assert_ne!(o.code, 0, "{}", o.stderr);
    let line = o
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{}", o.stderr));
    assert!(
        line.contains(needle),
        "error line lacks {needle:?}:\n{}",
        o.stderr
    );
    o.never_shows(PASSWORD);
}

#[test]
fn server_crash_mid_migration_then_restart_and_rerun_completes() {
    let cluster = match PrivateCluster::start() {
        Ok(c) => c,
        Err(e) if crate::faults::ci() => panic!("cannot start a private cluster: {e}"),
        Err(e) => {
            eprintln!("skipped: cannot start a private cluster: {e}");
            return;
        }
    };
    let mut admin = strata_testkit::postgres::Client::connect(
        &cluster.url("postgres"),
        strata_testkit::postgres::NoTls,
    )
    .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE app OWNER {PASSWORD_USER}"))
        .unwrap();
    // A password in the URL: it must show nowhere, whatever fails.
    let url = format!(
        "postgres://{PASSWORD_USER}:{PASSWORD}@127.0.0.1:{}/app?sslmode=disable",
        cluster.cluster.port
    );
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(25);\n");
    let child = spawn(strata(&p, &url, &["up"]));
    let found = wait_for(Duration::from_secs(10), || {
        active_query(&mut admin, "app", "pg_sleep")
    });
    assert!(found.is_some(), "migration 2 never started");
    drop(admin);
    cluster.stop_immediate().unwrap();
    let out = finish(child, Duration::from_secs(10));
    out.code(1);
    one_line_cause(&out, "migration failed: 2/u slow");
    // Migration 1 travelled in the same message as 2 and committed without waiting for the
    // disk: the crash may have taken it, but then it was never reported as applied.
    let reported_1 = out.stderr.contains("1/u a");
    let down = run(&p, &url, &["up"]);
    one_line_cause(&down, "connection refused");
    cluster.restart().unwrap();
    let mut c = strata_testkit::postgres::Client::connect(
        &cluster.url("app"),
        strata_testkit::postgres::NoTls,
    )
    .unwrap();
    let survived = State::read(&mut c).assert_consistent(3, abc);
    if reported_1 {
        assert_eq!(survived, 1, "a migration reported applied was lost");
    } else {
        assert!(survived <= 1, "{survived}");
    }
    make_quick(&p);
    run(&p, &url, &["up"]).ok().never_shows(PASSWORD);
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 3);
}

#[test]
fn terminated_session_mid_migration_fails_cleanly_and_rerun_completes() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(25);\n");
    let mut c = db.client();
    let child = spawn(strata(&p, &db.url, &["up"]));
    let pid = wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    })
    .expect("migration 2 never started");
    let killed: bool = c
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(killed);
    let out = finish(child, Duration::from_secs(10));
    out.code(1).stderr_has("1/u a");
    one_line_cause(&out, "migration failed: 2/u slow");
    // The server's FATAL arrives before the socket closes, or not: either cause is clear.
    assert!(
        out.stderr
            .contains("terminating connection due to administrator command")
            || out.stderr.contains("the connection to the server was lost"),
        "{}",
        out.stderr
    );
    assert_lock_released(&mut c, &db.name);
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 1);
    make_quick(&p);
    run(&p, &db.url, &["up"]).ok();
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 3);
}

fn sigint(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn ctrl_c_on_postgres_stops_after_the_running_migration() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(1.5);\n");
    let mut c = db.client();
    let child = spawn(strata(&p, &db.url, &["up"]));
    wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    })
    .expect("migration 2 never started");
    sigint(child.id());
    let out = finish(child, Duration::from_secs(10));
    out.code(1)
        .stderr_has("Stopping after this running migration")
        .stderr_has("2/u slow")
        .stderr_has("interrupted: stopped after 2 migration(s)");
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 2);
    run(&p, &db.url, &["up"]).ok().stderr_has("3/u c");
}

#[test]
fn second_ctrl_c_cancels_the_running_statement_and_rolls_it_back() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(25);\n");
    let mut c = db.client();
    let child = spawn(strata(&p, &db.url, &["up"]));
    wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    })
    .expect("migration 2 never started");
    let start = Instant::now();
    sigint(child.id());
    std::thread::sleep(Duration::from_millis(300));
    sigint(child.id());
    let out = finish(child, Duration::from_secs(10));
    assert!(start.elapsed() < Duration::from_secs(8), "not cancelled");
    out.code(1)
        .stderr_has("Cancelling the running statement")
        .stderr_has("canceling statement due to user request")
        .stderr_has("rolled back");
    assert_lock_released(&mut c, &db.name);
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 1);
    make_quick(&p);
    run(&p, &db.url, &["up"]).ok();
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 3);
}

/// `a` is applied, then another session takes ACCESS EXCLUSIVE on it; migration 2 alters it.
fn locked_table() -> Option<(TestDb, Project, strata_testkit::postgres::Client, i32)> {
    let db = TestDb::postgres()?;
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "alter_a",
        "ALTER TABLE a ADD COLUMN x int;",
        "ALTER TABLE a DROP COLUMN x;",
    );
    run(&p, &db.url, &["up", "1"]).ok();
    let mut blocker = db.client();
    blocker
        .batch_execute(
            "SET application_name = 'blocker'; BEGIN; LOCK TABLE a IN ACCESS EXCLUSIVE MODE",
        )
        .unwrap();
    let pid: i32 = blocker
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    Some((db, p, blocker, pid))
}

fn columns_of_a(db: &TestDb) -> i64 {
    db.client()
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'a'",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn ddl_lock_timeout_fails_fast_naming_the_blocking_session() {
    let Some((db, p, mut blocker, pid)) = locked_table() else {
        return;
    };
    let start = Instant::now();
    let out = run(&p, &db.url, &["--ddl-lock-timeout", "1s", "up"]);
    assert!(start.elapsed() < Duration::from_secs(8));
    out.code(1)
        .stderr_has("canceling statement due to lock timeout")
        .stderr_has(&format!("blocked by pid {pid}"))
        .stderr_has("blocker")
        .stderr_has("AccessExclusiveLock on a");
    // The environment spelling works too.
    let mut cmd = strata(&p, &db.url, &["up"]);
    cmd.env("STRATA_LOCK_TIMEOUT", "500ms");
    finish(spawn(cmd), Duration::from_secs(10))
        .code(1)
        .stderr_has("lock timeout");
    assert_eq!(columns_of_a(&db), 1, "nothing applied");
    blocker.batch_execute("COMMIT").unwrap();
    run(&p, &db.url, &["--ddl-lock-timeout", "1s", "up"])
        .ok()
        .stderr_has("2/u alter_a");
    assert_eq!(columns_of_a(&db), 2);
}

#[test]
fn without_ddl_lock_timeout_the_migration_lock_timeout_still_bounds_other_runners() {
    let Some((db, p, mut blocker, _)) = locked_table() else {
        return;
    };
    let mut c = db.client();
    // The first runner waits on the table lock, holding the migration lock.
    let waiting = spawn(strata(&p, &db.url, &["up"]));
    wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "ALTER TABLE a")
    })
    .expect("the runner never reached the ALTER");
    let start = Instant::now();
    let out = run(&p, &db.url, &["-lock-timeout", "1", "up"]);
    assert!(start.elapsed() < Duration::from_secs(8));
    out.code(4)
        .stderr_has("can't acquire database lock")
        .stderr_has("application_name \"strata\"");
    blocker.batch_execute("COMMIT").unwrap();
    finish(waiting, Duration::from_secs(10))
        .ok()
        .stderr_has("2/u alter_a");
    assert_eq!(columns_of_a(&db), 2);
}

#[test]
fn migration_timeout_stops_a_long_statement_and_changes_nothing() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(20);\n");
    let mut cmd = strata(&p, &db.url, &["up"]);
    cmd.env("MIGRATION_TIMEOUT", "1s");
    let start = Instant::now();
    let out = finish(spawn(cmd), Duration::from_secs(15));
    assert!(start.elapsed() < Duration::from_secs(8));
    out.code(1)
        .stderr_has("1/u a")
        .stderr_has("canceling statement due to statement timeout")
        .stderr_has("2_slow.up.sql:")
        .stderr_has("rolled back");
    let mut c = db.client();
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 1);
    assert_eq!(State::read(&mut c).count("fail", 2), 1);
}

/// A migration that runs `RESET ALL` clears the session's settings; the
/// `--ddl-lock-timeout` and `MIGRATION_TIMEOUT` given to Strata still bound every later
/// migration, transactional or not.
#[test]
fn a_migration_resetting_the_session_does_not_lift_the_timeouts_of_later_ones() {
    for (reset, later) in [
        ("RESET ALL;", "ALTER TABLE a ADD COLUMN x int;"),
        (
            "RESET ALL;",
            "-- strata:no-transaction\nALTER TABLE a ADD COLUMN x int;",
        ),
        (
            "-- strata:no-transaction\nRESET ALL;",
            "ALTER TABLE a ADD COLUMN x int;",
        ),
    ] {
        let Some(db) = TestDb::postgres() else { return };
        let p = Project::new();
        p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
        p.pair("2", "reset", reset, "SELECT 1;");
        p.pair("3", "alter_a", later, "ALTER TABLE a DROP COLUMN x;");
        run(&p, &db.url, &["up", "1"]).ok();
        let mut blocker = db.client();
        blocker
            .batch_execute("BEGIN; LOCK TABLE a IN ACCESS EXCLUSIVE MODE")
            .unwrap();
        // Without the bound, the runner waits for the blocker, which never commits.
        let mut cmd = strata(&p, &db.url, &["--ddl-lock-timeout", "500ms", "up"]);
        cmd.env("MIGRATION_TIMEOUT", "30s");
        finish(spawn(cmd), Duration::from_secs(20))
            .code(1)
            .stderr_has("2/u reset")
            .stderr_has("canceling statement due to lock timeout");
        blocker.batch_execute("COMMIT").unwrap();
        assert_eq!(columns_of_a(&db), 1, "{reset} / {later}");
    }
}

/// The URL's session settings (`search_path=app`) hold for every migration, also after one
/// that runs `RESET ALL`: a later table is created where the URL says, not in `public`.
#[test]
fn a_migration_resetting_the_session_does_not_lift_the_urls_settings_for_later_ones() {
    for (reset, later) in [
        ("RESET ALL;", "CREATE TABLE x (id int);"),
        (
            "RESET ALL;",
            "-- strata:no-transaction\nCREATE TABLE x (id int);",
        ),
        (
            "-- strata:no-transaction\nRESET ALL;",
            "CREATE TABLE x (id int);",
        ),
    ] {
        let Some(db) = TestDb::postgres() else { return };
        db.client().batch_execute("CREATE SCHEMA app").unwrap();
        let p = Project::new();
        p.pair("1", "reset", reset, "SELECT 1;");
        p.pair("2", "x", later, "DROP TABLE x;");
        run(&p, &db.url_with("search_path=app"), &["up"]).ok();
        let schema: Vec<String> = db
            .client()
            .query(
                "SELECT schemaname::text FROM pg_tables WHERE tablename = 'x'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(schema, ["app"], "{reset} / {later}");
    }
}

/// `rehearse` sets the URL's session settings again before each migration, as a run does: a
/// migration's `RESET ALL` does not send the later ones to `public`.
#[test]
fn rehearse_after_a_migration_resetting_the_session_keeps_the_urls_settings() {
    let Some(db) = TestDb::postgres() else { return };
    db.client()
        .batch_execute("CREATE SCHEMA app; CREATE TABLE app.only_in_app (id int);")
        .unwrap();
    let p = Project::new();
    p.pair("1", "reset", "RESET ALL;", "SELECT 1;");
    p.pair(
        "2",
        "fill",
        "INSERT INTO only_in_app VALUES (1);",
        "DELETE FROM only_in_app;",
    );
    run(&p, &db.url_with("search_path=app"), &["rehearse"])
        .ok()
        .stdout_has("ok      2/u fill");
}
