//! `strata plan` against a real MariaDB: each statement's online DDL behaviour (algorithm,
//! lock, rebuild) in text and JSON. Needs the MySQL driver (`Connection::Mysql`); until it is
//! in the build the test is ignored (run it with `--ignored`). The classifier and the rendering
//! are unit-tested without a server (strata-sql `online_ddl`, strata-cli `commands::online_ddl`).

use crate::support::Project;
use strata_testkit::mariadb::TestMariaDb;

#[test]
#[ignore = "needs the MySQL driver (Connection::Mysql) in the build"]
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
         ALTER TABLE users ADD CHECK (id > 0);\n",
        "ALTER TABLE users DROP INDEX users_email;\n",
    );
    let out = p.run_on(&db.url, &["plan"]);
    out.ok()
        .stdout_has("online DDL: ADD INDEX on users: ALGORITHM=INPLACE, LOCK=NONE (reads and writes go on; no rebuild)")
        .stdout_has("online DDL: MODIFY/CHANGE COLUMN on `users`: ALGORITHM=COPY, LOCK=SHARED (reads go on, writes wait; rebuilds the table)")
        .stdout_has("online DDL: ADD CHECK ( on users: unknown")
        // PostgreSQL's lock levels are not shown on MySQL.
        .never_shows("ACCESS EXCLUSIVE");
    let out = p.run_on(&db.url, &["plan", "--format", "json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let st = &v["steps"][0]["statements"];
    assert_eq!(st[0]["online_ddl"]["algorithm"], "INPLACE");
    assert_eq!(st[1]["online_ddl"]["algorithm"], "COPY");
    assert_eq!(st[1]["online_ddl"]["blocks_writes"], true);
    assert!(st[2]["online_ddl"]["algorithm"].is_null());
    assert!(st[0]["lock"].is_null());
}
