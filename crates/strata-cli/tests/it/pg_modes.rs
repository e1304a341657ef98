//! Execution modes on PostgreSQL through the binary: transactional, no-transaction (declared or
//! required by the SQL), self-managed; failures, statement timeouts, server notices.

use crate::pg::pg;

#[test]
fn pg_transactional_dollar_quoted_function_full_of_semicolons_works() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "fn",
        "CREATE TABLE t (x int);\n\
         CREATE FUNCTION add_rows(n int) RETURNS int LANGUAGE plpgsql AS $$\n\
         DECLARE i int; total int := 0;\n\
         BEGIN\n\
           FOR i IN 1..n LOOP\n\
             INSERT INTO t VALUES (i);\n\
             total := total + i;\n\
           END LOOP;\n\
           RETURN total;\n\
         END;\n\
         $$;\n\
         SELECT add_rows(3);\n",
        "DROP FUNCTION add_rows(int); DROP TABLE t;",
    );
    pg.run(&["up"]).ok().stderr_has("1/u fn (");
    let mut c = pg.db.client();
    let n: i64 = c.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
    assert_eq!(n, 3);
    let total: i32 = c.query_one("SELECT add_rows(2)", &[]).unwrap().get(0);
    assert_eq!(total, 3);
    assert_eq!(pg.ledger()[0].2, "transaction");
    pg.run(&["down", "1"]).ok();
    assert!(pg.tables().is_empty());
}

#[test]
fn pg_create_index_concurrently_next_to_other_statements_runs_without_transaction() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (x int, y int);", "DROP TABLE t;");
    pg.p.pair(
        "2",
        "index",
        "INSERT INTO t VALUES (1, 2), (3, 4);\n\
         CREATE INDEX CONCURRENTLY t_x ON t (x);\n\
         CREATE INDEX CONCURRENTLY t_y ON t (y);\n\
         UPDATE t SET y = y + 1;\n",
        "DROP INDEX CONCURRENTLY t_y;\nDROP INDEX CONCURRENTLY t_x;\n",
    );
    pg.run(&["up"]).ok().stderr_has("2/u index (");
    let valid: Vec<(String, bool)> = pg
        .db
        .client()
        .query(
            "SELECT c.relname::text, i.indisvalid FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('t_x', 't_y') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(valid, [("t_x".into(), true), ("t_y".into(), true)]);
    let ledger = pg.ledger();
    assert_eq!(ledger[1].2, "no-transaction");
    assert_eq!(pg.compat(), [(2, false)]);
    pg.run(&["down", "1"]).ok();
    let left: i64 = pg
        .db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname IN ('t_x', 't_y')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_self_managed_file_with_its_own_begin_commit_runs_as_written() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "own_tx",
        "BEGIN;\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nCOMMIT;\n\
         BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n",
        "BEGIN;\nDROP TABLE b;\nDROP TABLE a;\nCOMMIT;\n",
    );
    pg.run(&["up"]).ok().stderr_has("1/u own_tx (");
    assert_eq!(pg.tables(), ["a", "b"]);
    assert_eq!(pg.ledger()[0].2, "self-managed");
    assert_eq!(pg.compat(), [(1, false)]);
    pg.run(&["down", "-all"]).ok();
    assert!(pg.tables().is_empty());
    assert_eq!(pg.compat(), []);
}

#[test]
fn pg_self_managed_failure_is_located_at_its_statement() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "own_tx",
        "BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\nSELECT 1/0;\n",
        "DROP TABLE b;\n",
    );
    let out = pg.run(&["up"]);
    out.code(1)
        .stderr_has("division by zero")
        .stderr_has("1_own_tx.up.sql:4:1")
        .stderr_has("4 | SELECT 1/0;")
        .stderr_has("left dirty at version 1");
    assert_eq!(pg.tables(), ["b"], "the file's own transaction committed");
    assert_eq!(pg.compat(), [(1, true)]);
}

#[test]
fn pg_failing_transactional_migration_leaves_no_trace() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "broken",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nINSERT INTO nope VALUES (1);\n",
        "DROP TABLE b;",
    );
    pg.run(&["up", "1"]).ok();
    let out = pg.run(&["up"]);
    out.code(1)
        .stderr_has("migration failed: 2/u broken")
        .stderr_has("relation \"nope\" does not exist")
        .stderr_has("2_broken.up.sql:3:13")
        .stderr_has("3 | INSERT INTO nope VALUES (1);")
        .stderr_has("^")
        .stderr_has("code: 42P01")
        .stderr_has("rolled back");
    assert_eq!(pg.tables(), ["a"], "b was rolled back");
    assert_eq!(pg.compat(), [(1, false)], "not dirty");
    assert_eq!(pg.ledger_versions(), [1]);
    // The next run is not refused: the database is as before, fix the file and go on.
    pg.p.file(
        "2_broken.up.sql",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n",
    );
    pg.run(&["up"]).ok().stderr_has("2/u broken (");
    assert_eq!(pg.compat(), [(2, false)]);
}

#[test]
fn pg_syntax_error_is_located_by_the_servers_position() {
    let pg = pg!();
    pg.p.file(
        "1_syntax.up.sql",
        "CREATE TABLE foo (foo text);\nCREATE TABLEE bar (bar text);\n",
    );
    pg.run(&["up"])
        .code(1)
        .stderr_has("syntax error at or near \"TABLEE\"")
        .stderr_has("1_syntax.up.sql:2:8")
        .stderr_has("code: 42601");
    assert!(pg.tables().is_empty());
    assert_eq!(pg.compat(), []);
}

#[test]
fn pg_failing_no_transaction_migration_leaves_the_dirty_state() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (x int);", "DROP TABLE t;");
    pg.p.pair(
        "2",
        "index",
        "CREATE INDEX CONCURRENTLY t_x ON t (x);\nCREATE INDEX CONCURRENTLY t_bad ON t (nope);\n",
        "DROP INDEX CONCURRENTLY IF EXISTS t_x;",
    );
    pg.run(&["up", "1"]).ok();
    pg.run(&["up"])
        .code(1)
        .stderr_has("column \"nope\" does not exist")
        .stderr_has("2_index.up.sql:2:")
        .stderr_has("left dirty at version 2");
    // golang-migrate's dirty protocol: the target version, dirty.
    assert_eq!(pg.compat(), [(2, true)]);
    assert_eq!(pg.run(&["version"]).ok().stdout, "2 (dirty)\n");
    pg.run(&["up"])
        .code(3)
        .stderr_has("error: Dirty database version 2. Fix and force version.");
    pg.run(&["down", "1"])
        .code(3)
        .stderr_has("Dirty database version 2. Fix and force version.");
    // The fix: finish by hand, force, go on.
    pg.db
        .client()
        .batch_execute("CREATE INDEX t_bad ON t (x)")
        .unwrap();
    pg.run(&["force", "2"]).ok();
    assert_eq!(pg.compat(), [(2, false)]);
    pg.run(&["up"]).ok().stderr_has("no change");
}

#[test]
fn pg_raise_notice_is_shown_with_its_migrations_version() {
    let pg = pg!();
    pg.p.file("1_a.up.sql", "CREATE TABLE a (id int);");
    pg.p.file(
        "2_notice.up.sql",
        "DO $$ BEGIN RAISE NOTICE 'hello from the migration'; END $$;",
    );
    let out = pg.run(&["up"]);
    out.ok().stderr_has("hello from the migration");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("hello from the migration"))
        .unwrap();
    assert!(line.contains("(2)"), "notice names version 2: {line}");
    // The driver's own notices ("already exists, skipping") are not shown.
    let again = pg.run(&["up"]);
    again.ok();
    assert!(!again.stderr.contains("skipping"), "{}", again.stderr);
}

#[test]
fn pg_migration_timeout_cancels_a_slow_statement_and_changes_nothing() {
    let pg = pg!();
    pg.p.file(
        "1_slow.up.sql",
        "CREATE TABLE slow (id int);\nSELECT pg_sleep(5);\n",
    );
    let mut cmd = pg.p.bare();
    cmd.env("MIGRATION_TIMEOUT", "1s")
        .args(["-path", "migrations", "-database", &pg.db.url, "up"]);
    let started = std::time::Instant::now();
    let out = crate::support::output(cmd);
    out.code(1)
        .stderr_has("canceling statement due to statement timeout")
        .stderr_has("code: 57014");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert!(pg.tables().is_empty(), "rolled back");
    assert_eq!(pg.compat(), []);
    assert!(pg.ledger_versions().is_empty());
}

#[test]
fn pg_x_multi_statement_splits_with_the_real_lexer() {
    let pg = pg!();
    pg.p.file(
        "1_multi.up.sql",
        "CREATE TABLE t (s text);\n\
         CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;\n\
         INSERT INTO t VALUES (f());\n",
    );
    pg.run_with("x-multi-statement=true", &["up"]).ok();
    let s: String = pg
        .db
        .client()
        .query_one("SELECT s FROM t", &[])
        .unwrap()
        .get(0);
    assert_eq!(s, "a;b");
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_server_notices_are_printed_with_control_characters_escaped() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "notices",
        "DO $$BEGIN RAISE NOTICE E'\\033[2Jcleared'; END$$;",
        "SELECT 1;",
    );
    let out = pg.run(&["up"]);
    out.ok().stderr_has("notice (1): NOTICE: \\u{1b}[2Jcleared");
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
}
