//! `--lock-retries` statement by statement: a statement that timed out waiting for its lock
//! did not run, so it runs again (alone, after the back-off); others fail at once.

use super::*;

const BODY: &str = "-- strata:no-transaction\nINSERT INTO a VALUES (1);\nALTER TABLE LOCKED ADD c int;\nINSERT INTO a VALUES (3);\n";

fn run_with(body: &str, retries: u32, locked: Vec<DriverError>) -> (Fake, Result<Report, Error>) {
    let s = source(&[("1_m.up.sql", body)]);
    let options = RunOptions {
        lock_retries: retries,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(10));
    let mut fake = Fake {
        locked: locked.into(),
        ..Fake::default()
    };
    let result = fake.run(exec);
    (fake, result)
}

fn mysql_lock_timeout() -> DriverError {
    DriverError::Statement {
        message: "Lock wait timeout exceeded; try restarting transaction".into(),
        code: Some("1205".into()),
        detail: None,
        hint: None,
        statement: None,
        position: None,
    }
}

#[test]
fn a_statement_that_timed_out_on_its_lock_runs_again_and_the_rest_once() {
    let (fake, result) = run_with(BODY, 3, vec![mysql_lock_timeout(), lock_timeout()]);
    result.unwrap();
    let trace: Vec<&str> = fake
        .trace
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("autocommit") || t.starts_with("retry") || t.starts_with("sleep"))
        .collect();
    assert_eq!(
        trace,
        [
            "autocommit INSERT INTO a VALUES (1);",
            "autocommit ALTER TABLE LOCKED ADD c int;",
            "retry 1 1/3 in 1s",
            "sleep 1s",
            "autocommit ALTER TABLE LOCKED ADD c int;",
            "retry 1 2/3 in 2s",
            "sleep 2s",
            "autocommit ALTER TABLE LOCKED ADD c int;",
            "autocommit INSERT INTO a VALUES (3);",
        ]
    );
    assert!(fake
        .committed
        .iter()
        .any(|w| matches!(w, LedgerWrite::SetCompat(Some(c)) if !c.dirty)));
}

#[test]
fn without_retries_or_once_they_run_out_the_row_stays_dirty() {
    for retries in [0, 1] {
        let (fake, result) = run_with(BODY, retries, vec![lock_timeout(), lock_timeout()]);
        let err = result.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Migration {
                    aftermath: Aftermath::Dirty,
                    ..
                }
            ),
            "{err:?}"
        );
        let runs = fake.sent.iter().filter(|s| s.contains("LOCKED")).count();
        assert_eq!(runs as u32, retries + 1);
        assert!(!fake.sent.iter().any(|s| s.contains("VALUES (3)")));
    }
}

#[test]
fn other_failures_and_concurrent_index_builds_are_not_retried() {
    // A deadlock may have done work before it was chosen as the victim.
    let deadlock = DriverError::Statement {
        message: "Deadlock found".into(),
        code: Some("1213".into()),
        detail: None,
        hint: None,
        statement: None,
        position: None,
    };
    let (fake, result) = run_with(BODY, 3, vec![deadlock]);
    assert!(result.is_err());
    assert_eq!(fake.sent.iter().filter(|s| s.contains("LOCKED")).count(), 1);
    // Its catalog entry may be committed before the timeout: a second run would meet it.
    let body = "-- strata:no-transaction\nCREATE INDEX CONCURRENTLY LOCKED ON t (x);\n";
    let (fake, result) = run_with(body, 3, vec![lock_timeout()]);
    assert!(result.is_err());
    assert_eq!(fake.sent.len(), 1, "{:?}", fake.sent);
}
