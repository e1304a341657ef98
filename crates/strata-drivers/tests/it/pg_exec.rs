//! Running migration bodies: in a transaction with their records, and in autocommit.

use crate::support::{driver, pg, relation_exists, script};
use strata_core::{AppliedMigration, CompatRow, Driver, DriverError, LedgerWrite, Origin, TxMode};

fn records(version: u64) -> Vec<LedgerWrite> {
    vec![
        LedgerWrite::SetCompat(Some(CompatRow {
            version: version as i64,
            dirty: false,
        })),
        LedgerWrite::Insert(AppliedMigration {
            version,
            name: "m".into(),
            checksum: None,
            down_checksum: None,
            batch: 1,
            applied_at: String::new(),
            duration_ms: 1,
            applied_by: "t".into(),
            mode: TxMode::Transaction,
            origin: Origin::Applied,
        }),
    ]
}

fn statement_error(
    e: DriverError,
) -> (
    String,
    Option<String>,
    Option<std::ops::Range<usize>>,
    Option<usize>,
) {
    match e {
        DriverError::Statement {
            message,
            code,
            statement,
            position,
            ..
        } => (message, code, statement, position),
        other => panic!("expected a statement error, got {other:?}"),
    }
}

#[test]
fn body_and_records_commit_together() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    d.run_in_transaction(
        &script("CREATE TABLE t1 (id int);\nINSERT INTO t1 VALUES (1);"),
        &records(1),
    )
    .unwrap();
    assert!(relation_exists(&db, "t1"));
    let state = d.read_state().unwrap();
    assert_eq!(
        state.compat,
        Some(CompatRow {
            version: 1,
            dirty: false
        })
    );
    assert_eq!(state.applied.len(), 1);
}

#[test]
fn failing_transaction_leaves_no_trace_and_names_the_statement() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.ensure_tables().unwrap();
    let sql =
        "CREATE TABLE t1 (id int);\nINSERT INTO nope VALUES (1);\nCREATE TABLE t2 (id int);\n";
    let err = d.run_in_transaction(&script(sql), &records(1)).unwrap_err();
    let (message, code, statement, position) = statement_error(err);
    assert_eq!(message, "relation \"nope\" does not exist");
    assert_eq!(code.as_deref(), Some("42P01"));
    let statement = statement.expect("statement range");
    assert_eq!(&sql[statement], "INSERT INTO nope VALUES (1);");
    assert_eq!(position, Some(sql.find("nope").unwrap()));
    // Nothing happened: no table, no dirty flag, no ledger row.
    assert!(!relation_exists(&db, "t1"));
    let state = d.read_state().unwrap();
    assert_eq!(state, Default::default());
    // The session is usable afterwards.
    d.run_in_transaction(&script("CREATE TABLE t3 (id int);"), &records(1))
        .unwrap();
}

#[test]
fn syntax_error_position_maps_to_the_script() {
    let db = pg!();
    let mut d = driver(&db, "");
    let sql = "-- créé\nCREATE TABLE foo (foo text);\nCREATE TABLEE bar (bar text);\nSELECT 1;";
    let (message, code, statement, position) =
        statement_error(d.run_in_transaction(&script(sql), &[]).unwrap_err());
    assert_eq!(message, "syntax error at or near \"TABLEE\"");
    assert_eq!(code.as_deref(), Some("42601"));
    assert_eq!(
        position,
        Some(sql.find("TABLEE").unwrap()),
        "byte offset, despite the é"
    );
    assert_eq!(&sql[statement.unwrap()], "CREATE TABLEE bar (bar text);");
    assert!(!relation_exists(&db, "foo"));
}

#[test]
fn error_without_position_is_located_by_rerunning() {
    let db = pg!();
    let mut d = driver(&db, "");
    let sql = "CREATE TABLE a (x int);\nCREATE TABLE a (x int);\nCREATE TABLE b (x int);";
    let (message, code, statement, position) =
        statement_error(d.run_in_transaction(&script(sql), &[]).unwrap_err());
    assert_eq!(message, "relation \"a\" already exists");
    assert_eq!(code.as_deref(), Some("42P07"));
    assert_eq!(position, None);
    let r = statement.expect("found by re-running");
    assert_eq!(r.start, sql.find("\nCREATE TABLE a").unwrap() + 1);
    assert!(!relation_exists(&db, "a"), "the re-run was rolled back");
    assert!(d.take_notices().is_empty());
}

#[test]
fn explicit_statement_ranges_are_sent_one_by_one() {
    let db = pg!();
    let mut d = driver(&db, "");
    let sql = "CREATE TABLE r1 (x int);\nSELECT * FROM missing;\n";
    let mut s = script(sql);
    s.statements = Some(vec![0..24, 25..sql.len() - 1]);
    let (_, code, statement, position) =
        statement_error(d.run_in_transaction(&s, &[]).unwrap_err());
    assert_eq!(code.as_deref(), Some("42P01"));
    assert_eq!(statement, Some(25..sql.len() - 1));
    assert_eq!(position, Some(sql.find("missing").unwrap()));
    assert!(!relation_exists(&db, "r1"));
}

#[test]
fn dollar_quoted_function_body_full_of_semicolons_works() {
    let db = pg!();
    let mut d = driver(&db, "");
    let sql = r#"
CREATE FUNCTION add_and_log(a int, b int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    s int;
BEGIN
    s := a + b;
    RAISE NOTICE 'sum is %; done;', s;
    RETURN s;
END;
$$;
DO $body$ BEGIN PERFORM add_and_log(1, 2); END; $body$;
SELECT add_and_log(2, 3);
"#;
    d.run_in_transaction(&script(sql), &[]).unwrap();
    let v: i32 = db
        .client()
        .query_one("SELECT add_and_log(20, 22)", &[])
        .unwrap()
        .get(0);
    assert_eq!(v, 42);
    assert_eq!(
        d.take_notices(),
        vec![
            "NOTICE: sum is 3; done;".to_string(),
            "NOTICE: sum is 5; done;".to_string()
        ]
    );
    assert!(d.take_notices().is_empty(), "notices are taken once");
}

#[test]
fn autocommit_runs_create_index_concurrently() {
    let db = pg!();
    let mut d = driver(&db, "");
    d.run_in_transaction(
        &script("CREATE TABLE big (x int); INSERT INTO big SELECT generate_series(1, 100);"),
        &[],
    )
    .unwrap();
    // In a transaction it cannot work...
    let (message, code, ..) = statement_error(
        d.run_in_transaction(&script("CREATE INDEX CONCURRENTLY big_x ON big (x);"), &[])
            .unwrap_err(),
    );
    assert_eq!(code.as_deref(), Some("25001"), "{message}");
    // ...in autocommit it does.
    d.run_autocommit("CREATE INDEX CONCURRENTLY big_x ON big (x)")
        .unwrap();
    let valid: bool = db
        .client()
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_x'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
}

#[test]
fn autocommit_error_has_position_and_leaves_the_session_clean() {
    let db = pg!();
    let mut d = driver(&db, "");
    let sql = "SELECT 1;\nSELECT * FROM nowhere;";
    let (_, code, statement, position) = statement_error(d.run_autocommit(sql).unwrap_err());
    assert_eq!(code.as_deref(), Some("42P01"));
    assert_eq!(position, Some(sql.find("nowhere").unwrap()));
    assert_eq!(&sql[statement.unwrap()], "SELECT * FROM nowhere;");

    // A self-managed file failing inside its own BEGIN does not leave the session aborted.
    let own = "BEGIN;\nCREATE TABLE z (x int);\nINSERT INTO nope VALUES (1);\nCOMMIT;";
    d.run_autocommit(own).unwrap_err();
    assert!(!relation_exists(&db, "z"));
    d.ensure_tables().unwrap();
    assert_eq!(d.read_state().unwrap(), Default::default());
}

#[test]
fn statement_timeout_applies_to_bodies() {
    let db = pg!();
    let opts = strata_drivers::ConnectOptions {
        statement_timeout: Some(std::time::Duration::from_millis(200)),
        lock_timeout: Some(std::time::Duration::from_millis(300)),
        ..Default::default()
    };
    let mut d = crate::support::driver_with(&db, "", &opts);
    let (message, code, statement, _) = statement_error(
        d.run_in_transaction(&script("SELECT 1; SELECT pg_sleep(5);"), &[])
            .unwrap_err(),
    );
    assert_eq!(code.as_deref(), Some("57014"), "{message}");
    assert_eq!(statement, None, "a timeout is not re-run");
    let lt: String = d
        .client()
        .query_one("SHOW lock_timeout", &[])
        .unwrap()
        .get(0);
    assert_eq!(lt, "300ms");
    // x-statement-timeout from the URL when the options have none.
    let mut d = crate::support::driver(&db, "x-statement-timeout=1500");
    let st: String = d
        .client()
        .query_one("SHOW statement_timeout", &[])
        .unwrap()
        .get(0);
    assert_eq!(st, "1500ms");
}
