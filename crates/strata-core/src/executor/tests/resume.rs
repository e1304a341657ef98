//! `up --resume` against the fake driver: where a resumed migration goes on, and every refusal.

use super::*;
use crate::ledger::{AppliedMigration, CompatRow, Reached};
use crate::plan::Conflict;
use crate::resume::{prefix_hash, ResumeRefusal};

/// Six statements run one by one; `fourth` is statement 4.
fn six(fourth: &str) -> String {
    format!(
        "-- strata:no-transaction\nINSERT INTO c VALUES (1);\nINSERT INTO c VALUES (2);\nINSERT INTO c VALUES (3);\n{fourth}\nINSERT INTO c VALUES (5);\nINSERT INTO c VALUES (6);\n"
    )
}

fn files(version1: &str) -> Source {
    source(&[
        ("1_setup.up.sql", "CREATE TABLE c (n int);\n"),
        ("2_six.up.sql", version1),
    ])
}

fn resume_options() -> RunOptions {
    RunOptions {
        plan: PlanOptions {
            resume: true,
            ..PlanOptions::default()
        },
        ..RunOptions::default()
    }
}

/// The database as the fake left it: the row, the ledger rows and the newest progress record,
/// read back as a driver's `read_state` does.
fn state_of(fake: &Fake) -> LedgerState {
    let mut state = LedgerState::default();
    for w in &fake.committed {
        match w {
            LedgerWrite::SetCompat(c) => state.compat = *c,
            LedgerWrite::Insert(r) => state.applied.push(r.clone()),
            LedgerWrite::Delete(v) => state.applied.retain(|r| r.version != *v),
            LedgerWrite::Log(_) => {}
        }
    }
    state.applied.sort_by_key(|r: &AppliedMigration| r.version);
    state.reached = state.compat.and_then(|row| {
        let last = fake
            .log
            .iter()
            .rev()
            .find(|e| matches!(e.action, Action::Start | Action::Progress))?;
        Reached::from_log(
            row,
            last.action.as_str(),
            last.version.map(|v| v as i64),
            &last.name,
            &last.detail,
        )
    });
    state
}

/// Apply both migrations with statement 4 failing: the database is left dirty at 2, stopped at
/// statement 4.
fn failed_run() -> (Fake, LedgerState) {
    let s = files(&six("SELECT FAIL;"));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake::default();
    fake.run(exec).unwrap_err();
    let state = state_of(&fake);
    (fake, state)
}

fn resume(s: &Source, state: &LedgerState) -> (Fake, Result<Report, Error>) {
    let mut fake = Fake::default();
    let result = match plan::plan(s, state, Request::Up(None), &resume_options().plan) {
        Ok(p) => fake.run(Executor::new(s, p, resume_options(), caps(10))),
        Err(conflicts) => Err(Error::Conflicts { conflicts }),
    };
    (fake, result)
}

fn refusal(result: Result<Report, Error>) -> Conflict {
    match result {
        Err(Error::Conflicts { mut conflicts }) if conflicts.len() == 1 => conflicts.remove(0),
        other => panic!("one conflict, got {other:?}"),
    }
}

#[test]
fn a_failed_run_leaves_the_row_dirty_and_the_record_of_statement_4_with_the_hash_of_1_to_3() {
    let (fake, state) = failed_run();
    assert_eq!(
        state.compat,
        Some(CompatRow {
            version: 2,
            dirty: true
        })
    );
    let r = state.reached.expect("a progress record");
    assert_eq!((r.version, r.statement, r.total), (2, 4, 6));
    assert_eq!((r.path.as_str(), r.line), ("m/2_six.up.sql", 5));
    let sent: Vec<&str> = fake.sent.iter().map(String::as_str).collect();
    // Migration 1's statement was not run in autocommit: only 2's statements 1 to 4 were.
    assert_eq!(sent.len(), 4);
    assert_eq!(r.prefix, Some(prefix_hash(sent[..3].iter().copied())));
}

#[test]
fn resume_runs_the_fixed_statement_and_the_rest_only_then_leaves_the_row_clean() {
    let (mut first, state) = failed_run();
    let fixed = files(&six("INSERT INTO c VALUES (4);"));
    let (fake, result) = resume(&fixed, &state);
    let report = result.unwrap();
    assert_eq!(versions(&report), [2]);
    // Statements as sent: trimmed of the layout around them.
    let p5 = prefix_hash([
        "INSERT INTO c VALUES (1);",
        "INSERT INTO c VALUES (2);",
        "INSERT INTO c VALUES (3);",
        "INSERT INTO c VALUES (4);",
    ]);
    assert_eq!(
        fake.trace,
        [
            "planned 2",
            "ensure tables",
            "started 2",
            "prepare m/2_six.up.sql",
            "write compat 2 dirty, log start 2",
            "autocommit INSERT INTO c VALUES (4);",
            &format!("append progress up statement 5 of 6 after prefix {p5} at m/2_six.up.sql:6: INSERT INTO c VALUES (5);"),
            "autocommit INSERT INTO c VALUES (5);",
            &format!("append progress up statement 6 of 6 after prefix {} at m/2_six.up.sql:7: INSERT INTO c VALUES (6);", prefix_hash(statements(&fixed, 6))),
            "autocommit INSERT INTO c VALUES (6);",
            "write insert 2, compat 2, log up 2",
            "restore session",
            "finished 2",
        ]
    );
    assert!(
        fake.log[0]
            .detail
            .starts_with("no-transaction, resumed; up statement 4 of 6 after prefix "),
        "{}",
        fake.log[0].detail
    );
    // Clean and applied: a plain `up` has nothing left.
    first.committed.extend(fake.committed.iter().cloned());
    first.log.extend(fake.log.iter().cloned());
    let after = state_of(&first);
    assert_eq!(
        after.compat,
        Some(CompatRow {
            version: 2,
            dirty: false
        })
    );
    assert!(
        plan::plan(&fixed, &after, Request::Up(None), &PlanOptions::default())
            .unwrap()
            .steps
            .is_empty()
    );
}

/// The exact text of migration 2's statements 1..k-1.
fn statements(s: &Source, k: usize) -> Vec<&str> {
    let script = s
        .get(2)
        .unwrap()
        .script(crate::migration::Direction::Up)
        .unwrap();
    script.statement_ranges(Dialect::Postgres)[..k - 1]
        .iter()
        .map(|r| &script.sql[r.clone()])
        .collect()
}

#[test]
fn a_kill_during_statement_4_resumes_at_4_and_reruns_none_of_1_to_3() {
    // A kill leaves no `fail` entry: the run stops after the record before statement 4.
    let s = files(&six("SELECT pg_sleep(30);"));
    let (mut fake, _) = failed_run();
    // Drop the failure entry to look like a kill, keeping the progress record of statement 4.
    fake.log.retain(|e| e.action != Action::Fail);
    let state = state_of(&fake);
    assert_eq!(state.reached.as_ref().map(|r| r.statement), Some(4));
    // The cause is fixed by the user (here: statement 4 rewritten).
    let (fake, result) = resume(&s, &state);
    result.unwrap();
    assert_eq!(
        fake.sent.iter().map(|s| s.trim()).collect::<Vec<_>>(),
        [
            "SELECT pg_sleep(30);",
            "INSERT INTO c VALUES (5);",
            "INSERT INTO c VALUES (6);"
        ]
    );
}

#[test]
fn an_edit_to_statement_2_is_refused_before_anything_runs() {
    let (_, state) = failed_run();
    let edited = files(&six("INSERT INTO c VALUES (4);").replace("VALUES (2)", "VALUES (22)"));
    let (fake, result) = resume(&edited, &state);
    assert_eq!(
        refusal(result),
        Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::Edited {
                path: "m/2_six.up.sql".into(),
                ran: 3
            }
        }
    );
    assert!(fake.trace.is_empty(), "{:?}", fake.trace);
    // Only what is sent counts: layout between statements and a comment before one are not.
    let relaid = files(&six("INSERT INTO c VALUES (4);").replace(
        "(1);\nINSERT INTO c VALUES (2);",
        "(1);\n\n-- two\nINSERT INTO c VALUES (2);",
    ));
    resume(&relaid, &state).1.unwrap();
}

#[test]
fn a_dirty_row_without_a_progress_record_is_refused_pointing_at_force() {
    let (_, mut state) = failed_run();
    state.reached = None;
    let c = refusal(resume(&files(&six("SELECT 4;")), &state).1);
    assert_eq!(
        c,
        Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::NoRecord
        }
    );
    assert!(c.hint().unwrap().contains("`force 2`"), "{:?}", c.hint());
}

#[test]
fn a_record_of_another_version_or_of_a_down_or_without_a_hash_is_refused() {
    let (_, state) = failed_run();
    let s = files(&six("SELECT 4;"));
    let mut other = state.clone();
    other.reached.as_mut().unwrap().version = 1;
    assert_eq!(
        refusal(resume(&s, &other).1),
        Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::OtherVersion { recorded: 1 }
        }
    );
    let mut down = state.clone();
    down.reached.as_mut().unwrap().direction = crate::migration::Direction::Down;
    assert!(matches!(
        refusal(resume(&s, &down).1),
        Conflict::NotResumable {
            reason: ResumeRefusal::Down,
            ..
        }
    ));
    let mut old = state.clone();
    old.reached.as_mut().unwrap().prefix = None;
    assert!(matches!(
        refusal(resume(&s, &old).1),
        Conflict::NotResumable {
            reason: ResumeRefusal::NoPrefixHash,
            ..
        }
    ));
}

#[test]
fn a_missing_file_is_refused() {
    let (_, state) = failed_run();
    let s = source(&[("1_setup.up.sql", "CREATE TABLE c (n int);\n")]);
    assert!(matches!(
        refusal(resume(&s, &state).1),
        Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::FileMissing
        }
    ));
}

#[test]
fn a_file_that_now_runs_in_a_transaction_is_refused_without_running_it_whole() {
    let (_, state) = failed_run();
    let s = files(&six("SELECT 4;").replace("-- strata:no-transaction\n", ""));
    let (fake, result) = resume(&s, &state);
    assert_eq!(
        refusal(result),
        Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::NotStatementByStatement {
                mode: TxMode::Transaction
            }
        }
    );
    assert!(
        !fake
            .trace
            .iter()
            .any(|t| t.starts_with("transaction") || t.starts_with("batch")),
        "{:?}",
        fake.trace
    );
}

#[test]
fn another_migration_first_is_refused_and_a_clean_database_plans_a_plain_up() {
    let (_, state) = failed_run();
    // A pending migration older than the dirty one, allowed out of order.
    let six = six("SELECT 4;");
    let s = source(&[
        ("0_first.up.sql", "SELECT 0;\n"),
        ("1_setup.up.sql", "CREATE TABLE c (n int);\n"),
        ("2_six.up.sql", &six),
    ]);
    let options = PlanOptions {
        resume: true,
        allow_out_of_order: true,
        ..PlanOptions::default()
    };
    let err = plan::plan(&s, &state, Request::Up(None), &options).unwrap_err();
    assert_eq!(
        err,
        [Conflict::NotResumable {
            version: 2,
            reason: ResumeRefusal::NotFirst { first: Some(0) }
        }]
    );
    // Nothing dirty: `--resume` is a plain `up`.
    let clean = plan::plan(&s, &LedgerState::default(), Request::Up(None), &options).unwrap();
    assert_eq!(clean.steps.len(), 3);
    assert!(clean.steps.iter().all(|s| s.resume.is_none()));
}

#[test]
fn plain_up_on_a_resumable_database_keeps_refusing_and_names_resume() {
    let (_, state) = failed_run();
    let err = plan::plan(
        &files(&six("SELECT 4;")),
        &state,
        Request::Up(None),
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err[0], Conflict::Dirty { version: 2, .. }));
    let hint = err[0].hint().unwrap();
    assert!(
        hint.contains("fix statement 4 and run `up --resume`"),
        "{hint}"
    );
}

#[test]
fn a_resumed_run_that_fails_again_can_be_resumed_again() {
    let (mut first, state) = failed_run();
    // Resumed without the fix: statement 4 fails again; the resumed run's own `start` entry is
    // now the newest record, naming statement 4 with the same hash.
    let (again, result) = resume(&files(&six("SELECT FAIL;")), &state);
    assert!(matches!(result, Err(Error::Migration { .. })), "{result:?}");
    assert_eq!(again.sent, ["SELECT FAIL;"]);
    first.committed.extend(again.committed.iter().cloned());
    first.log.extend(again.log.iter().cloned());
    let state2 = state_of(&first);
    assert_eq!(state2.reached, state.reached);
    let (fake, result) = resume(&files(&six("INSERT INTO c VALUES (4);")), &state2);
    result.unwrap();
    assert_eq!(fake.sent.len(), 3, "{:?}", fake.sent);
}
