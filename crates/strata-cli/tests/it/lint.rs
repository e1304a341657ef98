//! `strata lint` through the real binary, on plain folders and files (no database) and on a
//! SQLite database (pending migrations only).

use crate::support::{output, Project};

/// `strata lint ARGS` with no database and no -path.
fn lint(p: &Project, args: &[&str]) -> crate::support::Output {
    let mut cmd = p.bare();
    cmd.arg("lint").args(args);
    output(cmd)
}

#[test]
fn lint_flags_add_column_not_null_without_default_with_line() {
    let p = Project::new();
    p.pair(
        "1",
        "plan",
        "-- a required column\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n",
        "ALTER TABLE users DROP COLUMN plan;\n",
    );
    let out = lint(&p, &["migrations", "--format", "line"]);
    out.code(5).stdout_has(
        "migrations/1_plan.up.sql:2:19: adding-required-field: Adding a new column that is `NOT NULL` and has no default value",
    );
    // The human format shows the excerpt with a caret and the safe alternative.
    let out = lint(&p, &["migrations"]);
    out.code(5)
        .stdout_has("--> migrations/1_plan.up.sql:2:19")
        .stdout_has("2 | ALTER TABLE users ADD COLUMN plan text NOT NULL;\n  |                   ^")
        .stdout_has("= help: Make the field nullable or add a non-VOLATILE DEFAULT");
}

#[test]
fn lint_clean_folder_exits_zero() {
    let p = Project::new();
    p.pair(
        "1",
        "users",
        "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);\n",
        "DROP TABLE users;\n",
    );
    let out = lint(&p, &["migrations"]);
    out.ok().stderr_has("no findings in 1 migration(s)");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn lint_ignore_comment_suppresses_rule() {
    let p = Project::new();
    p.file(
        "1_backfill.up.sql",
        "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\nUPDATE users SET plan = 'free';\n",
    );
    let out = lint(&p, &["migrations", "--format", "line"]);
    out.code(5)
        .stdout_has("1_backfill.up.sql:1:1: missing-down:")
        .stdout_has("1_backfill.up.sql:2:1: ddl-and-data:");
    // Per statement and per file.
    p.file(
        "1_backfill.up.sql",
        "-- strata:ignore-file missing-down\nALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\n-- strata:ignore ddl-and-data\nUPDATE users SET plan = 'free';\n",
    );
    lint(&p, &["migrations"]).ok();
    // An ignore covers only the statement after it.
    p.file(
        "1_backfill.up.sql",
        "-- strata:ignore ddl-and-data\nALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\nUPDATE users SET plan = 'free';\n",
    );
    let out = lint(&p, &["migrations", "--format", "line"]);
    out.code(5)
        .stdout_has("1_backfill.up.sql:3:1: ddl-and-data:");
}

#[test]
fn lint_exclude_and_include_flags_choose_rules() {
    let p = Project::new();
    p.file("1_t.up.sql", "CREATE TABLE t (id bigint);\n");
    let out = lint(
        &p,
        &[
            "migrations",
            "--format",
            "line",
            "--exclude",
            "missing-down",
        ],
    );
    out.ok();
    let out = lint(
        &p,
        &[
            "migrations",
            "-format=line",
            "-exclude=missing-down",
            "-include",
            "require-if-not-exists",
        ],
    );
    out.code(5)
        .stdout_has("1_t.up.sql:1:1: require-if-not-exists:");
    lint(&p, &["migrations", "--exclude", "no-such-rule"])
        .code(2)
        .stderr_has("unknown rule id(s): no-such-rule");
}

#[test]
fn lint_no_transaction_migration_without_guards_is_flagged() {
    let p = Project::new();
    p.pair(
        "1",
        "index",
        "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
        "DROP TABLE t;\n",
    );
    let out = lint(&p, &["migrations/1_index.up.sql", "--format", "line"]);
    out.code(5)
        .stdout_has("1_index.up.sql:1:1: mixed-no-transaction:")
        .stdout_has("1_index.up.sql:2:1: mixed-no-transaction:");
    p.pair(
        "1",
        "index",
        "CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n",
        "DROP TABLE t;\n",
    );
    let out = lint(&p, &["migrations/1_index.up.sql", "--format", "line"]);
    assert!(
        !out.stdout.contains("mixed-no-transaction"),
        "{}",
        out.stdout
    );
}

#[test]
fn lint_concurrently_inside_own_transaction_is_flagged() {
    let p = Project::new();
    p.pair(
        "1",
        "index",
        "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCOMMIT;\n",
        "DROP INDEX i;\n",
    );
    let out = lint(&p, &["migrations", "--format", "line"]);
    out.code(5)
        .stdout_has("1_index.up.sql:2:1: concurrently-in-transaction:");
}

#[test]
fn lint_json_lists_findings_with_rule_source_and_position() {
    let p = Project::new();
    p.file("1_t.up.sql", "CREATE TABLE IF NOT EXISTS t (id bigint);\n");
    let out = lint(&p, &["migrations", "--format", "json"]);
    out.code(5);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["migrations_checked"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "missing-down");
    assert_eq!(f["source"], "strata");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(f["help"].as_str().unwrap().contains("add a down part"));
}

#[test]
fn lint_without_paths_checks_only_pending_migrations() {
    let p = Project::new();
    p.file("1_t.up.sql", "CREATE TABLE t (id INTEGER);\n");
    p.run(&["up"]).ok();
    p.file("2_u.up.sql", "CREATE TABLE u (id INTEGER);\n");
    let out = p.run(&["lint", "--format", "line"]);
    out.code(5).stdout_has("2_u.up.sql:1:1: missing-down:");
    assert!(!out.stdout.contains("1_t.up.sql"), "{}", out.stdout);
    out.stderr_has("in 1 migration(s)");
}

#[test]
fn lint_dialect_comes_from_database_then_flag_then_postgres() {
    let p = Project::new();
    p.pair(
        "1",
        "t",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n",
        "DROP TABLE t;\n",
    );
    // No -database: PostgreSQL's rules, and the summary says so.
    let out = lint(&p, &["migrations", "--format", "line"]);
    out.code(5)
        .stdout_has("prefer-bigint-over-int")
        .stderr_has("(postgres rules, the default without -database; --dialect sqlite for SQLite)");
    // --dialect sqlite (either spelling): SQLite's rules.
    for flag in [["--dialect", "sqlite"], ["-dialect", "sqlite"]] {
        let out = lint(&p, &["migrations", flag[0], flag[1]]);
        out.ok()
            .never_shows("prefer-bigint-over-int")
            .stderr_has("no findings in 1 migration(s) (sqlite rules, from --dialect)");
    }
    // -database decides when given; a contradicting --dialect is a usage error.
    let out = p.run(&["lint"]);
    out.ok().stderr_has("(sqlite rules, from -database)");
    p.run(&["lint", "--dialect", "postgres"])
        .code(2)
        .stderr_has("--dialect postgres contradicts -database, which is sqlite");
    lint(&p, &["migrations", "--dialect", "oracle"]).code(2);
}

#[test]
fn lint_dialect_mysql_judges_a_folder_by_mysql_s_online_ddl() {
    let p = Project::new();
    p.pair(
        "1",
        "users",
        "CREATE TABLE `users` (id bigint PRIMARY KEY, email varchar(100)) ENGINE=InnoDB;\n\
         ALTER TABLE users MODIFY email varchar(200);\n",
        "DROP TABLE `users`;\n",
    );
    p.pair(
        "2",
        "widen",
        "# an existing table now\nALTER TABLE `users` MODIFY email varchar(500) NOT NULL;\n\
         ALTER TABLE users ADD COLUMN plan text;\n\
         ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;\n",
        "ALTER TABLE users DROP COLUMN plan;\n",
    );
    let out = lint(
        &p,
        &["migrations", "--dialect", "mysql", "--format", "line"],
    );
    out.code(5)
        .stdout_has("migrations/2_widen.up.sql:2:1: alter-copies-table: this copies table `users` row by row (ALGORITHM=COPY: MODIFY/CHANGE COLUMN needs it)")
        .stdout_has("migrations/2_widen.up.sql:4:1: alter-copies-table: this copies table `users` row by row (ALGORITHM=COPY: CONVERT TO CHARACTER SET needs it)")
        .stdout_has("migrations/2_widen.up.sql:4:1: repeated-table-rebuild: table `users` is rebuilt again here (CONVERT TO CHARACTER SET), after the rebuild at line 2")
        // PostgreSQL's rules (squawk's) do not judge MySQL, and the new table is not flagged.
        .never_shows("prefer-bigint-over-int")
        .never_shows("1_users.up.sql")
        .stderr_has("lint: 3 finding(s) in 2 migration(s) (mysql rules, from --dialect)");
    // A mysql:// or mariadb:// -database chooses the dialect too (no connection: paths given).
    for url in [
        "mysql://u:secret@tcp(127.0.0.1:1)/app",
        "mariadb://u@127.0.0.1:1/app",
    ] {
        let mut cmd = p.bare();
        cmd.args(["-database", url, "lint", "migrations"]);
        output(cmd)
            .code(5)
            .stderr_has("(mysql rules, from -database)")
            .never_shows("secret");
    }
}

#[test]
fn an_unknown_rule_in_an_ignore_comment_is_a_warning_naming_file_line_and_rule() {
    let p = Project::new();
    p.pair(
        "1",
        "t",
        "CREATE TABLE t (id bigint);\n-- strata:ignore nosuchrule\nCREATE TABLE u (id bigint);\n",
        "DROP TABLE u;\nDROP TABLE t;\n",
    );
    lint(&p, &["migrations"]).ok().stderr_has(
        "warning: migrations/1_t.up.sql:2: strata:ignore names the unknown rule \"nosuchrule\"; it suppresses nothing",
    );
    // Other commands run the migration as usual.
    p.run(&["up"]).ok();
    assert_eq!(p.tables(), ["t", "u"]);
}
