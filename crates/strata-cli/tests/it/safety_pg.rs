//! Production safety on a real PostgreSQL server (issue 7 parts 3–6): per-migration timeout
//! directives, lock-timeout retries naming the blocker, INVALID indexes left by a failed
//! concurrent build, and `rehearse` changing nothing. (Transaction-pooling detection is tested
//! as a pure function in strata-drivers' `postgres::lock`: no pooler runs here.)

use crate::faults::{finish, spawn, strata};
use crate::pg::{pg, Pg};
use std::time::{Duration, Instant};

/// A check that fails the migration unless `setting` reads `want` right now.
fn expect_setting(setting: &str, want: &str) -> String {
    format!(
        "DO $$ BEGIN IF current_setting('{setting}') <> '{want}' THEN \
         RAISE EXCEPTION '{setting} is %, expected {want}', current_setting('{setting}'); \
         END IF; END $$;\n"
    )
}

#[test]
fn timeout_directives_apply_to_their_migration_only() {
    let pg = pg!();
    let base_lock: String = pg
        .db
        .client()
        .query_one("SELECT current_setting('lock_timeout')", &[])
        .unwrap()
        .get(0);
    pg.p.pair(
        "1",
        "tx_directives",
        &format!(
            "-- strata:lock-timeout 2s\n-- strata:statement-timeout 10m\n{}{}",
            expect_setting("lock_timeout", "2s"),
            expect_setting("statement_timeout", "10min")
        ),
        "SELECT 1;",
    );
    pg.p.pair(
        "2",
        "no_tx_directive",
        &format!(
            "-- strata:no-transaction\n-- strata:lock-timeout 1500ms\n{}",
            expect_setting("lock_timeout", "1500ms")
        ),
        "SELECT 1;",
    );
    // Runs after both on the same session: their settings must be gone.
    pg.p.pair(
        "3",
        "after",
        &expect_setting("lock_timeout", &base_lock),
        "SELECT 1;",
    );
    pg.run(&["up"]).ok();
    assert_eq!(pg.compat(), vec![(3, false)]);
    // A bad duration is refused before anything runs.
    pg.p.pair(
        "4",
        "bad",
        "-- strata:lock-timeout soon\nSELECT 1;",
        "SELECT 1;",
    );
    pg.run(&["up"])
        .code(1)
        .stderr_has("`-- strata:lock-timeout` needs one duration");
    assert_eq!(pg.compat(), vec![(3, false)]);
}

#[test]
fn lock_timeout_directive_fails_fast_naming_the_blocker() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.run(&["up"]).ok();
    let (_blocker, pid) = block_table(&pg, "a");
    pg.p.pair(
        "2",
        "alter_a",
        "-- strata:lock-timeout 500ms\nALTER TABLE a ADD COLUMN x int;",
        "ALTER TABLE a DROP COLUMN x;",
    );
    let start = Instant::now();
    // No --ddl-lock-timeout: only the directive bounds the wait.
    pg.run(&["up"])
        .code(1)
        .stderr_has("canceling statement due to lock timeout")
        .stderr_has(&format!("blocked by pid {pid}"));
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(pg.compat(), vec![(1, false)]);
}

/// Another session holding ACCESS EXCLUSIVE on `table` in an open transaction, and its pid.
fn block_table(pg: &Pg, table: &str) -> (strata_testkit::postgres::Client, i32) {
    let mut blocker = pg.db.client();
    blocker
        .batch_execute(&format!(
            "SET application_name = 'blocker'; BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        ))
        .unwrap();
    let pid: i32 = blocker
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    (blocker, pid)
}

#[test]
fn lock_retries_name_the_blocker_and_succeed_after_it_commits() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.run(&["up"]).ok();
    let (mut blocker, pid) = block_table(&pg, "a");
    pg.p.pair(
        "2",
        "alter_a",
        "ALTER TABLE a ADD COLUMN x int;",
        "ALTER TABLE a DROP COLUMN x;",
    );
    let child = spawn(strata(
        &pg.p,
        &pg.db.url,
        &["--ddl-lock-timeout", "300ms", "--lock-retries", "5", "up"],
    ));
    // First attempt times out at 0.3s, retry 1 at ~1.3s, retry 2 at ~3.6s: release in between.
    std::thread::sleep(Duration::from_millis(2000));
    blocker.batch_execute("COMMIT").unwrap();
    let out = finish(child, Duration::from_secs(30));
    out.ok()
        .stderr_has("retry 1/5 of migration 2 in 1s after a lock timeout: canceling statement due to lock timeout")
        .stderr_has(&format!("blocked by pid {pid} (application_name \"blocker\""))
        .stderr_has("2/u alter_a");
    assert_eq!(pg.compat(), vec![(2, false)]);
    let cols: i64 = pg
        .db
        .client()
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cols, 2);
}

#[test]
fn lock_retries_run_a_no_transaction_statement_again_and_the_ones_before_it_once() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "log", "CREATE TABLE log (n int);", "DROP TABLE log;");
    pg.run(&["up"]).ok();
    let (mut blocker, _) = block_table(&pg, "a");
    pg.p.pair(
        "3",
        "alter_a",
        "-- strata:no-transaction\nINSERT INTO log VALUES (1);\nALTER TABLE a ADD COLUMN x int;\n",
        "ALTER TABLE a DROP COLUMN x;",
    );
    let child = spawn(strata(
        &pg.p,
        &pg.db.url,
        &["--ddl-lock-timeout", "300ms", "--lock-retries", "5", "up"],
    ));
    std::thread::sleep(Duration::from_millis(2000));
    blocker.batch_execute("COMMIT").unwrap();
    let out = finish(child, Duration::from_secs(30));
    out.ok()
        .stderr_has("retry 1/5 of migration 3 in 1s after a lock timeout: canceling statement due to lock timeout")
        .stderr_has("3/u alter_a");
    assert_eq!(pg.compat(), vec![(3, false)]);
    let mut c = pg.db.client();
    let logged: i64 = c.query_one("SELECT count(*) FROM log", &[]).unwrap().get(0);
    assert_eq!(logged, 1, "statement 1 ran once");
    let cols: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cols, 2);
}

#[test]
fn lock_retries_from_the_environment_give_up_after_n() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.run(&["up"]).ok();
    let (_blocker, _) = block_table(&pg, "a");
    pg.p.pair(
        "2",
        "alter_a",
        "ALTER TABLE a ADD COLUMN x int;",
        "ALTER TABLE a DROP COLUMN x;",
    );
    let mut cmd = strata(&pg.p, &pg.db.url, &["--ddl-lock-timeout", "200ms", "up"]);
    cmd.env("STRATA_LOCK_RETRIES", "1");
    let out = finish(spawn(cmd), Duration::from_secs(30));
    out.code(1)
        .stderr_has("retry 1/1 of migration 2")
        .stderr_has("canceling statement due to lock timeout");
    assert!(!out.stderr.contains("retry 2/"), "{}", out.stderr);
    assert_eq!(pg.compat(), vec![(1, false)]);
}

fn index_valid(pg: &Pg, name: &str) -> Option<bool> {
    pg.db
        .client()
        .query_opt(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)",
            &[&name],
        )
        .unwrap()
        .map(|r| r.get(0))
}

#[test]
fn invalid_index_from_a_failed_concurrent_build_is_refused_then_dropped_on_request() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "users",
        "CREATE TABLE users (email text); INSERT INTO users VALUES ('x'), ('x');",
        "DROP TABLE users;",
    );
    pg.p.pair(
        "2",
        "email_unique",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);",
        "DROP INDEX CONCURRENTLY users_email;",
    );
    pg.run(&["up"])
        .code(1)
        .stderr_has("could not create unique index");
    assert_eq!(index_valid(&pg, "users_email"), Some(false));
    assert_eq!(pg.compat(), vec![(2, true)]);
    // The operator fixes the data and marks 2 as not applied.
    pg.db
        .client()
        .batch_execute("DELETE FROM users WHERE ctid <> (SELECT min(ctid) FROM users)")
        .unwrap();
    pg.run(&["force", "1"]).ok();
    let out = pg.run(&["up"]);
    out.code(1)
        .stderr_has("index users_email exists but is INVALID")
        .stderr_has("DROP INDEX CONCURRENTLY users_email;")
        .stderr_has("--drop-invalid-indexes")
        .stderr_has("none of this migration's statements ran")
        .never_shows("rolled back");
    // Refused before the dirty protocol: still clean at 1, index untouched.
    assert_eq!(pg.compat(), vec![(1, false)]);
    assert_eq!(index_valid(&pg, "users_email"), Some(false));
    pg.run(&["up", "--drop-invalid-indexes"])
        .ok()
        .stderr_has("dropped INVALID index users_email")
        .stderr_has("2/u email_unique");
    assert_eq!(index_valid(&pg, "users_email"), Some(true));
    assert_eq!(pg.compat(), vec![(2, false)]);
}

/// Everything `rehearse` could change: user schema, every row of the three migrations tables,
/// and the data.
fn snapshot(pg: &Pg) -> Vec<String> {
    let mut c = pg.db.client();
    let mut out = Vec::new();
    for q in [
        "SELECT format('%s %s %s %s', c.relname, c.relkind, c.relnatts, c.relhasindex) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' ORDER BY 1",
        "SELECT format('%s.%s %s %s', table_name, column_name, data_type, is_nullable) \
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
        "SELECT format('%s', s) FROM public.schema_migrations s",
        "SELECT format('%s', l) FROM public.schema_migrations_ledger l ORDER BY version",
        "SELECT format('%s', l) FROM public.schema_migrations_log l ORDER BY 1",
        "SELECT format('%s', u) FROM public.users u ORDER BY 1",
        "SELECT format('%s %s', conname, contype) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
    ] {
        for r in c.query(q, &[]).unwrap() {
            out.push(r.get(0));
        }
    }
    out
}

#[test]
fn rehearse_reports_failure_locks_and_unrehearsable_and_changes_nothing() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1), (2);",
        "DROP TABLE users;",
    );
    pg.run(&["up"]).ok();
    pg.p.pair(
        "2",
        "add_email",
        "ALTER TABLE users ADD COLUMN email text;\nUPDATE users SET email = 'e' || id;",
        "ALTER TABLE users DROP COLUMN email;",
    );
    pg.p.pair(
        "3",
        "orders",
        "CREATE TABLE orders (id int, user_id int REFERENCES users (id));",
        "DROP TABLE orders;",
    );
    pg.p.pair(
        "4",
        "broken",
        "INSERT INTO orders VALUES (1, 1);\nINSERT INTO missing VALUES (1);",
        "SELECT 1;",
    );
    pg.p.pair(
        "5",
        "email_index",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
        "DROP INDEX users_email;",
    );
    pg.p.pair(
        "6",
        "later",
        "CREATE TABLE later (a int);",
        "DROP TABLE later;",
    );
    let before = snapshot(&pg);
    let out = pg.run(&["rehearse"]);
    out.code(1)
        .stdout_has("ok      2/u add_email (")
        .stdout_has("lock: AccessExclusiveLock on users")
        .stdout_has("ok      3/u orders (")
        .stdout_has("lock: AccessExclusiveLock on orders")
        .stdout_has("FAILED  4/u broken (")
        .stdout_has("relation \"missing\" does not exist")
        .stdout_has("2 | INSERT INTO missing VALUES (1);")
        .stdout_has("skipped 5/u email_index: not rehearsable (no-transaction: CREATE INDEX CONCURRENTLY at line 1")
        .stdout_has("skipped 6/u later: not rehearsed (runs after 5/u email_index, which cannot be rehearsed)")
        .stderr_has("rolled back; nothing changed");
    assert_eq!(snapshot(&pg), before, "rehearse changed the database");
    // Locks were released with the rollback: the table is free for a real run.
    // JSON carries the same facts; still nothing changes.
    let out = pg.run(&["rehearse", "--format", "json"]);
    out.code(1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["status"], "ok");
    assert!(v["steps"][0]["locks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["relation"] == "users" && l["mode"] == "AccessExclusiveLock"));
    assert_eq!(v["steps"][2]["status"], "failed");
    assert_eq!(v["steps"][2]["code"], "42P01");
    assert_eq!(v["steps"][2]["line"], 2);
    assert_eq!(v["steps"][3]["status"], "not-rehearsable");
    assert_eq!(v["steps"][4]["status"], "not-rehearsed");
    assert_eq!(
        snapshot(&pg),
        before,
        "rehearse --format json changed the database"
    );
    // Fixed, it rehearses clean, still changes nothing, and the real run then applies it all.
    pg.p.pair(
        "4",
        "broken",
        "INSERT INTO orders VALUES (1, 1);",
        "SELECT 1;",
    );
    pg.run(&["rehearse"])
        .ok()
        .stdout_has("ok      4/u broken (");
    assert_eq!(snapshot(&pg), before);
    pg.run(&["up"]).ok();
    assert_eq!(pg.compat(), vec![(6, false)]);
}

#[test]
fn drop_blocked_by_an_object_outside_the_schema_says_what_to_do_and_that_nothing_went() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (id int);", "DROP TABLE t;");
    pg.run(&["up"]).ok();
    pg.db
        .client()
        .batch_execute("CREATE SCHEMA other; CREATE VIEW other.v AS SELECT id FROM public.t;")
        .unwrap();
    pg.run(&["drop", "-f"])
        .code(1)
        .stderr_has("cannot drop everything in schema \"public\"")
        .stderr_has(
            "hint: objects outside schema \"public\" depend on objects inside it; \
             drop or change them first (nothing was dropped)",
        );
    assert_eq!(pg.compat(), vec![(1, false)]);
}
