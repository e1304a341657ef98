//! golang-migrate's dirty protocol around a migration that runs outside a transaction.
//!
//! The row is set to `(target, dirty)` with a `start` log entry, the statements run one by one
//! in autocommit, then the records are written. A failure leaves the row dirty and the log
//! names the statement reached: statement 1 in the `start` entry, each later one in a
//! `progress` entry written before it runs (so a killed run leaves it), with the hash of the
//! statements sent before it ([`crate::resume`]). A resumed run starts at the statement its
//! last record names, in a `start` entry of its own. A self-managed file
//! (its own `BEGIN`/`COMMIT`) runs in the messages golang-migrate would send (see
//! [`strata_sql::self_managed_messages`]) inside the same protocol, with no statement named.

use super::locate::shift;
use super::retry;
use super::step::StepFailure;
use super::Op;
use crate::driver::DriverError;
use crate::error::Aftermath;
use crate::ledger::{Action, CompatRow, LedgerWrite, Reached};
use crate::migration::{Direction, Migration, Script, TxMode};
use crate::plan;
use crate::resume::PrefixHash;
use std::ops::Range;
use std::time::Duration;

/// What the protocol waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The dirty row and the `start` entry.
    Start,
    /// The `progress` entry before piece `i`.
    Progress(usize),
    /// Piece `i` itself.
    Piece(usize),
    /// The wait before piece `i` runs again after a lock timeout.
    Sleeping(usize),
    /// The records, after the last piece.
    Records,
}

/// What comes after a completion.
pub(super) enum Next<'s> {
    /// Issue this op.
    Issue(Op<'s>),
    /// Piece `attempt` timed out waiting for a lock and did nothing: sleep `wait`, then it
    /// runs again (the op after the sleep's completion).
    Retry {
        attempt: u32,
        wait: Duration,
        error: DriverError,
    },
    /// The protocol ended.
    Finished(Result<(), StepFailure>),
}

/// One run of the protocol.
pub(super) struct DirtyRun<'s> {
    m: &'s Migration,
    direction: Direction,
    script: &'s Script,
    self_managed: bool,
    actor: String,
    /// Statements (no-transaction) or messages (self-managed), as byte ranges of the script.
    pieces: Vec<Range<usize>>,
    /// Statements one by one: one pass over the text positions them all (a fresh scan per
    /// statement was quadratic on large no-transaction files).
    lines: strata_sql::Cursor<'s>,
    stage: Stage,
    records: Vec<LedgerWrite>,
    /// The first piece this run sends (0 unless resumed).
    from: usize,
    /// The hash of the statements before the next one recorded.
    sent: PrefixHash,
    dialect: strata_sql::Dialect,
    /// How many times a statement that timed out waiting for a lock runs again.
    lock_retries: u32,
    /// Retries of the current statement so far.
    attempt: u32,
}

impl<'s> DirtyRun<'s> {
    /// Start the protocol: the first op writes the dirty row and the `start` entry. A resumed
    /// run (`from` > 0, checked against the file before the run) sends the pieces from `from`
    /// on.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        m: &'s Migration,
        direction: Direction,
        compat_dirty: CompatRow,
        script: &'s Script,
        mode: TxMode,
        dialect: strata_sql::Dialect,
        actor: &str,
        records: Vec<LedgerWrite>,
        from: usize,
        lock_retries: u32,
    ) -> (DirtyRun<'s>, Op<'s>) {
        let statements = script.statement_ranges(dialect);
        let self_managed = mode == TxMode::SelfManaged;
        let pieces = if self_managed {
            strata_sql::self_managed_messages(&script.sql, &statements, dialect)
        } else {
            statements
        };
        let mut run = DirtyRun {
            m,
            direction,
            script,
            self_managed,
            actor: actor.to_string(),
            pieces,
            lines: strata_sql::Cursor::new(&script.sql),
            stage: Stage::Start,
            records,
            from,
            sent: PrefixHash::default(),
            dialect,
            lock_retries,
            attempt: 0,
        };
        // The first statement sent rides on the `start` entry, which is written anyway (with
        // the dirty row).
        let how = match from {
            0 => mode.as_str().to_string(),
            _ => format!("{}, resumed", mode.as_str()),
        };
        let detail = match run.reached(from) {
            Some(r) => format!("{how}; {r}"),
            None => how,
        };
        let entry = plan::log(Action::Start, m, None, &run.actor, &detail);
        let op = Op::Write(vec![
            LedgerWrite::SetCompat(Some(compat_dirty)),
            LedgerWrite::Log(entry),
        ]);
        (run, op)
    }

    /// The `progress` detail of statement `i` (none for a self-managed file: there is no
    /// statement to name).
    fn reached(&mut self, i: usize) -> Option<String> {
        if self.self_managed {
            return None;
        }
        let range = self.pieces.get(i)?.clone();
        let script = self.script;
        // Pieces are reached in order, so the hash only ever moves forward.
        while self.sent.count() < i {
            self.sent
                .push(&script.sql[self.pieces[self.sent.count()].clone()]);
        }
        let text = &script.sql[range.clone()];
        let lead = text.len() - text.trim_start().len();
        Some(
            Reached {
                version: self.m.version,
                name: self.m.name.clone(),
                direction: self.direction,
                statement: i + 1,
                total: self.pieces.len(),
                path: script.path.display().to_string(),
                line: script.first_line + self.lines.line_col(range.start + lead).line - 1,
                text: Reached::first_line(text),
                prefix: Some(self.sent.hex()),
            }
            .detail(),
        )
    }

    /// Go on at piece `i`; `elapsed` is how long the migration has run so far.
    fn piece(&mut self, i: usize, elapsed: Duration) -> Next<'s> {
        let Some(range) = self.pieces.get(i).cloned() else {
            self.stage = Stage::Records;
            let ms = elapsed.as_millis() as i64;
            let records = std::mem::take(&mut self.records)
                .into_iter()
                .map(|w| w.with_duration(ms))
                .collect();
            return Next::Issue(Op::Write(records));
        };
        if i > self.from && !self.self_managed {
            // Durable before the statement runs, so that a kill during it leaves the record
            // behind: one autocommit INSERT per statement (no-transaction migrations are few
            // and their statements slow).
            self.stage = Stage::Progress(i);
            let detail = self.reached(i).unwrap_or_default();
            let entry = plan::log(Action::Progress, self.m, None, &self.actor, &detail);
            return Next::Issue(Op::AppendLog(entry));
        }
        self.stage = Stage::Piece(i);
        Next::Issue(Op::RunAutocommit {
            sql: &self.script.sql[range],
        })
    }

    /// Whether piece `i`, which failed with `e`, may run again: a statement that timed out
    /// waiting for its lock did not run (autocommit rolls the statement back), so sending it
    /// again changes nothing it did. Not a self-managed message (it may hold several
    /// statements) nor `CREATE INDEX CONCURRENTLY`, whose timeout can come after its catalog
    /// entry was committed.
    fn may_retry(&self, i: usize, e: &DriverError) -> bool {
        self.attempt < self.lock_retries
            && !self.self_managed
            && retry::is_lock_timeout(e)
            && strata_sql::concurrent_index_name(
                &self.script.sql[self.pieces[i].clone()],
                self.dialect,
            )
            .is_none()
    }

    /// The last op's result; `elapsed` is how long the migration has run so far; `stopping`:
    /// a stop was asked for, so nothing is retried.
    pub fn complete(
        &mut self,
        result: Result<(), DriverError>,
        elapsed: Duration,
        stopping: bool,
    ) -> Next<'s> {
        match (self.stage, result) {
            (Stage::Start, Err(e)) => Next::Finished(Err((e, None, Aftermath::NotStarted))),
            (Stage::Start, Ok(())) => self.piece(self.from, elapsed),
            (Stage::Progress(_), Err(e)) | (Stage::Records, Err(e)) => {
                Next::Finished(Err((e, None, Aftermath::Dirty)))
            }
            (Stage::Progress(i), Ok(())) => {
                self.stage = Stage::Piece(i);
                Next::Issue(Op::RunAutocommit {
                    sql: &self.script.sql[self.pieces[i].clone()],
                })
            }
            (Stage::Piece(i), Ok(())) => {
                self.attempt = 0;
                self.piece(i + 1, elapsed)
            }
            (Stage::Piece(i), Err(e)) if !stopping && self.may_retry(i, &e) => {
                self.attempt += 1;
                self.stage = Stage::Sleeping(i);
                Next::Retry {
                    attempt: self.attempt,
                    wait: retry::retry_delay(self.attempt),
                    error: e,
                }
            }
            (Stage::Sleeping(i), _) => {
                self.stage = Stage::Piece(i);
                Next::Issue(Op::RunAutocommit {
                    sql: &self.script.sql[self.pieces[i].clone()],
                })
            }
            (Stage::Piece(i), Err(e)) => {
                let range = self.pieces[i].clone();
                let e = if self.self_managed {
                    e.shifted(range.start)
                } else {
                    shift(e, range.start, i + 1, self.pieces.len())
                };
                Next::Finished(Err((e, Some(range), Aftermath::Dirty)))
            }
            (Stage::Records, Ok(())) => Next::Finished(Ok(())),
        }
    }
}
