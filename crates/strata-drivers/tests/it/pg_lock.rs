//! The migration lock: golang-migrate's keys, polling with a timeout, the holder's name.

use crate::support::{driver, pg};
use std::time::{Duration, Instant};
use strata_core::{Driver, DriverError};
use strata_drivers::postgres::lock::advisory_lock_id;

fn advisory_keys_held_by(db: &strata_testkit::TestDb, pid: i32) -> Vec<i64> {
    let mut keys: Vec<i64> = db
        .client()
        .query(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 \
             AND objsubid = 1 AND granted AND pid = $1",
            &[&pid],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    keys.sort();
    keys
}

#[test]
fn lock_keys_in_pg_locks_are_golang_migrates_for_slash_dbname() {
    let db = pg!();
    let mut d = driver(&db, "");
    let pid: i32 = d
        .client()
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    d.lock(Duration::from_secs(5)).unwrap();
    let cli = advisory_lock_id(&format!("/{}", db.name), &["public", "schema_migrations"]) as i64;
    let lib = advisory_lock_id(&db.name, &["public", "schema_migrations"]) as i64;
    let mut expected = vec![cli, lib];
    expected.sort();
    assert_eq!(advisory_keys_held_by(&db, pid), expected);
    assert_eq!(d.lock_keys(), &[cli, lib]);
    d.unlock().unwrap();
    assert_eq!(advisory_keys_held_by(&db, pid), Vec::<i64>::new());
}

#[test]
fn lock_held_by_another_session_times_out_naming_the_holder() {
    let db = pg!();
    let mut d = driver(&db, "");
    // Another runner (golang-migrate CLI, say) holds the CLI-form key.
    let mut other = db.client();
    let other_pid: i32 = other
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    other
        .execute("SELECT pg_advisory_lock($1)", &[&d.lock_keys()[0]])
        .unwrap();
    let start = Instant::now();
    let err = d.lock(Duration::from_millis(500)).unwrap_err();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    match &err {
        DriverError::LockTimeout { waited, holder } => {
            assert!(*waited >= Duration::from_millis(500));
            let holder = holder.as_deref().expect("holder named");
            assert!(holder.contains(&format!("pid {other_pid}")), "{holder}");
            assert!(holder.contains("strata-testkit"), "{holder}");
            assert!(holder.contains("state \"idle\""), "{holder}");
            assert!(holder.contains("pg_advisory_lock"), "{holder}");
        }
        other => panic!("expected LockTimeout, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("timeout: can't acquire database lock"),
        "{err}"
    );
    // Nothing is left half-taken: the library-form key is free.
    let pid: i32 = d
        .client()
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    assert!(advisory_keys_held_by(&db, pid).is_empty());
    // Once released, the lock is taken.
    other
        .execute("SELECT pg_advisory_unlock($1)", &[&d.lock_keys()[0]])
        .unwrap();
    d.lock(Duration::from_secs(2)).unwrap();
}

#[test]
fn library_form_key_also_excludes() {
    let db = pg!();
    let mut d = driver(&db, "");
    let mut other = db.client();
    other
        .execute("SELECT pg_advisory_lock($1)", &[&d.lock_keys()[1]])
        .unwrap();
    assert!(matches!(
        d.lock(Duration::from_millis(200)),
        Err(DriverError::LockTimeout { .. })
    ));
}

#[test]
fn two_drivers_exclude_each_other_and_the_waiter_gets_it_after_release() {
    let db = pg!();
    let mut a = driver(&db, "");
    let mut b = driver(&db, "");
    a.lock(Duration::from_secs(1)).unwrap();
    assert!(b.lock(Duration::from_millis(100)).is_err());
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        b.lock(Duration::from_secs(5)).map(|_| start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    a.unlock().unwrap();
    let waited = t.join().unwrap().unwrap();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
}
