//! `up_async` & co. (feature `tokio`) inside current-thread and multi-thread runtimes: the run
//! happens off the runtime's threads, which keep serving other tasks meanwhile.
#![cfg(feature = "tokio")]

use std::sync::mpsc;
use std::time::Duration;
use strata::{Event, Migrations, Migrator};
use strata_testkit::TestDb;

static EMBEDDED: Migrations = strata::embed!("tests/migrations");

/// Run `up_async` on `rt` while its callback waits for a message that only another task of the
/// same runtime sends: if the run blocked a runtime thread, that task could not run and the
/// callback would give up. Returns whether the message came, and the callback's thread name.
fn run_while_the_runtime_serves_a_task(rt: tokio::runtime::Runtime) -> (bool, Option<String>) {
    let db = TestDb::sqlite();
    let (tx, rx) = mpsc::channel::<()>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let url = db.url.clone();
    let report = rt.block_on(async move {
        let migrator = Migrator::new(&EMBEDDED).on_event(move |e| {
            if let Event::Started { version: 1, .. } = e {
                let got = rx.recv_timeout(Duration::from_secs(30)).is_ok();
                let thread = std::thread::current().name().map(str::to_string);
                seen_tx.send((got, thread)).unwrap();
            }
        });
        let run = migrator.up_async(&url);
        tokio::spawn(async move { tx.send(()).unwrap() });
        run.await
    });
    assert_eq!(report.unwrap().migrations.len(), 3);
    seen_rx.recv().unwrap()
}

#[test]
fn up_async_in_a_current_thread_runtime_does_not_block_it() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (got, thread) = run_while_the_runtime_serves_a_task(rt);
    assert!(got, "the runtime's only thread was blocked");
    assert_eq!(thread.as_deref(), Some("strata-migrate"));
}

#[test]
fn up_async_in_a_multi_thread_runtime_does_not_block_its_worker() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let (got, thread) = run_while_the_runtime_serves_a_task(rt);
    assert!(got, "the runtime's only worker was blocked");
    assert_eq!(thread.as_deref(), Some("strata-migrate"));
}

#[test]
fn async_status_down_and_errors() {
    let db = TestDb::sqlite();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let m =
            Migrations::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations")).unwrap();
        let report = Migrator::owning(m.clone())
            .up_to_async(&db.url, 2)
            .await
            .unwrap();
        assert_eq!(report.migrations.len(), 2);
        let status = Migrator::owning(m.clone())
            .status_async(&db.url)
            .await
            .unwrap();
        assert_eq!(status.pending(), 1);
        let report = Migrator::owning(m.clone())
            .down_async(&db.url, 2)
            .await
            .unwrap();
        assert_eq!(report.migrations.len(), 2);
        let err = Migrator::owning(m)
            .up_async("oracle://x/y")
            .await
            .unwrap_err();
        assert!(matches!(err, strata::Error::Url(_)), "{err:?}");
    });
}

#[test]
fn a_panic_in_an_async_callback_resumes_in_the_caller() {
    let db = TestDb::sqlite();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(
            Migrator::new(&EMBEDDED)
                .on_event(|_| panic!("callback"))
                .up_async(&db.url),
        )
    }));
    assert!(caught.is_err());
    let lock = format!("{}.strata-lock", db.sqlite_path().unwrap().display());
    assert_eq!(std::fs::read_to_string(lock).unwrap(), "");
}
