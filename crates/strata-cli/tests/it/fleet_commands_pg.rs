//! `down N`, `goto V`, `plan` and `verify` on many targets, on real PostgreSQL: one test
//! database per target.

use crate::fleet_pg::{counted, databases, fleet, has_ledger, records, runs, write_targets};
use crate::support::Project;
use strata_testkit::TestDb;

/// golang-migrate's version of `db` (`None`: no row).
fn version(db: &TestDb) -> Option<i64> {
    db.client()
        .query_opt("SELECT version FROM schema_migrations", &[])
        .unwrap()
        .map(|r| r.get(0))
}

#[test]
fn pg_down_1_reverts_one_migration_on_each_of_four_targets_and_bare_down_is_refused() {
    let Some(dbs) = databases(4) else { return };
    let p = Project::new();
    counted(&p);
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    fleet(&p, &["up", "--targets", "targets.txt"]).ok();
    let before: Vec<String> = dbs.iter().map(records).collect();
    for args in [&["down"][..], &["down", "-all"], &["down", "0"]] {
        let mut args = args.to_vec();
        args.extend(["--targets", "targets.txt"]);
        fleet(&p, &args).code(2).stderr_has("error: down");
    }
    let after: Vec<String> = dbs.iter().map(records).collect();
    assert_eq!(before, after, "a refused down touched nothing");

    let out = fleet(
        &p,
        &["down", "1", "--targets", "targets.txt", "--parallel", "2"],
    );
    out.ok();
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(runs(db), [2], "{}", db.name);
        assert_eq!(version(db), Some(2));
        assert!(
            out.stdout.contains(&format!("ok t{i} "))
                && out.stdout.contains(" 3 -> 2 (1 reverted)"),
            "{}",
            out.stdout
        );
    }
    assert_eq!(
        out.stdout.lines().last(),
        Some("4 ok, 0 no change, 0 failed, 0 not started")
    );
    let json = fleet(
        &p,
        &["down", "1", "--targets", "targets.txt", "--format", "json"],
    );
    json.ok();
    let first: serde_json::Value =
        serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["command"], "down");
    assert_eq!(first["before"], 2);
    assert_eq!(first["after"], 1);
    for db in &dbs {
        assert_eq!(version(db), Some(1), "{}", db.name);
    }
}

#[test]
fn pg_goto_brings_targets_at_different_versions_to_one_version() {
    let Some(dbs) = databases(3) else { return };
    let p = Project::new();
    counted(&p);
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    // t0 at nothing, t1 at 1, t2 at 3.
    fleet(&p, &["-database", &dbs[1].url, "up", "1"]).ok();
    fleet(&p, &["-database", &dbs[2].url, "up"]).ok();
    let out = fleet(&p, &["goto", "2", "--targets", "targets.txt"]);
    out.ok();
    for db in &dbs {
        assert_eq!(version(db), Some(2), "{}", db.name);
        assert_eq!(runs(db), [2], "{}", db.name);
    }
    assert!(out.stdout.contains("ok t0 "), "{}", out.stdout);
    assert!(out.stdout.contains(" - -> 2 (2 run)"), "{}", out.stdout);
    assert!(out.stdout.contains(" 1 -> 2 (1 run)"), "{}", out.stdout);
    assert!(out.stdout.contains(" 3 -> 2 (1 run)"), "{}", out.stdout);
    let again = fleet(&p, &["goto", "2", "--targets", "targets.txt"]);
    again.ok();
    assert_eq!(
        again.stdout.lines().last(),
        Some("0 ok, 3 no change, 0 failed, 0 not started")
    );
    fleet(&p, &["goto", "--targets", "targets.txt"])
        .code(2)
        .stderr_has("please specify version argument V");
}

#[test]
fn pg_plan_prints_one_line_per_target_and_changes_nothing() {
    let Some(dbs) = databases(3) else { return };
    let p = Project::new();
    counted(&p);
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    fleet(&p, &["-database", &dbs[1].url, "up", "1"]).ok();
    fleet(&p, &["-database", &dbs[2].url, "up"]).ok();
    let before: Vec<String> = dbs[1..].iter().map(records).collect();
    let out = fleet(&p, &["plan", "--targets", "targets.txt"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let shown = |i: usize| format!("t{i} {}", strata_drivers::url::redact(&dbs[i].url));
    assert_eq!(
        lines,
        [
            format!(
                "planned {} at -: 1/u runs, 2/u create_b, 3/u three",
                shown(0)
            ),
            format!("planned {} at 1: 2/u create_b, 3/u three", shown(1)),
            format!("no-change {} at 3", shown(2)),
            "2 to change, 1 no change, 0 failed".to_string(),
        ]
    );
    assert!(!has_ledger(&dbs[0]), "plan created no table");
    assert_eq!(before, dbs[1..].iter().map(records).collect::<Vec<_>>());

    let out = fleet(
        &p,
        &[
            "plan",
            "down",
            "1",
            "--targets",
            "targets.txt",
            "--format",
            "json",
        ],
    );
    out.ok();
    let objects: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 4);
    assert_eq!(objects[0]["status"], "no-change");
    assert_eq!(objects[1]["steps"][0]["version"], 1);
    assert_eq!(objects[1]["steps"][0]["direction"], "down");
    assert_eq!(objects[2]["steps"][0]["version"], 3);
    assert_eq!(objects[2]["request"]["command"], "down");
    assert_eq!(objects[3]["summary"]["planned"], 2);
}

#[test]
fn pg_verify_on_targets_names_the_down_that_does_not_restore() {
    let Some(dbs) = databases(3) else { return };
    let p = Project::new();
    counted(&p);
    p.pair(
        "4",
        "leaky",
        "CREATE TABLE leaky (id INTEGER);",
        "SELECT 1;",
    );
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    write_targets(&p, &urls);
    // t0 has everything applied: nothing to verify there.
    fleet(&p, &["-database", &dbs[0].url, "up"]).ok();
    let out = fleet(&p, &["verify", "--targets", "targets.txt"]);
    out.code(3).stderr_has("[t1] 4/u: ");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("nothing-pending t0 "),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("failed t1 ")
            && lines[1].ends_with(": 4/u leaky: down does not restore"),
        "{}",
        out.stdout
    );
    assert_eq!(
        lines[3],
        "0 ok, 1 nothing pending, 2 failed, 0 could not be verified"
    );
    assert!(!has_ledger(&dbs[1]), "verify rolled everything back");
    fleet(&p, &["verify", "--targets", "targets.txt", "--all"])
        .code(2)
        .stderr_has("cannot go with a list of databases");
}
