//! `up --resume` on a real database: a statement-by-statement migration that failed or was
//! killed at statement 4 of 6 goes on at 4 once fixed, without running 1 to 3 again, and an
//! edit to a statement that already ran is refused. The scenario takes the database URL and a
//! way to read the side-effect table, so another backend can run it too.

use crate::faults::{active_query, assert_lock_released, run, spawn, strata, wait_for};
use crate::support::{Output, Project};
use std::time::Duration;
use strata_testkit::mariadb::TestMariaDb;
use strata_testkit::TestDb;

/// What makes migration 2 run statement by statement: the directive, or nothing on a
/// database whose DDL cannot roll back (every migration runs so there).
const NO_TX: &str = "-- strata:no-transaction";

/// Migration 2: six statements run one by one, each leaving its number in `hits`; `fourth`
/// is statement 4 (line 5).
fn six(fourth: &str) -> String {
    six_under(NO_TX, fourth)
}

fn six_under(header: &str, fourth: &str) -> String {
    format!(
        "{header}\n\
         INSERT INTO hits (n) VALUES (1);\n\
         INSERT INTO hits (n) VALUES (2);\n\
         INSERT INTO hits (n) VALUES (3);\n\
         {fourth}\n\
         INSERT INTO hits (n) VALUES (5);\n\
         INSERT INTO hits (n) VALUES (6);\n"
    )
}

const FIXED_4: &str = "INSERT INTO hits (n) VALUES (4);";

fn project(fourth: &str) -> Project {
    project_under(NO_TX, fourth)
}

fn project_under(header: &str, fourth: &str) -> Project {
    let p = Project::new();
    p.pair(
        "1",
        "hits",
        "CREATE TABLE hits (n int);",
        "DROP TABLE hits;",
    );
    p.file("2_six.up.sql", &six_under(header, fourth));
    p
}

/// The backend under test: its URL, the numbers in `hits`, in order, and the first line of
/// migration 2.
struct Backend<'a> {
    url: &'a str,
    hits: &'a dyn Fn(&Project) -> Vec<i64>,
    header: &'a str,
}

impl Backend<'_> {
    fn run(&self, p: &Project, args: &[&str]) -> Output {
        run(p, self.url, args)
    }

    fn project(&self, fourth: &str) -> Project {
        project_under(self.header, fourth)
    }

    fn six(&self, fourth: &str) -> String {
        six_under(self.header, fourth)
    }
}

/// Dirty at 2, stopped at statement 4 of 6: `status` (text and JSON) says so and plain `up`
/// keeps refusing, naming `--resume`.
#[track_caller]
fn assert_stopped_at_4(b: &Backend, p: &Project) {
    let status = b.run(p, &["status"]);
    status
        .stdout_has("dirty: 2/u six stopped at statement 4 of 6 (migrations/2_six.up.sql:5: ")
        .stdout_has("hint: statements 1 to 3 completed; once statement 4 is fixed, `strata up --resume` runs statements 4 to 6");
    let json: serde_json::Value =
        serde_json::from_str(&b.run(p, &["status", "--format", "json"]).stdout).unwrap();
    let reached = &json["status"]["reached"];
    assert_eq!(
        (&reached["statement"], &reached["total"], &reached["line"]),
        (&4.into(), &6.into(), &5.into()),
        "{json}"
    );
    assert_eq!(reached["prefix"].as_str().map(str::len), Some(64), "{json}");
    let version: serde_json::Value =
        serde_json::from_str(&b.run(p, &["version", "--format", "json"]).stdout).unwrap();
    assert_eq!(version["dirty"], true);
    assert_eq!(&version["reached"], reached, "{version}");
    // golang-migrate's text stays as it is.
    assert_eq!(b.run(p, &["version"]).stdout, "2 (dirty)\n");
    b.run(p, &["up"])
        .code(3)
        .stderr_has("Dirty database version 2.")
        .stderr_has("fix statement 4 and run `up --resume`");
}

/// Statement 4 fails: fix it, `up --resume` runs 4 to 6 only and leaves the database clean.
fn failed_statement_4_resumes_after_the_fix(b: &Backend) {
    let p = b.project("INSERT INTO no_such_table (n) VALUES (4);");
    b.run(&p, &["up"]).code(1).stderr_has("(statement 4 of 6)");
    assert_eq!((b.hits)(&p), [1, 2, 3]);
    assert_stopped_at_4(b, &p);

    p.file("2_six.up.sql", &b.six(FIXED_4));
    b.run(&p, &["up", "--resume"]).ok().stderr_has("2/u six");
    assert_eq!((b.hits)(&p), [1, 2, 3, 4, 5, 6], "1 to 3 ran once");
    let status = b.run(&p, &["status"]);
    status.ok().stdout_has("version 2; 0 not applied");
    assert!(!status.stdout.contains("dirty"), "{}", status.stdout);
    // Nothing left to resume: `--resume` on a clean database is a plain `up`.
    b.run(&p, &["up", "--resume"]).ok().stderr_has("no change");
}

/// Statement 2 edited after it ran: refused with exit 3 naming the file, nothing changes.
fn an_edit_to_statement_2_is_refused(b: &Backend) {
    let p = b.project("INSERT INTO no_such_table (n) VALUES (4);");
    b.run(&p, &["up"]).code(1);
    p.file(
        "2_six.up.sql",
        &b.six(FIXED_4).replace("VALUES (2)", "VALUES (22)"),
    );
    b.run(&p, &["up", "--resume"])
        .code(3)
        .stderr_has("cannot resume dirty database version 2: migrations/2_six.up.sql was edited since statements 1 to 3 ran");
    assert_eq!((b.hits)(&p), [1, 2, 3]);
    assert_stopped_at_4(b, &p);
}

/// A dirty row with no progress record (left by another tool): refused, pointing at `force`.
fn a_dirty_row_without_a_record_is_refused(b: &Backend, dirty_2: &dyn Fn()) {
    let p = b.project(FIXED_4);
    b.run(&p, &["up", "1"]).ok();
    dirty_2();
    b.run(&p, &["up", "--resume"])
        .code(3)
        .stderr_has("cannot resume dirty database version 2: the log has no progress record for it")
        .stderr_has("`force 2`");
}

fn postgres_backend(db: &TestDb) -> impl Fn(&Project) -> Vec<i64> + '_ {
    move |_| {
        db.client()
            .query("SELECT n::bigint FROM hits ORDER BY n", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

#[test]
fn pg_a_failed_statement_4_of_6_resumes_at_4_after_the_fix() {
    let Some(db) = TestDb::postgres() else { return };
    let hits = postgres_backend(&db);
    failed_statement_4_resumes_after_the_fix(&Backend {
        url: &db.url,
        hits: &hits,
        header: NO_TX,
    });
}

#[test]
fn pg_an_edit_to_a_statement_that_ran_is_refused() {
    let Some(db) = TestDb::postgres() else { return };
    let hits = postgres_backend(&db);
    an_edit_to_statement_2_is_refused(&Backend {
        url: &db.url,
        hits: &hits,
        header: NO_TX,
    });
}

#[test]
fn pg_a_dirty_row_without_a_progress_record_is_refused() {
    let Some(db) = TestDb::postgres() else { return };
    let hits = postgres_backend(&db);
    let dirty_2 = || {
        db.client()
            .batch_execute("UPDATE schema_migrations SET version = 2, dirty = true")
            .unwrap()
    };
    a_dirty_row_without_a_record_is_refused(
        &Backend {
            url: &db.url,
            hits: &hits,
            header: NO_TX,
        },
        &dirty_2,
    );
}

#[test]
fn pg_sigkill_during_statement_4_of_6_then_resume_runs_4_to_6() {
    let Some(db) = TestDb::postgres() else { return };
    let mut c = db.client();
    if !crate::faults::server_notices_dead_clients(&mut c) {
        return;
    }
    let hits = postgres_backend(&db);
    let b = Backend {
        url: &db.url,
        hits: &hits,
        header: NO_TX,
    };
    let p = project("SELECT pg_sleep(30);");
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(10), || {
        active_query(&mut c, &db.name, "pg_sleep")
    });
    assert!(found.is_some(), "statement 4 never started");
    // SIGKILL: no `fail` entry, no clean-up; the record before statement 4 is all there is.
    child.kill().unwrap();
    let _ = child.wait();
    assert_lock_released(&mut c, &db.name);
    assert_eq!(hits(&p), [1, 2, 3]);
    assert_stopped_at_4(&b, &p);

    // The fix: statement 4 replaced by what it should have been.
    p.file("2_six.up.sql", &six(FIXED_4));
    b.run(&p, &["up", "--resume"]).ok();
    assert_eq!(hits(&p), [1, 2, 3, 4, 5, 6], "1 to 3 ran once");
    let compat: (i64, bool) = {
        let r = c
            .query_one("SELECT version, dirty FROM schema_migrations", &[])
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(compat, (2, false));
}

fn sqlite_hits(p: &Project) -> Vec<i64> {
    let db = p.db();
    let mut stmt = db.prepare("SELECT n FROM hits ORDER BY n").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn sqlite_a_failed_statement_4_of_6_resumes_at_4_and_an_edit_is_refused() {
    let b = Backend {
        url: "sqlite://app.db",
        hits: &sqlite_hits,
        header: NO_TX,
    };
    failed_statement_4_resumes_after_the_fix(&b);
    an_edit_to_statement_2_is_refused(&b);
}

#[test]
fn resume_with_targets_is_a_usage_error() {
    let p = project(FIXED_4);
    std::fs::write(p.path().join("targets.txt"), "sqlite://a.db\n").unwrap();
    p.run(&["up", "--resume", "--targets", "targets.txt"])
        .code(2)
        .stderr_has("--resume continues one database's interrupted migration");
}

/// On MariaDB DDL commits by itself, so every migration runs statement by statement: the
/// file carries no directive (its first line is a plain comment, keeping the line numbers).
const MARIADB: &str = "-- six statements, run one by one";

fn mariadb_sql(db: &TestMariaDb, sql: &str) -> String {
    db.server
        .admin(&format!("USE `{}`; {sql}", db.name))
        .unwrap_or_else(|e| panic!("{e}"))
        .trim()
        .to_string()
}

fn mariadb_hits(db: &TestMariaDb) -> impl Fn(&Project) -> Vec<i64> + '_ {
    move |_| {
        mariadb_sql(db, "SELECT n FROM hits ORDER BY n")
            .lines()
            .map(|n| n.parse().unwrap())
            .collect()
    }
}

#[test]
fn mysql_a_failed_statement_4_of_6_resumes_at_4_after_the_fix() {
    let Some(db) = TestMariaDb::new() else { return };
    let hits = mariadb_hits(&db);
    failed_statement_4_resumes_after_the_fix(&Backend {
        url: &db.url,
        hits: &hits,
        header: MARIADB,
    });
}

#[test]
fn mysql_an_edit_to_a_statement_that_ran_is_refused() {
    let Some(db) = TestMariaDb::new() else { return };
    let hits = mariadb_hits(&db);
    an_edit_to_statement_2_is_refused(&Backend {
        url: &db.url,
        hits: &hits,
        header: MARIADB,
    });
}

#[test]
fn mysql_a_dirty_row_without_a_progress_record_is_refused() {
    let Some(db) = TestMariaDb::new() else { return };
    let hits = mariadb_hits(&db);
    let dirty_2 = || {
        mariadb_sql(&db, "UPDATE schema_migrations SET version = 2, dirty = 1");
    };
    a_dirty_row_without_a_record_is_refused(
        &Backend {
            url: &db.url,
            hits: &hits,
            header: MARIADB,
        },
        &dirty_2,
    );
}

#[test]
fn mysql_sigkill_during_statement_4_of_6_then_resume_runs_4_to_6() {
    let Some(db) = TestMariaDb::new() else { return };
    let hits = mariadb_hits(&db);
    let b = Backend {
        url: &db.url,
        hits: &hits,
        header: MARIADB,
    };
    let p = b.project("DO SLEEP(30);");
    let mut child = spawn(strata(&p, &db.url, &["up"]));
    let found = wait_for(Duration::from_secs(20), || {
        // Other tests sleep too: only this database's session counts.
        let n = mariadb_sql(
            &db,
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(30)%' AND DB = DATABASE()",
        );
        (n != "0").then_some(())
    });
    assert!(found.is_some(), "statement 4 never started");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(hits(&p), [1, 2, 3]);
    assert_stopped_at_4(&b, &p);

    p.file("2_six.up.sql", &b.six(FIXED_4));
    b.run(&p, &["up", "--resume"]).ok();
    assert_eq!(hits(&p), [1, 2, 3, 4, 5, 6], "1 to 3 ran once");
    assert_eq!(
        mariadb_sql(&db, "SELECT version, dirty FROM schema_migrations"),
        "2\t0"
    );
}
