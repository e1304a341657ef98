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

#[test]
fn mysql_adopt_from_flyway_keeps_only_successful_versioned_rows() {
    let Some(db) = TestMariaDb::new() else { return };
    let p = Project::new();
    // Flyway's MySQL table (its createMetaDataTable.sql for MySQL): version 3 failed, and a
    // repeatable migration has no version.
    let ddl = "CREATE TABLE `flyway_schema_history` (`installed_rank` INT NOT NULL, \
               `version` VARCHAR(50), `description` VARCHAR(200) NOT NULL, \
               `type` VARCHAR(20) NOT NULL, `script` VARCHAR(1000) NOT NULL, `checksum` INT, \
               `installed_by` VARCHAR(100) NOT NULL, \
               `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, \
               `execution_time` INT NOT NULL, `success` BOOL NOT NULL, \
               CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY (`installed_rank`)) ENGINE=InnoDB; \
               CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`); \
               INSERT INTO flyway_schema_history VALUES \
               (1, '1', 'create a', 'SQL', 'V1__create_a.sql', 123, 'alice', '2024-01-02 03:04:05', 12, 1), \
               (2, '2', 'create b', 'SQL', 'V2__create_b.sql', 456, 'bob', '2024-01-03 00:00:00', 3, 1), \
               (3, '3', 'create c', 'SQL', 'V3__create_c.sql', 789, 'bob', '2024-01-04 00:00:00', 1, 0), \
               (4, NULL, 'view', 'SQL', 'R__view.sql', 1, 'bob', '2024-01-04 00:00:00', 1, 1);";
    let ledger = adopt(&db, &p, ddl, "flyway_schema_history", "flyway");
    assert_eq!(ledger, "1\tadopted\t0\n2\tadopted\t0");
    assert_eq!(
        sql(
            &db,
            "SELECT applied_by FROM schema_migrations_ledger ORDER BY version"
        ),
        "alice\nbob"
    );
    // When Flyway says it applied version 1, read in the session's time zone as both are.
    assert_eq!(
        sql(
            &db,
            "SELECT l.applied_at = f.installed_on FROM schema_migrations_ledger l \
             JOIN flyway_schema_history f ON f.installed_rank = 1 WHERE l.version = 1"
        ),
        "1"
    );
    assert_eq!(
        sql(&db, "SELECT version, dirty FROM schema_migrations"),
        "2\t0"
    );
    p.run_on(&db.url, &["up"]).ok().stderr_has("3/u create_c");
    assert_eq!(
        sql(
            &db,
            "SELECT version, origin FROM schema_migrations_ledger ORDER BY version"
        ),
        "1\tadopted\n2\tadopted\n3\tapplied"
    );
}

#[test]
fn mysql_adopt_from_dbmate_needs_another_name_for_golang_migrates_table() {
    let Some(db) = TestMariaDb::new() else { return };
    let p = Project::new();
    three(&p);
    // dbmate's MySQL table, under the name golang-migrate's table has by default.
    sql(
        &db,
        "CREATE TABLE IF NOT EXISTS `schema_migrations` (version varchar(128) primary key); \
         INSERT INTO schema_migrations VALUES ('000001'), ('000002');",
    );
    let tables = "SELECT table_name FROM information_schema.tables \
                  WHERE table_schema = database() ORDER BY 1";
    let found = sql(&db, tables);
    p.run_on(&db.url, &["adopt", "--from", "dbmate"])
        .code(1)
        .stderr_has("x-migrations-table=strata_migrations");
    assert_eq!(sql(&db, tables), found, "a refused adopt creates nothing");
    // `up` on dbmate's table says what it is and the ways out, and creates nothing.
    p.run_on(&db.url, &["up"])
        .code(1)
        .stderr_has("schema_migrations has dbmate's layout")
        .stderr_has("adopt --from dbmate");
    assert_eq!(sql(&db, tables), found, "a refused up creates nothing");
    let dump = "SELECT * FROM schema_migrations ORDER BY 1";
    let before = sql(&db, dump);
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}x-migrations-table=strata_migrations", db.url);
    p.run_on(&url, &["adopt", "--from", "dbmate"]).ok();
    assert_eq!(sql(&db, dump), before, "dbmate's table is left untouched");
    assert_eq!(
        sql(
            &db,
            "SELECT version, origin, batch FROM strata_migrations_ledger ORDER BY version"
        ),
        "1\tadopted\t0\n2\tadopted\t0"
    );
    assert_eq!(
        sql(&db, "SELECT version, dirty FROM strata_migrations"),
        "2\t0"
    );
    p.run_on(&url, &["up"]).ok().stderr_has("3/u create_c");
    assert_eq!(
        sql(&db, "SELECT version, dirty FROM strata_migrations"),
        "3\t0"
    );
    assert_eq!(sql(&db, dump), before, "still untouched after up");
}
