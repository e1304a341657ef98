//! Batching on PostgreSQL (issue 5): consecutive transactional migrations travel together in
//! one message, each in its own transaction; round trips are counted, not timed. After a
//! failure inside a batch the earlier migrations stay applied and the error still names the
//! failing file and line. `--single-transaction` applies everything or nothing.

use crate::pg::{pg, Pg};
use crate::support::Output;

/// `n` migrations, each a table, a row and a plpgsql function whose `$$` body has semicolons.
fn many(pg: &Pg, n: usize) {
    for v in 1..=n {
        pg.p.pair(
            &format!("{v:06}"),
            &format!("m{v}"),
            &format!(
                "CREATE TABLE t{v} (id int PRIMARY KEY, note text);\n\
                 INSERT INTO t{v} VALUES (1, 'a;b');\n\
                 CREATE FUNCTION f{v}() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN {v}; END; $$;\n"
            ),
            &format!("DROP FUNCTION f{v}();\nDROP TABLE t{v};\n"),
        );
    }
}

/// The count printed by `-verbose`.
fn round_trips(out: &Output) -> u64 {
    let line = out
        .stderr
        .lines()
        .find(|l| l.ends_with("round trip(s) to the database"))
        .unwrap_or_else(|| panic!("no round-trip line:\n{}", out.stderr));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

fn count(pg: &Pg, sql: &str) -> i64 {
    pg.db.client().query_one(sql, &[]).unwrap().get(0)
}

fn user_tables(pg: &Pg) -> i64 {
    count(
        pg,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name NOT LIKE 'schema\\_migrations%'",
    )
}

#[test]
fn pg_round_trips_grow_with_batches_not_with_migrations() {
    let small = pg!();
    many(&small, 20);
    let out = small.run(&["-verbose", "up"]);
    out.ok().stderr_has("20/u m20 (");
    let for_20 = round_trips(&out);

    let large = pg!();
    many(&large, 300);
    let out = large.run(&["-verbose", "up"]);
    out.ok().stderr_has("300/u m300 (");
    let for_300 = round_trips(&out);

    // 300 migrations: one message per BATCH_LIMIT of them instead of one; everything else
    // (connect, lock, ledger reads) is the same.
    let messages_300 = 300u64.div_ceil(strata_drivers::postgres::batch::BATCH_LIMIT as u64);
    assert_eq!(
        for_300,
        for_20 + messages_300 - 1,
        "20: {for_20}, 300: {for_300}"
    );
    assert!(for_300 <= 30, "300 migrations took {for_300} round trips");
    assert_eq!(user_tables(&large), 300);
    assert_eq!(
        count(&large, "SELECT count(*) FROM schema_migrations_ledger"),
        300
    );
    assert_eq!(large.compat(), [(300, false)]);
    // Each migration committed on its own, in order, with its own log entry.
    assert_eq!(
        count(
            &large,
            "SELECT count(DISTINCT xmin::text) FROM schema_migrations_ledger"
        ),
        300
    );
    assert_eq!(
        count(
            &large,
            "SELECT count(*) FROM (SELECT version, lag(version) OVER (ORDER BY id) AS prev \
             FROM schema_migrations_log WHERE action = 'up') s WHERE version <= prev"
        ),
        0,
        "log entries are in version order"
    );
    assert_eq!(count(&large, "SELECT f300()::bigint"), 300);

    // Down travels in batches too.
    let out = large.run(&["-verbose", "down", "-all"]);
    out.ok().stderr_has("1/d m1 (");
    assert!(round_trips(&out) <= 30, "{}", out.stderr);
    assert_eq!(user_tables(&large), 0);
    assert!(large.compat().is_empty());
}

#[test]
fn pg_each_batched_migration_gets_its_own_server_measured_duration() {
    let pg = pg!();
    pg.p.pair("1", "quick", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "slow", "SELECT pg_sleep(1);", "SELECT 1;");
    pg.p.pair("3", "after", "CREATE TABLE c (id int);", "DROP TABLE c;");
    pg.run(&["up"]).ok();
    let ms = |v: i64| -> i64 {
        pg.db
            .client()
            .query_one(
                "SELECT duration_ms FROM schema_migrations_ledger WHERE version = $1",
                &[&v],
            )
            .unwrap()
            .get(0)
    };
    assert!(ms(2) >= 1000, "the sleeping migration took {} ms", ms(2));
    // Had the timer not restarted per migration, the next one would carry the sleep.
    assert!(ms(3) < 1000, "migration 3 was charged {} ms", ms(3));
}

#[test]
fn pg_a_migration_resetting_the_session_is_applied_and_timed() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "reset",
        "RESET ALL;\nSELECT pg_sleep(0.3);\nCREATE TABLE b (id int);\n",
        "RESET ALL;\nDROP TABLE b;\n",
    );
    pg.p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    let durations = || -> (i64, i64) {
        let mut c = pg.db.client();
        let ledger: i64 = c
            .query_one(
                "SELECT duration_ms FROM schema_migrations_ledger WHERE version = 2",
                &[],
            )
            .unwrap()
            .get(0);
        let log: i64 = c
            .query_one(
                "SELECT duration_ms FROM schema_migrations_log WHERE version = 2 AND action = 'up' \
                 ORDER BY id DESC LIMIT 1",
                &[],
            )
            .unwrap()
            .get(0);
        (ledger, log)
    };
    // In a batch, alone, and in one transaction.
    for args in [&["up"][..], &["up", "1"], &["-single-transaction", "up"]] {
        if args == ["up", "1"] {
            pg.run(&["up", "1"]).ok().stderr_has("1/u a (");
            pg.run(&["up", "1"]).ok().stderr_has("2/u reset (");
        }
        pg.run(if args == ["up", "1"] { &["up"] } else { args })
            .ok()
            .stderr_has("3/u c (");
        assert_eq!(pg.compat(), [(3, false)], "{args:?}");
        let (ledger, log) = durations();
        assert!(ledger >= 300, "{args:?}: migration 2 took {ledger} ms");
        assert_eq!(ledger, log, "{args:?}: ledger and log agree");
        pg.run(&["down", "-all"]).ok().stderr_has("2/d reset (");
    }
}

#[test]
fn pg_a_runtime_error_inside_a_batch_keeps_the_earlier_migrations_and_names_the_line() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    pg.p.pair(
        "3",
        "c",
        "CREATE TABLE c (id int);\nINSERT INTO c VALUES (1);\nSELECT 1 / 0;\n",
        "DROP TABLE c;",
    );
    pg.p.pair("4", "d", "CREATE TABLE d (id int);", "DROP TABLE d;");
    pg.run(&["up"])
        .code(1)
        .stderr_has("1/u a (")
        .stderr_has("2/u b (")
        .stderr_has("3_c.up.sql:3")
        .stderr_has("division by zero");
    assert_eq!(pg.tables(), ["a", "b"]);
    assert_eq!(pg.ledger_versions(), [1, 2]);
    assert_eq!(pg.compat(), [(2, false)]);
    assert_eq!(
        count(
            &pg,
            "SELECT count(*) FROM schema_migrations_log WHERE action = 'fail' AND version = 3"
        ),
        1
    );
    pg.p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    pg.run(&["up"]).ok();
    assert_eq!(pg.tables(), ["a", "b", "c", "d"]);
    assert_eq!(pg.compat(), [(4, false)]);
}

#[test]
fn pg_a_syntax_error_in_a_later_migration_does_not_stop_the_ones_before_it() {
    // The server parses a whole message before running any of it: a syntax error in migration
    // 4 refuses 1-3 too, which must then be sent again without it.
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    pg.p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    pg.p.pair(
        "4",
        "d",
        "CREATE TABLE d (id int);\n\nCREAT TABLE e (id int);\n",
        "DROP TABLE d;",
    );
    pg.p.pair("5", "f", "CREATE TABLE f (id int);", "DROP TABLE f;");
    pg.run(&["up"])
        .code(1)
        .stderr_has("3/u c (")
        .stderr_has("4_d.up.sql:3:1")
        .stderr_has("syntax error");
    assert_eq!(pg.tables(), ["a", "b", "c"]);
    assert_eq!(pg.ledger_versions(), [1, 2, 3]);
    assert_eq!(pg.compat(), [(3, false)]);
}

#[test]
fn pg_notices_of_batched_migrations_are_reported_under_their_own_migration() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "b",
        "DO $$ BEGIN RAISE NOTICE 'hello from two'; END $$;",
        "SELECT 1;",
    );
    pg.p.pair(
        "3",
        "c",
        "CREATE TABLE IF NOT EXISTS a (id int);",
        "SELECT 1;",
    );
    pg.run(&["up"])
        .ok()
        .stderr_has("notice (2): NOTICE: hello from two")
        .stderr_has("notice (3): NOTICE: relation \"a\" already exists, skipping")
        .never_shows("strata-batch-item");
}

#[test]
fn pg_single_transaction_applies_all_in_one_transaction_or_nothing() {
    let pg = pg!();
    many(&pg, 5);
    pg.p.pair(
        "000006",
        "bad",
        "CREATE TABLE t6 (id int);\nSELECT 1 / 0;\n",
        "DROP TABLE t6;",
    );
    pg.run(&["-single-transaction", "up"])
        .code(1)
        .stderr_has("000006_bad.up.sql:2")
        .stderr_has("division by zero");
    assert_eq!(user_tables(&pg), 0, "nothing stays applied");
    assert!(pg.ledger_versions().is_empty());
    assert!(pg.compat().is_empty());

    pg.p.remove("000006_bad.up.sql");
    pg.p.remove("000006_bad.down.sql");
    pg.run(&["--single-transaction", "up"])
        .ok()
        .stderr_has("5/u m5 (");
    assert_eq!(user_tables(&pg), 5);
    assert_eq!(pg.compat(), [(5, false)]);
    assert_eq!(
        count(
            &pg,
            "SELECT count(DISTINCT xmin::text) FROM schema_migrations_ledger"
        ),
        1,
        "one transaction wrote every ledger row"
    );
}

#[test]
fn pg_single_transaction_refuses_a_migration_that_cannot_run_in_a_transaction() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "idx",
        "CREATE INDEX CONCURRENTLY a_id ON a (id);",
        "DROP INDEX a_id;",
    );
    pg.run(&["-single-transaction", "up"])
        .code(1)
        .stderr_has("--single-transaction: migration 2/u idx cannot run inside the one transaction")
        .stderr_has("CREATE INDEX CONCURRENTLY");
    assert!(pg.tables().is_empty());
    assert!(pg.ledger_versions().is_empty());
}

#[test]
fn pg_unterminated_script_is_never_batched_with_its_neighbours() {
    // An unterminated comment would swallow the next migration if they shared a message.
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair(
        "2",
        "b",
        "CREATE TABLE b (id int); /* never closed",
        "SELECT 1;",
    );
    pg.p.pair("3", "c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    pg.run(&["up"]).code(1).stderr_has("2_b.up.sql");
    assert_eq!(pg.tables(), ["a"]);
    assert_eq!(pg.ledger_versions(), [1]);
    assert_eq!(pg.compat(), [(1, false)]);
}

#[test]
fn pg_a_copy_migration_runs_alone_between_batches() {
    // COPY data needs the copy sub-protocol, so that migration cannot share a message.
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    pg.p.pair(
        "3",
        "rows",
        "CREATE TABLE r (id int, note text);\nCOPY r (id, note) FROM stdin;\n1\ta;b\n2\t$$\n3\t\\N\n\\.\nINSERT INTO r VALUES (4, 'after');\n",
        "DROP TABLE r;",
    );
    pg.p.pair("4", "d", "CREATE TABLE d (id int);", "DROP TABLE d;");
    pg.p.pair("5", "e", "CREATE TABLE e (id int);", "DROP TABLE e;");
    pg.run(&["up"]).ok().stderr_has("5/u e (");
    assert_eq!(pg.tables(), ["a", "b", "d", "e", "r"]);
    assert_eq!(count(&pg, "SELECT count(*) FROM r"), 4);
    assert_eq!(count(&pg, "SELECT count(*) FROM r WHERE note IS NULL"), 1);
    assert_eq!(pg.ledger_versions(), [1, 2, 3, 4, 5]);
    assert_eq!(pg.compat(), [(5, false)]);
}

#[test]
fn pg_a_session_reading_the_version_does_not_block_a_migration() {
    // Dashboards and app health checks read schema_migrations inside long transactions. The
    // row is replaced with DELETE + INSERT (not TRUNCATE, whose ACCESS EXCLUSIVE lock would
    // wait for that reader), so the run completes while the reader's transaction stays open.
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.run(&["up"]).ok();
    pg.p.pair("2", "b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    let mut reader = pg.db.client();
    reader
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT version FROM schema_migrations;",
        )
        .unwrap();
    // Without the fix this would wait for `reader` until the lock timeout below.
    pg.run_with("lock_timeout=3000", &["up"])
        .ok()
        .stderr_has("2/u b (");
    let seen: i64 = reader
        .query_one("SELECT version FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(seen, 1, "the reader's snapshot still shows the old row");
    reader.batch_execute("COMMIT").unwrap();
    assert_eq!(pg.compat(), [(2, false)]);
}

#[test]
fn sqlite_refuses_single_transaction_before_anything_runs() {
    let p = crate::support::Project::new();
    crate::support::three(&p);
    for args in [
        &["-single-transaction", "up"][..],
        &["--single-transaction", "down", "-all"],
    ] {
        p.run(args)
            .code(2)
            .stderr_has("--single-transaction is not available for SQLite");
    }
    assert!(!p.db_path().exists(), "nothing was opened");
}
