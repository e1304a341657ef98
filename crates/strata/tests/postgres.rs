//! The facade on PostgreSQL (feature `postgres`): the migration lock (a session advisory lock)
//! is released after a panic in the caller's callback and after a failing migration.
#![cfg(feature = "postgres")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use strata::{Error, Event, Migrations, Migrator};
use strata_testkit::TestDb;

static EMBEDDED: Migrations = strata::embed!("tests/migrations");

/// Advisory locks held in `db`'s database, by any session.
fn advisory_locks(db: &TestDb) -> i64 {
    db.admin_client()
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND d.datname = $1",
            &[&db.name],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_panic_in_the_callback_leaves_no_advisory_lock() {
    let Some(db) = TestDb::postgres() else { return };
    let mut locks_while_running = None;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        Migrator::new(&EMBEDDED)
            .on_event(|e| {
                if let Event::Started { .. } = e {
                    locks_while_running = Some(advisory_locks(&db));
                    panic!("callback failed");
                }
            })
            .up(&db.url)
    }));
    assert!(caught.is_err(), "the panic reaches the caller");
    // The check sees the lock while it is held, so its absence afterwards means something.
    // (The migration lock, and the driver's stop-request lock around a batch.)
    assert!(
        locks_while_running.is_some_and(|n| n > 0),
        "{locks_while_running:?}"
    );
    assert_eq!(advisory_locks(&db), 0);
    // What was sent (PostgreSQL may run several transactional migrations as one batch) is
    // committed, nothing is left dirty, and the next run finishes the job.
    let status = Migrator::new(&EMBEDDED).status(&db.url).unwrap();
    assert!(!status.dirty && status.version.is_some(), "{status:?}");
    Migrator::new(&EMBEDDED).up(&db.url).unwrap();
    assert!(Migrator::new(&EMBEDDED)
        .status(&db.url)
        .unwrap()
        .is_up_to_date());
}

#[test]
fn a_failing_migration_leaves_no_advisory_lock() {
    let Some(db) = TestDb::postgres() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("1_ok.up.sql"), "CREATE TABLE a (x int);\n").unwrap();
    std::fs::write(
        tmp.path().join("2_bad.up.sql"),
        "-- strata:no-transaction\nCREATE TABLE b (x int);\nSELECT * FROM nowhere;\n",
    )
    .unwrap();
    let m = Migrations::from_dir(tmp.path()).unwrap();
    let err = Migrator::new(&m).up(&db.url).unwrap_err();
    let Error::Migration(failed) = &err else {
        panic!("{err:?}")
    };
    let shape = (
        failed.version,
        failed.dirty,
        failed.applied.migrations.len(),
    );
    assert_eq!(shape, (2, true, 1));
    assert_eq!(failed.location.as_ref().map(|l| l.line), Some(3));
    assert_eq!(advisory_locks(&db), 0);
    // The dirty database refuses the next run with a typed conflict, not a lock timeout.
    let err = Migrator::new(&m).up(&db.url).unwrap_err();
    assert!(matches!(err, Error::Conflicts { .. }), "{err:?}");
}

#[test]
fn up_status_and_down_on_postgres() {
    let Some(db) = TestDb::postgres() else { return };
    assert_eq!(
        Migrator::new(&EMBEDDED)
            .up(&db.url)
            .unwrap()
            .migrations
            .len(),
        3
    );
    assert!(Migrator::new(&EMBEDDED)
        .status(&db.url)
        .unwrap()
        .is_up_to_date());
    assert_eq!(
        Migrator::new(&EMBEDDED)
            .down(&db.url, 3)
            .unwrap()
            .migrations
            .len(),
        3
    );
    let n: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'users'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

/// The PostgreSQL driver runs its own client runtime: called from inside tokio it would panic
/// ("Cannot start a runtime from within a runtime") were it not on its own thread.
#[cfg(feature = "tokio")]
#[test]
fn up_async_on_postgres_inside_a_current_thread_runtime() {
    let Some(db) = TestDb::postgres() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = rt
        .block_on(Migrator::new(&EMBEDDED).up_async(&db.url))
        .unwrap();
    assert_eq!(report.migrations.len(), 3);
    assert_eq!(advisory_locks(&db), 0);
}

#[test]
fn server_notices_reach_the_callback() {
    let Some(db) = TestDb::postgres() else { return };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("1_hello.up.sql"),
        "DO $$ BEGIN RAISE NOTICE 'hello from 1'; END $$;\n",
    )
    .unwrap();
    let m = Migrations::from_dir(tmp.path()).unwrap();
    let mut notices = Vec::new();
    Migrator::new(&m)
        .on_event(|e| {
            if let Event::Notice { version, message } = e {
                notices.push((*version, message.clone()));
            }
        })
        .up(&db.url)
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, 1);
    assert!(notices[0].1.contains("hello from 1"), "{notices:?}");
}

#[test]
fn a_table_lock_timeout_is_retried_with_a_retry_event() {
    let Some(db) = TestDb::postgres() else { return };
    db.client()
        .batch_execute("CREATE TABLE busy (x int)")
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("1_alter.up.sql"),
        "ALTER TABLE busy ADD COLUMN y int;\n",
    )
    .unwrap();
    let m = Migrations::from_dir(tmp.path()).unwrap();
    // Another session holds the table for the whole run: every attempt times out.
    let mut blocker = db.client();
    let mut tx = blocker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let mut retries = Vec::new();
    let err = Migrator::new(&m)
        .table_lock_timeout(std::time::Duration::from_millis(50))
        .lock_retries(1)
        .on_event(|e| {
            if let Event::Retry {
                version,
                attempt,
                retries: allowed,
                ..
            } = e
            {
                retries.push((*version, *attempt, *allowed));
            }
        })
        .up(&db.url)
        .unwrap_err();
    tx.rollback().unwrap();
    assert_eq!(retries, [(1, 1, 1)]);
    let Error::Migration(failed) = &err else {
        panic!("{err:?}")
    };
    assert!(
        strata_core::executor::retry::is_lock_timeout(&failed.cause),
        "{err:?}"
    );
    assert_eq!(advisory_locks(&db), 0);
}
