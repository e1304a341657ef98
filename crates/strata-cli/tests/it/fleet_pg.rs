//! `up --targets`, `--targets-query` and `status --targets` on real PostgreSQL: one test
//! database per target.

use crate::support::{output, Output, Project};
use strata_testkit::TestDb;

/// `n` fresh databases, or `None` (skipped) when there is no server.
pub(crate) fn databases(n: usize) -> Option<Vec<TestDb>> {
    (0..n).map(|_| TestDb::postgres()).collect()
}

/// A counter table and two migrations that each add one row to it: after a run, two rows
/// mean each ran exactly once.
pub(crate) fn counted(p: &Project) {
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

pub(crate) fn write_targets(p: &Project, urls: &[String]) {
    let list: String = urls
        .iter()
        .enumerate()
        .map(|(i, u)| format!("{u} name=t{i}\n"))
        .collect();
    std::fs::write(p.path().join("targets.txt"), list).unwrap();
}

pub(crate) fn fleet(p: &Project, args: &[&str]) -> Output {
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations"]).args(args);
    output(cmd)
}

pub(crate) fn runs(db: &TestDb) -> Vec<i32> {
    db.client()
        .query("SELECT n FROM runs ORDER BY n", &[])
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

pub(crate) fn has_ledger(db: &TestDb) -> bool {
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

/// Every row of golang-migrate's table, the ledger and the log, as text: equal before and
/// after a run means the run did not touch the database's records.
pub(crate) fn records(db: &TestDb) -> String {
    ["schema_migrations", "schema_migrations_ledger", "schema_migrations_log"]
        .iter()
        .map(|table| {
            db.client()
                .query_one(
                    &format!("SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') FROM {table} t"),
                    &[],
                )
                .unwrap()
                .get::<_, String>(0)
        })
        .collect::<Vec<_>>()
        .join("\n--\n")
}

#[test]
fn pg_targets_query_reads_database_names_and_urls_with_labels() {
    let Some(dbs) = databases(4) else { return };
    let p = Project::new();
    counted(&p);
    let catalog = &dbs[0];
    // Two tenants by database name (on the catalog's server), one by URL; labels optional.
    catalog
        .client()
        .batch_execute(&format!(
            "CREATE TABLE tenants (db text, label text, region text, active bool);
             INSERT INTO tenants VALUES ('{}', 'alpha', 'eu', true), ('{}', NULL, NULL, true),
                                        ('{}', 'gamma', 'us', true), ('nope', 'x', 'y', false);",
            dbs[1].name, dbs[2].name, dbs[3].url
        ))
        .unwrap();
    let query = "SELECT db, label, region FROM tenants WHERE active";
    let out = fleet(
        &p,
        &["-database", &catalog.url, "up", "--targets-query", query],
    );
    out.ok();
    for db in &dbs[1..] {
        assert_eq!(runs(db), [2, 3], "{}", db.name);
    }
    assert!(!has_ledger(catalog), "the catalog is not a target");
    assert!(out.stdout.contains("ok alpha "), "{}", out.stdout);
    assert!(out.stdout.contains("ok gamma "), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("ok {} ", dbs[2].name)),
        "a row without a label is named by its database:\n{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().last(),
        Some("3 ok, 0 up to date, 0 failed, 0 not started")
    );
    // The group column works as group= does.
    let out = fleet(
        &p,
        &[
            "-database",
            &catalog.url,
            "status",
            "--targets-query",
            query,
            "--format",
            "json",
        ],
    );
    out.ok();
    assert!(
        out.stdout.contains(r#""group":"eu","name":"alpha""#)
            || out.stdout.contains(r#""name":"alpha""#) && out.stdout.contains(r#""group":"eu""#),
        "{}",
        out.stdout
    );

    // A bad row is named with the query; a failing query is named too.
    catalog
        .client()
        .batch_execute("INSERT INTO tenants VALUES (NULL, 'z', NULL, true)")
        .unwrap();
    let out = fleet(
        &p,
        &["-database", &catalog.url, "up", "--targets-query", query],
    );
    out.code(2)
        .stderr_has(&format!("error: --targets-query \"{query}\" row "))
        .stderr_has(": column 1 is NULL (expected a database URL or name)");
    let out = fleet(
        &p,
        &[
            "-database",
            &catalog.url,
            "up",
            "--targets-query",
            "SELECT db FROM no_such_table",
        ],
    );
    out.code(1)
        .stderr_has("error: --targets-query \"SELECT db FROM no_such_table\": ")
        .stderr_has("relation \"no_such_table\" does not exist");
    // Without -database there is nothing to run it on.
    let out = fleet(&p, &["up", "--targets-query", query]);
    out.code(2).stderr_has("runs on -database");
}

#[test]
fn pg_targets_query_never_shows_the_catalog_password() {
    let Some(dbs) = databases(2) else { return };
    let Some((user, password)) = dbs[0].server().and_then(|s| s.password_role()) else {
        eprintln!("skipped: no password role on an external server");
        return;
    };
    let p = Project::new();
    counted(&p);
    dbs[1]
        .client()
        .batch_execute(&format!("GRANT ALL ON SCHEMA public TO {user}"))
        .unwrap();
    let catalog = dbs[0].url_as(user, Some(password));
    let query = format!("SELECT '{}'", dbs[1].name);
    // The tenant's URL is the catalog's with another database: it holds the password.
    let out = fleet(
        &p,
        &["-database", &catalog, "up", "--targets-query", &query],
    );
    out.ok().never_shows(password);
    assert!(
        out.stdout.contains(&format!("{user}:***@")),
        "{}",
        out.stdout
    );
    assert_eq!(runs(&dbs[1]), [2, 3]);
    let out = fleet(
        &p,
        &["-database", &catalog, "up", "--targets-query", "SELECT 1/0"],
    );
    out.code(1)
        .never_shows(password)
        .stderr_has("division by zero");
}

#[test]
fn pg_three_broken_targets_fail_alone_and_a_rerun_after_the_fix_touches_only_them() {
    let Some(dbs) = databases(8) else { return };
    let p = Project::new();
    counted(&p);
    let broken = [1, 4, 6];
    // Migration 2 fails where table b already exists.
    for i in broken {
        dbs[i]
            .client()
            .batch_execute("CREATE TABLE b (x INTEGER)")
            .unwrap();
    }
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    let out = fleet(
        &p,
        &[
            "up",
            "--targets",
            "targets.txt",
            "--on-error",
            "continue",
            "--parallel",
            "3",
        ],
    );
    out.code(1);
    let failed: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("failed "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut failed = failed;
    failed.sort();
    assert_eq!(failed, ["t1", "t4", "t6"], "{}", out.stdout);
    assert_eq!(
        out.stdout.lines().last(),
        Some("5 ok, 0 up to date, 3 failed, 0 not started")
    );
    let settled: Vec<(usize, String)> = (0..dbs.len())
        .filter(|i| !broken.contains(i))
        .map(|i| (i, records(&dbs[i])))
        .collect();
    for i in broken {
        dbs[i].client().batch_execute("DROP TABLE b").unwrap();
    }
    let again = fleet(&p, &["up", "--targets", "targets.txt", "--parallel", "3"]);
    again.ok();
    let ran: Vec<&str> = again
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ok "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut ran = ran;
    ran.sort();
    assert_eq!(ran, ["t1", "t4", "t6"], "{}", again.stdout);
    assert_eq!(
        again.stdout.lines().last(),
        Some("3 ok, 5 up to date, 0 failed, 0 not started")
    );
    for (i, before) in settled {
        assert_eq!(records(&dbs[i]), before, "the rerun touched t{i}'s records");
    }
    for db in &dbs {
        assert_eq!(runs(db), [2, 3], "{}", db.name);
    }
}
