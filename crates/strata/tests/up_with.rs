//! `Migrator::up_with`: migrations on the application's own connection (a `rusqlite::Connection`,
//! a `postgres::Client`), which is handed back as it was found: the lock released, the session's
//! settings unchanged, the connection usable.

use std::time::Duration;
use strata::{Error, Migrations, Migrator};
use strata_testkit::TestDb;

static EMBEDDED: Migrations = strata::embed!("tests/migrations");

fn folder(files: &[(&str, &str)]) -> (tempfile::TempDir, Migrations) {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let m = Migrations::from_dir(tmp.path()).unwrap();
    (tmp, m)
}

#[test]
fn sqlite_in_memory_connection_is_migrated_and_stays_usable() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let report = Migrator::new(&EMBEDDED).up_with(&mut conn).unwrap();
    assert_eq!(report.migrations.len(), 3);
    conn.execute("INSERT INTO users (id, email) VALUES (1, 'a')", [])
        .unwrap();
    let version: i64 = conn
        .query_row("SELECT version FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 3);
    // Nothing left to do the second time.
    assert!(Migrator::new(&EMBEDDED)
        .up_with(&mut conn)
        .unwrap()
        .is_empty());
}

#[test]
fn sqlite_file_connection_keeps_its_busy_timeout_and_releases_the_lock() {
    let db = TestDb::sqlite();
    let path = db.sqlite_path().unwrap().to_path_buf();
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(Duration::from_millis(1234)).unwrap();
    Migrator::new(&EMBEDDED).up_with(&mut conn).unwrap();
    let busy: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(busy, 1234, "the application's busy timeout was changed");
    // The ledger is the one a URL run reads, and the lock is free for it.
    let status = Migrator::new(&EMBEDDED)
        .lock_timeout(Duration::from_millis(200))
        .status(&db.url)
        .unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
    let mut lock = path.clone().into_os_string();
    lock.push(".strata-lock");
    let file = std::fs::File::open(&lock).unwrap();
    file.try_lock()
        .expect("the migration lock file is still locked");
}

#[test]
fn sqlite_failure_on_a_borrowed_connection_is_typed_and_leaves_it_usable() {
    let (_tmp, m) = folder(&[
        ("1_a.up.sql", "CREATE TABLE a (x int);\n"),
        (
            "2_bad.up.sql",
            "CREATE TABLE b (x int);\nSELECT * FROM nowhere;\n",
        ),
    ]);
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let err = Migrator::new(&m).up_with(&mut conn).unwrap_err();
    let Error::Migration(failed) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((failed.version, failed.applied.migrations.len()), (2, 1));
    assert_eq!(failed.location.as_ref().map(|l| l.line), Some(2));
    // Rolled back, and no transaction left open on the application's connection.
    assert!(conn.is_autocommit());
    let b: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b, 0);
}

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use strata::Event;

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

    const SETTINGS: [&str; 4] = [
        "application_name",
        "lock_timeout",
        "statement_timeout",
        "search_path",
    ];

    fn show(client: &mut postgres::Client) -> Vec<String> {
        SETTINGS
            .iter()
            .map(|s| {
                client
                    .query_one(&format!("SHOW {s}"), &[])
                    .unwrap()
                    .get::<_, String>(0)
            })
            .collect()
    }

    /// The application's own session settings, as an app might have them.
    fn app_client(db: &TestDb) -> postgres::Client {
        let mut client = db.client();
        client
            .batch_execute(
                "CREATE SCHEMA app; SET application_name = 'my-app'; SET lock_timeout = '7s'; \
                 SET statement_timeout = '9s'; SET search_path = app, public",
            )
            .unwrap();
        client
    }

    #[test]
    fn postgres_client_is_left_as_found_settings_and_lock() {
        let Some(db) = TestDb::postgres() else { return };
        let (_tmp, m) = folder(&[
            (
                "1_t.up.sql",
                "-- strata:lock-timeout 2s\n-- strata:statement-timeout 3s\nCREATE TABLE t (x int);\n",
            ),
            (
                "2_t_x.up.sql",
                "-- strata:lock-timeout 2s\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n",
            ),
        ]);
        let mut client = app_client(&db);
        let before = show(&mut client);
        let mut held = None;
        let report = Migrator::new(&m)
            .on_event(|e| {
                if let Event::Started { .. } = e {
                    held = Some(advisory_locks(&db));
                }
            })
            .up_with(&mut client)
            .unwrap();
        assert_eq!(report.migrations.len(), 2);
        assert_eq!(report.migrations[1].mode, Some(strata::Mode::NoTransaction));
        // The lock was held while running, so its absence now means something.
        assert!(held.is_some_and(|n| n > 0), "{held:?}");
        assert_eq!(advisory_locks(&db), 0);
        assert_eq!(show(&mut client), before);
        assert_eq!(
            before,
            ["my-app", "7s", "9s", "app, public"],
            "the settings checked are the app's"
        );
        // The tables went where the application's search_path points.
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'app' \
                 AND tablename IN ('t', 'schema_migrations')",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(n, 2);
    }

    #[test]
    fn postgres_failure_and_callback_panic_release_the_lock_and_keep_the_client() {
        let Some(db) = TestDb::postgres() else { return };
        let (_tmp, m) = folder(&[
            ("1_a.up.sql", "CREATE TABLE a (x int);\n"),
            (
                "2_bad.up.sql",
                "CREATE TABLE b (x int);\nSELECT * FROM nowhere;\n",
            ),
        ]);
        let mut client = app_client(&db);
        let before = show(&mut client);
        let err = Migrator::new(&m).up_with(&mut client).unwrap_err();
        let Error::Migration(failed) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(failed.version, 2);
        assert_eq!(failed.location.as_ref().map(|l| l.line), Some(2));
        assert_eq!(advisory_locks(&db), 0);
        assert_eq!(show(&mut client), before);
        // Not left inside a failed transaction: the client answers.
        client.batch_execute("SELECT 1").unwrap();

        let mut client = app_client_again(&db);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            Migrator::new(&EMBEDDED)
                .on_event(|e| {
                    if let Event::Started { .. } = e {
                        panic!("callback failed");
                    }
                })
                .up_with(&mut client)
        }));
        assert!(caught.is_err(), "the panic reaches the caller");
        assert_eq!(advisory_locks(&db), 0);
        client.batch_execute("SELECT 1").unwrap();
    }

    /// A second application session (the schema exists already).
    fn app_client_again(db: &TestDb) -> postgres::Client {
        let mut client = db.client();
        client
            .batch_execute("CREATE SCHEMA other; SET search_path = other")
            .unwrap();
        client
    }
}
