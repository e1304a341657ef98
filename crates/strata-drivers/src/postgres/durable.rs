//! Knowing what a batch committed, and making it durable before it is reported.
//!
//! All but the last commit of a batch skip the wait for the WAL flush, and a commit is visible
//! to every session before it is flushed: a migration seen committed (by its marker, or in the
//! ledger) can still be lost by a server crash. A synchronously committed transaction that wrote
//! WAL flushes the WAL up to its own commit record, which covers every earlier commit of every
//! session (one that wrote none — e.g. only `txid_current()` — commits without a flush). So
//! [`confirm`] reads the ledger and the log in such a transaction, its write a transactional
//! `pg_logical_emit_message` (any role may call it; it touches no table, takes no lock), with
//! `synchronous_commit = local`: at least a local flush whatever the session's setting, never a
//! wait for standbys (nor a long one for a table lock). Where that function cannot be called, it
//! waits instead until the server's flush position passes the insert position it read first.
//!
//! When the session running a batch is lost, its backend may go on running the message (a
//! dropped connection is noticed late): [`end_backend`] ends it through another session and
//! waits until it is gone, so that the ledger read after it is final.

use super::errors::db_error;
use super::PostgresDriver;
use postgres::{Client, SimpleQueryMessage};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use strata_core::{DriverError, LedgerWrite};

/// Raises an `off` `synchronous_commit` to `local` for the rest of the transaction: the commit
/// that makes a batch, a lone migration or a ledger write durable before it is reported.
pub(super) const SYNC_COMMIT: &str = "SELECT set_config('synchronous_commit', 'local', true) WHERE current_setting('synchronous_commit') = 'off';\n";

/// What the ledger and the log say about some versions, read in a transaction whose commit
/// flushed the WAL.
#[derive(Debug, Default)]
pub(super) struct Confirmed {
    /// The versions present in the ledger.
    pub present: Vec<i64>,
    /// `(version, duration_ms)` of each version's newest log entry.
    pub durations: Vec<(i64, i64)>,
}

impl Confirmed {
    /// The logged duration of `version` (zero when the log has none).
    pub fn duration(&self, version: i64) -> Duration {
        self.durations
            .iter()
            .find(|(v, _)| *v == version)
            .map_or(Duration::ZERO, |(_, ms)| {
                Duration::from_millis((*ms).max(0) as u64)
            })
    }
}

/// Longest wait for the flush position when the WAL cannot be flushed by a commit.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

/// How long a lost session's backend may take to go away once told to.
const END_WAIT: Duration = Duration::from_secs(10);

/// Read which of `versions` the ledger holds and their logged durations, and make every commit
/// made so far durable (see the module comment). `ledger` and `log` are qualified table names.
/// The session must not be in a transaction.
pub(super) fn confirm(
    client: &mut Client,
    ledger: &str,
    log: &str,
    versions: &[i64],
) -> Result<Confirmed, DriverError> {
    let list = if versions.is_empty() {
        "NULL".to_string()
    } else {
        versions
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let reads = format!(
        "SELECT version::text, NULL::text FROM {ledger} WHERE version IN ({list});\n\
         SELECT DISTINCT ON (version) version::text, duration_ms::text FROM {log} \
         WHERE version IN ({list}) ORDER BY version, id DESC;\n"
    );
    let flushed = format!(
        "BEGIN; SET LOCAL synchronous_commit = local; SET LOCAL lock_timeout = '5s';\n\
         SELECT pg_logical_emit_message(true, 'strata', 'durable');\n{reads}COMMIT;"
    );
    let out = match client.simple_query(&flushed) {
        Ok(out) => out,
        // No such function (before 9.6), or revoked: write WAL another way, by rewriting the
        // newest committed log row as it is (a heap update is logged even when nothing
        // changes), so the synchronous commit still flushes past every earlier commit. Waiting
        // for the WAL writer instead is the last resort: it may never flush a partial page
        // that holds only a running migration's records.
        Err(e) if matches!(super::errors::sqlstate(&e), Some("42883" | "42501")) => {
            let _ = client.batch_execute("ROLLBACK");
            let touched = format!(
                "BEGIN; SET LOCAL synchronous_commit = local; SET LOCAL lock_timeout = '5s';\n\
                 UPDATE {log} SET detail = detail WHERE id = (SELECT max(id) FROM {log});\n{reads}COMMIT;"
            );
            match client.simple_query(&touched) {
                Ok(out) if rows_updated(&out) > 0 => out,
                other => {
                    if other.is_err() {
                        let _ = client.batch_execute("ROLLBACK");
                    }
                    let out = client.simple_query(&reads).map_err(|e| db_error(&e))?;
                    wait_for_flush(client)?;
                    out
                }
            }
        }
        Err(e) => {
            // Leave no failed transaction behind on a session that goes on.
            let _ = client.batch_execute("ROLLBACK");
            return Err(db_error(&e));
        }
    };
    Ok(parse(&out))
}

/// The rows the `UPDATE` of the message above changed: its fourth statement (after `BEGIN` and
/// two `SET LOCAL`s).
fn rows_updated(out: &[SimpleQueryMessage]) -> u64 {
    out.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .nth(3)
        .unwrap_or(0)
}

/// Wait until the server has flushed the WAL written so far (bounded by [`FLUSH_WAIT`]).
fn wait_for_flush(client: &mut Client) -> Result<(), DriverError> {
    let insert: String = client
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .map_err(|e| db_error(&e))?
        .get(0);
    let started = Instant::now();
    loop {
        let flushed: bool = client
            .query_one(
                "SELECT pg_current_wal_flush_lsn() >= $1::text::pg_lsn",
                &[&insert],
            )
            .map_err(|e| db_error(&e))?
            .get(0);
        if flushed {
            return Ok(());
        }
        if started.elapsed() > FLUSH_WAIT {
            return Err(DriverError::Durability(format!(
                "the server did not flush its WAL within {}s",
                FLUSH_WAIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ledger rows come as `(version, NULL)`, log rows as `(version, duration_ms)` (never NULL).
fn parse(out: &[SimpleQueryMessage]) -> Confirmed {
    let mut confirmed = Confirmed::default();
    for m in out {
        let SimpleQueryMessage::Row(r) = m else {
            continue;
        };
        if r.columns().len() != 2 {
            continue;
        }
        let Some(v) = r.get(0).and_then(|v| v.parse().ok()) else {
            continue;
        };
        match r.get(1).and_then(|ms| ms.parse().ok()) {
            None => confirmed.present.push(v),
            Some(ms) => confirmed.durations.push((v, ms)),
        }
    }
    confirmed
}

/// End the backend `pid` that started at `started_us` (µs since the epoch, so a reused pid is
/// never touched) and wait until it is gone. `Ok(true)`: gone (or already was).
pub(super) fn end_backend(
    client: &mut Client,
    pid: i32,
    started_us: i64,
) -> Result<bool, postgres::Error> {
    const SAME: &str = "pid = $1 AND (extract(epoch FROM backend_start) * 1000000)::int8 = $2";
    client.query(
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {SAME}"),
        &[&pid, &started_us],
    )?;
    let started = Instant::now();
    loop {
        let left: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM pg_stat_activity WHERE {SAME}"),
                &[&pid, &started_us],
            )?
            .get(0);
        if left == 0 {
            return Ok(true);
        }
        if started.elapsed() > END_WAIT {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A request to a [`Confirmer`]: items `from..to` of a batch, and their versions.
type Request = (usize, usize, Vec<i64>);

/// [`confirm`] on a second session, on a thread of its own, while the driver's session runs a
/// batch: opening that session (a full pool may make it wait) or a slow answer never holds the
/// batch up — its progress only comes later. Ends, closing its session, when dropped.
pub(super) struct Confirmer {
    requests: mpsc::Sender<Request>,
    results: mpsc::Receiver<(usize, usize, Result<Confirmed, DriverError>)>,
}

/// What [`Confirmer::poll`] found.
pub(super) enum Answer {
    /// Nothing yet.
    Pending,
    /// Items `from..to`, confirmed (or not).
    Done(usize, usize, Result<Confirmed, DriverError>),
    /// The second session could not be had, or failed: no more answers.
    Gone,
}

impl Confirmer {
    /// Start the thread; it opens its session at once. `ledger` and `log`: qualified names.
    pub fn start(
        url: crate::url::DatabaseUrl,
        opts: crate::ConnectOptions,
        ledger: String,
        log: String,
    ) -> Confirmer {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (outbox, results) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut client, _, _)) = super::connect::open(&url, &opts) else {
                return;
            };
            for (from, to, versions) in inbox {
                let result = confirm(&mut client, &ledger, &log, &versions);
                let failed = result.is_err();
                if outbox.send((from, to, result)).is_err() || failed {
                    return;
                }
            }
        });
        Confirmer { requests, results }
    }

    /// Ask about items `from..to` (answers come in the order asked).
    pub fn ask(&self, from: usize, to: usize, versions: Vec<i64>) {
        let _ = self.requests.send((from, to, versions));
    }

    /// The next answer, without waiting.
    pub fn poll(&self) -> Answer {
        match self.results.try_recv() {
            Ok((from, to, result)) => Answer::Done(from, to, result),
            Err(mpsc::TryRecvError::Empty) => Answer::Pending,
            Err(mpsc::TryRecvError::Disconnected) => Answer::Gone,
        }
    }
}

impl PostgresDriver<'_> {
    /// The qualified names of the ledger and the log.
    pub(super) fn ledger_and_log(&self) -> (String, String) {
        (
            super::sql::qualified(&self.schema, &self.tables.ledger),
            super::sql::qualified(&self.schema, &self.tables.log),
        )
    }

    /// [`confirm`] on this session (not in a transaction).
    pub(super) fn confirm_here(&mut self, versions: &[i64]) -> Result<Confirmed, DriverError> {
        let (ledger, log) = self.ledger_and_log();
        self.quietly(|d| confirm(d.client.client_mut(), &ledger, &log, versions))
    }

    /// After a lone migration's COMMIT message failed on a lost session (`lost`): whether it
    /// committed, from the ledger read through a new session once this one's backend is gone —
    /// `Ok` (it did, and is now durable), `lost` (it did not), or [`DriverError::Unconfirmed`].
    pub(super) fn lost_commit_outcome(
        &mut self,
        writes: &[LedgerWrite],
        lost: DriverError,
    ) -> Result<(), DriverError> {
        let Some((v, up)) = write_version(writes) else {
            return Err(lost);
        };
        match self.confirm_elsewhere(&[v]) {
            Ok(c) if c.present.contains(&v) == up => Ok(()),
            Ok(_) => Err(lost),
            Err(_) => Err(DriverError::Unconfirmed(Box::new(lost))),
        }
    }

    /// [`confirm`] through a new session, when this one is lost — once this one's
    /// backend is gone: until then it may go on running the message and commit more.
    pub(super) fn confirm_elsewhere(&mut self, versions: &[i64]) -> Result<Confirmed, DriverError> {
        if self.backend_start == 0 {
            // The backend cannot be told from a later one with its pid: it cannot be ended.
            return Err(DriverError::Durability(
                "the lost session's backend is unknown".into(),
            ));
        }
        let (mut client, _, _) = super::connect::open(&self.url, &self.opts)?;
        let gone = end_backend(&mut client, self.backend_pid, self.backend_start)
            .map_err(|e| db_error(&e))?;
        if !gone {
            return Err(DriverError::Durability(format!(
                "the lost session's backend (pid {}) did not end",
                self.backend_pid
            )));
        }
        let (ledger, log) = self.ledger_and_log();
        confirm(&mut client, &ledger, &log, versions)
    }
}

/// The version `writes` record and whether it is applied (`Insert`) or reverted (`Delete`).
pub(super) fn write_version(writes: &[LedgerWrite]) -> Option<(i64, bool)> {
    writes.iter().find_map(|w| match w {
        LedgerWrite::Insert(m) => Some((m.version as i64, true)),
        LedgerWrite::Delete(v) => Some((*v as i64, false)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_default_to_zero_and_never_go_negative() {
        let c = Confirmed {
            present: vec![1, 2],
            durations: vec![(1, 12), (2, -5)],
        };
        assert_eq!(c.duration(1), Duration::from_millis(12));
        assert_eq!(c.duration(2), Duration::ZERO);
        assert_eq!(c.duration(3), Duration::ZERO);
    }
}
