//! Bad input gets a clear error naming the file (and line), never a panic, never a partial apply.

use crate::support::{three, Project};

#[test]
fn two_files_for_one_version_name_both() {
    let p = Project::new();
    p.pair(
        "003",
        "alice",
        "CREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    p.pair(
        "003",
        "bob",
        "CREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    let out = p.run(&["up"]);
    out.code(1)
        .stderr_has("003_alice.up.sql")
        .stderr_has("003_bob.up.sql");
    assert!(p.tables().is_empty());
}

#[test]
fn missing_folder_is_named() {
    let p = Project::new();
    let mut cmd = p.bare();
    cmd.args(["-path", "nope", "-database", "sqlite://app.db", "up"]);
    crate::support::output(cmd).code(1).stderr_has("nope");
}

#[test]
fn empty_folder_says_no_migrations() {
    let p = Project::new();
    p.run(&["up"]).code(3).stderr_has("no migrations found");
}

#[test]
fn marker_file_without_up_section_is_named_with_the_expected_marker() {
    let p = Project::new();
    p.file("1_x.sql", "-- +goose Down\nDROP TABLE x;\n");
    p.run(&["up"]).code(1).stderr_has("1_x.sql");
}

#[test]
fn down_before_up_is_reported_with_its_line() {
    let p = Project::new();
    p.file(
        "1_x.sql",
        "-- migrate:down\nDROP TABLE x;\n-- migrate:up\nCREATE TABLE x (id INTEGER);\n",
    );
    p.run(&["up"]).code(1).stderr_has("1_x.sql:");
    assert!(p.tables().is_empty());
}

#[test]
fn non_utf8_file_is_named_with_line() {
    let p = Project::new();
    std::fs::write(
        p.path().join("migrations/1_bad.up.sql"),
        b"CREATE TABLE a (id INTEGER);\nSELECT '\xff';\n",
    )
    .unwrap();
    p.run(&["up"])
        .code(1)
        .stderr_has("1_bad.up.sql:2")
        .stderr_has("UTF-8");
}

#[test]
fn self_managed_failure_is_located_at_its_statement() {
    let p = Project::new();
    p.pair(
        "1",
        "own_tx",
        "BEGIN;\nCREATE TABLE b (id INTEGER UNIQUE);\nCOMMIT;\nINSERT INTO b VALUES (1), (1);\n",
        "DROP TABLE b;",
    );
    p.run(&["up"])
        .code(1)
        .stderr_has("UNIQUE constraint failed")
        .stderr_has("1_own_tx.up.sql:4:1")
        .stderr_has("4 | INSERT INTO b VALUES (1), (1);")
        .stderr_has("left dirty at version 1");
    assert_eq!(p.tables(), ["b"], "the file's own transaction committed");
    assert_eq!(p.compat(), Some((1, true)));
}

#[test]
fn failing_statement_is_located_with_excerpt_and_nothing_is_applied() {
    let p = Project::new();
    p.pair("1", "ok", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.pair(
        "2",
        "broken",
        "CREATE TABLE b (id INTEGER);\n\nINSERT INTO nope VALUES (1);\nCREATE TABLE c (id INTEGER);\n",
        "DROP TABLE b;",
    );
    let out = p.run(&["up"]);
    out.code(1)
        .stderr_has("1/u ok")
        .stderr_has("migration failed: 2/u broken: no such table: nope")
        .stderr_has("2_broken.up.sql:3:1")
        .stderr_has("3 | INSERT INTO nope VALUES (1);")
        .stderr_has("rolled back")
        .stderr_has("applied before the failure: 1");
    assert_eq!(
        p.tables(),
        ["a"],
        "b was rolled back with the failing migration"
    );
    assert_eq!(
        p.compat(),
        Some((1, false)),
        "not dirty: the migration ran in a transaction"
    );
    // The failure is in the log.
    let fails: i64 = p
        .db()
        .query_row(
            "SELECT count(*) FROM schema_migrations_log WHERE action = 'fail' AND version = 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fails, 1);
}

#[test]
fn syntax_error_points_at_the_column() {
    let p = Project::new();
    p.pair(
        "1",
        "typo",
        "CREATE TABLE a (id INTEGER);\nCREATE TABLEE b (id INTEGER);\n",
        "",
    );
    let out = p.run(&["up"]);
    out.code(1)
        .stderr_has("1_typo.up.sql:2:")
        .stderr_has("CREATE TABLEE b");
    assert!(p.tables().is_empty());
}

#[test]
fn bad_limit_argument_is_named() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "two"])
        .code(2)
        .stderr_has("can't read limit argument N");
}

#[test]
fn unknown_url_scheme_is_a_clear_error() {
    let p = Project::new();
    three(&p);
    let mut cmd = p.bare();
    cmd.args(["-path", "migrations", "-database", "oracle://x/y", "up"]);
    let out = crate::support::output(cmd);
    assert_ne!(out.code, 0);
    out.stderr_has("oracle");
}
