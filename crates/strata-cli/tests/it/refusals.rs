//! Refusals that must leave the database (and the file system) as they found them: read-only
//! commands on a mistyped SQLite path, migrations table names PostgreSQL would truncate, a
//! refused `up`, and two paths to one SQLite file.

use crate::support::{three, Project};

#[test]
fn read_only_commands_on_a_missing_sqlite_file_create_nothing() {
    let p = Project::new();
    three(&p);
    for (args, code) in [
        (&["version"][..], 1),
        (&["status"], 0),
        (&["history"], 0),
        (&["validate"], 0),
    ] {
        p.run_on("sqlite://typo.db", args).code(code).stderr_has(
            "warning: no database at typo.db: it reads as empty, and nothing was created",
        );
        let made: Vec<_> = std::fs::read_dir(p.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "migrations")
            .collect();
        assert!(made.is_empty(), "{args:?} created {made:?}");
    }
    // `up` still creates the database.
    p.run_on("sqlite://typo.db", &["up"]).ok();
    let out = p.run_on("sqlite://typo.db", &["version"]);
    out.ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn plan_lint_and_rehearse_on_a_missing_sqlite_file_create_nothing() {
    let p = Project::new();
    three(&p);
    for args in [&["plan"][..], &["lint"], &["rehearse"]] {
        let out = p.run_on("sqlite://typo.db", args);
        out.stderr_has(
            "warning: no database at typo.db: it reads as empty, and nothing was created",
        );
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        let made: Vec<_> = std::fs::read_dir(p.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "migrations")
            .collect();
        assert!(made.is_empty(), "{args:?} created {made:?}");
    }
    // They read the missing file as an empty database: everything is pending.
    p.run_on("sqlite://typo.db", &["plan"])
        .ok()
        .stdout_has("1/u ");
    p.run_on("sqlite://typo.db", &["rehearse"])
        .code(1)
        .stderr_has("cannot rehearse migrations (PostgreSQL can)");
}

#[test]
fn a_migrations_table_name_postgres_would_truncate_or_with_nul_is_a_usage_error() {
    let p = Project::new();
    three(&p);
    let long = "t".repeat(60);
    for url in [
        format!("postgres://u@127.0.0.1:1/db?x-migrations-table={long}"),
        "postgres://u@127.0.0.1:1/db?x-migrations-table=a%00b".to_string(),
        "sqlite://app.db?x-migrations-table=a%00b".to_string(),
    ] {
        p.run_on(&url, &["up"])
            .code(2)
            .stderr_has("x-migrations-table: ");
    }
    assert!(!p.db_path().exists(), "nothing was opened");
}

#[test]
fn a_refused_up_creates_no_table() {
    let p = Project::new();
    three(&p);
    // golang-migrate left version 1 dirty: `up` is refused.
    p.db()
        .execute_batch(
            "CREATE TABLE schema_migrations (version uint64, dirty bool); \
             INSERT INTO schema_migrations VALUES (1, 1);",
        )
        .unwrap();
    let out = p.run(&["up"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    let tables: Vec<String> = p
        .db()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(tables, ["schema_migrations"], "{}", out.stderr);
}

#[test]
fn runners_on_a_sqlite_file_and_a_symlink_to_it_share_one_lock() {
    let p = Project::new();
    // Each migration sleeps in SQL (a long recursive count) and appends one row, so two
    // runners that both believed they held the lock would append twice.
    p.file("000001_runs.up.sql", "CREATE TABLE runs (v INTEGER);");
    p.file("000001_runs.down.sql", "DROP TABLE runs;");
    for v in 2..=8 {
        p.pair(
            &format!("{v:06}"),
            &format!("m{v}"),
            &format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) \
                 INSERT INTO runs SELECT {v} FROM (SELECT max(x) FROM c);"
            ),
            "SELECT 1;",
        );
    }
    // The database must exist for the symlink to point at it.
    p.run(&["version"]).code(1);
    p.run(&["up", "1"]).ok();
    std::os::unix::fs::symlink(p.db_path(), p.path().join("link.db")).unwrap();
    let spawn = |url: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"));
        cmd.current_dir(p.path())
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATION_DIR")
            .args(["-path", "migrations", "-database", url, "up"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    };
    let a = spawn("sqlite://app.db");
    let b = spawn("sqlite://link.db");
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let counts: Vec<(i64, i64)> = p
        .db()
        .prepare("SELECT v, count(*) FROM runs GROUP BY v ORDER BY v")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(counts, (2..=8).map(|v| (v, 1)).collect::<Vec<_>>());
}

#[test]
fn writing_commands_refused_for_a_bad_folder_create_no_sqlite_file() {
    let commands: [&[&str]; 13] = [
        &["up"],
        &["down", "1"],
        &["down", "-all"],
        &["goto", "1"],
        &["force", "1"],
        &["baseline", "1"],
        &["adopt", "--from", "goose"],
        &["accept", "1"],
        &["redo"],
        &["rollback"],
        &["reset", "-f"],
        &["refresh", "-f"],
        &["validate"],
    ];
    let p = Project::new();
    three(&p);
    p.file("000004_new\u{7}bell.up.sql", "SELECT 1;");
    for args in commands {
        let out = p.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("U+0007"), "{args:?}: {}", out.stderr);
        assert!(!p.db_path().exists(), "{args:?} created the database");
    }
    for args in commands {
        let mut cmd = p.bare();
        cmd.args(["-path", "nope", "-database", "sqlite://app.db"])
            .args(args);
        let out = crate::support::output(cmd);
        assert_ne!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("nope"), "{args:?}: {}", out.stderr);
        assert!(!p.db_path().exists(), "{args:?} created the database");
    }
}
