//! Fault injection on PostgreSQL (issue 6): concurrent runners and killed runners. Every fault
//! must end in a consistent database — the ledger, golang-migrate's row, the log and the actual
//! schema agree — and the next run must complete the schema. Helpers here are shared with the
//! other `faults_*` modules.
//!
//! Fast variants by default; `CI=true` runs more rounds. Every wait is bounded.

use crate::support::{Output, Project};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strata_testkit::postgres::Client;
use strata_testkit::TestDb;

pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `strata -path migrations -database URL ARGS` in the project, output piped.
pub fn strata(p: &Project, url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("strata"));
    c.current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATION_DIR")
        .env_remove("MIGRATION_TIMEOUT")
        .env_remove("DATABASE_SSL")
        .env_remove("STRATA_LOCK_TIMEOUT")
        .env("USER", "tester")
        .args(["-path", "migrations", "-database", url])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

pub fn spawn(mut c: Command) -> Child {
    c.spawn().expect("spawn strata")
}

/// Wait for `child` at most `limit` (killing it and failing the test past that).
#[track_caller]
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "strata still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let o = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!o.stderr.contains("panicked"), "panic:\n{}", o.stderr);
    o
}

/// Run to completion (at most 30 s).
#[track_caller]
pub fn run(p: &Project, url: &str, args: &[&str]) -> Output {
    finish(spawn(strata(p, url, args)), Duration::from_secs(30))
}

/// Poll `f` every 20 ms until it returns `Some`, at most `limit`.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pid of Strata's session in `db` running a query that contains `needle`.
pub fn active_query(c: &mut Client, db: &str, needle: &str) -> Option<i32> {
    // A batch of migrations is one long message, of which pg_stat_activity keeps only the first
    // kilobyte: a sleeping session is found by what it waits for.
    c.query_opt(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'strata' \
         AND state = 'active' \
         AND (strpos(query, $2) > 0 OR ($2 = 'pg_sleep' AND wait_event = 'PgSleep')) LIMIT 1",
        &[&db, &needle],
    )
    .unwrap()
    .map(|r| r.get(0))
}

/// Advisory locks held in `db` (Strata's migration lock).
pub fn advisory_locks(c: &mut Client, db: &str) -> i64 {
    c.query_one(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND d.datname = $1",
        &[&db],
    )
    .unwrap()
    .get(0)
}

/// Whether the server ends a dead client's session while a statement runs
/// (`client_connection_check_interval`, PostgreSQL 14+). Before 14 it notices only when the
/// statement ends, so the dead runner's lock outlives it by as long as the statement lasts.
pub fn server_notices_dead_clients(c: &mut Client) -> bool {
    let v: i32 = c
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .unwrap()
        .get(0);
    if v < 140000 {
        eprintln!("skipped: PostgreSQL {v} has no client_connection_check_interval");
    }
    v >= 140000
}

/// After a fault: the migration lock must be released within a few seconds.
#[track_caller]
pub fn assert_lock_released(c: &mut Client, db: &str) {
    let released = wait_for(Duration::from_secs(5), || {
        (advisory_locks(c, db) == 0).then_some(())
    });
    assert!(
        released.is_some(),
        "the migration lock was still held 5 s after the runner died"
    );
}

/// What the database says about itself.
#[derive(Debug, PartialEq, Eq)]
pub struct State {
    /// golang-migrate's rows (at most one).
    pub compat: Vec<(i64, bool)>,
    /// Ledger versions, ascending.
    pub ledger: Vec<i64>,
    /// `(action, version)` of every log entry, oldest first.
    pub log: Vec<(String, i64)>,
    /// User tables of `public`.
    pub tables: Vec<String>,
}

impl State {
    pub fn read(c: &mut Client) -> State {
        let compat = c
            .query("SELECT version, dirty FROM schema_migrations", &[])
            .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            .unwrap_or_default();
        let ledger = c
            .query(
                "SELECT version FROM schema_migrations_ledger ORDER BY version",
                &[],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default();
        let log = c
            .query(
                "SELECT action, coalesce(version, -1) FROM schema_migrations_log ORDER BY id",
                &[],
            )
            .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            .unwrap_or_default();
        let tables = c
            .query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
                 AND tablename NOT LIKE 'schema\\_migrations%' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        State {
            compat,
            ledger,
            log,
            tables,
        }
    }

    pub fn count(&self, action: &str, version: i64) -> i64 {
        self.log
            .iter()
            .filter(|(a, v)| a == action && *v == version)
            .count() as i64
    }

    /// Consistency for a set whose migration `v` creates table `table(v)`: the ledger is
    /// `1..=k`, golang-migrate's row says `k` (clean), exactly those tables exist, and the log's
    /// ups minus downs say the same for every version. Returns `k`.
    #[track_caller]
    pub fn assert_consistent(&self, n: i64, table: impl Fn(i64) -> String) -> i64 {
        let k = self.ledger.len() as i64;
        assert_eq!(self.ledger, (1..=k).collect::<Vec<_>>(), "ledger: {self:?}");
        let expected_compat = if k == 0 { vec![] } else { vec![(k, false)] };
        assert_eq!(self.compat, expected_compat, "compat row: {self:?}");
        let mut tables: Vec<String> = (1..=k).map(&table).collect();
        tables.sort();
        assert_eq!(self.tables, tables, "schema: {self:?}");
        for v in 1..=n {
            assert_eq!(
                self.count("up", v) - self.count("down", v),
                i64::from(v <= k),
                "log for version {v}: {self:?}"
            );
        }
        k
    }
}

fn t(v: i64) -> String {
    format!("t{v:03}")
}

/// `n` migrations, `v` creating table `t00v`.
fn tables_project(n: i64) -> Project {
    let p = Project::new();
    for v in 1..=n {
        p.pair(
            &format!("{v:03}"),
            &t(v),
            &format!("CREATE TABLE {} (id int);", t(v)),
            &format!("DROP TABLE {};", t(v)),
        );
    }
    p
}

/// Rounds of a repeated fault: `STRATA_FAULT_ROUNDS` (the soak script), else `in_ci` under
/// `CI=true`, else `quick`.
pub fn rounds(in_ci: usize, quick: usize) -> usize {
    match std::env::var("STRATA_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => n,
        None if ci() => in_ci,
        None => quick,
    }
}

// The 16-runner race, 20 rounds under CI, in two tests of 10 so that neither runs much longer
// than 20 s on two cores.
#[test]
fn sixteen_concurrent_runners_apply_each_migration_exactly_once() {
    race(rounds(10, 2));
}

#[test]
fn sixteen_concurrent_runners_race_again() {
    race(rounds(10, 1));
}

/// 16 `strata up` at once on a fresh database, `rounds` times: all exit 0, each of the 50
/// migrations is applied once, the 15 others say `no change`.
fn race(rounds: usize) {
    let p = tables_project(50);
    for round in 0..rounds {
        let Some(db) = TestDb::postgres() else { return };
        let children: Vec<Child> = (0..16)
            .map(|_| spawn(strata(&p, &db.url, &["up"])))
            .collect();
        let outs: Vec<Output> = children
            .into_iter()
            .map(|c| finish(c, Duration::from_secs(30)))
            .collect();
        let mut applied = 0;
        let mut idle = 0;
        for o in &outs {
            o.ok();
            let lines = o.stderr.matches("/u ").count();
            applied += lines;
            if lines == 0 {
                o.stderr_has("no change");
                idle += 1;
            }
        }
        assert_eq!(applied, 50, "round {round}: each migration applied once");
        assert_eq!(idle, 15, "round {round}: one runner did the work");
        let st = State::read(&mut db.client());
        assert_eq!(st.assert_consistent(50, t), 50, "round {round}");
        assert_eq!(
            st.log.len(),
            50,
            "round {round}: only the 50 ups are logged"
        );
    }
}

#[test]
fn concurrent_up_and_down_runners_leave_a_consistent_database() {
    let p = tables_project(30);
    let rounds = rounds(5, 2);
    for round in 0..rounds {
        let Some(db) = TestDb::postgres() else { return };
        run(&p, &db.url, &["up", "15"]).ok();
        let children: Vec<Child> = (0..8)
            .map(|i| {
                let args: &[&str] = if i % 2 == 0 { &["up"] } else { &["down", "1"] };
                spawn(strata(&p, &db.url, args))
            })
            .collect();
        let mut ups = 0;
        let mut downs = 0;
        for c in children {
            let o = finish(c, Duration::from_secs(30));
            o.ok();
            ups += o.stderr.matches("/u ").count();
            downs += o.stderr.matches("/d ").count();
        }
        let st = State::read(&mut db.client());
        let k = st.assert_consistent(30, t);
        assert_eq!(
            k,
            15 + ups as i64 - downs as i64,
            "round {round}: what the runners printed is what happened"
        );
        run(&p, &db.url, &["up"]).ok();
        State::read(&mut db.client()).assert_consistent(30, t);
    }
}

/// The project for kill tests: 1 creates `a`, 2 (`slow`) creates `b` then runs `sql`, 3 creates
/// `c`.
fn slow_project(slow: &str) -> Project {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair("2", "slow", slow, "DROP TABLE b;");
    p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    p
}

fn abc(v: i64) -> String {
    ["a", "b", "c"][v as usize - 1].to_string()
}

#[test]
fn sigkill_during_a_transactional_migration_leaves_no_trace_and_frees_the_lock() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project("CREATE TABLE b (id int);\nSELECT pg_sleep(25);\n");
    let mut c = db.client();
    if !server_notices_dead_clients(&mut c) {
        return;
    }
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    });
    assert!(found.is_some(), "migration 2 never started");
    child.kill().unwrap();
    let _ = child.wait();
    // The server notices the dead client mid-statement (client_connection_check_interval),
    // rolls back and frees the lock in about a second, not when pg_sleep would have ended.
    assert_lock_released(&mut c, &db.name);
    let st = State::read(&mut c);
    assert_eq!(st.assert_consistent(3, abc), 1);
    assert_eq!(st.count("start", 2) + st.count("fail", 2), 0, "{st:?}");
    // The next run completes (the slow file made quick: it was never applied, so no drift).
    p.pair("2", "slow", "CREATE TABLE b (id int);", "DROP TABLE b;");
    run(&p, &db.url, &["up"]).ok().stderr_has("3/u c");
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 3);
}

#[test]
fn sigkill_during_a_no_transaction_migration_leaves_it_dirty_and_force_recovers() {
    let Some(db) = TestDb::postgres() else { return };
    let p = slow_project(
        "-- strata:no-transaction\nCREATE TABLE b (id int);\nSELECT pg_sleep(25);\nCREATE TABLE b2 (id int);\n",
    );
    let mut c = db.client();
    if !server_notices_dead_clients(&mut c) {
        return;
    }
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    });
    assert!(found.is_some(), "migration 2 never started");
    child.kill().unwrap();
    let _ = child.wait();
    assert_lock_released(&mut c, &db.name);
    let st = State::read(&mut c);
    assert_eq!(st.compat, vec![(2, true)], "golang-migrate's dirty row");
    assert_eq!(st.ledger, vec![1], "not recorded as applied");
    assert_eq!(st.count("start", 2), 1, "the log says it started: {st:?}");
    assert_eq!(st.tables, ["a", "b"], "the first statement stays committed");
    run(&p, &db.url, &["up"])
        .code(3)
        .stderr_has("Dirty database version 2");
    // The documented recovery: repair by hand, force the last good version, run again.
    c.batch_execute("DROP TABLE b").unwrap();
    run(&p, &db.url, &["force", "1"]).ok();
    p.pair(
        "2",
        "slow",
        "-- strata:no-transaction\nCREATE TABLE b (id int);\n",
        "DROP TABLE b;",
    );
    run(&p, &db.url, &["up"]).ok();
    assert_eq!(State::read(&mut c).assert_consistent(3, abc), 3);
}

#[test]
fn sigkill_at_arbitrary_points_of_a_run_is_always_consistent() {
    let p = tables_project(40);
    // Kill points (ms after start): before/while connecting and locking, and at several points
    // of the run (mostly between two migrations or in one's short transaction).
    let n = rounds(12, 4) as u64;
    let points: Vec<u64> = (0..n).map(|i| 5 + i * 300 / n).collect();
    let mut kills = 0;
    for &ms in &points {
        let Some(db) = TestDb::postgres() else { return };
        let mut c = db.client();
        let mut child = spawn(strata(&p, &db.url, &["up"]));
        std::thread::sleep(Duration::from_millis(ms));
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        }
        child.kill().unwrap();
        let _ = child.wait();
        assert_lock_released(&mut c, &db.name);
        let k = State::read(&mut c).assert_consistent(40, t);
        eprintln!("killed at {ms} ms: {k} applied");
        run(&p, &db.url, &["up"]).ok();
        assert_eq!(State::read(&mut c).assert_consistent(40, t), 40);
    }
    assert!(kills > 0, "no kill landed while strata ran");
}
