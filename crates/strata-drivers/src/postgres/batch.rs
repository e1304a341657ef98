//! Several transactional migrations in one simple-query message (issue 5; DESIGN §5).
//!
//! Over a link with 10 ms of latency, round trips cost more than the SQL: a migration alone
//! takes two messages (`BEGIN` + body, then records + `COMMIT`). A batch sends consecutive
//! transactional migrations together, each still in its own transaction:
//!
//! ```text
//! BEGIN; [SET LOCAL lock_timeout ...;] [SET LOCAL synchronous_commit = off;]
//! DO $strata$ ... RAISE NOTICE 'strata-batch-item <k>'; <lock proof> $strata$;
//! <log entry opened: at = clock_timestamp()>
//! <body>
//! ;
//! <ledger, compatibility row and log writes, durations measured by the server>
//! COMMIT;
//! ```
//!
//! - The marker notice tells which item raised the notices after it (notices carry no
//!   statement); the log entry opened before the body lets the server time each item (no
//!   session state: a migration may `RESET ALL`).
//! - Every item but the last commits without waiting for the WAL flush; the last one's flush
//!   (forced on where `synchronous_commit` is off) covers them all. An item is reported only
//!   once committed and durable: at the message's end, or — the message read as it runs — when
//!   the next item's marker shows it committed and the message then runs on for [`super::watch::GRACE`], after
//!   a second session made it durable (see `durable.rs`). A crash mid-batch loses only
//!   unreported, whole transactions (ledger and schema together), never a reported one.
//! - After a failure the ledger tells which items committed (not the error: a syntax error in
//!   item 7 stops the whole message before item 1 runs, a runtime error in item 7 leaves 1–6
//!   committed), read in a transaction whose synchronous commit makes them durable. A lost
//!   session is asked about on a new one, once its backend is ended (it may run on); when no
//!   session can tell, the items that may have committed are said to be unknown.
//!
//! Only lexically complete scripts are batched (the runner checks): an unterminated comment or
//! dollar quote would swallow the next item.
//!
//! With `single_transaction` the same items go inside one `BEGIN ... COMMIT` (several messages
//! when they exceed [`strata_core::driver::MAX_BATCH_BYTES`]).

use super::durable;
use super::errors::server_position;
use super::sql::quote_literal;
use super::{char_to_byte, rerun_helps, set_location, statement_at, PostgresDriver};
use postgres::SimpleQueryMessage;
use std::ops::Range;
use std::time::{Duration, Instant};
use strata_core::driver::MAX_BATCH_BYTES;
use strata_core::{BatchDone, BatchFailure, BatchItem, BatchProgress, DriverError};

/// Prefix of the marker notice opening each item.
const MARKER: &str = "strata-batch-item ";

/// First key of the two-key advisory lock that asks a batch to stop (second key: the running
/// session's backend pid, so a stop never reaches another runner). The two-key space never
/// meets golang-migrate's one-key migration lock.
const STOP_CLASS: i32 = 0x5354_4f50; // "STOP"

/// The exception a stopped batch raises.
const STOP_MESSAGE: &str = "strata-stop: stop requested before this migration";

/// A stop request for the session with backend `pid`: another session takes the stop lock and
/// keeps it until the process exits (the run stops and ends soon after). Runs on its own thread,
/// so a caller (a signal handler) never waits.
pub(super) fn stop_handle(
    url: crate::url::DatabaseUrl,
    opts: crate::ConnectOptions,
    pid: i32,
) -> super::CancelHandle {
    Box::new(move || {
        let (url, opts) = (url.clone(), opts.clone());
        std::thread::spawn(move || {
            let Ok((mut client, _, _)) = super::connect::open(&url, &opts) else {
                return; // The run then stops after its batch, as without a stop lock.
            };
            if client
                .execute("SELECT pg_advisory_lock($1, $2)", &[&STOP_CLASS, &pid])
                .is_ok()
            {
                loop {
                    std::thread::park();
                }
            }
        });
    })
}

/// Most items in one batch: 100 keeps a message of small migrations near 200 KB (the client's
/// peak memory) while round trips stay a handful per thousand migrations.
pub const BATCH_LIMIT: usize = 100;

/// Where an item's body sits in the message.
struct Placed {
    /// Start of the item's text (its `BEGIN` or marker).
    start: usize,
    /// The body's byte range in the message.
    body: Range<usize>,
}

/// Tells the caller of a batch what it learns, in order: each item started before it is done.
pub(super) struct Progress<'a> {
    on: &'a mut dyn FnMut(BatchProgress),
    /// Items told started.
    started: usize,
}

impl<'a> Progress<'a> {
    pub(super) fn new(on: &'a mut dyn FnMut(BatchProgress)) -> Self {
        Progress { on, started: 0 }
    }

    /// Items before `upto` are running or ran.
    pub(super) fn started(&mut self, upto: usize) {
        while self.started < upto {
            (self.on)(BatchProgress::Started(self.started));
            self.started += 1;
        }
    }

    /// Item `i` committed and is durable.
    pub(super) fn done(&mut self, i: usize, d: BatchDone) {
        self.started(i + 1);
        (self.on)(BatchProgress::Done(i, d));
    }
}

/// One message and the items it carries.
struct Message {
    text: String,
    /// Index of its first item in the batch.
    first: usize,
    placed: Vec<Placed>,
}

impl PostgresDriver<'_> {
    pub(super) fn batch(
        &mut self,
        items: &[BatchItem<'_>],
        single: bool,
        done: &mut Progress<'_>,
    ) -> Result<(), BatchFailure> {
        let messages = self.messages(items, single);
        let started = Instant::now();
        let mut rows = Vec::new();
        // Every notice of the batch so far, markers included.
        let mut raw = Vec::new();
        // Items handed to `done`.
        let mut reported = 0;
        for message in &messages {
            let out = if single || message.placed.len() < 2 {
                // Not read as it runs: its items are told started as it is sent.
                done.started(message.first + message.placed.len());
                self.client.simple_query(&message.text)
            } else {
                self.run_live(items, &message.text, &mut raw, &mut reported, done)
            };
            match out {
                Ok(out) => rows.extend(out.into_iter().filter_map(item_ms)),
                Err(e) => {
                    return self.batch_failed(items, single, message, &e, raw, reported, done)
                }
            }
        }
        // The last commit waited for the flush (see `messages`): every item is durable.
        raw.extend(self.take_raw_notices());
        let fallback = started.elapsed() / items.len().max(1) as u32;
        for (i, notices) in split_notices(raw, items.len())
            .into_iter()
            .enumerate()
            .skip(reported)
        {
            let duration = rows
                .get(i)
                .map_or(fallback, |ms| Duration::from_millis(*ms));
            done.done(i, BatchDone { duration, notices });
        }
        Ok(())
    }

    /// The messages for `items`: one per batch, or several sharing one transaction.
    fn messages(&self, items: &[BatchItem<'_>], single: bool) -> Vec<Message> {
        let mut messages: Vec<Message> = Vec::new();
        let mut text = String::new();
        let mut placed = Vec::new();
        let mut first = 0;
        for (k, item) in items.iter().enumerate() {
            if single && !placed.is_empty() && text.len() + item.script.sql.len() > MAX_BATCH_BYTES
            {
                messages.push(Message {
                    text: std::mem::take(&mut text),
                    first,
                    placed: std::mem::take(&mut placed),
                });
                first = k;
            }
            let start = text.len();
            if !single || k == 0 {
                text.push_str("BEGIN;");
            }
            text.push_str(&self.transaction_settings(item.script));
            self.client
                .allow_statement_timeout(item.script.statement_timeout);
            if !single && k + 1 < items.len() {
                text.push_str(" SET LOCAL synchronous_commit = off;");
            }
            // A stop request (first Ctrl-C) holds the stop lock exclusively: the next item then
            // fails here, before any of its SQL, and the batch ends after the running item
            // (not under a lease: see `stop_handle`).
            let stop_check = if single || self.lease.is_some() {
                String::new()
            } else {
                format!(
                    "IF NOT pg_try_advisory_xact_lock_shared({STOP_CLASS}, pg_backend_pid()) THEN RAISE EXCEPTION '{STOP_MESSAGE}'; END IF; "
                )
            };
            // The lock's proof follows the marker, so a failed proof is known to be item k's.
            let proof = match (&self.lease, self.locked) {
                (_, false) => String::new(),
                (Some(lease), true) => lease.check_sql(false),
                (None, true) => super::lock::proof_sql(&self.lock_keys, self.backend_pid),
            };
            text.push_str(&format!(
                " DO $strata$BEGIN {stop_check}RAISE NOTICE {}; {proof}END$strata$;\n",
                quote_literal(&format!("{MARKER}{k}"))
            ));
            text.push_str(&self.sql.timed_start_sql(item.writes));
            let body = text.len()..text.len() + item.script.sql.len();
            text.push_str(&item.script.sql);
            // A body may end in a line comment or without its last `;`.
            text.push_str("\n;\n");
            // A lease may have run out while the body ran (empty for the advisory lock).
            text.push_str(&self.commit_proof());
            text.push_str(&self.sql.timed_writes_sql(item.writes));
            if k + 1 == items.len() {
                // The commit that makes the batch durable: at least a local flush, even where
                // the session's setting (or the migration's) skips it.
                text.push_str(durable::SYNC_COMMIT);
            }
            if !single || k + 1 == items.len() {
                text.push_str("COMMIT;\n");
            }
            placed.push(Placed { start, body });
        }
        messages.push(Message {
            text,
            first,
            placed,
        });
        messages
    }

    /// After `message` failed: roll back, learn which items committed (the ledger) and make
    /// them durable before handing them to `done`, find the item the error belongs to, and
    /// locate the error in that item's file. `Ok` when every item turns out to have committed
    /// (the session was lost after the last commit).
    #[allow(clippy::too_many_arguments)]
    fn batch_failed(
        &mut self,
        items: &[BatchItem<'_>],
        single: bool,
        message: &Message,
        e: &postgres::Error,
        mut raw: Vec<String>,
        reported: usize,
        done: &mut Progress<'_>,
    ) -> Result<(), BatchFailure> {
        self.rollback();
        raw.extend(self.take_raw_notices());
        let last_marked = raw.iter().rev().find_map(|l| marker(l));
        let mut notices = split_notices(raw, items.len());
        let mut err = self.write_error(e);
        // The item the server's position points into (a syntax error anywhere stops the
        // whole message), else the one running when it failed.
        let at_position = server_position(e).map(|p| char_to_byte(&message.text, p));
        let by_position = at_position.map(|b| {
            let i = message.placed.partition_point(|p| p.start <= b).max(1) - 1;
            (message.first + i, b)
        });
        let stopped = matches!(&err, DriverError::Statement { code: Some(c), message, .. }
            if c == "P0001" && message == STOP_MESSAGE);
        // The ledger tells which items committed. A single transaction the server failed in
        // view committed nothing; a lost session is asked about on a new one. When another
        // runner may be writing the ledger too (the lock did not hold), only the markers tell
        // what this session committed: the items before the one that failed.
        let contested = matches!(
            err,
            DriverError::LockLost { .. }
                | DriverError::LeaseLost { .. }
                | DriverError::AlreadyApplied { .. }
        );
        let versions: Vec<i64> = items
            .iter()
            .filter_map(|i| item_version(i).map(|(v, _)| v))
            .collect();
        let confirmed = if single && !self.client.is_closed() {
            Ok(durable::Confirmed::default())
        } else {
            // A session still open is never ended to ask another one.
            self.confirm_here(&versions).or_else(|e| {
                if self.client.is_closed() {
                    self.confirm_elsewhere(&versions)
                } else {
                    Err(e)
                }
            })
        };
        let (committed, unconfirmed, confirmed) = match confirmed {
            Ok(c) => {
                let committed = match (contested, last_marked) {
                    (true, Some(marked)) => marked,
                    (true, None) => reported,
                    (false, _) => count_committed(items, &c.present),
                };
                (committed.max(reported), None, c)
            }
            Err(_) => (
                reported,
                Some(reported..message.first + message.placed.len()),
                durable::Confirmed::default(),
            ),
        };
        for (i, item) in items.iter().enumerate().take(committed).skip(reported) {
            let v = item_version(item).map_or(0, |(v, _)| v);
            let notices = std::mem::take(&mut notices[i]);
            done.done(
                i,
                BatchDone {
                    duration: confirmed.duration(v),
                    notices,
                },
            );
        }
        if committed == items.len() {
            return Ok(());
        }
        // Items before the last marker had committed as the server saw it.
        let running = if single || unconfirmed.is_some() {
            last_marked.unwrap_or(message.first)
        } else {
            committed
        };
        let failed = by_position.map_or(running, |(i, _)| i).max(committed);
        let script = items[failed.min(items.len() - 1)].script;
        let placed = &message.placed[failed
            .saturating_sub(message.first)
            .min(message.placed.len() - 1)];
        let position = by_position
            .filter(|(i, b)| *i == failed && placed.body.contains(b))
            .map(|(_, b)| b - placed.body.start);
        let statement = position.and_then(|p| statement_at(&script.sql, p));
        set_location(&mut err, statement.clone(), position);
        self.explain_lock_timeout(&mut err, &script.sql);
        if statement.is_none() && (single || failed == committed) && rerun_helps(e) && !contested {
            // Re-run the failing item's statements one by one, in a transaction rolled back,
            // after what it ran after: the earlier items committed, or (single transaction) are
            // replayed first.
            let before: Vec<String> = if single {
                items[..failed]
                    .iter()
                    .map(|i| {
                        let set = self.transaction_settings(i.script);
                        format!("{set}\n{}\n;", i.script.sql)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let found = self.search_after(&before, &script.sql);
            set_location(&mut err, found, None);
        }
        let failing_notices = notices
            .get_mut(failed)
            .map(std::mem::take)
            .unwrap_or_default();
        Err(BatchFailure {
            committed,
            failed,
            error: err,
            notices: failing_notices,
            stopped,
            unconfirmed,
        })
    }

    /// Which statement of `sql` fails when run after `before` (whole messages), in a
    /// transaction that is rolled back.
    fn search_after(&mut self, before: &[String], sql: &str) -> Option<Range<usize>> {
        if before.is_empty() {
            return self.find_failing_statement(sql);
        }
        // Not `Script::statement_ranges`: `sql` is a sent message (a batch may join scripts).
        let statements = strata_sql::split(sql, strata_sql::Dialect::Postgres).statements;
        self.quietly(|d| {
            d.client.batch_execute("BEGIN").ok()?;
            let found = before
                .iter()
                .all(|b| d.client.batch_execute(b).is_ok())
                .then(|| {
                    statements
                        .iter()
                        .find(|s| d.client.batch_execute(s.text(sql)).is_err())
                        .map(|s| s.range.clone())
                })
                .flatten();
            let _ = d.client.batch_execute("ROLLBACK");
            found
        })
    }

    /// Every notice received, markers included.
    fn take_raw_notices(&mut self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// How many leading items the ledger rows `present` show as committed.
fn count_committed(items: &[BatchItem<'_>], present: &[i64]) -> usize {
    items
        .iter()
        .take_while(|i| match item_version(i) {
            Some((v, up)) => present.contains(&v) == up,
            None => false,
        })
        .count()
}

/// The version an item records and whether it is applied (`Insert`) or reverted (`Delete`).
pub(super) fn item_version(item: &BatchItem<'_>) -> Option<(i64, bool)> {
    durable::write_version(item.writes)
}

/// A log row's `strata_item_ms`, the item's server-measured duration.
fn item_ms(message: SimpleQueryMessage) -> Option<u64> {
    match message {
        SimpleQueryMessage::Row(row)
            if row.columns().first().map(|c| c.name()) == Some("strata_item_ms") =>
        {
            row.get(0)
                .and_then(|v| v.parse::<i64>().ok())
                .map(|ms| ms.max(0) as u64)
        }
        _ => None,
    }
}

/// The item a notice line (`SEVERITY: message`) marks, if it is a marker.
pub(super) fn marker(line: &str) -> Option<usize> {
    line.split_once(": ")?.1.strip_prefix(MARKER)?.parse().ok()
}

/// Notices per item: each marker opens its item; markers are dropped. (If the session hides
/// notices, e.g. `client_min_messages = warning`, the markers vanish too and what remains goes
/// to the last item marked.)
pub(super) fn split_notices(lines: Vec<String>, n: usize) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); n];
    let mut current = 0;
    for line in lines {
        match marker(&line) {
            Some(k) if k < n => current = k,
            Some(_) => {}
            None => out[current.min(n.saturating_sub(1))].push(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_go_to_the_item_marked_before_them() {
        let lines = vec![
            "NOTICE: strata-batch-item 0".to_string(),
            "NOTICE: one".into(),
            "NOTICE: strata-batch-item 1".into(),
            "NOTICE: strata-batch-item 2".into(),
            "WARNING: three".into(),
            "NOTICE: strata-batch-item 2x".into(),
        ];
        let out = split_notices(lines, 3);
        assert_eq!(
            out,
            vec![
                vec!["NOTICE: one".to_string()],
                vec![],
                vec![
                    "WARNING: three".to_string(),
                    "NOTICE: strata-batch-item 2x".into()
                ]
            ]
        );
    }

    #[test]
    fn markers_are_recognised_whatever_the_severity_word() {
        assert_eq!(marker("HINWEIS: strata-batch-item 12"), Some(12));
        assert_eq!(marker("NOTICE: strata-batch-item"), None);
        assert_eq!(marker("NOTICE: something else"), None);
    }
}
