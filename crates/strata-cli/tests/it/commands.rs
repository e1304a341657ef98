//! Every command of the golang-migrate grammar, on SQLite.

use crate::support::{output, three, Project};

#[test]
fn create_seq_numbers_files_after_the_highest_version() {
    let p = Project::new();
    let out = output({
        let mut c = p.bare();
        c.args([
            "create",
            "-ext",
            "sql",
            "-dir",
            "migrations",
            "-seq",
            "create_users_table",
        ]);
        c
    });
    out.ok().stdout_has("000001_create_users_table.up.sql");
    assert!(p
        .path()
        .join("migrations/000001_create_users_table.up.sql")
        .exists());
    assert!(p
        .path()
        .join("migrations/000001_create_users_table.down.sql")
        .exists());
    let out = output({
        let mut c = p.bare();
        c.args([
            "create",
            "--ext",
            ".sql",
            "--dir",
            "migrations",
            "--seq",
            "add_email",
        ]);
        c
    });
    out.ok().stdout_has("000002_add_email.down.sql");
}

#[test]
fn create_without_seq_uses_a_utc_timestamp_version() {
    let p = Project::new();
    let out = output({
        let mut c = p.bare();
        c.args(["create", "-ext", "sql", "-dir", "migrations", "add_index"]);
        c
    });
    out.ok();
    let names: Vec<String> = std::fs::read_dir(p.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    let version = names[0].split('_').next().unwrap();
    assert_eq!(version.len(), 14, "{names:?}");
    assert!(version.starts_with("20"), "{names:?}");
}

#[test]
fn create_without_ext_or_name_fails_like_golang_migrate() {
    let p = Project::new();
    let out = output({
        let mut c = p.bare();
        c.args(["create", "-dir", "migrations", "x"]);
        c
    });
    out.code(2).stderr_has("error: -ext flag must be specified");
    let out = output({
        let mut c = p.bare();
        c.args(["create", "-ext", "sql"]);
        c
    });
    out.code(2).stderr_has("error: please specify name");
}

#[test]
fn up_applies_all_pending_and_records_ledger_and_compat_row() {
    let p = Project::new();
    three(&p);
    let out = p.run(&["up"]);
    out.ok()
        .stderr_has("1/u create_a (")
        .stderr_has("2/u create_b (")
        .stderr_has("3/u create_c (");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    assert_eq!(p.compat(), Some((3, false)));
    assert_eq!(p.ledger_versions(), [1, 2, 3]);
    let (batch, by, checksum): (i64, String, String) = p
        .db()
        .query_row(
            "SELECT batch, applied_by, checksum FROM schema_migrations_ledger WHERE version = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(batch, 1);
    assert!(by.starts_with("tester@"), "{by}");
    assert_eq!(checksum.len(), 64);
}

#[test]
fn up_at_head_prints_no_change_and_exits_zero() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    let out = p.run(&["up"]);
    out.ok().stderr_has("no change");
    assert_eq!(p.compat(), Some((3, false)));
}

#[test]
fn up_n_applies_the_next_n_and_each_run_is_a_batch() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    assert_eq!(p.tables(), ["a", "b"]);
    assert_eq!(p.compat(), Some((2, false)));
    p.run(&["up", "2"]).code(1).stderr_has("limit 1 short");
    assert_eq!(
        p.compat(),
        Some((3, false)),
        "the available step is still applied"
    );
    let batches: Vec<i64> = {
        let db = p.db();
        let mut s = db
            .prepare("SELECT batch FROM schema_migrations_ledger ORDER BY version")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(batches, [1, 1, 2]);
}

#[test]
fn down_n_reverts_newest_first() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.run(&["down", "1"]).ok().stderr_has("3/d create_c (");
    assert_eq!(p.tables(), ["a", "b"]);
    assert_eq!(p.compat(), Some((2, false)));
    assert_eq!(p.ledger_versions(), [1, 2]);
}

#[test]
fn down_all_reverts_everything_and_empties_compat_table() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.run(&["down", "-all"]).ok();
    assert!(p.tables().is_empty());
    assert_eq!(p.compat(), None);
    assert!(p.ledger_versions().is_empty());
    p.run(&["down", "-all"]).ok().stderr_has("no change");
}

#[test]
fn bare_down_without_terminal_refuses_and_changes_nothing() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    let out = p.run(&["down"]);
    out.code(1)
        .stderr_has("Are you sure you want to apply all down migrations? [y/N]");
    out.stderr_has("Not applying all down migrations");
    assert_eq!(p.tables(), ["a", "b", "c"]);
}

#[test]
fn down_all_with_a_count_is_a_usage_error() {
    let p = Project::new();
    three(&p);
    p.run(&["down", "-all", "2"])
        .code(2)
        .stderr_has("-all cannot be used with other arguments");
}

#[test]
fn goto_moves_up_and_down_to_the_target() {
    let p = Project::new();
    three(&p);
    p.run(&["goto", "2"]).ok();
    assert_eq!(p.compat(), Some((2, false)));
    assert_eq!(p.tables(), ["a", "b"]);
    p.run(&["goto", "3"]).ok();
    p.run(&["goto", "1"])
        .ok()
        .stderr_has("3/d")
        .stderr_has("2/d");
    assert_eq!(p.tables(), ["a"]);
    p.run(&["goto", "7"])
        .code(3)
        .stderr_has("no migration found for version 7");
}

#[test]
fn force_sets_version_without_running_and_minus_one_empties() {
    let p = Project::new();
    three(&p);
    p.run(&["force", "2"]).ok();
    assert_eq!(p.compat(), Some((2, false)));
    assert!(p.tables().is_empty(), "force runs nothing");
    assert_eq!(p.ledger_versions(), [1, 2]);
    p.run(&["force", "--", "-1"]).ok();
    assert_eq!(p.compat(), None);
    assert!(p.ledger_versions().is_empty());
    p.run(&["force", "-1"]).ok();
    p.run(&["force", "--", "-2"])
        .code(2)
        .stderr_has("argument V must be >= -1");
    p.run(&["force", "x"])
        .code(2)
        .stderr_has("can't read version argument V");
}

#[test]
fn version_prints_current_dirty_or_nothing_applied() {
    let p = Project::new();
    three(&p);
    p.run(&["version"])
        .code(1)
        .stderr_has("error: no migration");
    p.run(&["up", "2"]).ok();
    let out = p.run(&["version"]);
    out.ok();
    assert_eq!(out.stdout, "2\n");
    p.db()
        .execute("UPDATE schema_migrations SET dirty = 1", [])
        .unwrap();
    assert_eq!(p.run(&["version"]).ok().stdout, "2 (dirty)\n");
}

#[test]
fn drop_f_removes_every_table_view_and_trigger() {
    let p = Project::new();
    p.pair(
        "1",
        "all",
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n\
         CREATE VIEW v AS SELECT * FROM t;\n\
         CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE t SET v = 'x' WHERE id = NEW.id; END;\n\
         INSERT INTO t (v) VALUES ('a');",
        "DROP TABLE t;",
    );
    p.run(&["up"]).ok();
    p.run(&["drop", "-f"]).ok();
    let left: i64 = p
        .db()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    // The database is usable again from scratch.
    p.run(&["up"]).ok();
    assert_eq!(p.compat(), Some((1, false)));
}

#[test]
fn drop_without_f_and_without_terminal_refuses() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.run(&["drop"])
        .code(1)
        .stderr_has("Aborted dropping the entire database schema");
    assert_eq!(p.tables(), ["a", "b", "c"]);
}

#[test]
fn status_lists_applied_and_pending_with_batches_and_json() {
    let p = Project::new();
    three(&p);
    p.file("README.md", "notes");
    p.run(&["up", "1"]).ok();
    let out = p.run(&["status"]);
    out.ok()
        .stdout_has("create_a")
        .stdout_has("applied")
        .stdout_has("pending")
        .stdout_has("ignored: ")
        .stdout_has("version 1; 2 not applied");
    let out = p.run(&["status", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = v["status"]["migrations"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["state"], "applied");
    assert_eq!(rows[0]["batch"], 1);
    assert_eq!(rows[1]["state"], "pending");
    assert_eq!(v["status"]["version"], 1);
}

#[test]
fn gnu_flags_and_environment_variables_work() {
    let p = Project::new();
    three(&p);
    let mut cmd = p.bare();
    cmd.args([
        "--path",
        "migrations",
        "--database=sqlite://app.db",
        "up",
        "1",
    ]);
    output(cmd).ok();
    let mut cmd = p.bare();
    cmd.env("DATABASE_URL", "sqlite://app.db")
        .env("MIGRATION_DIR", "migrations")
        .arg("up");
    output(cmd).ok();
    assert_eq!(p.compat(), Some((3, false)));
}

#[test]
fn missing_database_or_folder_is_a_usage_error_that_says_how() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations", "up"]);
    output(cmd)
        .code(2)
        .stderr_has("pass -database URL (or set DATABASE_URL)");
    let mut cmd = p.bare();
    cmd.args(["-database", "sqlite://app.db", "up"]);
    output(cmd).code(2).stderr_has("pass -path DIR");
}

#[test]
fn unknown_command_or_flag_exits_two() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.arg("frobnicate");
    output(cmd).code(2);
    let mut cmd = p.bare();
    cmd.args(["-bogus", "up"]);
    output(cmd).code(2);
}

#[test]
fn golang_migrate_sqlite_database_is_adopted_on_first_contact() {
    let p = Project::new();
    three(&p);
    p.pair(
        "000004",
        "create_d",
        "CREATE TABLE d (id INTEGER);",
        "DROP TABLE d;",
    );
    // What golang-migrate's sqlite3 driver leaves after `up 3`.
    p.db()
        .execute_batch(
            "CREATE TABLE schema_migrations (version uint64, dirty bool);
             CREATE UNIQUE INDEX version_unique ON schema_migrations (version);
             INSERT INTO schema_migrations VALUES (3, 0);
             CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER); CREATE TABLE c (id INTEGER);",
        )
        .unwrap();
    p.run(&["up"])
        .ok()
        .stderr_has("4/u create_d")
        .stderr_has("adopted");
    assert_eq!(p.ledger_versions(), [1, 2, 3, 4]);
    assert_eq!(p.compat(), Some((4, false)));
    let origin: String = p
        .db()
        .query_row(
            "SELECT origin FROM schema_migrations_ledger WHERE version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(origin, "adopted");
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_not_in_a_panic() {
    // `strata status --format json | head`: far more output than a pipe buffer holds.
    let p = Project::new();
    for v in 1..=1500 {
        p.pair(
            &format!("{v:06}"),
            "a_long_enough_name",
            "SELECT 1;",
            "SELECT 1;",
        );
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .current_dir(p.path())
        .args(["-path", "migrations", "-database", "sqlite://app.db"])
        .args(["status", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn plan_drop_index_names_the_index_s_table_on_sqlite() {
    let p = Project::new();
    p.pair(
        "1",
        "t",
        "CREATE TABLE t (a INTEGER);\nCREATE INDEX t_i ON t (a);\n",
        "DROP TABLE t;\n",
    );
    p.run(&["up"]).ok();
    p.pair("2", "drop_i", "DROP INDEX \"T_I\";\n", "SELECT 1;\n");
    p.pair("3", "drop_x", "DROP INDEX IF EXISTS nope;\n", "SELECT 1;\n");
    let out = p.run(&["plan"]);
    out.ok()
        .stdout_has("on t, the table of index \"T_I\" (")
        .stdout_has(
            "on the table of index nope (blocks reads and writes); index nope does not exist yet",
        );
}
