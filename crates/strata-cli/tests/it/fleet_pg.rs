//! `up --targets` / `status --targets` on real PostgreSQL: one test database per target.

use crate::support::{output, Output, Project};
use strata_testkit::TestDb;

/// `n` fresh databases, or `None` (skipped) when there is no server.
fn databases(n: usize) -> Option<Vec<TestDb>> {
    (0..n).map(|_| TestDb::postgres()).collect()
}

/// A counter table and two migrations that each add one row to it: after a run, two rows
/// mean each ran exactly once.
fn counted(p: &Project) {
    p.pair(
        "1",
        "runs",
        "CREATE TABLE runs (n INTEGER);",
        "DROP TABLE runs;",
    );
    p.pair(
        "2",
        "create_b",
        "CREATE TABLE b (id INTEGER); INSERT INTO runs VALUES (2);",
        "DROP TABLE b;",
    );
    p.pair(
        "3",
        "three",
        "INSERT INTO runs VALUES (3);",
        "DELETE FROM runs WHERE n = 3;",
    );
}

fn write_targets(p: &Project, urls: &[String]) {
    let list: String = urls
        .iter()
        .enumerate()
        .map(|(i, u)| format!("{u} name=t{i}\n"))
        .collect();
    std::fs::write(p.path().join("targets.txt"), list).unwrap();
}

fn fleet(p: &Project, args: &[&str]) -> Output {
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations"]).args(args);
    output(cmd)
}

fn runs(db: &TestDb) -> Vec<i32> {
    db.client()
        .query("SELECT n FROM runs ORDER BY n", &[])
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

fn has_ledger(db: &TestDb) -> bool {
    db.client()
        .query_one(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn pg_six_targets_each_apply_every_migration_once_and_no_password_is_printed() {
    let Some(dbs) = databases(6) else { return };
    let Some((user, password)) = dbs[0].server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    let p = Project::new();
    counted(&p);
    for db in &dbs {
        db.client()
            .batch_execute(&format!("GRANT ALL ON SCHEMA public TO {user}"))
            .unwrap();
    }
    let urls: Vec<String> = dbs.iter().map(|d| d.url_as(user, Some(password))).collect();
    write_targets(&p, &urls);
    let out = fleet(
        &p,
        &[
            "up",
            "--targets",
            "targets.txt",
            "--parallel",
            "3",
            "--per-host",
            "2",
        ],
    );
    out.ok().never_shows(password);
    for db in &dbs {
        assert_eq!(runs(db), [2, 3], "{}", db.name);
    }
    assert!(
        out.stdout.contains(&format!("{user}:***@")),
        "URLs are shown redacted:\n{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().last(),
        Some("6 ok, 0 up to date, 0 failed, 0 not started")
    );

    let again = fleet(&p, &["up", "--targets", "targets.txt", "--format", "json"]);
    again.ok().never_shows(password);
    for db in &dbs {
        assert_eq!(runs(db), [2, 3], "a rerun ran nothing on {}", db.name);
    }
    assert!(again
        .stdout
        .lines()
        .last()
        .unwrap()
        .contains("\"up_to_date\":6"));

    let status = fleet(&p, &["status", "--targets", "targets.txt"]);
    status.ok().never_shows(password);
    assert!(
        status.stdout.contains("at version 3: 6 target(s)\n"),
        "{}",
        status.stdout
    );
}

#[test]
fn pg_a_wrong_password_fails_that_target_without_printing_it() {
    let Some(dbs) = databases(2) else { return };
    let Some((user, _)) = dbs[0].server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    let p = Project::new();
    counted(&p);
    let wrong = "wr0ng-Secret-7781";
    write_targets(&p, &[dbs[0].url.clone(), dbs[1].url_as(user, Some(wrong))]);
    let out = fleet(
        &p,
        &["up", "--targets", "targets.txt", "--on-error", "continue"],
    );
    out.code(1).never_shows(wrong).stderr_has("error: [t1] ");
    assert!(out.stdout.contains("failed t1 "), "{}", out.stdout);
    assert_eq!(runs(&dbs[0]), [2, 3]);
    let status = fleet(&p, &["status", "--targets", "targets.txt"]);
    status.code(1).never_shows(wrong);
    assert!(status.stdout.contains("failing: t1\n"), "{}", status.stdout);
}

#[test]
fn pg_failed_targets_are_reported_and_a_rerun_after_the_fix_touches_only_them() {
    let Some(dbs) = databases(6) else { return };
    let p = Project::new();
    counted(&p);
    // Migration 2 fails where table b already exists.
    for i in [1, 4] {
        dbs[i]
            .client()
            .batch_execute("CREATE TABLE b (x INTEGER)")
            .unwrap();
    }
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    let out = fleet(
        &p,
        &["up", "--targets", "targets.txt", "--on-error", "continue"],
    );
    out.code(1);
    assert_eq!(
        out.stdout.lines().last(),
        Some("4 ok, 0 up to date, 2 failed, 0 not started")
    );
    for (i, db) in dbs.iter().enumerate() {
        if i == 1 || i == 4 {
            assert_eq!(
                runs(db),
                Vec::<i32>::new(),
                "migration 2 rolled back on t{i}"
            );
            assert!(
                out.stdout.contains(&format!("failed t{i} ")),
                "{}",
                out.stdout
            );
        } else {
            assert_eq!(runs(db), [2, 3]);
        }
    }
    for i in [1, 4] {
        dbs[i].client().batch_execute("DROP TABLE b").unwrap();
    }
    let again = fleet(&p, &["up", "--targets", "targets.txt"]);
    again.ok();
    assert_eq!(
        again.stdout.lines().last(),
        Some("2 ok, 4 up to date, 0 failed, 0 not started")
    );
    for db in &dbs {
        assert_eq!(runs(db), [2, 3], "{}", db.name);
    }
}

#[test]
fn pg_on_error_stop_and_a_failing_canary_start_no_new_target() {
    let Some(dbs) = databases(6) else { return };
    let p = Project::new();
    counted(&p);
    dbs[0]
        .client()
        .batch_execute("CREATE TABLE b (x INTEGER)")
        .unwrap();
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    let out = fleet(
        &p,
        &[
            "up",
            "--targets",
            "targets.txt",
            "--canary",
            "1",
            "--on-error",
            "continue",
        ],
    );
    out.code(1);
    for db in &dbs[1..] {
        assert!(!has_ledger(db), "{} was touched", db.name);
    }
    assert_eq!(
        out.stdout.lines().last(),
        Some("0 ok, 0 up to date, 1 failed, 5 not started (stopped after a failure)")
    );

    // Without a canary, on-error stop (the default) with one at a time: the failure at t0
    // stops the run before t1 starts.
    let out = fleet(&p, &["up", "--targets", "targets.txt", "--parallel", "1"]);
    out.code(1);
    for db in &dbs[1..] {
        assert!(!has_ledger(db), "{} was touched", db.name);
    }
}

#[test]
fn pg_a_target_list_without_passwords_takes_them_from_pgpass() {
    let Some(dbs) = databases(2) else { return };
    let Some((user, password)) = dbs[0].server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    let p = Project::new();
    counted(&p);
    for db in &dbs {
        db.client()
            .batch_execute(&format!("GRANT ALL ON SCHEMA public TO {user}"))
            .unwrap();
    }
    let urls: Vec<String> = dbs.iter().map(|d| d.url_as(user, None)).collect();
    write_targets(&p, &urls);
    let pgpass = p.path().join("pgpass");
    std::fs::write(&pgpass, format!("*:*:*:{user}:{password}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = p.bare();
    cmd.env("PGPASSFILE", &pgpass)
        .args(["-path", "migrations", "up", "--targets", "targets.txt"]);
    let out = output(cmd);
    out.ok().never_shows(password);
    for db in &dbs {
        assert_eq!(runs(db), [2, 3], "{}", db.name);
    }
}
