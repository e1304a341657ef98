//! `adopt --from TOOL` on a real MariaDB: each tool's MySQL tracking table is created here by
//! hand with the column types and sample rows that tool writes, then imported into the ledger;
//! the old table must be left exactly as it was. Skipped with a printed reason when there is no
//! server (fails under `CI=true`).

use crate::support::{three, Project};
use strata_testkit::mariadb::TestMariaDb;

/// `sql` in the test's database as root; tab-separated rows.
fn sql(db: &TestMariaDb, sql: &str) -> String {
    db.server
        .admin(&format!("USE `{}`; {sql}", db.name))
        .unwrap_or_else(|e| panic!("{e}"))
        .trim()
        .to_string()
}

/// Three migrations, the tool's table made by `ddl`, then `adopt --from TOOL`; asserts the
/// old table is unchanged and returns the ledger as `version origin batch` lines.
fn adopt(db: &TestMariaDb, p: &Project, ddl: &str, table: &str, tool: &str) -> String {
    three(p);
    sql(db, ddl);
    let dump = format!("SELECT * FROM `{table}` ORDER BY 1");
    let before = sql(db, &dump);
    p.run_on(&db.url, &["adopt", "--from", tool]).ok();
    assert_eq!(
        sql(db, &dump),
        before,
        "the old table must be left untouched"
    );
    sql(
        db,
        "SELECT version, origin, batch FROM schema_migrations_ledger ORDER BY version",
    )
}

#[test]
fn mysql_adopt_from_goose_then_up_runs_only_the_rest() {
    let Some(db) = TestMariaDb::new() else { return };
    let p = Project::new();
    // goose's MySQL table: version 3 applied, then rolled back (its last row says so).
    let ddl = "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, \
               is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id)); \
               INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES \
               (0, 1, '2024-01-01 00:00:00'), (1, 1, '2024-01-02 03:04:05'), \
               (2, 1, '2024-01-03 00:00:00'), (3, 1, '2024-01-04 00:00:00'), \
               (3, 0, '2024-01-05 00:00:00');";
    let ledger = adopt(&db, &p, ddl, "goose_db_version", "goose");
    assert_eq!(ledger, "1\tadopted\t0\n2\tadopted\t0");
    assert_eq!(
        sql(&db, "SELECT version, dirty FROM schema_migrations"),
        "2\t0"
    );
    p.run_on(&db.url, &["up"]).ok().stderr_has("3/u create_c");
}

#[test]
fn mysql_adopt_from_sqlx_skips_failed_rows() {
    let Some(db) = TestMariaDb::new() else { return };
    let p = Project::new();
    let ddl = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
               installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
               checksum BLOB NOT NULL, execution_time BIGINT NOT NULL); \
               INSERT INTO _sqlx_migrations VALUES \
               (1, 'create a', '2024-01-02 03:04:05', 1, x'00ff', 7000000), \
               (2, 'create b', '2024-01-02 05:04:06', 1, x'00ff', 1000), \
               (3, 'create c', '2024-01-02 03:04:07', 0, x'00ff', 1000);";
    let ledger = adopt(&db, &p, ddl, "_sqlx_migrations", "sqlx");
    assert_eq!(ledger, "1\tadopted\t0\n2\tadopted\t0");
    assert_eq!(
        sql(&db, "SELECT version, dirty FROM schema_migrations"),
        "2\t0"
    );
}
