//! Where the tables go: `current_schema()`, `search_path`, `x-migrations-table(-quoted)`.

use crate::support::{driver, pg, relation_exists};
use strata_core::{CompatRow, Driver, DriverError, LedgerWrite};
use strata_drivers::postgres::lock::advisory_lock_id;
use strata_drivers::postgres::PostgresDriver;
use strata_drivers::DatabaseUrl;

#[test]
fn search_path_places_the_tables() {
    let db = pg!();
    db.client().batch_execute("CREATE SCHEMA app").unwrap();
    let mut d = driver(&db, "search_path=app");
    assert_eq!(d.schema(), "app");
    d.ensure_tables().unwrap();
    assert!(relation_exists(&db, "app.schema_migrations"));
    assert!(relation_exists(&db, "app.schema_migrations_ledger"));
    assert!(relation_exists(&db, "app.schema_migrations_log"));
    assert!(!relation_exists(&db, "public.schema_migrations"));
    let sp: String = d
        .client()
        .query_one("SHOW search_path", &[])
        .unwrap()
        .get(0);
    assert_eq!(sp, "app");
    let key = advisory_lock_id(&format!("/{}", db.name), &["app", "schema_migrations"]) as i64;
    assert_eq!(d.lock_keys()[0], key);
}

#[test]
fn search_path_without_existing_schema_is_a_clear_error() {
    let db = pg!();
    let url = DatabaseUrl::parse(&db.url_with("search_path=does_not_exist")).unwrap();
    let err = PostgresDriver::connect(&url, &Default::default()).unwrap_err();
    assert!(
        matches!(&err, DriverError::Connect { message, .. } if message == "no schema: search_path names no existing schema"),
        "{err:?}"
    );
}

#[test]
fn x_migrations_table_names_the_three_tables() {
    let db = pg!();
    let mut d = driver(&db, "x-migrations-table=my.versions");
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 7,
        dirty: false,
    }))])
    .unwrap();
    let v: i64 = db
        .client()
        .query_one("SELECT version FROM public.\"my.versions\"", &[])
        .unwrap()
        .get(0);
    assert_eq!(v, 7);
    assert!(relation_exists(&db, "public.\"my.versions_ledger\""));
    assert!(relation_exists(&db, "public.\"my.versions_log\""));
}

#[test]
fn quoted_x_migrations_table_chooses_the_schema() {
    let db = pg!();
    db.client().batch_execute("CREATE SCHEMA migrate").unwrap();
    let mut d = driver(
        &db,
        "x-migrations-table=%22migrate%22.%22schema_migrations%22&x-migrations-table-quoted=1",
    );
    assert_eq!(d.schema(), "migrate");
    d.ensure_tables().unwrap();
    assert!(relation_exists(&db, "migrate.schema_migrations"));
    assert!(relation_exists(&db, "migrate.schema_migrations_ledger"));
    assert!(!relation_exists(&db, "public.schema_migrations"));
    let key = advisory_lock_id(&format!("/{}", db.name), &["migrate", "schema_migrations"]) as i64;
    assert_eq!(d.lock_keys()[0], key);
}

#[test]
fn injection_in_the_table_name_is_harmless() {
    let db = pg!();
    db.client()
        .batch_execute("CREATE TABLE x (id int)")
        .unwrap();
    let mut d = driver(&db, "x-migrations-table=a%22;drop%20table%20x;--");
    d.ensure_tables().unwrap();
    d.write(&[LedgerWrite::SetCompat(Some(CompatRow {
        version: 1,
        dirty: false,
    }))])
    .unwrap();
    assert!(relation_exists(&db, "x"), "table x survived");
    assert!(relation_exists(&db, "public.\"a\"\";drop table x;--\""));
    assert_eq!(d.read_state().unwrap().compat.unwrap().version, 1);
}
