//! Every migration layout teams already have, applied and reverted through the binary.

use crate::support::Project;

#[test]
fn marker_file_up_down_sections_apply_and_revert() {
    let p = Project::new();
    p.file(
        "001_users.sql",
        "-- UP\nCREATE TABLE users (id INTEGER);\n-- DOWN\nDROP TABLE users;\n",
    );
    p.run(&["up"]).ok().stderr_has("1/u users");
    assert_eq!(p.tables(), ["users"]);
    p.run(&["down", "1"]).ok();
    assert!(p.tables().is_empty());
}

#[test]
fn sql_migrate_file_with_statement_block_applies_and_reverts() {
    let p = Project::new();
    p.file(
        "1_triggers.sql",
        "-- +migrate Up\nCREATE TABLE t (id INTEGER, n INTEGER);\n\
         -- +migrate StatementBegin\nCREATE TRIGGER bump AFTER INSERT ON t BEGIN\n  UPDATE t SET n = 1;\nEND;\n-- +migrate StatementEnd\n\
         -- +migrate Down\nDROP TABLE t;\n",
    );
    p.run(&["up"]).ok();
    p.db().execute("INSERT INTO t (id) VALUES (1)", []).unwrap();
    let n: i64 = p
        .db()
        .query_row("SELECT n FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the trigger body was applied whole");
    p.run(&["down", "-all"]).ok();
    assert!(p.tables().is_empty());
}

#[test]
fn dbmate_file_applies_and_reverts() {
    let p = Project::new();
    p.file(
        "20240101120000_create_posts.sql",
        "-- migrate:up\nCREATE TABLE posts (id INTEGER);\nINSERT INTO posts VALUES (1);\n\n-- migrate:down\nDROP TABLE posts;\n",
    );
    p.run(&["up"])
        .ok()
        .stderr_has("20240101120000/u create_posts");
    assert_eq!(p.tables(), ["posts"]);
    p.run(&["down", "1"]).ok();
    assert!(p.tables().is_empty());
}

#[test]
fn goose_file_applies_and_reverts() {
    let p = Project::new();
    p.file(
        "00002_add_tags.sql",
        "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE tags (id INTEGER);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE tags;\n",
    );
    p.run(&["up"]).ok();
    assert_eq!(p.tables(), ["tags"]);
    p.run(&["down", "1"]).ok();
    assert!(p.tables().is_empty());
}

#[test]
fn legacy_up_only_files_apply_in_order_and_refuse_down() {
    let p = Project::new();
    p.file("00_schema.sql", "CREATE TABLE base (id INTEGER);");
    p.file(
        "01_users.sql",
        "CREATE TABLE users (base_id INTEGER REFERENCES base(id));",
    );
    p.run(&["up"])
        .ok()
        .stderr_has("0/u schema")
        .stderr_has("1/u users");
    assert_eq!(p.tables(), ["base", "users"]);
    p.run(&["down", "1"]).code(3).stderr_has("has no down part");
    assert_eq!(p.tables(), ["base", "users"], "nothing reverted");
}

#[test]
fn mixed_layouts_in_one_folder_run_in_version_order() {
    let p = Project::new();
    p.pair("1", "a", "CREATE TABLE a (id INTEGER);", "DROP TABLE a;");
    p.file(
        "2_b.sql",
        "-- migrate:up\nCREATE TABLE b (id INTEGER);\n-- migrate:down\nDROP TABLE b;\n",
    );
    p.file(
        "3_c.sql",
        "-- +goose Up\nCREATE TABLE c (id INTEGER);\n-- +goose Down\nDROP TABLE c;\n",
    );
    p.run(&["up"]).ok();
    assert_eq!(p.compat(), Some((3, false)));
    p.run(&["down", "-all"]).ok();
    assert!(p.tables().is_empty());
}

#[test]
fn crlf_and_bom_files_apply_and_share_the_lf_checksum() {
    let p = Project::new();
    p.file(
        "1_a.up.sql",
        "\u{feff}CREATE TABLE a (id INTEGER);\r\nCREATE TABLE b (id INTEGER);\r\n",
    );
    p.file("1_a.down.sql", "DROP TABLE b;\r\nDROP TABLE a;\r\n");
    p.run(&["up"]).ok();
    // Converting the file to LF without BOM is not drift.
    p.file(
        "1_a.up.sql",
        "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n",
    );
    p.run(&["up"]).ok().stderr_has("no change");
}
