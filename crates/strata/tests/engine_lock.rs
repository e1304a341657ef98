//! The engine's own guarantee, under the facade: a panic that unwinds through a locked run (here
//! an engine callback that panics) releases the migration lock before it reaches the caller.

#![allow(clippy::result_large_err)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use strata_core::plan::Request;
use strata_core::runner::{Migrator, RunOptions};
use strata_core::{Event, TableNames};
use strata_drivers::sqlite::SqliteDriver;

#[test]
fn a_panic_unwinding_through_a_locked_run_unlocks() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.db");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrations");
    let source = strata_core::source::read_dir(&dir, strata_sql::Dialect::Sqlite).unwrap();
    let mut driver = SqliteDriver::open(&db, TableNames::default()).unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        Migrator::new(&mut driver, &source, RunOptions::default()).run(
            Request::Up(None),
            &mut |e| {
                if let Event::Started { .. } = e {
                    panic!("callback");
                }
            },
        )
    }));
    assert!(caught.is_err());
    // The driver is still open (as a pooled session would be): an explicit unlock empties the
    // lock file, and a second runner gets the lock at once.
    let lock = format!("{}.strata-lock", db.display());
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "");
    let mut other = SqliteDriver::open(&db, TableNames::default()).unwrap();
    let report = Migrator::new(
        &mut other,
        &source,
        RunOptions {
            lock_timeout: std::time::Duration::ZERO,
            ..RunOptions::default()
        },
    )
    .run(Request::Up(None), &mut |_| {})
    .unwrap();
    assert_eq!(report.steps.len(), 3);
    drop(driver);
}
