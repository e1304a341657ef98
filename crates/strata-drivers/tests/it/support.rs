//! Helpers shared by the integration tests.

use std::path::PathBuf;
use strata_core::{Script, TxMode};
use strata_drivers::postgres::PostgresDriver;
use strata_drivers::{ConnectOptions, DatabaseUrl};
use strata_testkit::TestDb;

/// A fresh database, or return from the test (after "skipped: ...") when there is no server.
macro_rules! pg {
    () => {
        match strata_testkit::TestDb::postgres() {
            Some(db) => db,
            None => return,
        }
    };
}
pub(crate) use pg;

/// A driver on `db` with `extra` query parameters.
pub fn driver(db: &TestDb, extra: &str) -> PostgresDriver<'static> {
    driver_with(db, extra, &ConnectOptions::default())
}

/// A driver on `db` with `extra` query parameters and options.
pub fn driver_with(db: &TestDb, extra: &str, opts: &ConnectOptions) -> PostgresDriver<'static> {
    let url = DatabaseUrl::parse(&db.url_with(extra)).expect("test URL parses");
    PostgresDriver::connect(&url, opts).unwrap_or_else(|e| panic!("connect: {e} ({e:?})"))
}

/// A transactional script with `sql` and no explicit statement boundaries.
pub fn script(sql: &str) -> Script {
    Script {
        path: PathBuf::from("migrations/1_test.up.sql"),
        sql: sql.to_string(),
        offset: 0,
        first_line: 1,
        mode: TxMode::Transaction,
        mode_reason: None,
        statements: None,
        lock_timeout: None,
        statement_timeout: None,
        batchable: true,
        streamed: None,
    }
}

/// Whether a relation exists in the test database.
pub fn relation_exists(db: &TestDb, name: &str) -> bool {
    db.client()
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .unwrap()
        .get(0)
}
