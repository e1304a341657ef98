//! `strata plan` against a real PostgreSQL server: how each migration runs and why, its
//! statements and table locks, the live size/rows/users of the tables, and that nothing changes.

use crate::pg::pg;

#[test]
fn plan_shows_no_transaction_reason_and_table_size() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        "DROP TABLE users;\n",
    );
    pg.run(&["up"]).ok();
    pg.db
        .client()
        .batch_execute(
            "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g; ANALYZE users;",
        )
        .unwrap();
    pg.p.pair(
        "2",
        "email_index",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
        "DROP INDEX users_email;\n",
    );
    let out = pg.run(&["plan"]);
    out.ok()
        .stdout_has("2/u email_index (no-transaction: CREATE INDEX CONCURRENTLY at line 1 cannot run inside a transaction)")
        .stdout_has("   1 | CREATE INDEX CONCURRENTLY users_email ON users (email);")
        .stdout_has("lock: SHARE UPDATE EXCLUSIVE on users (reads and writes go on); size ")
        .stdout_has("~1000 rows, no other session using it");
    assert!(!out.stdout.contains("1/u"), "{}", out.stdout);
    // JSON carries the same facts.
    let out = pg.run(&["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["mode"], "no-transaction");
    assert_eq!(
        v["steps"][0]["statements"][0]["lock"],
        "SHARE UPDATE EXCLUSIVE"
    );
    assert_eq!(v["tables"][0]["name"], "users");
    assert_eq!(v["tables"][0]["row_estimate"], 1000);
    assert!(v["tables"][0]["size_bytes"].as_i64().unwrap() > 8192);
}

#[test]
fn plan_names_other_sessions_using_the_table() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    pg.run(&["up"]).ok();
    pg.p.pair(
        "2",
        "alter",
        "ALTER TABLE t ADD COLUMN b int;\n",
        "ALTER TABLE t DROP COLUMN b;\n",
    );
    let mut holder = pg.db.client();
    holder
        .batch_execute("SET application_name = 'busy_app'; BEGIN; SELECT * FROM t;")
        .unwrap();
    let out = pg.run(&["plan"]);
    out.ok()
        .stdout_has("2/u alter (transaction)")
        .stdout_has("lock: ACCESS EXCLUSIVE on t (blocks reads and writes)")
        .stdout_has("busy_app (idle in transaction), AccessShareLock held");
    holder.batch_execute("ROLLBACK").unwrap();
}

#[test]
fn plan_down_and_new_tables() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    pg.p.pair(
        "2",
        "u",
        "CREATE TABLE u (a int);\nINSERT INTO u VALUES (1);\n",
        "DROP TABLE u;\n",
    );
    let out = pg.run(&["plan"]);
    out.ok()
        .stdout_has("1/u t (transaction)")
        .stdout_has("lock: ROW EXCLUSIVE on u (reads and writes go on); table does not exist yet");
    pg.run(&["up"]).ok();
    let out = pg.run(&["plan", "down", "1"]);
    out.ok()
        .stdout_has("2/d u (transaction)")
        .stdout_has("lock: ACCESS EXCLUSIVE on u (blocks reads and writes); size ");
    assert!(!out.stdout.contains("1/d"), "{}", out.stdout);
}

#[test]
fn plan_changes_nothing() {
    let pg = pg!();
    pg.p.pair("1", "t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    let before = pg.all_tables_in("public");
    pg.run(&["plan"]).ok().stdout_has("1/u t (transaction)");
    pg.run(&["plan", "--format", "json"]).ok();
    assert_eq!(pg.all_tables_in("public"), before);
    assert!(before.is_empty(), "{before:?}");
}

#[test]
fn plan_and_up_agree_on_the_mode_under_x_multi_statement() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "two",
        "CREATE TABLE a (x int);\nCREATE TABLE b (x int);\n",
        "DROP TABLE b;\nDROP TABLE a;\n",
    );
    let multi = "x-multi-statement=true";
    pg.run_with(multi, &["plan"]).ok().stdout_has(
        "1/u two (no-transaction: x-multi-statement=true runs it statement by statement)",
    );
    let out = pg.run_with(multi, &["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let planned = v["steps"][0]["mode"].as_str().unwrap().to_string();
    pg.run_with(multi, &["up"]).ok();
    let ran = pg.ledger()[0].2.clone();
    assert_eq!(planned, ran, "plan says what up does");
    assert_eq!(ran, "no-transaction");
    // Without the setting both say transaction.
    pg.run(&["down", "-all"]).ok();
    pg.run(&["plan"]).ok().stdout_has("1/u two (transaction)");
    pg.run(&["up"]).ok();
    assert_eq!(pg.ledger()[0].2, "transaction");
}

#[test]
fn plan_drop_index_locks_the_indexed_table() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "t",
        "CREATE TABLE t (a int);\nCREATE INDEX t_i ON t (a);\n",
        "DROP TABLE t;\n",
    );
    pg.p.pair(
        "2",
        "drop_i",
        "DROP INDEX t_i;\n",
        "CREATE INDEX t_i ON t (a);\n",
    );
    // Fresh database: the index is built earlier in the same plan, on a table not there yet.
    let out = pg.run(&["plan"]);
    out.ok().stdout_has(
        "lock: ACCESS EXCLUSIVE on t, the table of index t_i (blocks reads and writes); table does not exist yet",
    );
    assert!(!out.stdout.contains("on t_i"), "{}", out.stdout);
    pg.run(&["up", "1"]).ok();
    pg.db
        .client()
        .batch_execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g; ANALYZE t;")
        .unwrap();
    // Applied: the catalog names the index's table, with its live size and rows.
    let out = pg.run(&["plan"]);
    out.ok()
        .stdout_has(
            "lock: ACCESS EXCLUSIVE on t, the table of index t_i (blocks reads and writes); size ",
        )
        .stdout_has("~1000 rows");
    let out = pg.run(&["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let st = &v["steps"][0]["statements"][0];
    assert_eq!(
        (st["table"].as_str(), st["index"].as_str()),
        (Some("t"), Some("t_i"))
    );
    assert_eq!(v["tables"][0]["name"], "t");
    assert_eq!(v["tables"][0]["row_estimate"], 1000);
    // An index neither the plan nor the catalog knows is named as such.
    pg.p.pair(
        "3",
        "drop_x",
        "DROP INDEX IF EXISTS nope_i;\n",
        "SELECT 1;\n",
    );
    pg.run(&["plan"]).ok().stdout_has(
        "lock: ACCESS EXCLUSIVE on the table of index nope_i (blocks reads and writes); index nope_i does not exist yet",
    );
}

#[test]
fn plan_drop_index_of_several_names_shows_each_table() {
    let pg = pg!();
    pg.p.pair(
        "1",
        "t",
        "CREATE TABLE t (a int);\nCREATE INDEX t_i ON t (a);\nCREATE TABLE u (a int);\nCREATE INDEX u_i ON u (a);\n",
        "DROP TABLE t, u;\n",
    );
    pg.p.pair(
        "2",
        "drop_i",
        "DROP INDEX t_i, u_i;\n",
        "CREATE INDEX t_i ON t (a);\nCREATE INDEX u_i ON u (a);\n",
    );
    // Built earlier in the plan, then from the catalog once applied.
    for applied in [false, true] {
        if applied {
            pg.run(&["up", "1"]).ok();
        }
        let out = pg.run(&["plan"]);
        out.ok()
            .stdout_has(
                "lock: ACCESS EXCLUSIVE on t, the table of index t_i (blocks reads and writes)",
            )
            .stdout_has(
                "lock: ACCESS EXCLUSIVE on u, the table of index u_i (blocks reads and writes)",
            );
    }
    let out = pg.run(&["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let st = &v["steps"][0]["statements"][0];
    assert_eq!(st["more"][0]["table"], "u", "{st}");
    assert_eq!(st["more"][0]["index"], "u_i", "{st}");
    let tables: Vec<&str> = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["t", "u"]);
}
