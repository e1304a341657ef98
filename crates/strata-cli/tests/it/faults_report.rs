//! What Strata reports when a batch of migrations ends early — Ctrl-C, a terminated session, a
//! dropped connection, a server crash — and progress while a batch runs. The promises: every
//! migration reported applied survives a server crash right after (it was made durable before
//! it was reported); a rollback is claimed only when it happened; an outcome nobody can know is
//! said to be unknown; and each migration's line appears when it finishes, not when its batch
//! does.
//!
//! The crash tests slow the WAL writer down (`wal_writer_delay = 10s`): a commit that skipped
//! the flush then stays unwritten until the crash, as it would on a busy server by bad luck.

use crate::faults::{active_query, finish, rounds, spawn, strata, wait_for, State};
use crate::support::{Output, Project};
use std::collections::BTreeSet;
use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata_testkit::postgres::{Client, NoTls};
use strata_testkit::{PrivateCluster, TestDb};

fn t(v: i64) -> String {
    format!("t{v:03}")
}

/// `n` migrations, `v` creating table `t00v` and then sleeping `sleep` seconds.
fn sleepy_project(n: i64, sleep: &str) -> Project {
    let p = Project::new();
    for v in 1..=n {
        p.pair(
            &format!("{v:03}"),
            &t(v),
            &format!(
                "CREATE TABLE {} (id int);\nSELECT pg_sleep({sleep});\n",
                t(v)
            ),
            &format!("DROP TABLE {};", t(v)),
        );
    }
    p
}

/// A private cluster; `None` (skip) when none can be started outside CI.
fn private_cluster() -> Option<PrivateCluster> {
    match PrivateCluster::start() {
        Ok(c) => Some(c),
        Err(e) if crate::faults::ci() => panic!("cannot start a private cluster: {e}"),
        Err(e) => {
            eprintln!("skipped: cannot start a private cluster: {e}");
            None
        }
    }
}

/// A private cluster whose WAL writer waits 10 s between rounds.
fn slow_flushing_cluster() -> Option<PrivateCluster> {
    let cluster = private_cluster()?;
    let mut admin = connect(&cluster, "postgres");
    admin
        .batch_execute("ALTER SYSTEM SET wal_writer_delay = '10s'")
        .unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    Some(cluster)
}

fn connect(cluster: &PrivateCluster, db: &str) -> Client {
    Client::connect(&cluster.url(db), NoTls).unwrap()
}

/// A fresh database `db` on `cluster` and a runner applying `p` to it, handed back once its batch
/// is running (a session of it sleeps): the admin client, the runner and the sleeping backend.
fn start_batch(cluster: &PrivateCluster, p: &Project, db: &str) -> (Client, Child, i32) {
    let mut admin = database(cluster, db);
    let child = spawn(strata(p, &cluster.url(db), &["up"]));
    let pid = wait_for(Duration::from_secs(10), || {
        active_query(&mut admin, db, "pg_sleep")
    })
    .expect("the batch never started");
    (admin, child, pid)
}

/// A fresh database `db` in `cluster`, and an admin session on it.
fn database(cluster: &PrivateCluster, db: &str) -> Client {
    connect(cluster, "postgres")
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    connect(cluster, db)
}

/// Crash the server and start it again (crash recovery runs).
fn crash_and_restart(cluster: &PrivateCluster) {
    cluster.stop_immediate().unwrap();
    cluster.restart().unwrap();
}

fn sigint(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// The versions of the `V/u name (duration)` progress lines: what Strata reported applied.
fn reported(o: &Output) -> BTreeSet<i64> {
    o.stderr
        .lines()
        .filter_map(|l| l.split_once("/u ")?.0.parse().ok())
        .collect()
}

/// The versions Strata said may have committed.
fn unconfirmed(o: &Output) -> BTreeSet<i64> {
    o.stderr
        .lines()
        .find_map(|l| {
            let list = l.split_once("migration(s) ")?.1;
            let list = list.split_once(" may have committed")?.0;
            Some(list.split(", ").filter_map(|v| v.parse().ok()).collect())
        })
        .unwrap_or_default()
}

/// The version of the `migration failed: V/u` line.
fn failed(o: &Output) -> Option<i64> {
    let rest = o.stderr.split_once("migration failed: ")?.1;
    rest.split_once('/')?.0.parse().ok()
}

fn ledger(c: &mut Client) -> BTreeSet<i64> {
    State::read(c).ledger.into_iter().collect()
}

/// What was reported and what the ledger holds agree: every migration reported applied is in
/// the ledger, every migration in the ledger was reported applied or said to be unknown, and
/// a migration said to be rolled back is not in the ledger.
#[track_caller]
fn assert_told_the_truth(o: &Output, ledger: &BTreeSet<i64>, round: usize) {
    let reported = reported(o);
    let unknown = unconfirmed(o);
    let lost: Vec<&i64> = reported.difference(ledger).collect();
    assert!(
        lost.is_empty(),
        "round {round}: reported applied but not in the ledger: {lost:?}\n{}",
        o.stderr
    );
    let untold: Vec<&i64> = ledger
        .iter()
        .filter(|v| !reported.contains(v) && !unknown.contains(v))
        .collect();
    assert!(
        untold.is_empty(),
        "round {round}: in the ledger but reported neither applied nor unknown: {untold:?}\n{}",
        o.stderr
    );
    if o.stderr.contains("rolled back") {
        let f = failed(o).expect("a failed migration");
        assert!(
            !ledger.contains(&f),
            "round {round}: said {f} was rolled back, but it committed\n{}",
            o.stderr
        );
    }
}

#[test]
fn ctrl_c_mid_batch_then_a_server_crash_loses_no_reported_migration() {
    let Some(cluster) = slow_flushing_cluster() else {
        return;
    };
    let n = 12;
    let p = sleepy_project(n, "0.15");
    for round in 0..rounds(6, 4) {
        let db = format!("ctrl_c_{round}");
        let (admin, child, _) = start_batch(&cluster, &p, &db);
        std::thread::sleep(Duration::from_millis(100 + 170 * round as u64 % 900));
        sigint(child.id());
        let out = finish(child, Duration::from_secs(30));
        if out.code != 0 {
            out.code(1).stderr_has("interrupted: stopped after");
        }
        drop(admin);
        crash_and_restart(&cluster);
        let mut c = connect(&cluster, &db);
        State::read(&mut c).assert_consistent(n, t);
        assert_told_the_truth(&out, &ledger(&mut c), round);
    }
}

#[test]
fn terminated_session_mid_batch_reports_what_the_ledger_says_and_a_crash_keeps_it() {
    let Some(cluster) = slow_flushing_cluster() else {
        return;
    };
    let n = 12;
    let p = sleepy_project(n, "0.3");
    for round in 0..rounds(6, 3) {
        let db = format!("terminated_{round}");
        let (mut admin, child, pid) = start_batch(&cluster, &p, &db);
        std::thread::sleep(Duration::from_millis(100 + 170 * round as u64 % 900));
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        let out = finish(child, Duration::from_secs(30));
        out.code(1);
        // A new session could tell: nothing is left unknown.
        assert!(
            unconfirmed(&out).is_empty() && !out.stderr.contains("may have committed"),
            "{}",
            out.stderr
        );
        let f = failed(&out).expect("a failed migration");
        assert_eq!(
            reported(&out),
            (1..f).collect(),
            "round {round}: the migrations before the failed one are reported\n{}",
            out.stderr
        );
        drop(admin);
        crash_and_restart(&cluster);
        let mut c = connect(&cluster, &db);
        assert_eq!(State::read(&mut c).assert_consistent(n, t), f - 1);
        assert_told_the_truth(&out, &ledger(&mut c), round);
    }
}

#[test]
fn server_crash_mid_batch_says_which_migrations_may_have_committed() {
    let Some(cluster) = slow_flushing_cluster() else {
        return;
    };
    let n = 12;
    let p = sleepy_project(n, "0.3");
    for round in 0..rounds(4, 2) {
        let db = format!("crashed_{round}");
        let (admin, child, _) = start_batch(&cluster, &p, &db);
        std::thread::sleep(Duration::from_millis(100 + 370 * round as u64 % 900));
        drop(admin);
        cluster.stop_immediate().unwrap();
        let out = finish(child, Duration::from_secs(30));
        out.code(1);
        // Nobody saw it roll back: it may have committed (no session could ask).
        assert!(!out.stderr.contains("rolled back"), "{}", out.stderr);
        let f = failed(&out).expect("a failed migration");
        assert!(
            unconfirmed(&out).contains(&f),
            "round {round}: the outcome of {f} is unknown\n{}",
            out.stderr
        );
        cluster.restart().unwrap();
        let mut c = connect(&cluster, &db);
        State::read(&mut c).assert_consistent(n, t);
        assert_told_the_truth(&out, &ledger(&mut c), round);
    }
}

/// A TCP proxy to a local port; [`Proxy::cut`] closes every connection open through it (the
/// server sees its client go away, but notices only when it next looks), new ones still pass.
struct Proxy {
    port: u16,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let sockets = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut open = sockets.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Proxy { port, open }
    }

    fn cut(&self) {
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn dropped_connection_mid_batch_reports_what_committed_after_the_drop() {
    let Some(cluster) = private_cluster() else {
        return;
    };
    let proxy = Proxy::start(cluster.cluster.port);
    let mut c = database(&cluster, "dropped");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/dropped?sslmode=disable",
        proxy.port
    );
    // Short migrations: the server runs several more after the drop before it notices.
    let n = 40;
    let p = sleepy_project(n, "0.05");
    for round in 0..rounds(3, 1) {
        if round > 0 {
            p_reset(&mut c);
        }
        let child = spawn(strata(&p, &url, &["up"]));
        wait_for(Duration::from_secs(10), || {
            active_query(&mut c, "dropped", "pg_sleep")
        })
        .expect("the batch never started");
        std::thread::sleep(Duration::from_millis(300));
        proxy.cut();
        let out = finish(child, Duration::from_secs(30));
        out.code(1);
        // Strata ended the lost session's backend before it answered: the ledger is final.
        State::read(&mut c).assert_consistent(n, t);
        assert_told_the_truth(&out, &ledger(&mut c), round);
    }
}

/// Drop everything the sleepy project made, for another round on the same database.
fn p_reset(c: &mut Client) {
    c.batch_execute(
        "DO $$DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP \
         EXECUTE format('DROP TABLE %I', r.tablename); END LOOP; END$$",
    )
    .unwrap();
}

#[test]
fn batch_progress_is_printed_as_each_migration_finishes() {
    let Some(db) = TestDb::postgres() else { return };
    let mut c = db.client();
    c.batch_execute("CREATE TABLE gate (id int)").unwrap();
    live_progress(&db, &db.url, &mut c);
}

#[test]
fn progress_holds_where_the_flush_function_is_revoked() {
    let Some(db) = TestDb::postgres() else { return };
    let Some((user, password)) = db.server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no role without superuser rights");
        return;
    };
    let mut c = db.client();
    // In this database only: the catalog is per database. Every signature: PostgreSQL 17 added a
    // fourth argument (flush) to each.
    c.batch_execute(&format!(
        "ALTER SCHEMA public OWNER TO {user}; CREATE TABLE gate (id int); ALTER TABLE gate OWNER TO {user}; \
         DO $$ DECLARE f regprocedure; BEGIN \
           FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = 'pg_logical_emit_message' LOOP \
             EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f); \
           END LOOP; END $$"
    ))
    .unwrap();
    let url = db.url_as(user, Some(password));
    let mut as_user = Client::connect(&url, NoTls).unwrap();
    assert!(
        as_user
            .batch_execute("SELECT pg_logical_emit_message(true, 'strata', 'x')")
            .is_err(),
        "the function is revoked"
    );
    live_progress(&db, &url, &mut c);
}

#[test]
fn verbose_start_lines_of_a_batch_appear_as_each_migration_starts() {
    let Some(db) = TestDb::postgres() else { return };
    let mut c = db.client();
    c.batch_execute("CREATE TABLE gate (id int)").unwrap();
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "wait_for_gate",
        "INSERT INTO gate VALUES (1);",
        "DELETE FROM gate;",
    );
    p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    p.pair("4", "d", "CREATE TABLE d (id int);", "DROP TABLE d;");
    let mut blocker = db.client();
    blocker
        .batch_execute("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let (mut child, text, reader) = spawn_reading(strata(&p, &db.url, &["-verbose", "up"]));
    let blocked = |c: &mut Client| {
        c.query_opt(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'strata' \
             AND wait_event_type = 'Lock'",
            &[&db.name],
        )
        .unwrap()
        .map(|r| r.get::<_, i32>(0))
    };
    wait_for(Duration::from_secs(20), || blocked(&mut c)).expect("migration 2 never waited");
    let seen = wait_for(Duration::from_secs(20), || {
        let t = text.lock().unwrap();
        (t.contains("Start 2/u wait_for_gate") && t.contains("1/u a (")).then_some(())
    });
    let so_far = text.lock().unwrap().clone();
    blocker.batch_execute("COMMIT").unwrap();
    assert!(
        seen.is_some(),
        "no Start line for the running migration:\n{so_far}"
    );
    assert!(
        !so_far.contains("Start 3/u") && !so_far.contains("Start 4/u"),
        "Start lines of migrations that had not started:\n{so_far}"
    );
    let status = wait_for(Duration::from_secs(20), || child.try_wait().unwrap());
    reader.join().unwrap();
    let all = text.lock().unwrap().clone();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{all}");
    // Each Start line once, before its migration's line.
    for (v, name) in [(1, "a"), (2, "wait_for_gate"), (3, "c"), (4, "d")] {
        let start = format!("Start {v}/u {name}\n");
        let done = format!("{v}/u {name} (");
        assert_eq!(all.matches(&start).count(), 1, "{all}");
        assert!(all.find(&start) < all.find(&done), "{all}");
    }
}

/// Spawn `cmd`, collecting its stderr as it comes.
fn spawn_reading(
    cmd: std::process::Command,
) -> (
    std::process::Child,
    Arc<Mutex<String>>,
    std::thread::JoinHandle<()>,
) {
    let mut child = spawn(cmd);
    let text = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = text.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (child, text, reader)
}

/// Migration 1 is quick, migration 2 waits for a lock the test holds on `gate` (which exists):
/// migration 1's line must appear while 2 waits.
fn live_progress(db: &TestDb, url: &str, c: &mut Client) {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    p.pair(
        "2",
        "wait_for_gate",
        "INSERT INTO gate VALUES (1);",
        "DELETE FROM gate;",
    );
    let mut blocker = db.client();
    blocker
        .batch_execute("BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let mut child = spawn(strata(&p, url, &["up"]));
    let text = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = text.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let blocked = |c: &mut Client| {
        c.query_opt(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'strata' \
             AND wait_event_type = 'Lock'",
            &[&db.name],
        )
        .unwrap()
        .map(|r| r.get::<_, i32>(0))
    };
    wait_for(Duration::from_secs(20), || blocked(c)).expect("migration 2 never waited");
    let seen = wait_for(Duration::from_secs(20), || {
        text.lock().unwrap().contains("1/u a").then_some(())
    });
    let still_blocked = blocked(c).is_some();
    let so_far = text.lock().unwrap().clone();
    blocker.batch_execute("COMMIT").unwrap();
    assert!(
        seen.is_some() && still_blocked,
        "migration 1's line did not appear while migration 2 waited:\n{so_far}"
    );
    assert!(!so_far.contains("2/u"), "{so_far}");
    let status = wait_for(Duration::from_secs(20), || child.try_wait().unwrap());
    reader.join().unwrap();
    let all = text.lock().unwrap().clone();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{all}");
    assert!(all.contains("2/u wait_for_gate"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn dropped_connection_during_a_lone_migrations_commit_reports_whether_it_committed() {
    let Some(cluster) = private_cluster() else {
        return;
    };
    let proxy = Proxy::start(cluster.cluster.port);
    let mut c = database(&cluster, "lone");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/lone?sslmode=disable",
        proxy.port
    );
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    // Over 1 MiB: it runs alone, its records and COMMIT in a message of their own.
    let padding = format!("-- {}\n", "x".repeat(100)).repeat(11_000);
    p.pair(
        "2",
        "big",
        &format!("{padding}CREATE TABLE big (id int);\n"),
        "DROP TABLE big;",
    );
    crate::faults::run(&p, &url, &["up", "1"]).ok();
    // golang-migrate's row locked: the COMMIT message waits at its DELETE.
    let mut blocker = connect(&cluster, "lone");
    blocker
        .batch_execute("BEGIN; SELECT * FROM schema_migrations FOR UPDATE")
        .unwrap();
    let child = spawn(strata(&p, &url, &["up"]));
    wait_for(Duration::from_secs(20), || {
        c.query_opt(
            "SELECT pid FROM pg_stat_activity WHERE datname = 'lone' \
             AND application_name = 'strata' AND wait_event_type = 'Lock'",
            &[],
        )
        .unwrap()
        .map(|r| r.get::<_, i32>(0))
    })
    .expect("the COMMIT message never waited");
    // The client loses the connection; the server, noticing only later, commits at once.
    proxy.cut();
    blocker.batch_execute("COMMIT").unwrap();
    let out = finish(child, Duration::from_secs(30));
    assert_ne!(out.code, 0, "{}", out.stderr);
    // Migration 1 was applied by the first run.
    let mut applied = ledger(&mut c);
    assert!(applied.remove(&1), "{applied:?}");
    assert_told_the_truth(&out, &applied, 0);
}

/// The versions of the progress lines `V/<dir> name (duration)`.
fn reported_as(o: &Output, dir: char) -> BTreeSet<i64> {
    let marker = format!("/{dir} ");
    o.stderr
        .lines()
        .filter_map(|l| l.split_once(marker.as_str())?.0.parse().ok())
        .collect()
}

#[test]
fn with_synchronous_commit_off_what_up_and_down_report_survives_a_crash_right_after() {
    let Some(cluster) = slow_flushing_cluster() else {
        return;
    };
    // A transactional migration, then the two kinds whose records are written apart from
    // their body: no-transaction and self-managed (its own BEGIN/COMMIT).
    let p = Project::new();
    p.pair("1", "tx", "CREATE TABLE t001 (id int);", "DROP TABLE t001;");
    p.pair(
        "2",
        "no_tx",
        "-- strata:no-transaction\nCREATE TABLE t002 (id int);\n",
        "-- strata:no-transaction\nDROP TABLE t002;\n",
    );
    p.pair(
        "3",
        "own_tx",
        "BEGIN;\nCREATE TABLE t003 (id int);\nCOMMIT;\n",
        "BEGIN;\nDROP TABLE t003;\nCOMMIT;\n",
    );
    for round in 0..rounds(4, 2) {
        let db = format!("sync_off_{round}");
        let mut admin = database(&cluster, &db);
        admin
            .batch_execute(&format!("ALTER DATABASE {db} SET synchronous_commit = off"))
            .unwrap();
        drop(admin);
        let url = cluster.url(&db);
        let out = finish(spawn(strata(&p, &url, &["up"])), Duration::from_secs(60));
        out.ok();
        assert_eq!(reported_as(&out, 'u'), BTreeSet::from([1, 2, 3]));
        crash_and_restart(&cluster);
        let mut c = connect(&cluster, &db);
        State::read(&mut c).assert_consistent(3, t);
        assert_eq!(
            ledger(&mut c),
            BTreeSet::from([1, 2, 3]),
            "round {round}: up reported 1, 2, 3 applied, then a crash lost some:\n{}",
            out.stderr
        );
        drop(c);
        // Down the self-managed one, then the no-transaction one: each reported, each kept.
        for (gone, left) in [(3, vec![1, 2]), (2, vec![1])] {
            let out = finish(
                spawn(strata(&p, &url, &["down", "1"])),
                Duration::from_secs(60),
            );
            out.ok();
            assert_eq!(reported_as(&out, 'd'), BTreeSet::from([gone]));
            crash_and_restart(&cluster);
            let mut c = connect(&cluster, &db);
            assert_eq!(
                ledger(&mut c).into_iter().collect::<Vec<_>>(),
                left,
                "round {round}: down reported {gone} reverted, then a crash brought it back:\n{}",
                out.stderr
            );
        }
    }
}
