//! Reading the migrations folder as a user sees it: other tools' names, files that match no
//! layout, hostile names, drift of either file of a pair, and the status summary.

use crate::support::{three, Project};

#[test]
fn dash_named_files_of_sql_migrate_and_npm_sqlite_are_applied() {
    let p = Project::new();
    p.file(
        "001-initial.sql",
        "--------------------------------------------------------------------------------\n\
         -- Up\n\
         --------------------------------------------------------------------------------\n\
         CREATE TABLE a (id INTEGER);\n\
         --------------------------------------------------------------------------------\n\
         -- Down\n\
         --------------------------------------------------------------------------------\n\
         DROP TABLE a;\n",
    );
    p.file(
        "20240101120000-add_b.sql",
        "-- +migrate Up\nCREATE TABLE b (id INTEGER);\n-- +migrate Down\nDROP TABLE b;\n",
    );
    p.run(&["up"])
        .ok()
        .stderr_has("1/u initial")
        .stderr_has("20240101120000/u add_b");
    assert_eq!(p.tables(), ["a", "b"]);
    p.run(&["validate"])
        .ok()
        .stdout_has("ok: 2 migration file(s) match the database");
    p.run(&["down", "1"]).ok();
    assert_eq!(p.tables(), ["a"]);
}

#[test]
fn files_that_match_no_layout_are_warned_about_never_run_and_fail_validate() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.file("4_y.UP.sql", "CREATE TABLE y (id INTEGER);");
    p.file("5.up.sql", "CREATE TABLE z (id INTEGER);");
    p.file("2024-01-01-notes.sql", "DROP TABLE a;");
    p.file("README.md", "# not a migration, not a warning");
    let up = p.run(&["up"]);
    up.ok()
        .stderr_has("warning: migrations/4_y.UP.sql is not read as a migration: ")
        .stderr_has("rename it to 4_y.up.sql")
        .stderr_has("warning: migrations/5.up.sql is not read as a migration: ")
        .stderr_has(
            "warning: migrations/2024-01-01-notes.sql is not read as a migration: has no markers",
        );
    assert!(!up.stderr.contains("README"), "{}", up.stderr);
    assert_eq!(p.tables(), ["a"]);
    assert_eq!(p.ledger_versions(), [1]);

    p.run(&["validate"])
        .code(3)
        .stdout_has("3 file(s) look like migrations but match no layout")
        .stderr_has("warning: migrations/4_y.UP.sql");
    let json = p.run(&["validate", "--format", "json"]);
    json.code(3);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["warnings"][1]["path"], "migrations/4_y.UP.sql");
    p.run(&["status"])
        .ok()
        .stderr_has("warning: migrations/5.up.sql");
}

#[test]
fn control_characters_in_names_are_refused_and_outside_text_is_printed_escaped() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.run(&["up"]).ok();
    p.file("000002_new\nline.down.sql", "DROP TABLE a;");
    let up = p.run(&["up"]);
    up.code(1).stderr_has(
        "migrations/000002_new\\nline.down.sql: the file name contains the control character U+000A; rename the file",
    );
    assert!(!up.stderr.contains("new\nline"), "{}", up.stderr);
    assert_eq!(p.tables(), ["a"]);
    p.remove("000002_new\nline.down.sql");

    // Names read from the database reach the terminal escaped.
    p.db()
        .execute(
            "UPDATE schema_migrations_ledger SET name = 'a\u{1b}[2J', applied_by = 'x\ny'",
            [],
        )
        .unwrap();
    p.remove("1_a.up.sql");
    p.remove("1_a.down.sql");
    let status = p.run(&["status"]);
    status
        .ok()
        .stdout_has("a\\u{1b}[2J")
        .stdout_has("x\\ny")
        .never_shows("\u{1b}");
    p.run(&["validate"])
        .code(3)
        .stdout_has("migration 1 (a\\u{1b}[2J) is applied but its file is missing")
        .never_shows("\u{1b}");
}

#[test]
fn an_edited_or_deleted_down_file_is_drift_and_down_refuses_to_run_it() {
    let p = Project::new();
    three(&p);
    p.run(&["up"]).ok();
    p.file("000003_create_c.down.sql", "DROP TABLE c; DROP TABLE a;");
    p.remove("000002_create_b.down.sql");

    let validate = p.run(&["validate"]);
    validate
        .code(3)
        .stdout_has("the down file of migration 2 (create_b) was deleted after the migration was applied")
        .stdout_has("the down file migrations/000003_create_c.down.sql of migration 3 (create_c) was edited after the migration was applied")
        .stdout_has("strata accept 3");
    p.run(&["status"])
        .ok()
        .stdout_has("down-missing")
        .stdout_has("down-edited")
        .stdout_has("version 3; 0 not applied; 1 down-edited, 1 down-missing");
    // `down` refuses to run the edited file; nothing changes.
    p.run(&["down", "1"])
        .code(3)
        .stderr_has("the down file migrations/000003_create_c.down.sql of migration 3");
    assert_eq!(p.tables(), ["a", "b", "c"]);
    // `up` runs no down file: it goes on.
    p.pair(
        "000004",
        "create_d",
        "CREATE TABLE d (id INTEGER);",
        "DROP TABLE d;",
    );
    p.run(&["up"]).ok().stderr_has("4/u create_d");
    // Accepting the edit records the down file as it is now.
    p.run(&["accept", "3"])
        .ok()
        .stderr_has("accepted 3: its down file is recorded as it is now");
    p.run(&["down", "2"]).ok();
    assert_eq!(p.tables(), ["b"]);

    // Deleting an applied pair's up file leaves its down file: the migration is missing.
    p.remove("000001_create_a.up.sql");
    p.run(&["validate"])
        .code(3)
        .stdout_has("migration 1 (create_a) is applied but its file is missing")
        .never_shows("was edited");
    p.run(&["status"]).ok().stdout_has("1 missing");
}

#[test]
fn a_ledger_written_before_down_checksums_is_read_as_is_and_upgraded_by_up() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    // Make the ledger look like an older Strata's: no down_checksum column.
    p.db()
        .execute_batch("ALTER TABLE schema_migrations_ledger DROP COLUMN down_checksum;")
        .unwrap();
    let has_column = |p: &Project| -> bool {
        p.db()
            .query_row(
                "SELECT count(*) FROM pragma_table_info('schema_migrations_ledger') WHERE name = 'down_checksum'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            > 0
    };
    // Its rows have no down checksum: an edited down file is not reported for them.
    p.file("000001_create_a.down.sql", "DROP TABLE a; -- edited");
    p.run(&["status"])
        .ok()
        .stdout_has("version 2; 1 not applied\n");
    p.run(&["validate"]).ok();
    assert!(!has_column(&p), "read-only commands change nothing");
    p.run(&["up"]).ok().stderr_has("3/u create_c");
    assert!(has_column(&p));
    // Rows written from now on carry it.
    p.file("000003_create_c.down.sql", "DROP TABLE c; -- edited");
    p.run(&["validate"])
        .code(3)
        .stdout_has("migration 3 (create_c)");
}

#[test]
fn status_counts_an_applied_edited_file_as_applied() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "2"]).ok();
    p.file(
        "000002_create_b.up.sql",
        "CREATE TABLE b (id INTEGER, x INTEGER);",
    );
    p.run(&["status"])
        .ok()
        .stdout_has("version 2; 1 not applied; 1 edited\n");
    p.run(&["accept", "2"]).ok();
    p.run(&["up"]).ok();
    p.run(&["status"])
        .ok()
        .stdout_has("version 3; 0 not applied\n");
}

#[test]
fn postgres_records_the_down_file_in_a_batch_and_refuses_to_run_it_edited() {
    let pg = crate::pg::pg!();
    three(&pg.p);
    pg.run(&["up"]).ok();
    let downs: Vec<Option<String>> = pg
        .db
        .client()
        .query(
            "SELECT down_checksum FROM schema_migrations_ledger ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        downs.len() == 3
            && downs
                .iter()
                .all(|d| d.as_ref().is_some_and(|d| d.len() == 64)),
        "{downs:?}"
    );
    pg.p.file("000003_create_c.down.sql", "DROP TABLE c; DROP TABLE a;");
    pg.run(&["down", "1"]).code(3).stderr_has(
        "the down file migrations/000003_create_c.down.sql of migration 3 (create_c) was edited",
    );
    pg.run(&["status"]).ok().stdout_has("1 down-edited");
    pg.run(&["accept", "3"]).ok();
    pg.run(&["down", "1"]).ok();
    pg.run(&["validate"]).ok();
}
