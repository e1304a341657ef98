//! `strata verify` against a real PostgreSQL server: a folder of deliberately broken downs,
//! each reported in words; correct pairs report nothing; the target is left unchanged.

use crate::pg::pg;

/// Correct pairs and broken downs, in order.
fn broken_folder(p: &crate::support::Project) {
    p.pair(
        "1",
        "base",
        "CREATE TYPE mood AS ENUM ('a', 'b');\n\
         CREATE TABLE users (id int PRIMARY KEY, userid int, type text, created timestamptz);\n\
         CREATE INDEX idx_a ON users (userid);\n\
         CREATE TABLE o9 (a int, b int);\n",
        "DROP TABLE o9;\nDROP TABLE users;\nDROP TYPE mood;\n",
    );
    p.pair(
        "2",
        "table_left",
        "CREATE TABLE groupchannels (id int);\n",
        "SELECT 1;\n",
    );
    p.pair(
        "3",
        "index_moved",
        "DROP INDEX idx_a;\nCREATE INDEX idx_a ON users (type);\n",
        "DROP INDEX idx_a;\nCREATE INDEX idx_a ON users (type);\n",
    );
    p.pair(
        "4",
        "default",
        "ALTER TABLE users ALTER COLUMN created SET DEFAULT now();\n",
        "SELECT 1;\n",
    );
    p.pair(
        "5",
        "not_null",
        "ALTER TABLE users ALTER COLUMN type SET NOT NULL;\n",
        "SELECT 1;\n",
    );
    p.pair(
        "6",
        "enum_value",
        "ALTER TYPE mood ADD VALUE 'c';\n",
        "SELECT 1;\n",
    );
    p.pair(
        "7",
        "extension",
        "CREATE EXTENSION IF NOT EXISTS citext;\n",
        "SELECT 1;\n",
    );
    p.pair(
        "8",
        "column_order",
        "ALTER TABLE o9 DROP COLUMN a;\n",
        "ALTER TABLE o9 ADD COLUMN a int;\n",
    );
    p.pair(
        "9",
        "good",
        "CREATE TABLE good (id int);\n",
        "DROP TABLE good;\n",
    );
    p.file("10_no_down.up.sql", "CREATE TABLE nodown (id int);\n");
    p.pair(
        "11",
        "reup_fails",
        "INSERT INTO users (id, type) VALUES (11, 'x');\n",
        "SELECT 1;\n",
    );
}

#[test]
fn verify_reports_each_broken_down_in_words_and_changes_nothing() {
    let pg = pg!();
    broken_folder(&pg.p);
    let out = pg.run(&["verify"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let s = &out.stdout;
    for line in [
        "1/u base: ok",
        "FAILED 2/u table_left: down does not restore",
        "    table groupchannels is left behind",
        "FAILED 3/u index_moved: down does not restore",
        "    index idx_a is on (type), was on (userid)",
        "FAILED 4/u default: down does not restore",
        "    column users.created default now(), was NULL",
        "FAILED 5/u not_null: down does not restore",
        "    column users.type is NOT NULL, was nullable",
        "FAILED 6/u enum_value: down does not restore",
        "    enum mood has values ('a', 'b', 'c'), was ('a', 'b')",
        "FAILED 7/u extension: down does not restore",
        "    extension citext is left behind",
        "8/u column_order: only column order differs",
        "    table o9 has its columns in another order: (b, a), was (a, b)",
        "9/u good: ok",
        "10/u no_down: no down part",
        "FAILED 11/u reup_fails: re-up fails after down",
        "duplicate key value violates unique constraint \"users_pkey\"",
    ] {
        assert!(s.contains(line), "missing {line:?} in:\n{s}");
    }
    // Nothing else is reported for the correct pairs.
    let block = |from: &str| {
        s[s.find(from).unwrap()..]
            .lines()
            .nth(1)
            .unwrap_or("")
            .to_string()
    };
    assert!(!block("1/u base: ok").starts_with("    "), "{s}");
    assert!(!block("9/u good: ok").starts_with("    "), "{s}");
    // Rolled back: nothing is left on the target, not even Strata's tables.
    let mut c = pg.db.client();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let types: i64 = c
        .query_one("SELECT count(*) FROM pg_type WHERE typname = 'mood'", &[])
        .unwrap()
        .get(0);
    assert_eq!(types, 0);
    let ext: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_extension WHERE extname = 'citext'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(ext, 0);
}

#[test]
fn verify_strict_fails_on_column_order_and_json_has_one_entry_per_migration() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "t",
        "CREATE TABLE o (a int, b int);\n",
        "DROP TABLE o;\n",
    );
    pg.p.pair(
        "2",
        "order",
        "ALTER TABLE o DROP COLUMN a;\n",
        "ALTER TABLE o ADD COLUMN a int;\n",
    );
    let out = pg.run(&["verify"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("2/u order: only column order differs"),
        "{}",
        out.stdout
    );
    let out = pg.run(&["verify", "--strict", "--format", "json"]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(v["migrations"][0]["result"], "ok");
    assert_eq!(v["migrations"][1]["result"], "only column order differs");
    assert_eq!(v["migrations"][1]["failed"], true);
}

#[test]
fn verify_only_pending_and_no_transaction_ones_on_a_scratch_database() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    pg.run(&["up"]).ok();
    pg.p.pair(
        "2",
        "concurrently",
        "CREATE INDEX CONCURRENTLY t_a ON t (a);\n",
        "SELECT 1;\n",
    );
    // On the target: refused (not verified), nothing run.
    let out = pg.run(&["verify"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("1/u"), "{}", out.stdout);
    assert!(
        out.stdout.contains("2/u concurrently: not verified"),
        "{}",
        out.stdout
    );
    // On a scratch database: the whole folder, the index left behind found.
    let admin = pg.db.server().unwrap().admin_url.clone();
    let out = pg.run(&["verify", "--scratch", &admin]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1/u t: ok"), "{}", out.stdout);
    assert!(
        out.stdout.contains("    index t_a is left behind"),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_on_target_runs_no_transaction_ones_and_leaves_the_target_as_found() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    pg.run(&["up"]).ok();
    pg.p.pair(
        "2",
        "concurrently",
        "CREATE INDEX CONCURRENTLY t_b ON t (a);\n",
        "DROP INDEX CONCURRENTLY t_b;\n",
    );
    let out = pg.run(&["verify", "--on-target"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("2/u concurrently: ok"),
        "{}",
        out.stdout
    );
    // The down ran again at the end: no index, and the ledger still has only 1.
    let n: i64 = pg
        .db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 't_b'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    assert_eq!(pg.ledger_versions(), [1]);
}
