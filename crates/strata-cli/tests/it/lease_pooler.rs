//! Lease locking (`x-lock-strategy=lease`) through a real PgBouncer in transaction pooling mode,
//! where session advisory locks do not hold: runners exclude each other through the lease row,
//! a killed holder is replaced after its lease expires, and a paused one is fenced.
//!
//! Each migration bumps a counter and inserts its own row, so a double apply shows as a counter
//! above the number of migrations and as a duplicate row, whatever the ledger says.

use crate::faults::{finish, rounds, spawn, strata, wait_for};
use crate::support::{Output, Project};
use std::process::{Child, Command};
use std::time::Duration;
use strata_testkit::pgbouncer::{PgBouncer, PoolMode};
use strata_testkit::postgres::Client;
use strata_testkit::TestDb;

/// The words of the error a fenced runner gives.
const LEASE_LOST: &str = "lease lost: this runner no longer holds the migration lease";

/// Migration `v` (1..=n): `INSERT INTO applied VALUES (v)` and a counter bump, after `extra`
/// for the versions it names.
fn project(n: i64, extra: &[(i64, &str)]) -> Project {
    let p = Project::new();
    for v in 1..=n {
        let before = extra
            .iter()
            .find(|(w, _)| *w == v)
            .map_or("", |(_, sql)| *sql);
        p.pair(
            &format!("{v:03}"),
            &format!("row{v}"),
            &format!("{before}INSERT INTO applied VALUES ({v});\nUPDATE counter SET n = n + 1;\n"),
            &format!("DELETE FROM applied WHERE v = {v};\nUPDATE counter SET n = n - 1;\n"),
        );
    }
    p
}

fn tables(c: &mut Client) {
    c.batch_execute(
        "CREATE TABLE applied (v int NOT NULL);
         CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);
         CREATE SEQUENCE tries;",
    )
    .unwrap();
}

/// The counter, the distinct rows, rows applied more than once, and the ledger's versions.
fn state(c: &mut Client) -> (i32, Vec<i64>, Vec<i32>, Vec<i64>) {
    let counter = c.query_one("SELECT n FROM counter", &[]).unwrap().get(0);
    let col = |c: &mut Client, q: &str| -> Vec<i64> {
        c.query(q, &[])
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default()
    };
    let rows = col(c, "SELECT DISTINCT v::bigint FROM applied ORDER BY 1");
    let doubles = c
        .query(
            "SELECT v FROM applied GROUP BY v HAVING count(*) > 1 ORDER BY v",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let ledger = col(c, "SELECT version FROM schema_migrations_ledger ORDER BY 1");
    (counter, rows, doubles, ledger)
}

fn lease_rows(c: &mut Client) -> i64 {
    c.query_one("SELECT count(*) FROM schema_migrations_lease", &[])
        .unwrap()
        .get(0)
}

/// The URL through `bouncer` with lease locking (`lease`: `x-lock-lease`).
fn lease_url(bouncer: &PgBouncer, db: &str, lease: &str) -> String {
    format!(
        "{}&x-lock-strategy=lease&x-lock-lease={lease}",
        bouncer.url(db)
    )
}

/// `strata -lock-timeout <secs> <args>` against `url`.
fn runner(p: &Project, url: &str, lock_timeout: &str, args: &[&str]) -> Child {
    let mut all = vec!["-lock-timeout", lock_timeout];
    all.extend_from_slice(args);
    spawn(strata(p, url, &all))
}

/// How many server sessions of this test's database sleep in `pg_sleep` (a migration's sleep;
/// the query text may be cut before it in `pg_stat_activity`).
fn sleepers(c: &mut Client) -> i64 {
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' \
         AND datname = current_database()",
        &[],
    )
    .unwrap()
    .get(0)
}

/// Wait until a server session of this test's database sleeps in `pg_sleep`.
fn wait_until_sleeping(c: &mut Client) {
    let seen = wait_for(Duration::from_secs(60), || (sleepers(c) > 0).then_some(()));
    assert!(seen.is_some(), "no session slept");
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

#[test]
fn sixteen_runners_through_a_transaction_pool_with_a_lease_apply_each_migration_once() {
    let p = project(40, &[]);
    for round in 0..rounds(3, 1) {
        let Some(db) = TestDb::postgres() else { return };
        let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
            return;
        };
        let mut c = db.client();
        tables(&mut c);
        let url = lease_url(&bouncer, &db.name, "30s");
        // Each runner applies at most 3: the lease changes hands many times.
        let children: Vec<Child> = (0..16)
            .map(|_| runner(&p, &url, "120", &["up", "3"]))
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| finish(c, Duration::from_secs(180)))
            .collect();
        for o in &outs {
            // golang-migrate's short limit: fewer than 3 were left when this runner got the lease.
            if o.code != 0 {
                o.code(1).stderr_has(" short (");
            }
        }
        let reported: usize = outs
            .iter()
            .map(|o| o.stderr.lines().filter(|l| l.contains("/u row")).count())
            .sum();
        assert_eq!(
            reported, 40,
            "round {round}: each migration reported applied once"
        );
        let all: Vec<i64> = (1..=40).collect();
        assert_eq!(
            state(&mut c),
            (40, all.clone(), vec![], all),
            "round {round}"
        );
        assert_eq!(lease_rows(&mut c), 0, "every runner released its lease");
        assert_eq!(
            crate::faults::advisory_locks(&mut c, &db.name),
            0,
            "no session lock was taken"
        );
    }
}

#[test]
fn a_runner_killed_while_holding_the_lease_is_replaced_after_expiry() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
        return;
    };
    // Migration 2 sleeps on its first try only (a sequence is not rolled back).
    let p = project(
        3,
        &[(
            2,
            "SELECT pg_sleep(CASE WHEN nextval('tries') = 1 THEN 60 ELSE 0 END);\n",
        )],
    );
    let mut c = db.client();
    tables(&mut c);
    let url = lease_url(&bouncer, &db.name, "2s");
    let first = runner(&p, &url, "30", &["up"]);
    wait_until_sleeping(&mut c);
    // While the holder renews its lease, another runner waits and names it.
    let waiting = finish(runner(&p, &url, "1", &["up"]), Duration::from_secs(60));
    waiting
        .code(4)
        .stderr_has("timeout: can't acquire database lock after")
        .stderr_has("(held by the lease of host ")
        .stderr_has(&format!(" pid {}, since ", first.id()))
        .stderr_has(", expires in ");
    let mut first = first;
    first.kill().unwrap();
    first.wait().unwrap();
    // The server ends the killed runner's statement (it checks for a gone client, set per
    // transaction), rather than sleep on for a minute on a pooled server session.
    let ended = wait_for(Duration::from_secs(30), || {
        (sleepers(&mut c) == 0).then_some(())
    });
    assert!(ended.is_some(), "the killed runner's statement still runs");
    // No manual step: the next runner waits for the lease to expire and takes it over.
    let next = finish(runner(&p, &url, "30", &["up"]), Duration::from_secs(60));
    next.ok();
    assert_eq!(state(&mut c), (3, vec![1, 2, 3], vec![], vec![1, 2, 3]));
    assert_eq!(lease_rows(&mut c), 0);
}

#[test]
fn a_runner_paused_past_its_lease_is_fenced_and_applies_nothing_more() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
        return;
    };
    // Migration 2 sleeps 4 s on its first try: longer than the 2 s lease of a paused runner.
    let p = project(
        4,
        &[(
            2,
            "SELECT pg_sleep(CASE WHEN nextval('tries') = 1 THEN 4 ELSE 0 END);\n",
        )],
    );
    let mut c = db.client();
    tables(&mut c);
    let url = lease_url(&bouncer, &db.name, "2s");
    let paused = runner(&p, &url, "30", &["up"]);
    wait_until_sleeping(&mut c);
    signal(&paused, "-STOP");
    // Its heartbeat is paused too: the next runner takes over once the lease expires.
    let next = finish(runner(&p, &url, "60", &["up"]), Duration::from_secs(90));
    next.ok();
    signal(&paused, "-CONT");
    let paused = finish(paused, Duration::from_secs(60));
    eprintln!(
        "next runner:\n{}\npaused runner:\n{}",
        next.stderr, paused.stderr
    );
    paused.code(1).stderr_has(LEASE_LOST);
    assert!(
        !paused
            .stderr
            .lines()
            .any(|l| l.contains("/u row2") && !l.contains("failed")),
        "the paused runner does not report migration 2 applied:\n{}",
        paused.stderr
    );
    assert_eq!(
        state(&mut c),
        (4, vec![1, 2, 3, 4], vec![], vec![1, 2, 3, 4])
    );
    assert_eq!(lease_rows(&mut c), 0);
}

#[test]
fn a_no_transaction_migration_needing_session_settings_is_refused_under_a_lease() {
    let Some(db) = TestDb::postgres() else { return };
    let p = Project::new();
    p.pair(
        "1",
        "idx",
        "-- strata:no-transaction\n-- strata:lock-timeout 2s\nCREATE TABLE t (id int);\n",
        "DROP TABLE t;",
    );
    let url = db.url_with("x-lock-strategy=lease");
    let o = finish(runner(&p, &url, "15", &["up"]), Duration::from_secs(60));
    o.code(1)
        .stderr_has("cannot run a migration outside a transaction with session settings (lock_timeout) under x-lock-strategy=lease");
    let mut c = db.client();
    let t: Option<String> = c
        .query_one("SELECT to_regclass('t')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(t, None, "nothing ran");
}

/// Every relation outside the system schemas (tables, indexes, sequences, ...), qualified.
fn relations(c: &mut Client) -> Vec<String> {
    c.query(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn a_no_transaction_migration_refused_under_a_lease_leaves_the_database_as_found() {
    let Some(db) = TestDb::postgres() else { return };
    let p = Project::new();
    p.pair(
        "1",
        "one",
        "CREATE TABLE one (id int);\n",
        "DROP TABLE one;",
    );
    p.pair(
        "2",
        "idx",
        "-- strata:no-transaction\n-- strata:lock-timeout 2s\nCREATE TABLE t (id int);\n",
        "DROP TABLE t;",
    );
    let url = db.url_with("x-lock-strategy=lease");
    let mut c = db.client();
    let found = relations(&mut c);
    assert_eq!(found, Vec::<String>::new(), "a new database");
    let o = finish(runner(&p, &url, "15", &["up"]), Duration::from_secs(60));
    o.code(1)
        .stderr_has("migration 2/u idx: cannot run a migration outside a transaction with session settings (lock_timeout) under x-lock-strategy=lease");
    // Refused before anything ran: not even migration 1, nor the tables, nor the lease's.
    assert_eq!(relations(&mut c), found);
}

#[test]
fn reading_commands_and_a_refused_dirty_up_under_a_lease_leave_the_database_as_found() {
    let Some(db) = TestDb::postgres() else { return };
    let p = project(2, &[]);
    let url = db.url_with("x-lock-strategy=lease");
    let mut c = db.client();
    let found = relations(&mut c);
    for args in [
        &["version"][..],
        &["status"],
        &["plan", "up"],
        &["plan", "down", "1"],
    ] {
        finish(runner(&p, &url, "15", args), Duration::from_secs(60));
        assert_eq!(relations(&mut c), found, "after {args:?}");
    }
    // A database golang-migrate left dirty (its table only): `up` is refused as it would be.
    c.batch_execute(
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (1, true);",
    )
    .unwrap();
    let found = relations(&mut c);
    let o = finish(runner(&p, &url, "15", &["up"]), Duration::from_secs(60));
    o.code(3).stderr_has("Dirty database version 1");
    assert_eq!(relations(&mut c), found, "after a refused up");
    for args in [&["version"][..], &["status"], &["plan", "up"]] {
        finish(runner(&p, &url, "15", args), Duration::from_secs(60));
        assert_eq!(relations(&mut c), found, "after {args:?}");
    }
}

#[test]
fn a_no_transaction_migration_without_session_settings_runs_through_a_transaction_pool() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
        return;
    };
    let p = project(2, &[]);
    p.pair(
        "003",
        "index",
        "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY applied_v ON applied (v);\n\
         INSERT INTO applied VALUES (3);\nUPDATE counter SET n = n + 1;\n",
        "DROP INDEX CONCURRENTLY applied_v;",
    );
    let mut c = db.client();
    tables(&mut c);
    let url = lease_url(&bouncer, &db.name, "30s");
    let outs: Vec<Output> = (0..4)
        .map(|_| runner(&p, &url, "60", &["up"]))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|c| finish(c, Duration::from_secs(90)))
        .collect();
    for o in &outs {
        o.ok();
    }
    assert_eq!(state(&mut c), (3, vec![1, 2, 3], vec![], vec![1, 2, 3]));
    let index: Option<String> = c
        .query_one("SELECT to_regclass('applied_v')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(index.as_deref(), Some("applied_v"));
}

#[test]
fn a_bad_lock_strategy_or_lease_is_refused_naming_the_parameter() {
    let p = project(1, &[]);
    for (query, said) in [
        (
            "x-lock-strategy=table",
            "invalid value \"table\" for x-lock-strategy: expected advisory or lease",
        ),
        (
            "x-lock-strategy=lease&x-lock-lease=100ms",
            "invalid value \"100ms\" for x-lock-lease: expected a duration of at least 1s",
        ),
    ] {
        let url = format!("postgres://u:hunter2@127.0.0.1:1/db?{query}");
        let o = finish(spawn(strata(&p, &url, &["up"])), Duration::from_secs(30));
        // Exit 1, as for any other bad URL value (sslmode=...).
        o.code(1).stderr_has(said);
        assert!(!o.stderr.contains("hunter2"), "{}", o.stderr);
    }
}
