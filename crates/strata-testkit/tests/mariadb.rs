//! The MariaDB test server: started (or found) by the test kit, one database per test, reached
//! over TCP with the `mysql` crate as the MySQL driver will be.
use mysql::prelude::Queryable;
use strata_testkit::mariadb::TestMariaDb;

#[test]
fn mariadb_server_gives_each_test_a_database_reachable_over_tcp() {
    let Some(db) = TestMariaDb::new() else { return };
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(db.server.port)
        .user(Some(strata_testkit::mariadb::USER))
        .pass(Some(strata_testkit::mariadb::PASSWORD))
        .db_name(Some(db.name.clone()));
    let mut conn = mysql::Conn::new(opts).expect("connect over TCP");
    conn.query_drop("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2)")
        .expect("create and insert");
    let (current, sum): (String, i64) = conn
        .query_first("SELECT DATABASE(), SUM(a) FROM t")
        .expect("select")
        .expect("one row");
    assert_eq!(current, db.name);
    assert_eq!(sum, 3);
    let version: String = conn.query_first("SELECT VERSION()").unwrap().unwrap();
    assert!(version.contains("MariaDB"), "{version}");
    // A second test database is a different, empty one.
    let other = TestMariaDb::new().expect("server already running");
    assert_ne!(other.name, db.name);
    let tables = other
        .server
        .admin(&format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{}'",
            other.name
        ))
        .unwrap();
    assert_eq!(tables.trim(), "0");
    let name = other.name.clone();
    drop(other);
    let left = db
        .server
        .admin(&format!("SHOW DATABASES LIKE '{name}'"))
        .unwrap();
    assert_eq!(left.trim(), "", "a dropped test database is gone");
}
