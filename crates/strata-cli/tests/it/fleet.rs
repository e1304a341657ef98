//! `up --targets` / `status --targets` on SQLite files: many databases in one run.

use crate::support::{output, three, Output, Project};

/// `strata -path migrations ARGS` in the project (no -database).
fn fleet(p: &Project, args: &[&str]) -> Output {
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations"]).args(args);
    output(cmd)
}

fn db(p: &Project, file: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(p.path().join(file)).unwrap()
}

fn tables(p: &Project, file: &str) -> Vec<String> {
    let db = db(p, file);
    let mut stmt = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'schema_migrations%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn ledger(p: &Project, file: &str) -> Vec<i64> {
    let db = db(p, file);
    let mut stmt = db
        .prepare("SELECT version FROM schema_migrations_ledger ORDER BY version")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn log_rows(p: &Project, file: &str) -> i64 {
    db(p, file)
        .query_row("SELECT count(*) FROM schema_migrations_log", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// Three pairs, and a target list of `names` (files NAME.db) in the project.
fn project(names: &[&str]) -> Project {
    let p = Project::new();
    three(&p);
    let list: String = names
        .iter()
        .map(|n| format!("sqlite://{n}.db name={n}\n"))
        .collect();
    std::fs::write(p.path().join("targets.txt"), format!("# fleet\n{list}")).unwrap();
    p
}

/// Make migration 2 (CREATE TABLE b) fail on `name`.
fn break_target(p: &Project, name: &str) {
    db(p, &format!("{name}.db"))
        .execute_batch("CREATE TABLE b (x INTEGER);")
        .unwrap();
}

fn line<'a>(out: &'a Output, name: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.split(' ').nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no line for {name}:\n{}", out.stdout))
}

#[test]
fn up_applies_every_migration_once_on_every_target_and_a_rerun_touches_none() {
    let p = project(&["a", "b", "c", "d"]);
    let out = fleet(&p, &["up", "--targets", "targets.txt", "--parallel", "2"]);
    out.ok();
    for n in ["a", "b", "c", "d"] {
        assert_eq!(tables(&p, &format!("{n}.db")), ["a", "b", "c"]);
        assert_eq!(ledger(&p, &format!("{n}.db")), [1, 2, 3]);
        assert_eq!(
            line(&out, n),
            format!("ok {n} sqlite://{n}.db - -> 3 (3 applied)")
        );
    }
    assert_eq!(
        out.stdout.lines().last(),
        Some("4 ok, 0 up to date, 0 failed, 0 not started")
    );
    let logs: Vec<i64> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| log_rows(&p, &format!("{n}.db")))
        .collect();
    let again = fleet(&p, &["up", "--targets", "targets.txt"]);
    again.ok();
    assert_eq!(line(&again, "c"), "up-to-date c sqlite://c.db 3 -> 3");
    assert_eq!(
        again.stdout.lines().last(),
        Some("0 ok, 4 up to date, 0 failed, 0 not started")
    );
    let logs_after: Vec<i64> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| log_rows(&p, &format!("{n}.db")))
        .collect();
    assert_eq!(
        logs, logs_after,
        "a rerun with nothing pending wrote nothing"
    );
}

#[test]
fn on_error_continue_runs_the_rest_and_a_rerun_after_the_fix_touches_only_the_failed() {
    let p = project(&["a", "bad", "c"]);
    break_target(&p, "bad");
    let out = fleet(
        &p,
        &["up", "--targets", "targets.txt", "--on-error", "continue"],
    );
    out.code(1).stderr_has("error: [bad] ");
    let failed = line(&out, "bad");
    assert!(
        failed.starts_with("failed bad sqlite://bad.db - -> 1 (1 applied): "),
        "{failed}"
    );
    assert!(
        failed.ends_with("2/u create_b: table b already exists"),
        "the error names the migration: {failed}"
    );
    assert_eq!(ledger(&p, "a.db"), [1, 2, 3]);
    assert_eq!(ledger(&p, "c.db"), [1, 2, 3]);
    assert_eq!(ledger(&p, "bad.db"), [1]);
    assert_eq!(
        out.stdout.lines().last(),
        Some("2 ok, 0 up to date, 1 failed, 0 not started")
    );

    db(&p, "bad.db").execute_batch("DROP TABLE b;").unwrap();
    let logs = (log_rows(&p, "a.db"), log_rows(&p, "c.db"));
    let again = fleet(&p, &["up", "--targets", "targets.txt"]);
    again.ok();
    assert_eq!(
        line(&again, "bad"),
        "ok bad sqlite://bad.db 1 -> 3 (2 applied)"
    );
    assert_eq!(line(&again, "a"), "up-to-date a sqlite://a.db 3 -> 3");
    assert_eq!(ledger(&p, "bad.db"), [1, 2, 3]);
    assert_eq!(logs, (log_rows(&p, "a.db"), log_rows(&p, "c.db")));
    assert_eq!(
        again.stdout.lines().last(),
        Some("1 ok, 2 up to date, 0 failed, 0 not started")
    );
}

#[test]
fn an_edited_applied_file_is_refused_as_one_database_up_refuses_it() {
    let p = project(&["a"]);
    fleet(&p, &["up", "--targets", "targets.txt"]).ok();
    p.file(
        "000001_create_a.up.sql",
        "CREATE TABLE a (id INTEGER, x INTEGER);",
    );
    let single = p.run_on("sqlite://a.db", &["up"]);
    assert_ne!(single.code, 0, "one-database up refuses an edited file");
    let out = fleet(&p, &["up", "--targets", "targets.txt"]);
    out.code(1);
    assert!(
        line(&out, "a").starts_with("failed a sqlite://a.db 3 -> 3 (0 applied): "),
        "{}",
        out.stdout
    );
}

#[test]
fn on_error_stop_starts_no_new_target_after_a_failure() {
    let p = project(&["a", "bad", "c", "d"]);
    break_target(&p, "bad");
    let out = fleet(&p, &["up", "--targets", "targets.txt", "--parallel", "1"]);
    out.code(1);
    assert_eq!(ledger(&p, "a.db"), [1, 2, 3]);
    for n in ["c", "d"] {
        assert_eq!(line(&out, n), format!("not-started {n} sqlite://{n}.db"));
        assert!(
            !p.path().join(format!("{n}.db")).exists(),
            "{n} was touched"
        );
    }
    assert_eq!(
        out.stdout.lines().last(),
        Some("1 ok, 0 up to date, 1 failed, 2 not started (stopped after a failure)")
    );
}

#[test]
fn a_failing_canary_stops_the_rest_even_under_on_error_continue() {
    let p = project(&["bad", "b", "c"]);
    break_target(&p, "bad");
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
    assert!(!p.path().join("b.db").exists());
    assert!(!p.path().join("c.db").exists());
    assert_eq!(
        out.stdout.lines().last(),
        Some("0 ok, 0 up to date, 1 failed, 2 not started (stopped after a failure)")
    );
}

#[test]
fn groups_run_only_the_named_groups() {
    let p = Project::new();
    three(&p);
    std::fs::write(
        p.path().join("targets.txt"),
        "sqlite://eu1.db group=eu\nsqlite://us1.db group=us\nsqlite://ap1.db group=ap\n",
    )
    .unwrap();
    let out = fleet(&p, &["up", "--targets", "targets.txt", "--groups", "us,eu"]);
    out.ok();
    assert_eq!(ledger(&p, "eu1.db"), [1, 2, 3]);
    assert_eq!(ledger(&p, "us1.db"), [1, 2, 3]);
    assert!(!p.path().join("ap1.db").exists());
    // us runs before eu: its line comes first.
    let order: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .collect();
    assert_eq!(&order[..2], ["us1.db", "eu1.db"]);
    assert_eq!(
        out.stdout.lines().last(),
        Some("2 ok, 0 up to date, 0 failed, 0 not started, 1 outside --groups")
    );
}

#[test]
fn targets_cmd_reads_the_commands_output() {
    let p = project(&[]);
    let out = fleet(
        &p,
        &[
            "up",
            "--targets-cmd",
            "printf 'sqlite://x.db\\nsqlite://y.db name=why\\n'",
        ],
    );
    out.ok();
    assert_eq!(ledger(&p, "x.db"), [1, 2, 3]);
    assert_eq!(ledger(&p, "y.db"), [1, 2, 3]);
    assert!(line(&out, "why").starts_with("ok why sqlite://y.db"));

    let out = fleet(&p, &["up", "--targets-cmd", "echo nope >&2; exit 3"]);
    out.code(1)
        .stderr_has("--targets-cmd failed")
        .stderr_has("nope");
}

#[test]
fn json_gives_one_object_per_target_and_the_counts_last() {
    let p = project(&["a", "bad"]);
    break_target(&p, "bad");
    let out = fleet(
        &p,
        &[
            "up",
            "--targets",
            "targets.txt",
            "--on-error",
            "continue",
            "--format",
            "json",
        ],
    );
    out.code(1);
    let objects: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3);
    let a = objects.iter().find(|o| o["name"] == "a").unwrap();
    assert_eq!(a["status"], "ok");
    assert_eq!(a["before"], serde_json::Value::Null);
    assert_eq!(a["after"], 3);
    assert_eq!(a["applied"].as_array().unwrap().len(), 3);
    assert_eq!(a["applied"][0]["version"], 1);
    let bad = objects.iter().find(|o| o["name"] == "bad").unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["error"].as_str().unwrap().contains("2_create_b"),
        "{bad}"
    );
    assert_eq!(objects[2]["summary"]["ok"], 1);
    assert_eq!(objects[2]["summary"]["failed"], 1);
}

#[test]
fn status_targets_is_the_fleet_view() {
    let p = project(&["a", "b", "new"]);
    fleet(&p, &["up", "--targets", "targets.txt"]).ok();
    std::fs::remove_file(p.path().join("new.db")).unwrap();
    // `b` is behind: one migration reverted.
    p.bare()
        .args([
            "-path",
            "migrations",
            "-database",
            "sqlite://b.db",
            "down",
            "1",
        ])
        .assert()
        .success();
    let out = fleet(&p, &["status", "--targets", "targets.txt"]);
    out.ok();
    assert!(
        out.stdout.contains("a sqlite://a.db: version 3\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("b sqlite://b.db: version 2, 1 pending\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("new sqlite://new.db: version -, 3 pending\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("at version 3: 1 target(s)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("pending migrations: b, new\n"),
        "{}",
        out.stdout
    );
    assert!(!p.path().join("new.db").exists(), "status created nothing");
    // An applied file edited since: `a` and `b` have it applied, `new` not.
    p.file(
        "000001_create_a.up.sql",
        "CREATE TABLE a (id INTEGER, x INTEGER);",
    );
    let out = fleet(&p, &["status", "--targets", "targets.txt"]);
    assert!(
        out.stdout
            .contains("a sqlite://a.db: version 3, 1 drifted\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("drifted (applied file edited or deleted): a, b\n"),
        "{}",
        out.stdout
    );
    fleet(&p, &["status", "--targets", "targets.txt", "--check"]).code(3);
    fleet(
        &p,
        &["status", "--targets", "targets.txt", "--format", "json"],
    )
    .ok();
}

#[test]
fn a_bad_target_list_names_the_file_and_line_and_runs_nothing() {
    let p = project(&[]);
    std::fs::write(
        p.path().join("targets.txt"),
        "sqlite://a.db\n# ok so far\nsqlite://b.db colour=red\n",
    )
    .unwrap();
    fleet(&p, &["up", "--targets", "targets.txt"])
        .code(2)
        .stderr_has("targets.txt:3: unknown label \"colour\"");
    assert!(!p.path().join("a.db").exists());
    fleet(&p, &["up", "--targets", "missing.txt"])
        .code(1)
        .stderr_has("--targets missing.txt: ");
}

#[test]
fn fleet_flags_without_a_target_list_are_usage_errors() {
    let p = project(&["a"]);
    p.run(&["up", "--parallel", "3"])
        .code(2)
        .stderr_has("--parallel needs a list of databases");
    p.run(&["up", "--canary", "1"]).code(2);
    p.run(&["status", "--parallel", "2"]).code(2);
    fleet(&p, &["up", "--targets", "targets.txt", "--parallel", "0"])
        .code(2)
        .stderr_has("--parallel must be at least 1");
    p.run(&["plan", "--parallel", "2"]).code(2);
    p.run(&["verify", "--parallel", "2"]).code(2);
    p.run(&["down", "1", "--on-error", "continue"]).code(2);
    p.run(&["goto", "1", "--per-host", "1"]).code(2);
    fleet(
        &p,
        &[
            "up",
            "--targets",
            "targets.txt",
            "--targets-query",
            "SELECT 1",
        ],
    )
    .code(2);
}

#[test]
fn targets_query_needs_a_postgresql_database() {
    let p = project(&["a"]);
    fleet(
        &p,
        &[
            "-database",
            "sqlite://catalog.db",
            "up",
            "--targets-query",
            "SELECT 'a'",
        ],
    )
    .code(2)
    .stderr_has("error: --targets-query \"SELECT 'a'\" needs a PostgreSQL -database");
    assert!(!p.path().join("catalog.db").exists(), "nothing was created");
}

#[test]
fn down_and_goto_run_on_every_target_and_down_needs_n() {
    let p = project(&["a", "b"]);
    fleet(&p, &["up", "--targets", "targets.txt"]).ok();
    fleet(&p, &["down", "--targets", "targets.txt"])
        .code(2)
        .stderr_has("down on a list of databases needs N");
    for n in ["a", "b"] {
        assert_eq!(ledger(&p, &format!("{n}.db")), [1, 2, 3], "{n}");
    }
    let out = fleet(&p, &["down", "2", "--targets", "targets.txt"]);
    out.ok();
    assert_eq!(
        out.stdout.lines().last(),
        Some("2 ok, 0 no change, 0 failed, 0 not started")
    );
    let out = fleet(&p, &["goto", "1", "--targets", "targets.txt"]);
    out.ok();
    assert_eq!(
        out.stdout.lines().last(),
        Some("0 ok, 2 no change, 0 failed, 0 not started")
    );
    fleet(&p, &["goto", "3", "--targets", "targets.txt"]).ok();
    for n in ["a", "b"] {
        assert_eq!(ledger(&p, &format!("{n}.db")), [1, 2, 3], "{n}");
    }
}

#[test]
fn strata_toml_migrations_table_applies_to_every_target() {
    let p = project(&["a", "b"]);
    std::fs::write(
        p.path().join("strata.toml"),
        "migrations_table = \"my_migs\"\n",
    )
    .unwrap();
    fleet(&p, &["up", "--targets", "targets.txt"]).ok();
    for n in ["a", "b"] {
        let tables: Vec<String> = {
            let db = db(&p, &format!("{n}.db"));
            let mut stmt = db
                .prepare("SELECT name FROM sqlite_master WHERE name LIKE '%migs%' OR name LIKE 'schema_migrations%' ORDER BY name")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert!(tables.contains(&"my_migs".to_string()), "{n}: {tables:?}");
        assert!(
            !tables.iter().any(|t| t.starts_with("schema_migrations")),
            "{n}: {tables:?}"
        );
    }
}
