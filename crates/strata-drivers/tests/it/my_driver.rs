//! The MySQL driver against a real MariaDB (one database per test from `strata-testkit`;
//! skipped, printing why, when no server can be had outside CI).

use mysql::prelude::Queryable;
use std::time::Duration;
use strata_core::ledger::{Action, AppliedMigration, CompatRow, LedgerWrite, LogEntry, Origin};
use strata_core::{Driver, DriverError, Fix, TxMode};
use strata_drivers::mysql::MysqlDriver;
use strata_drivers::{ConnectOptions, DatabaseUrl};
use strata_testkit::mariadb::{TestMariaDb, PASSWORD};

macro_rules! maria {
    () => {
        match TestMariaDb::new() {
            Some(db) => db,
            None => return,
        }
    };
}

fn url(db: &TestMariaDb, extra: &str) -> DatabaseUrl {
    let sep = if extra.is_empty() { "" } else { "?" };
    DatabaseUrl::parse(&format!("{}{sep}{extra}", db.url)).expect("test URL parses")
}

fn driver_with(db: &TestMariaDb, extra: &str, opts: &ConnectOptions) -> MysqlDriver {
    MysqlDriver::connect(&url(db, extra), opts).unwrap_or_else(|e| panic!("connect: {e}"))
}

fn driver(db: &TestMariaDb) -> MysqlDriver {
    driver_with(db, "", &ConnectOptions::default())
}

fn entry(action: Action, version: u64, detail: &str) -> LogEntry {
    LogEntry {
        action,
        version: Some(version),
        name: format!("m{version}"),
        batch: Some(1),
        checksum: Some("abc".into()),
        duration_ms: 7,
        actor: "me@host".into(),
        detail: detail.into(),
    }
}

fn applied(version: u64, applied_at: &str) -> AppliedMigration {
    AppliedMigration {
        version,
        name: format!("m{version}"),
        checksum: Some("c".into()),
        down_checksum: None,
        batch: 1,
        applied_at: applied_at.into(),
        duration_ms: 3,
        applied_by: "me@host".into(),
        mode: TxMode::NoTransaction,
        origin: Origin::Applied,
    }
}

#[test]
fn mysql_tables_are_golang_migrates_and_the_ledger_and_log_round_trip() {
    let db = maria!();
    let mut d = driver(&db);
    assert_eq!(
        d.read_state().unwrap(),
        Default::default(),
        "no tables read as empty"
    );
    d.ensure_tables().unwrap();
    d.ensure_tables().unwrap();
    let columns: Vec<(String, String, String, String)> = d
        .conn_mut()
        .exec(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations' ORDER BY ORDINAL_POSITION",
            (),
        )
        .unwrap();
    assert_eq!(
        columns,
        [
            (
                "version".into(),
                "bigint(20)".into(),
                "NO".into(),
                "PRI".into()
            ),
            ("dirty".into(), "tinyint(1)".into(), "NO".into(), "".into()),
        ]
    );
    d.write(&[
        LedgerWrite::SetCompat(Some(CompatRow {
            version: 3,
            dirty: true,
        })),
        LedgerWrite::Insert(applied(2, "")),
        LedgerWrite::Insert(applied(1, "2024-01-02T03:04:05.678Z")),
        LedgerWrite::Log(entry(Action::Start, 3, "no-transaction")),
    ])
    .unwrap();
    d.append_log(&entry(Action::Up, 2, "")).unwrap();
    let state = d.read_state().unwrap();
    assert_eq!(
        state.compat,
        Some(CompatRow {
            version: 3,
            dirty: true
        })
    );
    assert_eq!(
        state.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(state.applied[0].applied_at, "2024-01-02T03:04:05.678Z");
    assert_eq!(state.applied[0].mode, TxMode::NoTransaction);
    assert!(state.applied[1].applied_at.ends_with('Z'));
    // One row only, as golang-migrate keeps it.
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 3,
        dirty: false,
    }))])
    .unwrap();
    let rows: Vec<(i64, i64)> = d
        .conn_mut()
        .query("SELECT version, dirty FROM schema_migrations")
        .unwrap();
    assert_eq!(rows, [(3, 0)]);
    // A version recorded twice is refused, never overwritten, and nothing of that write stays.
    let e = d
        .write(&[
            LedgerWrite::SetCompat(None),
            LedgerWrite::Insert(applied(2, "")),
        ])
        .unwrap_err();
    assert!(matches!(e, DriverError::AlreadyApplied { .. }), "{e:?}");
    assert_eq!(d.read_state().unwrap().compat.map(|c| c.version), Some(3));
    let log = d.read_log(None).unwrap();
    assert_eq!(
        log.iter().map(|r| r.entry.action).collect::<Vec<_>>(),
        [Action::Up, Action::Start]
    );
    assert_eq!(log[1].entry.detail, "no-transaction");
    assert_eq!(log[1].entry.checksum.as_deref(), Some("abc"));
    assert!(
        log[0].at.ends_with('Z') && log[0].at.contains('T'),
        "{}",
        log[0].at
    );
    assert_eq!(d.read_log(Some(1)).unwrap().len(), 1);
}

#[test]
fn mysql_lock_is_golang_migrates_get_lock_and_a_second_runner_is_told_who_holds_it() {
    let db = maria!();
    let mut a = driver(&db);
    let mut b = driver(&db);
    a.lock(Duration::from_secs(5)).unwrap();
    let name = strata_drivers::mysql::lock_name::lock_name(&db.name, "schema_migrations");
    let holder: Option<u32> = b
        .conn_mut()
        .exec_first("SELECT IS_USED_LOCK(?)", (&name,))
        .unwrap()
        .flatten();
    assert_eq!(
        holder,
        Some(a.connection_id()),
        "golang-migrate's lock name, held by a"
    );
    let e = b.lock(Duration::from_millis(300)).unwrap_err();
    let DriverError::LockTimeout {
        holder: Some(h), ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(
        h.starts_with(&format!("connection {} (strata@", a.connection_id())),
        "{h}"
    );
    assert!(matches!(e.fix(), Some(Fix::WaitForLockHolder { .. })));
    a.unlock().unwrap();
    b.lock(Duration::from_secs(5)).unwrap();
    b.unlock().unwrap();
    // A killed runner's lock dies with its session.
    a.lock(Duration::from_secs(5)).unwrap();
    drop(a);
    b.lock(Duration::from_secs(5)).unwrap();
}

#[test]
fn mysql_x_no_lock_takes_no_lock() {
    let db = maria!();
    let mut a = driver(&db);
    a.lock(Duration::from_secs(5)).unwrap();
    let mut b = driver_with(&db, "x-no-lock=true", &ConnectOptions::default());
    b.lock(Duration::from_millis(100)).unwrap();
    b.unlock().unwrap();
}

#[test]
fn mysql_drop_all_drops_every_table_as_golang_migrate_and_leaves_views() {
    let db = maria!();
    let mut d = driver(&db);
    d.ensure_tables().unwrap();
    d.run_autocommit("CREATE TABLE parent (id int primary key)")
        .unwrap();
    d.run_autocommit("CREATE TABLE child (id int, p int, FOREIGN KEY (p) REFERENCES parent (id))")
        .unwrap();
    d.run_autocommit("CREATE VIEW v AS SELECT 1 AS one")
        .unwrap();
    let report = d.drop_all().unwrap();
    assert_eq!(
        report.dropped,
        [
            "table child",
            "table parent",
            "table schema_migrations",
            "table schema_migrations_ledger",
            "table schema_migrations_log"
        ]
    );
    let left: Vec<String> = d
        .conn_mut()
        .query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        .unwrap();
    assert_eq!(left, ["v"]);
    let checks: Option<i64> = d
        .conn_mut()
        .query_first("SELECT @@foreign_key_checks")
        .unwrap();
    assert_eq!(checks, Some(1), "foreign key checks are on again");
}

#[test]
fn mysql_a_ddl_behind_an_open_transaction_times_out_naming_the_blocking_session() {
    let db = maria!();
    let opts = ConnectOptions {
        lock_timeout: Some(Duration::from_secs(1)),
        ..ConnectOptions::default()
    };
    let mut d = driver_with(&db, "", &opts);
    d.run_autocommit("CREATE TABLE t (id int)").unwrap();
    let mut other = driver(&db);
    other.conn_mut().query_drop("START TRANSACTION").unwrap();
    other.conn_mut().query_drop("SELECT * FROM t").unwrap();
    let sql = "ALTER TABLE t ADD COLUMN c int";
    let e = d.run_autocommit(sql).unwrap_err();
    let DriverError::Statement {
        code,
        detail,
        statement,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(code.as_deref(), Some("1205"));
    assert_eq!(statement.clone(), Some(0..sql.len()));
    let detail = detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains(&format!("connection {} (strata@", other.connection_id())),
        "{detail}"
    );
    other.conn_mut().query_drop("COMMIT").unwrap();
    d.run_autocommit(sql).unwrap();
}

#[test]
fn mysql_a_scripts_lock_timeout_applies_to_it_alone() {
    let db = maria!();
    let mut d = driver(&db);
    let before: Option<String> = d
        .conn_mut()
        .query_first("SELECT @@SESSION.lock_wait_timeout")
        .unwrap();
    let mut script = strata_core::Script {
        path: "m/1_a.up.sql".into(),
        sql: "SELECT 1;".into(),
        offset: 0,
        first_line: 1,
        mode: TxMode::NoTransaction,
        mode_reason: None,
        statements: None,
        lock_timeout: Some(Duration::from_secs(3)),
        statement_timeout: None,
        batchable: false,
        streamed: None,
    };
    d.session().unwrap().before_script(&script, false).unwrap();
    let during: Option<String> = d
        .conn_mut()
        .query_first("SELECT @@SESSION.lock_wait_timeout")
        .unwrap();
    assert_eq!(during.as_deref(), Some("3"));
    d.session().unwrap().after_script().unwrap();
    let after: Option<String> = d
        .conn_mut()
        .query_first("SELECT @@SESSION.lock_wait_timeout")
        .unwrap();
    assert_eq!(after, before);
    script.lock_timeout = None;
    script.statement_timeout = Some(Duration::from_millis(1500));
    d.session().unwrap().before_script(&script, false).unwrap();
    let limit: Option<String> = d
        .conn_mut()
        .query_first("SELECT @@SESSION.max_statement_time")
        .unwrap();
    assert!(
        limit.as_deref().is_some_and(|v| v.starts_with("1.5")),
        "{limit:?}"
    );
    d.session().unwrap().after_script().unwrap();
    let limit: Option<String> = d
        .conn_mut()
        .query_first("SELECT @@SESSION.max_statement_time")
        .unwrap();
    assert!(
        limit
            .as_deref()
            .is_some_and(|v| v.parse::<f64>() == Ok(0.0)),
        "{limit:?}"
    );
}

#[test]
fn mysql_read_table_gives_another_tools_rows_as_text() {
    let db = maria!();
    let mut d = driver(&db);
    d.run_autocommit(
        "CREATE TABLE goose_db_version (id int primary key, version_id bigint, is_applied boolean, tstamp timestamp NULL)",
    )
    .unwrap();
    d.run_autocommit(
        "INSERT INTO goose_db_version VALUES (1, 0, 1, '2024-01-02 03:04:05'), (2, 5, 0, NULL)",
    )
    .unwrap();
    let t = d.read_table(None, "goose_db_version").unwrap().unwrap();
    assert_eq!(t.columns, ["id", "version_id", "is_applied", "tstamp"]);
    assert_eq!(
        t.rows,
        [
            vec![
                Some("1".to_string()),
                Some("0".to_string()),
                Some("1".to_string()),
                Some("2024-01-02T03:04:05.000Z".to_string())
            ],
            vec![Some("2".into()), Some("5".into()), Some("0".into()), None],
        ]
    );
    assert!(d.read_table(None, "missing").unwrap().is_none());
}

#[test]
fn mysql_a_wrong_password_is_refused_naming_the_user_never_the_password() {
    let db = maria!();
    let bad = db.url.replace(PASSWORD, "not-the-s3cret");
    let url = DatabaseUrl::parse(&bad).unwrap();
    let e = MysqlDriver::connect(&url, &ConnectOptions::default())
        .err()
        .expect("refused");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("not-the-s3cret") && !text.contains(PASSWORD),
        "{text}"
    );
    assert_eq!(
        e.fix(),
        Some(Fix::CheckPassword {
            user: "strata".into()
        })
    );
}

#[test]
fn mysql_connect_routes_mysql_and_mariadb_urls_to_this_driver() {
    let db = maria!();
    for scheme in ["mysql", "mariadb"] {
        let raw = db.url.replacen("mysql", scheme, 1);
        let url = DatabaseUrl::parse(&raw).unwrap();
        let mut conn = strata_drivers::connect(&url, &ConnectOptions::default()).unwrap();
        assert!(conn.mysql().is_some());
        assert_eq!(conn.dialect(), strata_sql::Dialect::Mysql);
        assert!(!conn.capabilities().transactional_ddl);
    }
}
