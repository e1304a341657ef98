//! The online DDL classifier against a real MariaDB: for each operation, the server accepts the
//! algorithm and lock the classifier names, and refuses the next better one where the
//! classifier says it is not possible (a rebuild refuses `NOCOPY`, a copy refuses `INPLACE`,
//! `LOCK=SHARED` refuses `LOCK=NONE`). Skipped (printing why) when no MariaDB can be started,
//! except under `CI=true`.
use mysql::prelude::Queryable;
use strata_sql::{online_ddl, Algorithm, DdlLock, Server};
use strata_testkit::mariadb::{TestMariaDb, PASSWORD, USER};

fn connect(db: &TestMariaDb) -> mysql::Conn {
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(db.server.port)
        .user(Some(USER))
        .pass(Some(PASSWORD))
        .db_name(Some(db.name.clone()));
    mysql::Conn::new(opts).expect("connect")
}

const SETUP: &str = "DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS par; \
    CREATE TABLE par (id bigint PRIMARY KEY) ENGINE=InnoDB; \
    CREATE TABLE t (id bigint NOT NULL, k bigint NOT NULL DEFAULT 0, a int, b int, c int, \
      email varchar(100), body text, g geometry NOT NULL, p bigint, \
      PRIMARY KEY (id), KEY i (a), KEY j (b), CONSTRAINT fk FOREIGN KEY (p) REFERENCES par (id)) \
      ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4; \
    INSERT INTO par VALUES (1); \
    INSERT INTO t (id, a, g, p) VALUES (1, 1, POINT(0, 0), 1), (2, 2, POINT(1, 1), NULL);";

/// Every `ALTER TABLE` the classifier has a row for, on the table `SETUP` makes.
const ALTERS: &[&str] = &[
    "ALTER TABLE t ADD COLUMN c2 int",
    "ALTER TABLE t ADD COLUMN c2 int AFTER a",
    "ALTER TABLE t ADD COLUMN n bigint NOT NULL AUTO_INCREMENT, ADD KEY (n)",
    "ALTER TABLE t DROP COLUMN c",
    "ALTER TABLE t RENAME COLUMN c TO c3",
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1",
    "ALTER TABLE t MODIFY a bigint",
    "ALTER TABLE t ADD INDEX k2 (c)",
    "ALTER TABLE t ADD SPATIAL INDEX s (g)",
    "ALTER TABLE t DROP INDEX i",
    "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, k)",
    "ALTER TABLE t DROP PRIMARY KEY",
    "ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (p) REFERENCES par (id)",
    "ALTER TABLE t DROP FOREIGN KEY fk",
    "ALTER TABLE t CONVERT TO CHARACTER SET latin1",
    "ALTER TABLE t FORCE",
    "ALTER TABLE t ENGINE=InnoDB",
    "ALTER TABLE t AUTO_INCREMENT = 1000",
    "ALTER TABLE t ROW_FORMAT=COMPACT",
    "ALTER TABLE t ADD COLUMN c2 int, ADD INDEX k2 (c)",
];

/// Run `alter` with the clauses; `Ok` when the server did it.
fn attempt(conn: &mut mysql::Conn, alter: &str, clauses: &str) -> Result<(), String> {
    conn.query_drop(SETUP).expect("setup");
    conn.query_drop(format!("{alter}, {clauses}"))
        .map_err(|e| e.to_string())
}

#[test]
fn mariadb_accepts_the_named_algorithm_and_lock_and_refuses_better_ones() {
    let Some(db) = TestMariaDb::new() else { return };
    let mut conn = connect(&db);
    let version: String = conn.query_first("SELECT VERSION()").unwrap().unwrap();
    let server = Server::parse(&version).expect("a version");
    let mut wrong = Vec::new();
    for alter in ALTERS {
        let d = online_ddl(alter, Some(server), true).expect("online DDL");
        let (Some(algorithm), Some(lock), Some(rebuilds)) = (d.algorithm, d.lock, d.rebuilds)
        else {
            wrong.push(format!("{alter}: unknown on {version}"));
            continue;
        };
        let named = format!("ALGORITHM={}, LOCK={}", algorithm.as_str(), lock.as_str());
        if let Err(e) = attempt(&mut conn, alter, &named) {
            wrong.push(format!("{alter}: {named} refused: {e}"));
        }
        // The next better algorithm, where the classifier says it cannot be had.
        let better = match (algorithm, rebuilds) {
            (Algorithm::Copy, _) => Some("ALGORITHM=INPLACE"),
            (Algorithm::Inplace, true) => Some("ALGORITHM=NOCOPY"),
            _ => None,
        };
        if let Some(better) = better {
            if attempt(&mut conn, alter, better).is_ok() {
                wrong.push(format!(
                    "{alter}: {better} accepted, the classifier says {named}"
                ));
            }
        }
        if lock == DdlLock::Shared && algorithm != Algorithm::Copy {
            let none = format!("ALGORITHM={}, LOCK=NONE", algorithm.as_str());
            if attempt(&mut conn, alter, &none).is_ok() {
                wrong.push(format!(
                    "{alter}: {none} accepted, the classifier says {named}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "on {version}:\n{}", wrong.join("\n"));
}
