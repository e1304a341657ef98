//! Exactly once when the migration lock does not hold: a real PgBouncer in transaction pooling
//! mode (session advisory locks live on whichever server session ran the statement), and
//! migrations that release the lock themselves. Each data migration inserts one row, so a double
//! apply shows as a duplicate row whatever the ledger says.

use crate::faults::{finish, rounds, run, spawn, strata};
use crate::support::{Output, Project};
use std::process::Child;
use std::time::Duration;
use strata_testkit::pgbouncer::{PgBouncer, PoolMode};
use strata_testkit::postgres::Client;
use strata_testkit::TestDb;

/// The words of the error a runner that lost the lock gives.
const LOCK_LOST: &str = "the migration lock is not held by this session";
/// The words of the up-front refusal.
const POOLER: &str = "transaction-pooling proxy";

/// `n` migrations, `v` inserting row `v` into `applied` (created beforehand).
fn rows_project(n: i64) -> Project {
    let p = Project::new();
    for v in 1..=n {
        p.pair(
            &format!("{v:03}"),
            &format!("row{v}"),
            &format!("INSERT INTO applied VALUES ({v});"),
            &format!("DELETE FROM applied WHERE v = {v};"),
        );
    }
    p
}

fn applied_table(c: &mut Client) {
    c.batch_execute("CREATE TABLE applied (v int NOT NULL)")
        .unwrap();
}

/// `(v, how many rows)` for every migration applied more than once.
fn doubles(c: &mut Client) -> Vec<(i32, i64)> {
    c.query(
        "SELECT v, count(*) FROM applied GROUP BY v HAVING count(*) > 1 ORDER BY v",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Distinct rows, ascending, and the ledger's versions.
fn rows_and_ledger(c: &mut Client) -> (Vec<i64>, Vec<i64>) {
    let rows = c
        .query("SELECT DISTINCT v::bigint FROM applied ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // No ledger table: every runner was refused before creating it.
    let ledger = c
        .query(
            "SELECT version FROM schema_migrations_ledger ORDER BY 1",
            &[],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    (rows, ledger)
}

/// How many migrations a runner reported as applied (its `V/u name (duration)` lines).
fn reported_ups(o: &Output) -> usize {
    o.stderr
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains("/u row"))
        .count()
}

/// Every runner either succeeded or failed naming the cause (a lost lock, a pooler, or a
/// version another run recorded first).
#[track_caller]
fn each_succeeded_or_named_the_cause(outs: &[Output]) {
    for o in outs {
        // A runner after a failed no-transaction migration finds golang-migrate's dirty row.
        if o.code == 0 || (o.code == 3 && o.stderr.contains("Dirty database version 1")) {
            continue;
        }
        assert!(
            o.stderr.contains(LOCK_LOST)
                || o.stderr.contains(POOLER)
                || o.stderr
                    .contains("already records this migration as applied"),
            "exit {} without naming the cause:\n{}",
            o.code,
            o.stderr
        );
    }
}

#[test]
fn eight_runners_through_a_transaction_pool_of_four_never_apply_twice() {
    let p = rows_project(40);
    for round in 0..rounds(3, 1) {
        let Some(db) = TestDb::postgres() else { return };
        let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
            return;
        };
        let mut c = db.client();
        applied_table(&mut c);
        let url = bouncer.url(&db.name);
        let children: Vec<Child> = (0..8).map(|_| spawn(strata(&p, &url, &["up"]))).collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| finish(c, Duration::from_secs(60)))
            .collect();
        let codes: Vec<i32> = outs.iter().map(|o| o.code).collect();
        eprintln!(
            "transaction pool round {round}: exit codes {codes:?}, {} rows",
            rows_and_ledger(&mut c).0.len()
        );
        assert_eq!(doubles(&mut c), vec![], "round {round}: applied twice");
        each_succeeded_or_named_the_cause(&outs);
        let (rows, ledger) = rows_and_ledger(&mut c);
        assert_eq!(rows, ledger, "round {round}: the ledger says what ran");
        // What the runners reported as applied is what ran, once.
        let reported: usize = outs.iter().map(reported_ups).sum();
        assert_eq!(reported, rows.len(), "round {round}: reports vs rows");
        // A direct connection finishes the job.
        drop(bouncer);
        run(&p, &db.url, &["up"]).ok();
        assert_eq!(doubles(&mut c), vec![], "round {round}");
        let (rows, ledger) = rows_and_ledger(&mut c);
        assert_eq!(rows, (1..=40).collect::<Vec<_>>(), "round {round}");
        assert_eq!(ledger, rows, "round {round}");
    }
}

#[test]
fn runners_through_a_session_pool_work_normally() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(bouncer) = PgBouncer::for_test(PoolMode::Session, 4) else {
        return;
    };
    let p = rows_project(40);
    let mut c = db.client();
    applied_table(&mut c);
    let url = bouncer.url(&db.name);
    let children: Vec<Child> = (0..8).map(|_| spawn(strata(&p, &url, &["up"]))).collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| finish(c, Duration::from_secs(60)))
        .collect();
    for o in &outs {
        o.ok();
    }
    let reported: usize = outs.iter().map(reported_ups).sum();
    assert_eq!(reported, 40, "each migration applied once");
    assert_eq!(doubles(&mut c), vec![]);
    let (rows, ledger) = rows_and_ledger(&mut c);
    assert_eq!(rows, (1..=40).collect::<Vec<_>>());
    assert_eq!(ledger, rows);
    run(&p, &url, &["down", "-all"]).ok();
    assert_eq!(rows_and_ledger(&mut c), (vec![], vec![]));
}

/// Migration 1 releases the migration lock (`release`), 2..=30 insert rows slowly enough for a
/// second runner to start meanwhile.
fn releasing_project(release: &str) -> Project {
    let p = Project::new();
    p.pair("001", "release", release, "SELECT 1;");
    for v in 2..=30 {
        p.pair(
            &format!("{v:03}"),
            &format!("row{v}"),
            &format!("INSERT INTO applied VALUES ({v});\nSELECT pg_sleep(0.01);"),
            &format!("DELETE FROM applied WHERE v = {v};"),
        );
    }
    p
}

/// Two runners, the second started once the first has run migration 1: no row twice, each
/// runner succeeded or named the cause, and the ledger says what ran.
fn two_runners_after_a_release(release: &str) {
    let Some(db) = TestDb::postgres() else { return };
    let p = releasing_project(release);
    let mut c = db.client();
    applied_table(&mut c);
    let mut first = spawn(strata(&p, &db.url, &["up"]));
    // The second runner starts once the first one has committed a migration after 1 (or has
    // ended).
    let started = crate::faults::wait_for(Duration::from_secs(20), || {
        let rows: i64 = c
            .query_one("SELECT count(*) FROM applied", &[])
            .unwrap()
            .get(0);
        (rows > 0 || first.try_wait().unwrap().is_some()).then_some(())
    });
    assert!(started.is_some());
    let second = spawn(strata(&p, &db.url, &["up"]));
    let outs = [
        finish(first, Duration::from_secs(60)),
        finish(second, Duration::from_secs(60)),
    ];
    assert_eq!(doubles(&mut c), vec![], "applied twice");
    each_succeeded_or_named_the_cause(&outs);
    assert!(
        outs.iter().any(|o| o.stderr.contains(LOCK_LOST)),
        "the first runner noticed that its lock was gone:\n{}",
        outs[0].stderr
    );
    let (rows, ledger) = rows_and_ledger(&mut c);
    let ledger: Vec<i64> = ledger.into_iter().filter(|v| *v > 1).collect();
    assert_eq!(rows, ledger, "the ledger says what ran");
}

#[test]
fn a_migration_running_discard_all_does_not_let_a_second_runner_apply_again() {
    two_runners_after_a_release("DISCARD ALL;\n");
}

#[test]
fn a_migration_unlocking_all_advisory_locks_does_not_let_a_second_runner_apply_again() {
    two_runners_after_a_release("SELECT pg_advisory_unlock_all();\n");
}

/// Migration 2 records its own version, as a run applying it at the same time would have: the
/// ledger row Strata then writes must fail, not overwrite, and roll migration 2 back.
fn recorded_meanwhile_project() -> Project {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "b",
        "CREATE TABLE b (id int);\n\
         INSERT INTO schema_migrations_ledger \
         (version, name, checksum, batch, applied_at, duration_ms, applied_by, mode, origin) VALUES \
         (2, 'other', NULL, 1, '2026-01-01T00:00:00Z', 0, 'other run', 'transaction', 'applied');\n",
        "DROP TABLE b;",
    );
    p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    p
}

#[track_caller]
fn refused_as_already_applied(o: &Output) {
    o.code(1)
        .stderr_has("migration failed: 2/u b: the ledger already records this migration as applied: another run applied it at the same time")
        .stderr_has("applied before the failure: 1");
}

#[test]
fn recording_a_version_already_in_the_ledger_fails_and_rolls_back_on_postgres() {
    let Some(db) = TestDb::postgres() else { return };
    let p = recorded_meanwhile_project();
    refused_as_already_applied(&run(&p, &db.url, &["up"]));
    let st = crate::faults::State::read(&mut db.client());
    assert_eq!(st.ledger, vec![1]);
    assert_eq!(st.compat, vec![(1, false)]);
    assert_eq!(st.tables, ["a"], "migration 2 rolled back");
}

#[test]
fn recording_a_version_already_in_the_ledger_fails_and_rolls_back_on_sqlite() {
    let p = recorded_meanwhile_project();
    refused_as_already_applied(&p.run(&["up"]));
    assert_eq!(p.ledger_versions(), vec![1]);
    assert_eq!(p.compat(), Some((1, false)));
    assert_eq!(p.tables(), ["a"], "migration 2 rolled back");
}

#[test]
fn a_no_transaction_statement_releasing_the_lock_stops_the_migration_before_its_next_statement() {
    let Some(db) = TestDb::postgres() else { return };
    let p = Project::new();
    p.pair(
        "1",
        "release",
        "DISCARD ALL;\nCREATE TABLE after_release (id int);\n",
        "SELECT 1;",
    );
    run(&p, &db.url, &["up"])
        .code(1)
        .stderr_has(LOCK_LOST)
        .stderr_has("left dirty at version 1");
    let st = crate::faults::State::read(&mut db.client());
    assert_eq!(st.tables, Vec::<String>::new(), "statement 2 never ran");
    assert_eq!(st.compat, vec![(1, true)]);
    assert_eq!(st.ledger, Vec::<i64>::new());
}

#[test]
fn a_lone_runner_through_a_transaction_pool_is_refused_up_front() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(bouncer) = PgBouncer::for_test(PoolMode::Transaction, 4) else {
        return;
    };
    let p = rows_project(3);
    let mut c = db.client();
    applied_table(&mut c);
    run(&p, &bouncer.url(&db.name), &["up"])
        .code(1)
        .stderr_has(
            "the connection goes through a transaction-pooling proxy (e.g. PgBouncer pool_mode=transaction)",
        )
        .stderr_has("hint: use a direct connection to PostgreSQL or a session-pooled port");
    assert_eq!(rows_and_ledger(&mut c), (vec![], vec![]), "nothing ran");
    assert_eq!(
        crate::faults::advisory_locks(&mut c, &db.name),
        0,
        "no lock left on a pooled server session"
    );
}
