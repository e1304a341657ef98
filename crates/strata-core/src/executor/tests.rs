//! The executor against an in-memory fake driver: no database, no clock, no sleeping. Each
//! test asserts the exact sequence of ops and events it names.

use super::*;
use crate::driver::DriverError;
use crate::driver::{BatchDone, BatchFailure, BatchProgress, MAX_BATCH_BYTES};
use crate::error::OneTransactionBlocker;
use crate::ledger::LogEntry;
use crate::ledger::{Action, LedgerState};
use crate::migration::Version;
use crate::plan::{self, Request};
use crate::source::{assemble, RawFile};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use strata_sql::Dialect;

fn source(files: &[(&str, &str)]) -> Source {
    let raw = files
        .iter()
        .map(|(name, sql)| RawFile {
            path: Path::new("m").join(name),
            bytes: sql.as_bytes().to_vec(),
        })
        .collect();
    assemble(Path::new("m"), raw, Dialect::Postgres).expect("valid test migrations")
}

fn up_plan(source: &Source, request: Request) -> Plan {
    plan::plan(
        source,
        &LedgerState::default(),
        request,
        &PlanOptions::default(),
    )
    .expect("plannable")
}

fn caps(batch_limit: usize) -> Backend {
    Backend {
        dialect: Dialect::Postgres,
        batch_limit,
        single_transaction: true,
        transactional_ddl: true,
    }
}

fn lock_timeout() -> DriverError {
    DriverError::Statement {
        message: "canceling statement due to lock timeout".into(),
        code: Some("55P03".into()),
        detail: Some("blocked by pid 7".into()),
        hint: None,
        statement: None,
        position: None,
    }
}

fn syntax_error(position: usize) -> DriverError {
    DriverError::Statement {
        message: "syntax error at or near \"SELEC\"".into(),
        code: Some("42601".into()),
        detail: None,
        hint: None,
        statement: None,
        position: Some(position),
    }
}

/// One line per ledger write, e.g. `insert 1`, `compat 2 dirty`, `log start 2`.
fn writes(ws: &[LedgerWrite]) -> String {
    ws.iter()
        .map(|w| match w {
            LedgerWrite::Insert(r) => format!("insert {}", r.version),
            LedgerWrite::Delete(v) => format!("delete {v}"),
            LedgerWrite::SetCompat(Some(c)) if c.dirty => format!("compat {} dirty", c.version),
            LedgerWrite::SetCompat(Some(c)) => format!("compat {}", c.version),
            LedgerWrite::SetCompat(None) => "compat none".into(),
            LedgerWrite::Log(e) => {
                format!(
                    "log {} {}",
                    e.action.as_str(),
                    e.version.unwrap_or_default()
                )
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fake database: answers each op as a server would, records a trace.
#[derive(Default)]
struct Fake {
    trace: Vec<String>,
    /// Errors the next runs of a version's script return, in order (a transaction, a batch
    /// item, or a statement containing `FAIL`).
    failures: HashMap<Version, VecDeque<DriverError>>,
    /// A version whose item makes the server refuse any batch message carrying it, before
    /// running anything (a syntax error).
    refused: Option<Version>,
    /// Request a stop once this many migrations finished.
    stop_after: Option<usize>,
    /// A batch tells it was stopped (a first Ctrl-C) after this many items.
    batch_stopped_after: Option<usize>,
    /// A stop is requested while a transaction runs.
    stop_in_transaction: bool,
    /// Every op takes this long.
    op_time: Duration,
    /// Every log entry written, as is.
    log: Vec<LogEntry>,
    /// Every ledger write committed.
    committed: Vec<LedgerWrite>,
    /// Every statement run in autocommit, exactly as sent.
    sent: Vec<String>,
    /// Errors the next autocommit statements containing `LOCKED` return, in order.
    locked: VecDeque<DriverError>,
}

impl Fake {
    fn fail(mut self, version: Version, errors: Vec<DriverError>) -> Fake {
        self.failures.insert(version, errors.into());
        self
    }

    fn next_failure(&mut self, version: Version) -> Option<DriverError> {
        self.failures.get_mut(&version).and_then(|q| q.pop_front())
    }

    fn commit(&mut self, ws: &[LedgerWrite]) {
        for w in ws {
            if let LedgerWrite::Log(e) = w {
                self.log.push(e.clone());
            }
        }
        self.committed.extend(ws.iter().cloned());
    }

    fn version_of(unit: &Unit<'_>) -> Version {
        unit.records
            .iter()
            .find_map(|w| match w {
                LedgerWrite::Insert(r) => Some(r.version),
                LedgerWrite::Delete(v) => Some(*v),
                _ => None,
            })
            .expect("records name the version")
    }

    /// Drive `exec` to its end.
    fn run(&mut self, mut exec: Executor<'_>) -> Result<Report, Error> {
        let mut finished = 0;
        loop {
            let c = match exec.next() {
                Op::Done => break,
                Op::Event(e) => {
                    if matches!(e, Event::Finished(_)) {
                        finished += 1;
                    }
                    self.trace.push(event(&e));
                    if self.stop_after == Some(finished) {
                        exec.request_stop();
                    }
                    continue;
                }
                Op::EnsureTables => {
                    self.trace.push("ensure tables".into());
                    Completion::of(Outcome::TablesReady {
                        warnings: Vec::new(),
                    })
                }
                Op::Write(ws) => {
                    self.trace.push(format!("write {}", writes(&ws)));
                    self.commit(&ws);
                    Completion::done()
                }
                Op::AppendLog(e) => {
                    self.trace
                        .push(format!("append {} {}", e.action.as_str(), e.detail));
                    self.log.push(e);
                    Completion::done()
                }
                Op::RunTransaction(unit) => {
                    let v = Fake::version_of(&unit);
                    self.trace.push(format!("transaction {v}"));
                    if self.stop_in_transaction {
                        exec.request_stop();
                    }
                    match self.next_failure(v) {
                        Some(e) => Completion::failed(e),
                        None => {
                            self.commit(&unit.records);
                            Completion::done()
                        }
                    }
                }
                Op::RunAutocommit { sql } => {
                    self.trace.push(format!("autocommit {}", sql.trim()));
                    self.sent.push(sql.to_string());
                    let locked = sql
                        .contains("LOCKED")
                        .then(|| self.locked.pop_front())
                        .flatten();
                    match (locked, sql.contains("FAIL")) {
                        (Some(e), _) => Completion::failed(e),
                        (None, true) => Completion::failed(syntax_error(1)),
                        (None, false) => Completion::done(),
                    }
                }
                Op::RunBatch { units, single } => {
                    let versions: Vec<Version> = units.iter().map(Fake::version_of).collect();
                    let list: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
                    let kind = if single { "single batch" } else { "batch" };
                    self.trace.push(format!("{kind} {}", list.join(",")));
                    Completion::of(self.batch(&mut exec, &units, &versions))
                }
                Op::PrepareSession { script, .. } => {
                    self.trace
                        .push(format!("prepare {}", script.path.display()));
                    Completion::of(Outcome::SessionPrepared {
                        dropped: Vec::new(),
                    })
                }
                Op::RestoreSession => {
                    self.trace.push("restore session".into());
                    Completion::done()
                }
                Op::Sleep(d) => {
                    self.trace.push(format!("sleep {}s", d.as_secs()));
                    Completion::done().took(d)
                }
                Op::ReadLocation(spot) => {
                    self.trace.push("read location".into());
                    Completion::of(Outcome::Located(spot.read()))
                }
            };
            let c = if c.elapsed.is_zero() {
                c.took(self.op_time)
            } else {
                c
            };
            exec.complete(c);
        }
        exec.into_result()
    }

    fn batch(
        &mut self,
        exec: &mut Executor<'_>,
        units: &[Unit<'_>],
        versions: &[Version],
    ) -> Outcome {
        if let Some(k) = versions.iter().position(|v| Some(*v) == self.refused) {
            return Outcome::BatchFailed(BatchFailure {
                committed: 0,
                failed: k,
                error: syntax_error(1),
                notices: Vec::new(),
                stopped: false,
                unconfirmed: None,
            });
        }
        for (i, unit) in units.iter().enumerate() {
            if self.batch_stopped_after == Some(i) {
                return Outcome::BatchFailed(BatchFailure {
                    committed: i,
                    failed: i,
                    error: DriverError::statement("stopped"),
                    notices: Vec::new(),
                    stopped: true,
                    unconfirmed: None,
                });
            }
            for e in exec.progress(BatchProgress::Started(i)) {
                self.trace.push(event(&e));
            }
            if let Some(error) = self.next_failure(versions[i]) {
                return Outcome::BatchFailed(BatchFailure {
                    committed: i,
                    failed: i,
                    error,
                    notices: vec![format!("notice from {}", versions[i])],
                    stopped: false,
                    unconfirmed: None,
                });
            }
            self.commit(&unit.records);
            let done = BatchDone {
                duration: Duration::from_millis(5),
                notices: Vec::new(),
            };
            for e in exec.progress(BatchProgress::Done(i, done)) {
                self.trace.push(event(&e));
            }
        }
        Outcome::Done
    }
}

fn event(e: &Event) -> String {
    match e {
        Event::Planned { steps } => {
            let list: Vec<String> = steps.iter().map(|s| s.0.to_string()).collect();
            format!("planned {}", list.join(","))
        }
        Event::Started { version, .. } => format!("started {version}"),
        Event::Finished(s) => format!("finished {}", s.version),
        Event::Notice { version, message } => format!("notice {version}: {message}"),
        Event::Warning { message } => format!("warning: {message}"),
        Event::Retry {
            version,
            attempt,
            retries,
            wait,
            ..
        } => format!("retry {version} {attempt}/{retries} in {}s", wait.as_secs()),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

fn tx(n: usize) -> Vec<(String, String)> {
    (1..=n)
        .map(|v| {
            (
                format!("{v}_t{v}.up.sql"),
                format!("CREATE TABLE t{v} (id int);\n"),
            )
        })
        .collect()
}

fn src(files: &[(String, String)]) -> Source {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    source(&refs)
}

fn versions(r: &Report) -> Vec<Version> {
    r.steps.iter().map(|s| s.version).collect()
}

#[test]
fn batches_take_at_most_the_drivers_limit_and_a_lone_migration_goes_as_a_batch_of_one() {
    let s = src(&tx(3));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(2),
    );
    let mut fake = Fake::default();
    let report = fake.run(exec).unwrap();
    assert_eq!(versions(&report), [1, 2, 3]);
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            "batch 1,2",
            "started 1",
            "finished 1",
            "started 2",
            "finished 2",
            "batch 3",
            "started 3",
            "finished 3",
        ]
    );
}

#[test]
fn a_driver_that_cannot_batch_gets_one_transaction_per_migration() {
    let s = src(&tx(2));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(1),
    );
    let mut fake = Fake {
        op_time: Duration::from_millis(3),
        ..Fake::default()
    };
    let report = fake.run(exec).unwrap();
    assert_eq!(
        fake.trace,
        [
            "planned 1,2",
            "ensure tables",
            "started 1",
            "transaction 1",
            "finished 1",
            "started 2",
            "transaction 2",
            "finished 2",
        ]
    );
    // A migration's duration is the time its ops took, as the completions said.
    assert!(report
        .steps
        .iter()
        .all(|s| s.duration == Duration::from_millis(3)));
}

#[test]
fn batches_stop_at_max_batch_bytes_and_a_bigger_script_runs_alone() {
    let half = format!("SELECT '{}';\n", "x".repeat(MAX_BATCH_BYTES / 2));
    let big = format!("SELECT '{}';\n", "y".repeat(MAX_BATCH_BYTES));
    let files = vec![
        ("1_a.up.sql".to_string(), half.clone()),
        ("2_b.up.sql".to_string(), half.clone()),
        ("3_c.up.sql".to_string(), big),
        ("4_d.up.sql".to_string(), "SELECT 4;\n".to_string()),
    ];
    let s = src(&files);
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake::default();
    fake.run(exec).unwrap();
    let ops: Vec<&str> = fake
        .trace
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with("started") && !l.starts_with("finished"))
        .collect();
    // 1 and 2 together exceed the limit; 3 exceeds it alone, so it goes on its own (the driver
    // may cut it), not as a batch.
    assert_eq!(
        ops,
        [
            "planned 1,2,3,4",
            "ensure tables",
            "batch 1",
            "batch 2",
            "transaction 3",
            "batch 4",
        ]
    );
}

#[test]
fn a_version_never_appears_twice_in_one_batch() {
    let files = vec![
        (
            "1_a.up.sql".to_string(),
            "CREATE TABLE a (id int);\n".to_string(),
        ),
        ("1_a.down.sql".to_string(), "DROP TABLE a;\n".to_string()),
    ];
    let s = src(&files);
    let state = LedgerState::default();
    let options = PlanOptions::default();
    // Apply 1 first, then redo it: down 1 and up 1 in one plan.
    let mut fake = Fake::default();
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    fake.run(exec).unwrap();
    let mut state = state;
    state.applied = fake
        .committed
        .iter()
        .filter_map(|w| match w {
            LedgerWrite::Insert(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    state.compat = Some(crate::ledger::CompatRow {
        version: 1,
        dirty: false,
    });
    let redo = plan::plan(&s, &state, Request::Redo, &options).unwrap();
    let mut fake = Fake::default();
    let exec = Executor::new(&s, redo, RunOptions::default(), caps(10));
    fake.run(exec).unwrap();
    let batches: Vec<&str> = fake
        .trace
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("batch"))
        .collect();
    assert_eq!(batches, ["batch 1", "batch 1"]);
}

#[test]
fn a_message_refused_by_the_server_is_sent_again_without_the_failing_item() {
    let s = src(&tx(3));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake {
        refused: Some(3),
        ..Fake::default()
    };
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            // The server refused the whole message at 3: 1 and 2 did not run.
            "batch 1,2,3",
            "batch 1,2",
            "started 1",
            "finished 1",
            "started 2",
            "finished 2",
            // 3 alone is refused again: that is its own failure.
            "batch 3",
            "started 3",
            "write log fail 3",
        ]
    );
    let Error::Migration {
        version,
        aftermath,
        location,
        report,
        ..
    } = err
    else {
        panic!("a migration error, got {err:?}");
    };
    assert_eq!(version, 3);
    assert_eq!(aftermath, Aftermath::RolledBack);
    assert_eq!(versions(&report), [1, 2]);
    let location = location.expect("located");
    assert_eq!(location.path, Path::new("m/3_t3.up.sql"));
    assert_eq!((location.line, location.column), (1, 2));
}

#[test]
fn a_failure_mid_batch_keeps_the_committed_items_and_logs_the_failure_with_its_file() {
    let s = src(&tx(3));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake::default().fail(2, vec![syntax_error(8)]);
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            "batch 1,2,3",
            "started 1",
            "finished 1",
            "started 2",
            "notice 2: notice from 2",
            "write log fail 2",
        ]
    );
    assert_eq!(versions(err.report().unwrap()), [1]);
    let fail = fake.log.last().unwrap();
    assert!(
        fail.detail.starts_with("m/2_t2.up.sql:1:9: syntax error"),
        "{}",
        fail.detail
    );
}

#[test]
fn a_lock_timeout_is_retried_with_back_off_then_succeeds() {
    let s = src(&tx(1));
    let options = RunOptions {
        lock_retries: 3,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(1));
    let mut fake = Fake::default().fail(1, vec![lock_timeout(), lock_timeout()]);
    let report = fake.run(exec).unwrap();
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "transaction 1",
            "retry 1 1/3 in 1s",
            "sleep 1s",
            "transaction 1",
            "retry 1 2/3 in 2s",
            "sleep 2s",
            "transaction 1",
            "finished 1",
        ]
    );
    // The waits count in its duration.
    assert_eq!(report.steps[0].duration, Duration::from_secs(3));
}

#[test]
fn retries_run_out_and_the_migration_fails_rolled_back() {
    let s = src(&tx(1));
    let options = RunOptions {
        lock_retries: 1,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(1));
    let mut fake = Fake::default().fail(1, vec![lock_timeout(), lock_timeout()]);
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "transaction 1",
            "retry 1 1/1 in 1s",
            "sleep 1s",
            "transaction 1",
            "write log fail 1",
        ]
    );
    assert!(matches!(
        err,
        Error::Migration {
            aftermath: Aftermath::RolledBack,
            ..
        }
    ));
}

#[test]
fn a_lock_timeout_in_a_batch_goes_on_at_that_migration_alone_with_retries() {
    let s = src(&tx(3));
    let options = RunOptions {
        lock_retries: 2,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(10));
    let mut fake = Fake::default().fail(2, vec![lock_timeout(), lock_timeout()]);
    let report = fake.run(exec).unwrap();
    assert_eq!(versions(&report), [1, 2, 3]);
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            "batch 1,2,3",
            "started 1",
            "finished 1",
            "started 2",
            // Resumed at 2, alone, with back-off.
            "started 2",
            "transaction 2",
            "retry 2 1/2 in 1s",
            "sleep 1s",
            "transaction 2",
            "finished 2",
            // Then batching again.
            "batch 3",
            "started 3",
            "finished 3",
        ]
    );
}

fn no_tx_source(body: &str) -> Source {
    source(&[("1_idx.up.sql", body)])
}

const NO_TX: &str = "CREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);\nCREATE INDEX CONCURRENTLY c ON t (z);\n";

#[test]
fn the_dirty_protocol_writes_start_and_progress_entries_before_statements_two_to_n() {
    let s = no_tx_source(NO_TX);
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake {
        op_time: Duration::from_millis(2),
        ..Fake::default()
    };
    let report = fake.run(exec).unwrap();
    // Each record carries the hash of the statements sent before it.
    let sent: Vec<&str> = fake.sent.iter().map(String::as_str).collect();
    let prefix = |k: usize| crate::resume::prefix_hash(sent[..k - 1].iter().copied());
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "prepare m/1_idx.up.sql",
            "write compat 1 dirty, log start 1",
            "autocommit CREATE INDEX CONCURRENTLY a ON t (x);",
            &format!("append progress up statement 2 of 3 after prefix {} at m/1_idx.up.sql:2: CREATE INDEX CONCURRENTLY b ON t (y);", prefix(2)),
            "autocommit CREATE INDEX CONCURRENTLY b ON t (y);",
            &format!("append progress up statement 3 of 3 after prefix {} at m/1_idx.up.sql:3: CREATE INDEX CONCURRENTLY c ON t (z);", prefix(3)),
            "autocommit CREATE INDEX CONCURRENTLY c ON t (z);",
            "write insert 1, compat 1, log up 1",
            "restore session",
            "finished 1",
        ]
    );
    assert_eq!(
        fake.log[0].detail,
        format!("no-transaction; up statement 1 of 3 after prefix {} at m/1_idx.up.sql:1: CREATE INDEX CONCURRENTLY a ON t (x);", prefix(1))
    );
    // The hash is over the statements' exact text, one by one.
    assert_eq!(
        prefix(3),
        crate::resume::prefix_hash([
            "CREATE INDEX CONCURRENTLY a ON t (x);",
            "CREATE INDEX CONCURRENTLY b ON t (y);"
        ])
    );
    // The records carry the time up to them: prepare, start, 3 statements, 2 progress entries.
    let up = fake.log.iter().find(|e| e.action == Action::Up).unwrap();
    assert_eq!(up.duration_ms, 14);
    assert_eq!(report.steps[0].mode, Some(TxMode::NoTransaction));
    assert_eq!(report.steps[0].duration, Duration::from_millis(18));
}

#[test]
fn a_failing_no_transaction_statement_leaves_the_row_dirty_and_names_the_statement() {
    let body = "CREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY FAIL ON t (y);\nCREATE INDEX CONCURRENTLY c ON t (z);\n";
    let s = no_tx_source(body);
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake::default();
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "prepare m/1_idx.up.sql",
            "write compat 1 dirty, log start 1",
            "autocommit CREATE INDEX CONCURRENTLY a ON t (x);",
            &format!("append progress up statement 2 of 3 after prefix {} at m/1_idx.up.sql:2: CREATE INDEX CONCURRENTLY FAIL ON t (y);", crate::resume::prefix_hash(["CREATE INDEX CONCURRENTLY a ON t (x);"])),
            "autocommit CREATE INDEX CONCURRENTLY FAIL ON t (y);",
            // No clean row, no ledger row: the dirty row stays.
            "restore session",
            "write log fail 1",
        ]
    );
    assert!(!fake
        .committed
        .iter()
        .any(|w| matches!(w, LedgerWrite::SetCompat(Some(c)) if !c.dirty)));
    let Error::Migration {
        aftermath,
        location,
        cause,
        ..
    } = err
    else {
        panic!("a migration error, got {err:?}");
    };
    assert_eq!(aftermath, Aftermath::Dirty);
    assert!(cause.to_string().ends_with("(statement 2 of 3)"), "{cause}");
    let location = location.unwrap();
    // The server's position 1 within statement 2, shifted to the file.
    assert_eq!((location.line, location.column), (2, 2));
    assert_eq!(
        location.statement,
        "CREATE INDEX CONCURRENTLY FAIL ON t (y);"
    );
}

#[test]
fn a_stop_request_ends_the_run_after_the_running_migration() {
    let s = src(&tx(3));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(1),
    );
    let mut fake = Fake {
        stop_after: Some(1),
        ..Fake::default()
    };
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            "started 1",
            "transaction 1",
            "finished 1",
        ]
    );
    let Error::Interrupted { report } = err else {
        panic!("interrupted, got {err:?}");
    };
    assert_eq!(versions(&report), [1]);
}

#[test]
fn a_batch_stopped_by_ctrl_c_ends_the_run_interrupted() {
    let s = src(&tx(3));
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(10),
    );
    let mut fake = Fake {
        batch_stopped_after: Some(1),
        ..Fake::default()
    };
    let err = fake.run(exec).unwrap_err();
    assert_eq!(
        fake.trace,
        [
            "planned 1,2,3",
            "ensure tables",
            "batch 1,2,3",
            "started 1",
            "finished 1",
        ]
    );
    let Error::Interrupted { report } = err else {
        panic!("interrupted, got {err:?}");
    };
    assert_eq!(versions(&report), [1]);
}

#[test]
fn a_stop_request_before_the_first_migration_runs_none() {
    let s = src(&tx(1));
    let mut exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps(1),
    );
    exec.request_stop();
    let mut fake = Fake::default();
    let err = fake.run(exec).unwrap_err();
    assert!(matches!(err, Error::Interrupted { .. }));
    assert_eq!(fake.trace, ["planned 1", "ensure tables"]);
}

#[test]
fn a_stop_request_prevents_a_retry() {
    let s = src(&tx(1));
    let options = RunOptions {
        lock_retries: 3,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(1));
    let mut fake = Fake {
        stop_in_transaction: true,
        ..Fake::default()
    }
    .fail(1, vec![lock_timeout()]);
    let err = fake.run(exec).unwrap_err();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "transaction 1",
            "write log fail 1",
        ]
    );
}

#[test]
fn single_transaction_runs_everything_in_one_batch() {
    let s = src(&tx(3));
    let options = RunOptions {
        single_transaction: true,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(2));
    let mut fake = Fake::default();
    fake.run(exec).unwrap();
    assert_eq!(fake.trace[2], "single batch 1,2,3");
}

#[test]
fn single_transaction_is_refused_before_any_migration_when_the_driver_cannot() {
    let s = src(&tx(2));
    let options = RunOptions {
        single_transaction: true,
        ..RunOptions::default()
    };
    let caps = Backend {
        single_transaction: false,
        ..caps(1)
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps);
    let mut fake = Fake::default();
    let err = fake.run(exec).unwrap_err();
    assert!(
        matches!(err, Error::SingleTransactionUnavailable),
        "{err:?}"
    );
    assert_eq!(fake.trace, ["planned 1,2", "ensure tables"]);
}

#[test]
fn single_transaction_is_refused_naming_a_migration_that_cannot_go_inside() {
    let mut files = tx(1);
    files.push((
        "2_idx.up.sql".into(),
        "CREATE INDEX CONCURRENTLY i ON t1 (id);\n".into(),
    ));
    let s = src(&files);
    let options = RunOptions {
        single_transaction: true,
        ..RunOptions::default()
    };
    let exec = Executor::new(&s, up_plan(&s, Request::Up(None)), options, caps(10));
    let mut fake = Fake::default();
    let err = fake.run(exec).unwrap_err();
    let Error::NotInOneTransaction {
        version, reason, ..
    } = &err
    else {
        panic!("refused, got {err:?}");
    };
    assert_eq!(*version, 2);
    assert!(matches!(
        reason,
        OneTransactionBlocker::Mode {
            mode: TxMode::NoTransaction,
            ..
        }
    ));
    assert_eq!(fake.trace, ["planned 1,2", "ensure tables"]);
}

#[test]
fn reconcile_writes_come_before_any_migration_and_warnings_are_told() {
    let s = src(&tx(1));
    let mut plan = up_plan(&s, Request::Up(None));
    plan.reconcile = vec![LedgerWrite::SetCompat(None)];
    let mut exec = Executor::new(&s, plan, RunOptions::default(), caps(1));
    let mut trace = Vec::new();
    loop {
        match exec.next() {
            Op::Done => break,
            Op::Event(e) => trace.push(event(&e)),
            Op::EnsureTables => {
                trace.push("ensure tables".into());
                exec.complete(Completion::of(Outcome::TablesReady {
                    warnings: vec!["old ledger".into()],
                }));
            }
            Op::Write(ws) => {
                trace.push(format!("write {}", writes(&ws)));
                exec.complete(Completion::done());
            }
            Op::RunTransaction(_) => {
                trace.push("transaction".into());
                exec.complete(Completion::done().with_notices(vec!["hello".into()]));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let report = exec.into_result().unwrap();
    assert_eq!(report.reconciled, 1);
    assert_eq!(
        trace,
        [
            "planned 1",
            "ensure tables",
            "warning: old ledger",
            "write compat none",
            "started 1",
            "transaction",
            "notice 1: hello",
            "finished 1",
        ]
    );
}

#[test]
fn without_transactional_ddl_a_transactional_migration_runs_statement_by_statement_dirty_first() {
    let s = source(&[(
        "1_t.up.sql",
        "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\n",
    )]);
    let caps = Backend {
        transactional_ddl: false,
        ..caps(1)
    };
    let exec = Executor::new(
        &s,
        up_plan(&s, Request::Up(None)),
        RunOptions::default(),
        caps,
    );
    let mut fake = Fake::default();
    let report = fake.run(exec).unwrap();
    assert_eq!(
        fake.trace,
        [
            "planned 1",
            "ensure tables",
            "started 1",
            "prepare m/1_t.up.sql",
            "write compat 1 dirty, log start 1",
            "autocommit CREATE TABLE a (x int);",
            &format!(
                "append progress up statement 2 of 2 after prefix {} at m/1_t.up.sql:2: CREATE TABLE b (y int);",
                crate::resume::prefix_hash(["CREATE TABLE a (x int);"])
            ),
            "autocommit CREATE TABLE b (y int);",
            "write insert 1, compat 1, log up 1",
            "restore session",
            "finished 1",
        ]
    );
    assert_eq!(report.steps[0].mode, Some(TxMode::NoTransaction));
}

/// Refuses every script whose text contains "nope".
struct Refusing;

impl crate::driver::SessionHooks for Refusing {
    fn before_script(&mut self, _: &Script, _: bool) -> Result<Vec<String>, DriverError> {
        Ok(Vec::new())
    }
    fn refusal(&self, script: &Script) -> Option<String> {
        script.sql.contains("nope").then(|| "no way".into())
    }
    fn after_script(&mut self) -> Result<(), DriverError> {
        Ok(())
    }
    fn rehearse(&mut self, _: &[&Script]) -> Result<crate::driver::RehearsalReport, DriverError> {
        unreachable!("not asked")
    }
}

#[test]
fn the_session_refuses_up_front_only_scripts_that_run_outside_a_transaction() {
    let s = source(&[
        ("1_in_tx.up.sql", "SELECT 'nope';"),
        ("2_fine.up.sql", "-- strata:no-transaction\nSELECT 1;"),
        (
            "3_refused.up.sql",
            "-- strata:no-transaction\nSELECT 'nope';",
        ),
    ]);
    let plan = up_plan(&s, Request::Up(None));
    let refused = session_refusal(&s, &plan, false, &caps(1), &Refusing);
    let Some(Error::NotRunnable {
        version, reason, ..
    }) = refused
    else {
        panic!("not refused: {refused:?}")
    };
    assert_eq!(version, 3);
    assert_eq!(
        reason,
        crate::error::NotRunnableReason::Session("no way".into())
    );
    // Without transactional DDL every script runs outside a transaction: the first is refused.
    let no_ddl = Backend {
        transactional_ddl: false,
        ..caps(1)
    };
    let refused = session_refusal(&s, &plan, false, &no_ddl, &Refusing);
    assert!(
        matches!(refused, Some(Error::NotRunnable { version: 1, .. })),
        "{refused:?}"
    );
    let up_to_2 = up_plan(&s, Request::Up(Some(2)));
    assert!(session_refusal(&s, &up_to_2, false, &caps(1), &Refusing).is_none());
}

mod dirty_retry;
mod resume;
