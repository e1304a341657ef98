//! `adopt --from TOOL` on SQLite: each tool's tracking table is created here by hand, with the
//! columns and sample rows that tool writes (layouts in ../shared/compat/other-tools.md), then
//! imported into the ledger. The old table must be left exactly as it was.

use crate::support::{three, Output, Project};

/// `(version, origin, batch, applied_at, applied_by)` of every row of `ledger` (`tester@host`
/// read as `tester`).
pub fn ledger_in(p: &Project, ledger: &str) -> Vec<(i64, String, i64, String, String)> {
    let db = p.db();
    let mut s = db
        .prepare(&format!(
            "SELECT version, origin, batch, applied_at, \
             CASE WHEN applied_by LIKE 'tester@%' THEN 'tester' ELSE applied_by END \
             FROM \"{ledger}\" ORDER BY version"
        ))
        .unwrap();
    s.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn ledger(p: &Project) -> Vec<(i64, String, i64, String, String)> {
    ledger_in(p, "schema_migrations_ledger")
}

/// Every row of `table`, every value rendered, in rowid order: to prove it was not touched.
fn dump(p: &Project, table: &str) -> Vec<String> {
    let db = p.db();
    let mut s = db
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
        .unwrap();
    let n = s.column_count();
    s.query_map([], |r| {
        Ok((0..n)
            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn has_table(p: &Project, name: &str) -> bool {
    p.db()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

/// `(action, version, detail)` of the adopt log entries.
fn adopt_log(p: &Project, log: &str) -> Vec<(i64, String)> {
    let db = p.db();
    let mut s = db
        .prepare(&format!(
            "SELECT version, detail FROM \"{log}\" WHERE action = 'adopt' ORDER BY id"
        ))
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Three migrations, the tool's table made by `ddl`, then `adopt ARGS`; asserts the old table
/// is unchanged and returns the output.
fn adopt(p: &Project, ddl: &str, table: &str, args: &[&str]) -> Output {
    three(p);
    p.db().execute_batch(ddl).unwrap();
    let before = dump(p, table);
    let out = p.run(args);
    assert_eq!(
        dump(p, table),
        before,
        "the old table must be left untouched"
    );
    out
}

fn adopted(versions: &[(i64, i64, &str, &str)]) -> Vec<(i64, String, i64, String, String)> {
    versions
        .iter()
        .map(|(v, b, at, by)| (*v, "adopted".into(), *b, at.to_string(), by.to_string()))
        .collect()
}

const GOOSE: &str = "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES
  (0, 1, '2024-01-01 00:00:00'), (1, 1, '2024-01-02 03:04:05'), (2, 1, '2024-01-03 00:00:00'),
  (3, 1, '2024-01-04 00:00:00'), (3, 0, '2024-01-05 00:00:00');";

#[test]
fn adopt_from_goose_takes_the_newest_row_per_version_and_keeps_times() {
    let p = Project::new();
    adopt(&p, GOOSE, "goose_db_version", &["adopt", "--from", "goose"])
        .ok()
        .stderr_has("adopted 1 (create_a)")
        .stderr_has("2 migration(s) recorded as applied");
    assert_eq!(
        ledger(&p),
        adopted(&[
            (1, 0, "2024-01-02T03:04:05.000Z", "tester"),
            (2, 0, "2024-01-03T00:00:00.000Z", "tester")
        ])
    );
    assert_eq!(p.compat(), Some((2, false)));
    let log = adopt_log(&p, "schema_migrations_log");
    assert_eq!(log.len(), 2);
    assert!(
        log[0].1.contains("goose") && log[0].1.contains("goose_db_version"),
        "{log:?}"
    );
    p.run(&["history"]).ok().stdout_has("adopt");
    // 3 was reverted by goose: it is pending, and `up` runs only it.
    p.run(&["up"]).ok().stderr_has("3/u create_c");
    assert_eq!(p.tables(), ["c", "goose_db_version"]);
}

#[test]
fn adopt_from_sqlx_keeps_only_successful_rows() {
    let p = Project::new();
    let ddl = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
INSERT INTO _sqlx_migrations VALUES
  (1, 'create a', '2024-01-02 03:04:05', 1, x'00ff', 7000000),
  (2, 'create b', '2024-01-02 03:04:06', 1, x'00ff', 1000),
  (3, 'create c', '2024-01-02 03:04:07', 0, x'00ff', 1000);";
    adopt(&p, ddl, "_sqlx_migrations", &["adopt", "-from", "sqlx"]).ok();
    assert_eq!(
        ledger(&p),
        adopted(&[
            (1, 0, "2024-01-02T03:04:05.000Z", "tester"),
            (2, 0, "2024-01-02T03:04:06.000Z", "tester")
        ])
    );
    let ms: i64 = p
        .db()
        .query_row(
            "SELECT duration_ms FROM schema_migrations_ledger WHERE version = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ms, 7, "sqlx's nanoseconds as milliseconds");
    assert_eq!(p.compat(), Some((2, false)));
}

#[test]
fn adopt_from_sql_migrate_parses_the_id_and_normalises_the_time_to_utc() {
    let p = Project::new();
    let ddl = "CREATE TABLE gorp_migrations (id text not null primary key, applied_at datetime);
INSERT INTO gorp_migrations VALUES
  ('000001_create_a.sql', '2024-01-02 03:04:05.123456789+00:00'),
  ('000002_create_b.sql', '2024-01-03 10:00:00+02:00');";
    adopt(&p, ddl, "gorp_migrations", &["adopt", "--from=sql-migrate"]).ok();
    assert_eq!(
        ledger(&p),
        adopted(&[
            (1, 0, "2024-01-02T03:04:05.123Z", "tester"),
            (2, 0, "2024-01-03T08:00:00.000Z", "tester")
        ])
    );
}

#[test]
fn adopt_from_knex_keeps_batches_so_rollback_undoes_the_last_knex_batch() {
    let p = Project::new();
    let ddl = "CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER); CREATE TABLE c (id INTEGER);
CREATE TABLE _migrations (id integer not null primary key autoincrement, name varchar(255), batch integer, executed_at datetime);
INSERT INTO _migrations (name, batch, executed_at) VALUES
  ('000001_create_a.js', 1, 1704164645000), ('000002_create_b.js', 2, 1704250800000),
  ('000003_create_c.js', 2, 1704250800000);";
    adopt(&p, ddl, "_migrations", &["adopt", "--from", "knex"]).ok();
    assert_eq!(
        ledger(&p),
        adopted(&[
            (1, 1, "2024-01-02T03:04:05.000Z", "tester"),
            (2, 2, "2024-01-03T03:00:00.000Z", "tester"),
            (3, 2, "2024-01-03T03:00:00.000Z", "tester")
        ])
    );
    assert_eq!(p.compat(), Some((3, false)));
    p.run(&["rollback"])
        .ok()
        .stderr_has("3/d")
        .stderr_has("2/d");
    assert_eq!(p.ledger_versions(), [1]);
    assert_eq!(p.tables(), ["_migrations", "a"]);
}

#[test]
fn adopt_from_knex_falls_back_to_knex_migrations_with_migration_time() {
    let p = Project::new();
    let ddl = "CREATE TABLE knex_migrations (id integer not null primary key autoincrement, name varchar(255), batch integer, migration_time datetime);
INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('000001_create_a.js', 1, '2024-01-02 03:04:05');";
    adopt(&p, ddl, "knex_migrations", &["adopt", "--from", "knex"])
        .ok()
        .stderr_has("(knex_migrations)");
    assert_eq!(
        ledger(&p),
        adopted(&[(1, 1, "2024-01-02T03:04:05.000Z", "tester")])
    );
}

#[test]
fn adopt_from_flyway_keeps_installed_by_and_skips_failed_and_repeatable_rows() {
    let p = Project::new();
    let ddl = "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), execution_time INT NOT NULL, success BOOLEAN NOT NULL);
INSERT INTO flyway_schema_history VALUES
  (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 123, 'alice', '2024-01-02 03:04:05.678', 12, 1),
  (2, '2', 'create b', 'SQL', 'V2__create_b.sql', 456, 'bob', '2024-01-03 00:00:00.000', 3, 1),
  (3, '3', 'create c', 'SQL', 'V3__create_c.sql', 789, 'bob', '2024-01-04 00:00:00.000', 1, 0),
  (4, NULL, 'view', 'SQL', 'R__view.sql', 1, 'bob', '2024-01-04 00:00:00.000', 1, 1);";
    adopt(
        &p,
        ddl,
        "flyway_schema_history",
        &["adopt", "--from", "flyway"],
    )
    .ok();
    assert_eq!(
        ledger(&p),
        adopted(&[
            (1, 0, "2024-01-02T03:04:05.678Z", "alice"),
            (2, 0, "2024-01-03T00:00:00.000Z", "bob")
        ])
    );
    assert_eq!(p.compat(), Some((2, false)));
}

#[test]
fn adopt_from_dbmate_needs_another_name_for_golang_migrates_table() {
    let p = Project::new();
    let ddl = "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key);
INSERT INTO schema_migrations VALUES ('000001'), ('000002');";
    // dbmate's table has golang-migrate's name: Strata would have to write it.
    adopt(&p, ddl, "schema_migrations", &["adopt", "--from", "dbmate"])
        .code(1)
        .stderr_has("x-migrations-table=strata_migrations");
    assert!(!has_table(&p, "schema_migrations_ledger"));
    // `up` on dbmate's table says what the table is and the ways out, and creates nothing.
    p.run(&["up"])
        .code(1)
        .stderr_has("schema_migrations has dbmate's layout")
        .stderr_has("adopt --from dbmate")
        .stderr_has("x-migrations-table=");
    assert!(
        !has_table(&p, "schema_migrations_ledger") && !has_table(&p, "schema_migrations_log"),
        "a refused up leaves the database as it found it"
    );
    let before = dump(&p, "schema_migrations");
    p.run_on(
        "sqlite://app.db?x-migrations-table=strata_migrations",
        &["adopt", "--from", "dbmate"],
    )
    .ok();
    assert_eq!(dump(&p, "schema_migrations"), before);
    let rows = ledger_in(&p, "strata_migrations_ledger");
    assert_eq!(
        rows.iter()
            .map(|r| (r.0, r.1.as_str(), r.2))
            .collect::<Vec<_>>(),
        [(1, "adopted", 0), (2, "adopted", 0)]
    );
    assert!(!rows[0].3.is_empty(), "no time in dbmate's table: now");
    let compat: (i64, bool) = p
        .db()
        .query_row("SELECT version, dirty FROM strata_migrations", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(compat, (2, false));
    assert_eq!(adopt_log(&p, "strata_migrations_log").len(), 2);
}

#[test]
fn adopt_from_dbmate_refuses_golang_migrates_own_table() {
    let p = Project::new();
    let ddl = "CREATE TABLE strata_migrations (version uint64, dirty bool); INSERT INTO strata_migrations VALUES (2, 0);";
    three(&p);
    p.db().execute_batch(ddl).unwrap();
    p.run(&["adopt", "--from", "dbmate", "--table", "strata_migrations"])
        .code(1)
        .stderr_has("golang-migrate's table");
    assert!(!has_table(&p, "schema_migrations_ledger"));
}

#[test]
fn adopt_lists_rows_that_match_no_file_and_changes_nothing_unless_ignored() {
    let p = Project::new();
    let ddl = "CREATE TABLE gorp_migrations (id text not null primary key, applied_at datetime);
INSERT INTO gorp_migrations VALUES ('000001_create_a.sql', '2024-01-02 03:04:05'),
  ('000009_gone.sql', '2024-01-02 03:04:05'), ('notes.sql', '2024-01-02 03:04:05');";
    adopt(&p, ddl, "gorp_migrations", &["adopt", "--from", "sql-migrate"])
        .code(3)
        .stderr_has("row \"000009_gone.sql\" of sql-migrate's table gorp_migrations matches no migration file (version 9)")
        .stderr_has("row \"notes.sql\"")
        .stderr_has("--ignore-unmatched");
    assert!(
        !has_table(&p, "schema_migrations_ledger") && !has_table(&p, "schema_migrations"),
        "nothing created"
    );
    let before = dump(&p, "gorp_migrations");
    p.run(&["adopt", "--from", "sql-migrate", "-ignore-unmatched"])
        .ok()
        .stderr_has("left out row \"000009_gone.sql\"")
        .stderr_has("left out row \"notes.sql\"");
    assert_eq!(dump(&p, "gorp_migrations"), before);
    assert_eq!(p.ledger_versions(), [1]);
    assert_eq!(p.compat(), Some((1, false)));
}

#[test]
fn adopt_over_an_existing_ledger_refuses_unless_forced_and_keeps_strata_rows() {
    let p = Project::new();
    three(&p);
    p.run(&["up", "1"]).ok();
    p.db()
        .execute_batch(
            "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
             INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (1, 1, '2024-01-02 03:04:05'), (2, 1, '2024-01-03 00:00:00');",
        )
        .unwrap();
    p.run(&["adopt", "--from", "goose"])
        .code(3)
        .stderr_has("already has migration records");
    assert_eq!(p.ledger_versions(), [1]);
    p.run(&["adopt", "--from", "goose", "--force"])
        .ok()
        .stderr_has("1 was already in the ledger");
    let rows = ledger(&p);
    assert_eq!(
        rows.iter()
            .map(|r| (r.0, r.1.as_str(), r.2))
            .collect::<Vec<_>>(),
        [(1, "applied", 1), (2, "adopted", 0)]
    );
    assert_eq!(p.compat(), Some((2, false)));
}

#[test]
fn adopt_names_a_missing_table_an_unknown_tool_and_honours_table() {
    let p = Project::new();
    three(&p);
    p.run(&["adopt", "--from", "goose"])
        .code(1)
        .stderr_has("no table goose_db_version (goose's tracking table)")
        .stderr_has("--table");
    p.run(&["adopt", "--from", "liquibase"])
        .code(2)
        .stderr_has("dbmate, goose, sqlx, sql-migrate, knex, flyway");
    p.run(&["adopt"]).code(2);
    p.db()
        .execute_batch(
            "CREATE TABLE my_versions (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP);
             INSERT INTO my_versions (version_id, is_applied) VALUES (1, 1);",
        )
        .unwrap();
    p.run(&["adopt", "--from", "goose", "--table", "my_versions"])
        .ok();
    assert_eq!(p.ledger_versions(), [1]);
    p.run(&[
        "adopt",
        "--from",
        "goose",
        "--table",
        "main.my_versions",
        "-f",
    ])
    .ok()
    .stderr_has("0 migration(s) recorded");
}
