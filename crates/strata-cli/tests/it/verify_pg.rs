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

/// The schema the catalog-mark test changes, one kind of object at a time.
const MARK_BASE: &str = "
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE users (id int PRIMARY KEY, name text, ref int, created timestamptz);
CREATE TABLE child (id int PRIMARY KEY, user_id int REFERENCES users (id));
CREATE INDEX users_name ON users (name);
CREATE SEQUENCE counter;
CREATE VIEW named AS SELECT id, name FROM users;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
";

/// An unchanged catalog mark proves a full snapshot would show no difference: every kind of
/// change `verify` compares moves the mark (the full diff agrees it is a change), and a
/// transaction that changed no schema, or made objects and dropped them again, keeps it.
#[test]
fn an_unchanged_catalog_mark_means_an_empty_full_diff() {
    use strata_core::schema::diff;
    let pg = pg!();
    let url = strata_drivers::DatabaseUrl::parse(&pg.db.url).unwrap();
    let opts = strata_drivers::ConnectOptions::default();
    let mut s = strata_drivers::schema::open(&url, &opts, false).unwrap();
    s.execute(MARK_BASE).unwrap();
    let changes = [
        "CREATE TABLE t2 (a int)",
        "DROP TABLE child",
        "ALTER TABLE users RENAME TO people",
        "ALTER TABLE users ADD COLUMN extra int",
        "ALTER TABLE users RENAME COLUMN name TO full_name",
        "ALTER TABLE users ALTER COLUMN ref TYPE bigint",
        "ALTER TABLE users ALTER COLUMN created SET DEFAULT now()",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
        "ALTER TABLE users ADD CONSTRAINT ref_pos CHECK (ref > 0)",
        "ALTER TABLE users ADD CONSTRAINT name_u UNIQUE (name)",
        "ALTER TABLE child DROP CONSTRAINT child_user_id_fkey",
        "DROP INDEX users_name",
        "CREATE INDEX users_ref ON users (ref)",
        "COMMENT ON TABLE users IS 'people'",
        "COMMENT ON COLUMN users.name IS 'full name'",
        "ALTER TYPE mood ADD VALUE 'c'",
        "ALTER DOMAIN posint SET DEFAULT 1",
        "CREATE TYPE pair AS (a int, b int)",
        "CREATE EXTENSION IF NOT EXISTS citext",
        "CREATE SCHEMA other",
        "ALTER SEQUENCE counter INCREMENT BY 5",
        "CREATE OR REPLACE VIEW named AS SELECT id, name, ref FROM users",
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.ref := 1; RETURN NEW; END $$",
        "DROP TRIGGER users_touch ON users",
        "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY mine ON users USING (id > 0)",
    ];
    for change in changes {
        s.execute("BEGIN").unwrap();
        let mark = s.catalog_mark().unwrap().expect("PostgreSQL takes marks");
        let before = s.snapshot().unwrap();
        s.execute(change).unwrap();
        let unchanged = s.catalog_unchanged(&mark).unwrap();
        let differences = diff(&before, &s.snapshot().unwrap());
        assert!(!differences.is_empty(), "the full diff sees {change}");
        assert!(!unchanged, "the mark moves on {change}");
        s.execute("ROLLBACK").unwrap();
    }
    let no_schema_change = [
        "SELECT 1",
        "INSERT INTO users VALUES (1, 'a', 1, now()); SELECT nextval('counter')",
        "CREATE TABLE tmp (a int PRIMARY KEY, b int); CREATE INDEX ON tmp (b); DROP TABLE tmp",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'; DROP FUNCTION f()",
        "SAVEPOINT sp; CREATE TYPE t AS ENUM ('x'); ROLLBACK TO SAVEPOINT sp; RELEASE SAVEPOINT sp",
    ];
    for same in no_schema_change {
        s.execute("BEGIN").unwrap();
        let mark = s.catalog_mark().unwrap().expect("PostgreSQL takes marks");
        let before = s.snapshot().unwrap();
        s.execute(same).unwrap();
        let unchanged = s.catalog_unchanged(&mark).unwrap();
        assert_eq!(diff(&before, &s.snapshot().unwrap()), vec![], "{same}");
        assert!(unchanged, "the mark stays on {same}");
        s.execute("ROLLBACK").unwrap();
    }
}
