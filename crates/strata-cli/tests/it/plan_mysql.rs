//! `strata plan` against a real MariaDB: each statement's online DDL behaviour (algorithm,
//! lock, rebuild) in text and JSON, as the server's own version decides. The classifier and the
//! rendering are unit-tested without a server (strata-sql `online_ddl`, strata-cli
//! `commands::online_ddl`).

use crate::support::Project;
use strata_testkit::mariadb::TestMariaDb;

#[test]
fn plan_on_mariadb_shows_each_statement_s_online_ddl() {
    let Some(db) = TestMariaDb::new() else { return };
    let p = Project::new();
    p.pair(
        "1",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100));\n",
        "DROP TABLE users;\n",
    );
    p.run_on(&db.url, &["up"]).ok();
    p.pair(
        "2",
        "changes",
        "ALTER TABLE users ADD INDEX users_email (email);\n\
         ALTER TABLE `users` MODIFY email varchar(500) NOT NULL;\n\
         ALTER TABLE users ADD CHECK (id > 0);\n\
         ALTER TABLE users ADD COLUMN age int;\n\
         ALTER TABLE users ADD doubled bigint AS (id * 2) STORED;\n",
        "ALTER TABLE users DROP INDEX users_email;\n",
    );
    let out = p.run_on(&db.url, &["plan"]);
    out.ok()
        // DDL cannot roll back here: the file runs statement by statement, as `up` does.
        .stdout_has("2/u changes (no-transaction: DDL commits by itself on MySQL/MariaDB: runs statement by statement, each recorded)")
        .stdout_has("online DDL: ADD INDEX on users: ALGORITHM=INPLACE, LOCK=NONE (reads and writes go on; no rebuild)")
        .stdout_has("online DDL: MODIFY/CHANGE COLUMN on `users`: ALGORITHM=COPY, LOCK=SHARED (reads go on, writes wait; rebuilds the table)")
        .stdout_has("online DDL: ADD CHECK ( on users: unknown")
        // The server's version decides: MariaDB 10.3.2 on adds a column in place of the
        // table's rebuild, with no note about older releases; a stored generated column is in
        // MySQL's table (COPY) but not in MariaDB's.
        .stdout_has("online DDL: ADD COLUMN on users: ALGORITHM=INSTANT, LOCK=NONE")
        .never_shows("before MariaDB")
        .stdout_has("online DDL: ADD COLUMN ... STORED on users: unknown")
        // PostgreSQL's lock levels are not shown on MySQL.
        .never_shows("ACCESS EXCLUSIVE");
    let out = p.run_on(&db.url, &["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["steps"][0]["mode"], "no-transaction");
    let st = &v["steps"][0]["statements"];
    assert_eq!(st[0]["online_ddl"]["algorithm"], "INPLACE");
    assert_eq!(st[1]["online_ddl"]["algorithm"], "COPY");
    assert_eq!(st[1]["online_ddl"]["blocks_writes"], true);
    assert!(st[2]["online_ddl"]["algorithm"].is_null());
    assert!(st[0]["lock"].is_null());
    assert_eq!(st[3]["online_ddl"]["algorithm"], "INSTANT");
    assert!(st[3]["online_ddl"]["notes"].is_null(), "{}", st[3]);
    assert!(st[4]["online_ddl"]["algorithm"].is_null(), "{}", st[4]);
}
