//! The MySQL dialect against a real MariaDB server: every statement the splitter cuts is sent
//! alone and the server accepts it, so the cuts are where the server (and the `mysql` client)
//! has them. Skipped (printing why) when no MariaDB can be started, except under `CI=true`.
use mysql::prelude::Queryable;
use strata_sql::{split, Dialect};
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

/// Split `sql` in the MySQL dialect (no diagnostics allowed) and run each statement alone.
fn run_split(conn: &mut mysql::Conn, sql: &str) -> usize {
    let out = split(sql, Dialect::Mysql);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    for s in &out.statements {
        conn.query_drop(s.text(sql))
            .unwrap_or_else(|e| panic!("statement at line {}: {e}\n{}", s.start.line, s.text(sql)));
    }
    out.statements.len()
}

#[test]
fn mysql_client_style_script_with_delimiters_runs_statement_by_statement() {
    let Some(db) = TestMariaDb::new() else { return };
    let mut conn = connect(&db);
    let sql = r#"/*!40101 SET NAMES utf8mb4 */;
# a hash comment; with a semicolon
CREATE TABLE `odd;name` (id int PRIMARY KEY, note varchar(50)); -- a real comment;
INSERT INTO `odd;name` VALUES (1, "say \"hi\"; bye"), (2, 'it\'s; fine'), (3, 1--1);
DELIMITER //
CREATE PROCEDURE bump(IN n int)
BEGIN
  DECLARE i int DEFAULT 0;
  WHILE i < n DO
    SET i = i + 1;
    IF i % 2 = 0 THEN
      UPDATE `odd;name` SET note = CONCAT(note, ';') WHERE id = 1;
    END IF;
  END WHILE;
END//
DELIMITER $$
CREATE TRIGGER stamp BEFORE INSERT ON `odd;name` FOR EACH ROW
BEGIN
  SET NEW.note = CASE WHEN NEW.note IS NULL THEN 'none;' ELSE NEW.note END;
END$$
  delimiter ;
CALL bump(4);
INSERT INTO `odd;name` (id) VALUES (4);
"#;
    assert_eq!(run_split(&mut conn, sql), 7);
    let notes: Vec<(i32, String)> = conn
        .query("SELECT id, note FROM `odd;name` ORDER BY id")
        .unwrap();
    assert_eq!(
        notes,
        [
            (1, "say \"hi\"; bye;;".to_string()),
            (2, "it's; fine".to_string()),
            (3, "2".to_string()),
            (4, "none;".to_string())
        ]
    );
}

#[test]
fn golang_migrate_style_file_without_delimiter_keeps_compound_bodies_whole() {
    // golang-migrate sends a file whole and the server parses compound statements itself: the
    // same file, cut by the splitter, must run statement by statement.
    let Some(db) = TestMariaDb::new() else { return };
    let mut conn = connect(&db);
    let sql = "CREATE TABLE t (a int, b varchar(10));
CREATE FUNCTION label(x int) RETURNS varchar(10) DETERMINISTIC
BEGIN
  DECLARE r varchar(10);
  CASE WHEN x > 1 THEN SET r = 'many;'; ELSE SET r = 'one'; END CASE;
  lbl: LOOP LEAVE lbl; END LOOP lbl;
  RETURN r;
END;
CREATE PROCEDURE fill()
BEGIN
  INSERT INTO t VALUES (1, label(1));
  BEGIN
    INSERT INTO t VALUES (2, label(2));
  END;
END;
CALL fill();
BEGIN NOT ATOMIC
  INSERT INTO t VALUES (3, 'x;y');
END;
/*!50001 CREATE VIEW v AS SELECT a FROM t */;
";
    assert_eq!(run_split(&mut conn, sql), 6);
    let rows: Vec<(i32, String)> = conn.query("SELECT a, b FROM t ORDER BY a").unwrap();
    assert_eq!(
        rows,
        [
            (1, "one".to_string()),
            (2, "many;".to_string()),
            (3, "x;y".to_string())
        ]
    );
    let n: i64 = conn.query_first("SELECT COUNT(*) FROM v").unwrap().unwrap();
    assert_eq!(n, 3);
}
