//! What a user types, sets or leaves behind gets a clear error and the documented exit code,
//! never a panic: durations out of range, widths, odd ledger values, a closed stderr, usage
//! mistakes (exit 2), and an edited applied file.

use crate::support::{output, three, Output, Project};

#[track_caller]
fn no_panic(out: &Output) {
    assert!(
        !out.stderr.contains("panicked"),
        "exit {}:\n{}",
        out.code,
        out.stderr
    );
}

#[test]
fn an_out_of_range_directive_duration_names_the_file_and_line() {
    let p = Project::new();
    p.pair(
        "1",
        "a",
        "-- a table\n-- strata:lock-timeout 99999999999999999999h\nCREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    for command in ["up", "validate", "status"] {
        let out = p.run(&[command]);
        no_panic(&out);
        out.code(1)
            .stderr_has("1_a.up.sql:2:")
            .stderr_has("strata:lock-timeout")
            .stderr_has("too long");
    }
    assert!(p.tables().is_empty());
}

#[test]
fn an_out_of_range_duration_setting_is_a_usage_error_naming_the_setting() {
    let p = Project::new();
    three(&p);
    let huge = "99999999999999999999h";
    for (var, flag) in [
        (Some("MIGRATION_TIMEOUT"), None),
        (Some("STRATA_LOCK_TIMEOUT"), None),
        (None, Some("--ddl-lock-timeout")),
    ] {
        let mut cmd = p.bare();
        cmd.env_remove("STRATA_LOCK_TIMEOUT");
        if let Some(var) = var {
            cmd.env(var, huge);
        }
        if let Some(flag) = flag {
            cmd.args([flag, huge]);
        }
        cmd.args(["-path", "migrations", "-database", "sqlite://app.db", "up"]);
        let out = output(cmd);
        no_panic(&out);
        out.code(2)
            .stderr_has(var.or(flag).unwrap())
            .stderr_has("too long");
    }
    assert!(p.tables().is_empty());
}

#[test]
fn create_with_too_many_digits_is_a_usage_error_naming_the_flag() {
    let p = Project::new();
    for digits in ["70000", "0", "21"] {
        let mut cmd = p.bare();
        cmd.args([
            "create", "-ext", "sql", "-dir", "d", "-seq", "-digits", digits, "x",
        ]);
        let out = output(cmd);
        no_panic(&out);
        out.code(2).stderr_has(&format!("-digits {digits}"));
    }
    assert!(!p.path().join("d").exists(), "nothing is created");
    let mut cmd = p.bare();
    cmd.args([
        "create", "-ext", "sql", "-dir", "d", "-seq", "-digits", "20", "x",
    ]);
    output(cmd).ok().stdout_has("00000000000000000001_x.up.sql");
}

#[test]
fn a_non_ascii_checksum_in_the_ledger_is_shown_not_a_panic() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "1"]).ok();
    // Byte 12 falls inside an `é`.
    let odd = "aéééééééééééééé";
    p.db()
        .execute(
            "UPDATE schema_migrations_ledger SET checksum = ?1 WHERE version = 1",
            [odd],
        )
        .unwrap();
    let out = p.run(&["up"]);
    no_panic(&out);
    out.code(3)
        .stderr_has("migration 1 (create_a) was edited")
        .stderr_has("checksum aééééééééééé then");
    let out = p.run(&["validate"]);
    no_panic(&out);
    out.code(3).stdout_has("checksum aééééééééééé then");
    let out = p.run(&["accept", "1"]);
    no_panic(&out);
    out.ok().stderr_has("accepted 1: checksum aééééééééééé -> ");
}

#[test]
fn a_closed_stderr_ends_the_run_with_141_not_a_panic() {
    // `strata up 2>&1 | head -1` once head has exited: the reading end is already closed.
    let p = Project::new();
    three(&p);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATION_DIR")
        .args(["-path", "migrations", "-database", "sqlite://app.db", "up"])
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(141), "a panic exits 101");
    // It stopped at the first line it could not print, after that migration ended: the
    // database is consistent and the next run finishes the work.
    p.run(&["up"]).ok();
    assert_eq!(p.tables(), ["a", "b", "c"]);
}

/// Runs strata in `p` with stderr a pipe whose reader has already gone.
fn exit_code_with_closed_stderr(p: &Project, args: &[&str]) -> Option<i32> {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATION_DIR")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(writer)
        .status()
        .unwrap()
        .code()
}

#[test]
fn warnings_to_a_closed_stderr_end_the_run_with_141_not_a_panic() {
    let p = Project::new();
    three(&p);
    // A file that matches no layout is warned about before anything else is printed.
    p.file("4_y.UP.sql", "CREATE TABLE y (id INTEGER);");
    let unmatched = [
        "-path",
        "migrations",
        "-database",
        "sqlite://app.db",
        "status",
    ];
    assert_eq!(exit_code_with_closed_stderr(&p, &unmatched), Some(141));
    // A read-only command on a missing SQLite file warns that it reads as empty.
    let missing = [
        "-path",
        "migrations",
        "-database",
        "sqlite://none.db",
        "version",
    ];
    assert_eq!(exit_code_with_closed_stderr(&p, &missing), Some(141));
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new();
    three(&p);
    for args in [
        &["goto"][..],
        &["goto", "x"],
        &["up", "two"],
        &["down", "-all", "1"],
        &["down", "1", "2"],
        &["force"],
        &["force", "--", "-2"],
        &["baseline"],
        &["accept", "x"],
        &["plan", "goto"],
    ] {
        let out = p.run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        out.stderr_has("error: ");
    }
    for args in [
        &["create", "-ext", "sql"][..],
        &["create", "x"],
        &["create", "-ext", "sql", "-seq", "-format", "unix", "x"],
        &["create", "-ext", "sql", "-tz", "Mars/Olympus", "x"],
    ] {
        let mut cmd = p.bare();
        cmd.args(args);
        let out = output(cmd);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
    assert!(p.tables().is_empty());
}

#[test]
fn an_edited_applied_file_is_named_with_both_ways_out() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.file(
        "000002_create_b.up.sql",
        "CREATE TABLE b (id INTEGER, extra TEXT);",
    );
    let path = "migrations/000002_create_b.up.sql";
    p.run(&["up"])
        .code(3)
        .stderr_has(&format!("was edited after it was applied: {path}"))
        .stderr_has(&format!("hint: restore {path} as it was applied"))
        .stderr_has("`strata accept 2`");
    p.run(&["validate"])
        .code(3)
        .stdout_has(path)
        .stdout_has("`strata accept 2`");
    let out = p.run(&["validate", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["problems"][0]["path"], path);
    assert!(v["problems"][0]["hint"]
        .as_str()
        .unwrap()
        .contains("strata accept 2"));
}

#[test]
fn control_characters_from_the_database_url_are_escaped_in_errors() {
    let p = Project::new();
    three(&p);
    // A missing folder in the SQLite path, holding ESC [2J (clear the screen) and a NUL.
    let out = p.run_on("sqlite://no%1b[2Jdir%00/app.db", &["up"]);
    no_panic(&out);
    out.code(1).stderr_has("no\\u{1b}[2Jdir\\0");
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stderr.contains('\0'),
        "{:?}",
        out.stderr
    );
}
