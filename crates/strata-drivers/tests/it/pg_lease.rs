//! The lease lock on a direct connection: waiting names the holder, the lease is released at
//! the end, a migration transaction checks the lease, and nothing is set for the session.

use crate::support::{driver, driver_with, pg, relation_exists, script};
use std::time::Duration;
use strata_core::{Driver, DriverError};
use strata_drivers::ConnectOptions;

const LEASE: &str = "x-lock-strategy=lease&x-lock-lease=30s";

fn lease_rows(db: &strata_testkit::TestDb) -> i64 {
    db.client()
        .query_one("SELECT count(*) FROM schema_migrations_lease", &[])
        .unwrap()
        .get(0)
}

#[test]
fn a_second_runner_waits_for_the_lease_naming_its_holder_and_gets_it_once_released() {
    let db = pg!();
    let mut first = driver(&db, LEASE);
    let mut second = driver(&db, LEASE);
    first.lock(Duration::from_secs(5)).unwrap();
    // A run that goes on to change things: the lease table stays after it.
    first.ensure_tables().unwrap();
    assert_eq!(lease_rows(&db), 1);
    let err = second.lock(Duration::from_millis(300)).unwrap_err();
    let DriverError::LockTimeout {
        holder: Some(holder),
        ..
    } = &err
    else {
        panic!("not a lock timeout naming the holder: {err:?}")
    };
    assert!(
        holder.starts_with("the lease of host ")
            && holder.contains(&format!(" pid {}, since ", std::process::id()))
            && holder.contains(", expires in "),
        "{holder}"
    );
    // No advisory lock is involved.
    let advisory: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(advisory, 0);
    first.unlock().unwrap();
    assert_eq!(lease_rows(&db), 0, "released");
    second.lock(Duration::from_secs(5)).unwrap();
    second.unlock().unwrap();
}

#[test]
fn a_migration_transaction_after_the_lease_was_taken_over_commits_nothing() {
    let db = pg!();
    let mut d = driver(&db, LEASE);
    d.lock(Duration::from_secs(5)).unwrap();
    d.ensure_tables().unwrap();
    // Another runner took the lease over (as after an expiry).
    db.client()
        .batch_execute("UPDATE schema_migrations_lease SET holder = 'someone else'")
        .unwrap();
    let err = d
        .run_in_transaction(&script("CREATE TABLE fenced (id int);"), &[])
        .unwrap_err();
    assert!(matches!(err, DriverError::LeaseLost { .. }), "{err:?}");
    assert!(!relation_exists(&db, "fenced"));
}

#[test]
fn under_a_lease_nothing_is_set_for_the_session_and_transactions_carry_the_settings() {
    let db = pg!();
    db.client().batch_execute("CREATE SCHEMA app").unwrap();
    let opts = ConnectOptions {
        lock_timeout: Some(Duration::from_secs(7)),
        ..ConnectOptions::default()
    };
    let mut d = driver_with(&db, &format!("{LEASE}&search_path=app"), &opts);
    assert_eq!(d.schema(), "app", "resolved as the migrations see it");
    let (path, lock_timeout): (String, String) = {
        let row = d
            .client()
            .query_one(
                "SELECT current_setting('search_path'), current_setting('lock_timeout')",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(
        (path.as_str(), lock_timeout.as_str()),
        ("\"$user\", public", "0")
    );
    d.lock(Duration::from_secs(5)).unwrap();
    d.ensure_tables().unwrap();
    d.run_in_transaction(
        &script("CREATE TABLE placed AS SELECT current_setting('lock_timeout') AS lt;"),
        &[],
    )
    .unwrap();
    d.unlock().unwrap();
    let lt: String = db
        .client()
        .query_one("SELECT lt FROM app.placed", &[])
        .unwrap()
        .get(0);
    assert_eq!(lt, "7s");
}

/// A takeover of an expired lease waits for a transaction of the old holder that passed its
/// commit check, so that transaction's commit still happens under the lease it checked.
#[test]
fn a_takeover_waits_for_a_commit_that_passed_the_lease_check() {
    use strata_drivers::postgres::lease::Lease;
    let db = pg!();
    let lease = |holder: &str| {
        Lease::with_holder(
            "public",
            "schema_migrations",
            Duration::from_secs(1),
            holder.into(),
            "h".into(),
            1,
        )
    };
    let (old, new) = (lease("old"), lease("new"));
    let mut committing = db.client();
    committing.batch_execute(&old.create_sql()).unwrap();
    let taken = |c: &mut postgres::Client, l: &Lease| -> Result<bool, postgres::Error> {
        let out = c.simple_query(&l.acquire_sql(Duration::from_millis(300)))?;
        Ok(out
            .iter()
            .any(|m| matches!(m, postgres::SimpleQueryMessage::Row(_))))
    };
    assert!(taken(&mut committing, &old).unwrap());
    committing
        .batch_execute(&format!("BEGIN; {}", old.check_statement(true)))
        .unwrap();
    // The old lease runs out (1 s) while that commit is in flight.
    let mut other = db.client();
    while !other
        .query_one(
            "SELECT bool_and(expires_at <= clock_timestamp()) FROM schema_migrations_lease",
            &[],
        )
        .unwrap()
        .get::<_, bool>(0)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let waited = taken(&mut other, &new).unwrap_err();
    assert_eq!(
        waited.code().map(|c| c.code()),
        Some("55P03"),
        "the takeover waited for the row: {waited}"
    );
    committing.batch_execute("COMMIT").unwrap();
    assert!(
        taken(&mut other, &new).unwrap(),
        "taken over after the commit"
    );
}

/// A role granted the lease table (without CREATE on the schema) takes the lease.
#[test]
fn a_role_without_create_on_the_schema_takes_an_existing_lease_table() {
    let db = pg!();
    // The administrator's first run creates the tables.
    let mut admin = driver(&db, LEASE);
    admin.lock(Duration::from_secs(5)).unwrap();
    admin.ensure_tables().unwrap();
    admin.unlock().unwrap();
    let role = format!("lease_{}", &db.name[db.name.len() - 8..]);
    db.client()
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON schema_migrations_lease TO {role};"
        ))
        .unwrap();
    let base = db.url_as(&role, None);
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = strata_drivers::DatabaseUrl::parse(&format!("{base}{sep}{LEASE}")).unwrap();
    let mut d =
        strata_drivers::postgres::PostgresDriver::connect(&url, &Default::default()).unwrap();
    let locked = d.lock(Duration::from_secs(5));
    let unlocked = d.unlock();
    drop(d);
    db.client()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
    locked.unwrap();
    unlocked.unwrap();
}

#[test]
fn the_heartbeat_keeps_a_lease_past_its_duration_and_stops_at_the_release() {
    let db = pg!();
    let mut d = driver(&db, "x-lock-strategy=lease&x-lock-lease=1s");
    d.lock(Duration::from_secs(5)).unwrap();
    d.ensure_tables().unwrap();
    // Three lease durations without any migration: only the heartbeat renews it.
    std::thread::sleep(Duration::from_millis(3000));
    let live: bool = db
        .client()
        .query_one(
            "SELECT expires_at > clock_timestamp() FROM schema_migrations_lease",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(live, "renewed");
    d.run_in_transaction(&script("CREATE TABLE kept (id int);"), &[])
        .unwrap();
    assert!(relation_exists(&db, "kept"));
    d.unlock().unwrap();
    assert_eq!(lease_rows(&db), 0);
}

#[test]
fn dropping_everything_under_a_lease_drops_its_table_and_the_release_still_succeeds() {
    let db = pg!();
    let mut d = driver(&db, LEASE);
    d.lock(Duration::from_secs(5)).unwrap();
    d.ensure_tables().unwrap();
    d.drop_all().unwrap();
    assert!(!relation_exists(&db, "schema_migrations_lease"));
    d.unlock().unwrap();
}

/// A run that took the lease and changed nothing (refused, or only read) leaves no lease
/// table behind when it created it; one that went on to create the migrations tables keeps
/// it, and a table that was there before is never dropped.
#[test]
fn the_lease_table_stays_only_after_a_run_that_changed_something() {
    let db = pg!();
    let mut d = driver(&db, LEASE);
    d.lock(Duration::from_secs(5)).unwrap();
    assert!(relation_exists(&db, "schema_migrations_lease"));
    d.unlock().unwrap();
    assert!(!relation_exists(&db, "schema_migrations_lease"), "dropped");
    d.lock(Duration::from_secs(5)).unwrap();
    d.ensure_tables().unwrap();
    d.unlock().unwrap();
    assert!(relation_exists(&db, "schema_migrations_lease"), "kept");
    assert_eq!(lease_rows(&db), 0);
    // Found there: kept, even by a run that changes nothing.
    d.lock(Duration::from_secs(5)).unwrap();
    d.unlock().unwrap();
    assert!(
        relation_exists(&db, "schema_migrations_lease"),
        "found, kept"
    );
}

/// A runner waiting for the lease while its holder (which created the table and changed
/// nothing) drops the table creates it again and takes the lease.
#[test]
fn a_runner_waiting_while_the_lease_table_is_dropped_still_gets_the_lease() {
    let db = pg!();
    let mut first = driver(&db, LEASE);
    let mut second = driver(&db, LEASE);
    first.lock(Duration::from_secs(5)).unwrap();
    let waiter = std::thread::spawn(move || {
        let taken = second.lock(Duration::from_secs(30));
        (second, taken)
    });
    // Let the second runner find the table and start polling (its outcome does not depend
    // on the time taken).
    std::thread::sleep(Duration::from_millis(300));
    first.unlock().unwrap();
    let (mut second, taken) = waiter.join().unwrap();
    taken.unwrap();
    assert_eq!(lease_rows(&db), 1, "held by the second runner");
    second.ensure_tables().unwrap();
    second.unlock().unwrap();
    assert_eq!(lease_rows(&db), 0);
}
