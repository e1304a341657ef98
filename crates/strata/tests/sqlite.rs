//! The facade on SQLite: embedded and read folders agree, runs report and notify, the lock is
//! released after a panic in the caller's callback, CRLF copies apply against LF ledgers.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use strata::{Direction, Error, Event, Migrations, Migrator, Mode, State};
use strata_testkit::TestDb;

static EMBEDDED: Migrations = strata::embed!("tests/migrations");
static EMBEDDED_CRLF: Migrations = strata::embed!("tests/migrations_crlf");

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

#[test]
fn embedded_and_read_folders_have_the_same_migrations_and_checksums() {
    let read = Migrations::from_dir(fixture("migrations")).unwrap();
    let listed = EMBEDDED.list().unwrap();
    assert_eq!(listed, read.list().unwrap());
    let names: Vec<(u64, &str)> = listed
        .iter()
        .map(|m| (m.version, m.name.as_str()))
        .collect();
    assert_eq!(names, [(1, "users"), (2, "posts"), (3, "posts_index")]);
    // Line endings are normalised before checksumming.
    assert_eq!(EMBEDDED_CRLF.list().unwrap(), listed);
}

#[test]
fn up_reports_each_migration_and_sends_events_in_order() {
    let db = TestDb::sqlite();
    let mut events = Vec::new();
    let report = Migrator::new(&EMBEDDED)
        .on_event(|e| events.push(e.clone()))
        .up(&db.url)
        .unwrap();
    let applied: Vec<(u64, &str, Direction, Option<Mode>)> = report
        .migrations
        .iter()
        .map(|m| (m.version, m.name.as_str(), m.direction, m.mode))
        .collect();
    let tx = Some(Mode::Transaction);
    assert_eq!(
        applied,
        [
            (1, "users", Direction::Up, tx),
            (2, "posts", Direction::Up, tx),
            (3, "posts_index", Direction::Up, tx)
        ]
    );
    let Event::Planned { migrations } = &events[0] else {
        panic!("first event: {:?}", events[0])
    };
    assert_eq!(migrations.len(), 3);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Planned { .. } => "planned",
            Event::Started { .. } => "started",
            Event::Applied(_) => "applied",
            Event::Finished(_) => "finished",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["planned", "started", "applied", "started", "applied", "started", "applied", "finished"]
    );
    assert_eq!(events.last(), Some(&Event::Finished(report.clone())));

    // Nothing left: no change, and no lock taken for nothing.
    assert!(Migrator::new(&EMBEDDED).up(&db.url).unwrap().is_empty());
}

#[test]
fn status_down_and_up_to_on_sqlite() {
    let db = TestDb::sqlite();
    let status = Migrator::new(&EMBEDDED).status(&db.url).unwrap();
    assert_eq!((status.version, status.pending()), (None, 3));
    assert!(
        !db.sqlite_path().unwrap().exists(),
        "status created the file"
    );

    let report = Migrator::new(&EMBEDDED).up_to(&db.url, 2).unwrap();
    assert_eq!(report.migrations.len(), 2);
    let status = Migrator::new(&EMBEDDED).status(&db.url).unwrap();
    assert_eq!((status.version, status.pending()), (Some(2), 1));
    assert_eq!(status.migrations[0].state, State::Applied);
    assert_eq!(
        status.migrations[0].applied_by.as_deref(),
        Some(strata_core::actor::default_actor().as_str())
    );

    let err = Migrator::new(&EMBEDDED).up_to(&db.url, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::WouldRevert {
                target: 1,
                current: 2
            }
        ),
        "{err:?}"
    );

    let report = Migrator::new(&EMBEDDED).down(&db.url, 1).unwrap();
    let reverted: Vec<(u64, Direction)> = report
        .migrations
        .iter()
        .map(|m| (m.version, m.direction))
        .collect();
    assert_eq!(reverted, [(2, Direction::Down)]);

    Migrator::new(&EMBEDDED)
        .actor("deploy@ci")
        .up(&db.url)
        .unwrap();
    let status = Migrator::new(&EMBEDDED).status(&db.url).unwrap();
    assert!(status.is_up_to_date());
    assert_eq!(
        status.migrations[2].applied_by.as_deref(),
        Some("deploy@ci")
    );
}

#[test]
fn a_crlf_copy_applies_against_a_ledger_written_from_lf_files() {
    // Ledger from the LF files, then the embedded CRLF copy (a Windows checkout).
    let db = TestDb::sqlite();
    let lf = Migrations::from_dir(fixture("migrations")).unwrap();
    assert_eq!(Migrator::new(&lf).up(&db.url).unwrap().migrations.len(), 3);
    assert!(Migrator::new(&EMBEDDED_CRLF)
        .up(&db.url)
        .unwrap()
        .is_empty());
    assert!(Migrator::new(&EMBEDDED_CRLF)
        .status(&db.url)
        .unwrap()
        .is_up_to_date());

    // And the other way round: ledger from the embedded LF files, a CRLF folder read at run time.
    let db = TestDb::sqlite();
    Migrator::new(&EMBEDDED).up_to(&db.url, 2).unwrap();
    let crlf = Migrations::from_dir(fixture("migrations_crlf")).unwrap();
    let report = Migrator::new(&crlf).up(&db.url).unwrap();
    assert_eq!(report.migrations.len(), 1, "only 3 was pending: {report:?}");
}

#[test]
fn a_panic_in_the_callback_stops_the_run_releases_the_lock_and_reaches_the_caller() {
    let db = TestDb::sqlite();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        Migrator::new(&EMBEDDED)
            .on_event(|e| {
                if let Event::Applied(m) = e {
                    panic!("callback failed after {}", m.version);
                }
            })
            .up(&db.url)
    }));
    let payload = caught.expect_err("the panic reaches the caller");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("callback failed after 1")
    );
    // The lock file is emptied by an explicit unlock (closing it would leave "pid N" in it).
    let lock = format!("{}.strata-lock", db.sqlite_path().unwrap().display());
    assert_eq!(std::fs::read_to_string(lock).unwrap(), "");
    // The run stopped after the migration that was running.
    let status = Migrator::new(&EMBEDDED).status(&db.url).unwrap();
    assert_eq!((status.version, status.pending()), (Some(1), 2));
    let report = Migrator::new(&EMBEDDED)
        .lock_timeout(std::time::Duration::ZERO)
        .up(&db.url)
        .unwrap();
    assert_eq!(report.migrations.len(), 2);
}

#[test]
fn a_failing_migration_is_a_typed_error_naming_its_file_line_and_what_ran() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("1_ok.up.sql"), "CREATE TABLE a (x int);\n").unwrap();
    std::fs::write(
        tmp.path().join("2_bad.up.sql"),
        "CREATE TABLE b (x int);\nINSERT INTO nowhere VALUES (1);\n",
    )
    .unwrap();
    let m = Migrations::from_dir(tmp.path()).unwrap();
    let db = TestDb::sqlite();
    let err = Migrator::new(&m).up(&db.url).unwrap_err();
    let Error::Migration(failed) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((failed.version, failed.dirty), (2, false));
    let location = failed.location.as_ref().expect("location");
    assert_eq!(
        (location.path.file_name().unwrap(), location.line),
        ("2_bad.up.sql".as_ref(), 2)
    );
    assert_eq!(failed.applied.migrations.len(), 1);
    let cause = std::error::Error::source(&err).expect("cause kept");
    assert!(cause.to_string().contains("nowhere"), "{cause}");
}

#[test]
fn from_dir_refuses_a_bad_folder_naming_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("1_a.up.sql"),
        b"SELECT 1;\nSELECT '\xc3\x28';\n",
    )
    .unwrap();
    let err = Migrations::from_dir(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::Source(_)), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("1_a.up.sql:2:"), "{shown}");
}

#[test]
fn bad_urls_are_typed_errors() {
    let err = Migrator::new(&EMBEDDED).up("oracle://x/y").unwrap_err();
    assert!(matches!(err, Error::Url(_)), "{err:?}");
}

#[cfg(not(feature = "postgres"))]
#[test]
fn a_postgres_url_without_the_feature_names_the_feature() {
    let err = Migrator::new(&EMBEDDED)
        .up("postgres://localhost/db")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BackendNotBuilt {
                feature: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_held_lock_is_a_typed_lock_timeout_naming_the_holder() {
    use strata_core::Driver;
    let db = TestDb::sqlite();
    let path = db.sqlite_path().unwrap();
    let mut holder =
        strata_drivers::sqlite::SqliteDriver::open(path, strata_core::TableNames::default())
            .unwrap();
    holder.lock(std::time::Duration::ZERO).unwrap();
    // Pending work, so the run needs the lock (a no-op run never takes it).
    let err = Migrator::new(&EMBEDDED)
        .lock_timeout(std::time::Duration::ZERO)
        .up(&db.url)
        .unwrap_err();
    let Error::LockTimeout { holder: who, .. } = &err else {
        panic!("{err:?}")
    };
    let pid = format!("pid {}", std::process::id());
    assert!(who.as_deref().is_some_and(|h| h.contains(&pid)), "{who:?}");
    holder.unlock().unwrap();
    assert_eq!(
        Migrator::new(&EMBEDDED)
            .up(&db.url)
            .unwrap()
            .migrations
            .len(),
        3
    );
}
