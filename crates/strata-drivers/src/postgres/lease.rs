//! The lease lock (`x-lock-strategy=lease`): a row in `<table>_lease` beside the ledger, for
//! servers where a session advisory lock does not hold (PgBouncer `pool_mode=transaction` hands
//! each transaction to any server session) or does not exist (CockroachDB, YugabyteDB).
//!
//! - **Acquire**: one statement inserts the row, or takes over a row whose lease expired; never
//!   a live one. Times are the server's (`clock_timestamp()`), so runners' clocks do not matter.
//! - **Renew**: a heartbeat thread on its own connection extends the lease every third of it
//!   while the run lasts; a paused or cut-off runner stops renewing, and its lease runs out.
//! - **Fence**: every migration transaction checks, first thing, that this holder's lease is
//!   unexpired, and again just before its ledger writes and `COMMIT`, that time holding the row
//!   (`FOR SHARE`, in the commit's own message) so that no takeover can slip between the check
//!   and the commit. A runner that lost its lease thus commits nothing more,
//!   even if it does not know yet. The first check takes no row lock: a paused runner's open
//!   transaction must not keep others from taking over after expiry.
//! - **Release**: delete this holder's row at the end.
//!
//! No session state is relied on between transactions.

use super::errors::db_error;
use super::session::Session;
use super::sql::{qualified, quote_literal};
use crate::url::LockStrategy;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use strata_core::DriverError;

/// Prefix of the exception raised by a failed fence (the rest says what it saw).
pub const LEASE_LOST: &str = "strata-lease-lost: ";

/// The lease of one runner on one migrations table.
#[derive(Debug, Clone)]
pub struct Lease {
    /// The lease table, qualified and quoted.
    table: String,
    /// The row's key: the compatibility table's name.
    name: String,
    /// This runner's random token.
    holder: String,
    host: String,
    pid: u32,
    duration: Duration,
}

impl Lease {
    /// This process's lease on `schema`.`compat` (table `<compat>_lease`), lasting `duration`
    /// without renewal.
    pub fn new(schema: &str, compat: &str, duration: Duration) -> Lease {
        Lease::with_holder(
            schema,
            compat,
            duration,
            token(),
            hostname(),
            std::process::id(),
        )
    }

    /// A lease with a given holder token, host and pid (tests).
    pub fn with_holder(
        schema: &str,
        compat: &str,
        duration: Duration,
        holder: String,
        host: String,
        pid: u32,
    ) -> Lease {
        Lease {
            table: qualified(schema, &format!("{compat}_lease")),
            name: compat.to_string(),
            holder,
            host,
            pid,
            duration,
        }
    }

    /// How long the lease lasts without renewal.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    fn interval(&self) -> String {
        format!("interval '{} milliseconds'", self.duration.as_millis())
    }

    fn key(&self) -> String {
        format!(
            "name = {} AND holder = {}",
            quote_literal(&self.name),
            quote_literal(&self.holder)
        )
    }

    /// Create the lease table when absent.
    pub fn create_sql(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, holder text NOT NULL, \
             host text NOT NULL, pid bigint NOT NULL, acquired_at timestamptz NOT NULL, \
             expires_at timestamptz NOT NULL)",
            self.table
        )
    }

    /// Whether the lease table exists (`t` or `f`).
    pub fn exists_sql(&self) -> String {
        format!(
            "SELECT to_regclass({}) IS NOT NULL",
            quote_literal(&self.table)
        )
    }

    /// One message: insert the row, or take over an expired one, waiting at most `wait` for a
    /// row lock; its last statement returns the holder when the lease was taken. The `NOT
    /// EXISTS` keeps the statement from queueing on a live lease's row at all.
    pub fn acquire_sql(&self, wait: Duration) -> String {
        let (name, holder, host) = (
            quote_literal(&self.name),
            quote_literal(&self.holder),
            quote_literal(&self.host),
        );
        format!(
            "SELECT set_config('lock_timeout', '{wait}ms', true);\n\
             INSERT INTO {t} AS l (name, holder, host, pid, acquired_at, expires_at) \
             SELECT {name}, {holder}, {host}, {pid}, clock_timestamp(), clock_timestamp() + {interval} \
             WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE name = {name} AND expires_at > clock_timestamp()) \
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, host = EXCLUDED.host, \
             pid = EXCLUDED.pid, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at \
             WHERE l.expires_at <= clock_timestamp() RETURNING l.holder",
            wait = wait.as_millis().max(1),
            t = self.table,
            pid = self.pid,
            interval = self.interval(),
        )
    }

    /// The current holder: host, pid, acquired at (UTC), seconds until expiry.
    pub fn holder_sql(&self) -> String {
        format!(
            "SELECT host, pid, to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             extract(epoch FROM expires_at - clock_timestamp())::float8 FROM {} WHERE name = {}",
            self.table,
            quote_literal(&self.name)
        )
    }

    /// The heartbeat: extend this holder's unexpired lease; returns a row when it did.
    pub fn renew_sql(&self) -> String {
        format!(
            "SELECT set_config('lock_timeout', '{}ms', true);\n\
             UPDATE {} SET expires_at = clock_timestamp() + {} WHERE {} AND expires_at > clock_timestamp() RETURNING 1",
            heartbeat_every(self.duration).as_millis().max(1),
            self.table,
            self.interval(),
            self.key()
        )
    }

    /// Give the lease back.
    pub fn release_sql(&self) -> String {
        format!("DELETE FROM {} WHERE {}", self.table, self.key())
    }

    /// Give the lease back and drop the table when no row is left, in one transaction that
    /// holds the table exclusively from the start: no runner can take a lease in it meanwhile
    /// (one waiting to finds the table gone and creates it again, see [`acquire`]).
    pub fn release_and_drop_sql(&self) -> String {
        format!(
            "DO $strata$BEGIN LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE; DELETE FROM {t} WHERE {key}; \
             IF NOT EXISTS (SELECT 1 FROM {t}) THEN DROP TABLE {t}; END IF; END$strata$",
            t = self.table,
            key = self.key(),
        )
    }

    /// PL/pgSQL statements (for a `DO` block) raising an exception starting with
    /// [`LEASE_LOST`] unless this holder's lease is unexpired. With `hold`, the row is also
    /// locked `FOR SHARE` until the transaction ends, which a takeover (and a renewal) waits
    /// for; only for the check in a commit's own message, so the wait is that commit's.
    pub fn check_sql(&self, hold: bool) -> String {
        format!(
            "PERFORM 1 FROM {} WHERE {} AND expires_at > clock_timestamp(){}; \
             IF NOT FOUND THEN RAISE EXCEPTION '{LEASE_LOST}the lease of runner {} pid {} expired or another runner took it over'; END IF; ",
            self.table,
            self.key(),
            if hold { " FOR SHARE" } else { "" },
            self.host.replace('\'', "''").replace('%', "%%"),
            self.pid,
        )
    }

    /// [`Lease::check_sql`] as a statement of its own.
    pub fn check_statement(&self, hold: bool) -> String {
        format!("DO $strata$BEGIN {}END$strata$;\n", self.check_sql(hold))
    }
}

/// How often the heartbeat renews a lease: three times per lease, so two missed renewals
/// still leave it held.
pub fn heartbeat_every(lease: Duration) -> Duration {
    lease / 3
}

/// Whether `version()` names a server without session advisory locks: CockroachDB
/// (`CockroachDB CCL v23.1 ...`) or YugabyteDB (`PostgreSQL 11.2-YB-2.18.0.0 ...`).
pub fn server_needs_lease(version: &str) -> bool {
    version.contains("CockroachDB") || version.contains("-YB-")
}

/// The strategy a run uses: the URL's `x-lock-strategy` when given, else lease on servers
/// without advisory locks ([`server_needs_lease`]), else advisory.
pub fn choose(given: Option<LockStrategy>, version: &str) -> LockStrategy {
    match given {
        Some(s) => s,
        None if server_needs_lease(version) => LockStrategy::Lease,
        None => LockStrategy::Advisory,
    }
}

/// One line naming a lease's holder, for a lock timeout.
pub fn describe_holder(host: &str, pid: i64, since: &str, expires_in_secs: f64) -> String {
    let expiry = if expires_in_secs > 0.0 {
        format!("expires in {expires_in_secs:.1}s")
    } else {
        format!("expired {:.1}s ago", -expires_in_secs)
    };
    format!("the lease of host {host:?} pid {pid}, since {since}, {expiry}")
}

/// Create the lease table when absent (looked up first: `CREATE TABLE IF NOT EXISTS` needs the
/// CREATE privilege even when the table exists, and a role may only have been granted the
/// tables). Runners starting together may race to create it: the loser's "already exists"
/// errors mean it is there. Returns whether this call created it.
fn ensure_table(client: &mut Session, lease: &Lease) -> Result<bool, DriverError> {
    let out = client
        .simple_query(&lease.exists_sql())
        .map_err(|e| db_error(&e))?;
    if super::rows(&out).next().and_then(|r| r.get(0)) == Some("t") {
        return Ok(false);
    }
    match client.batch_execute(&lease.create_sql()) {
        Ok(()) => Ok(true),
        Err(e) if matches!(super::errors::sqlstate(&e), Some("23505" | "42P07")) => Ok(false),
        Err(e) => Err(db_error(&e)),
    }
}

/// Take the lease (creating its table when absent), polling with short sleeps (backing off
/// to 200 ms) until `timeout`. On timeout, says who holds it. Returns whether this runner
/// created the table, which [`release`] then drops again after a run that changed nothing.
pub(crate) fn acquire(
    client: &mut Session,
    lease: &Lease,
    timeout: Duration,
) -> Result<bool, DriverError> {
    let start = Instant::now();
    let mut nap = Duration::from_millis(5);
    let mut created = ensure_table(client, lease)?;
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        // A row lock is only met while the holder's last transaction commits.
        let wait = left.clamp(Duration::from_millis(1), Duration::from_millis(500));
        match client.simple_query(&lease.acquire_sql(wait)) {
            Ok(out) => {
                if super::result_sets(&out)
                    .get(1)
                    .is_some_and(|s| !s.is_empty())
                {
                    return Ok(created);
                }
            }
            // Dropped by a runner that created it for a run that changed nothing.
            Err(e) if super::errors::sqlstate(&e) == Some("42P01") => {
                created = ensure_table(client, lease)?;
            }
            // lock_timeout or a concurrent insert's conflict: not taken this time.
            Err(e)
                if matches!(
                    super::errors::sqlstate(&e),
                    Some("55P03" | "23505" | "40001")
                ) => {}
            Err(e) => return Err(db_error(&e)),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            let holder = holder(client, lease).unwrap_or(None);
            return Err(DriverError::LockTimeout { waited, holder });
        }
        std::thread::sleep(nap.min(timeout - waited));
        nap = (nap * 2).min(Duration::from_millis(200));
    }
}

/// Describe the lease's current holder, if any.
fn holder(client: &mut Session, lease: &Lease) -> Result<Option<String>, DriverError> {
    let out = client
        .simple_query(&lease.holder_sql())
        .map_err(|e| db_error(&e))?;
    let line = super::rows(&out).next().map(|r| {
        describe_holder(
            r.get(0).unwrap_or_default(),
            r.get(1).and_then(|p| p.parse().ok()).unwrap_or_default(),
            r.get(2).unwrap_or_default(),
            r.get(3).and_then(|s| s.parse().ok()).unwrap_or_default(),
        )
    });
    Ok(line)
}

/// Give the lease back (a row no longer this holder's is left alone; a table dropped meanwhile,
/// by `drop` emptying the schema, holds nothing to give back). With `drop_table` (this runner
/// created the table and the run changed nothing else), the table goes too when no other
/// runner's row is in it: a refused or read-only run leaves the database as it found it.
pub(crate) fn release(
    client: &mut Session,
    lease: &Lease,
    drop_table: bool,
) -> Result<(), DriverError> {
    let sql = if drop_table {
        lease.release_and_drop_sql()
    } else {
        lease.release_sql()
    };
    match client.batch_execute(&sql) {
        Err(e) if super::errors::sqlstate(&e) == Some("42P01") => Ok(()),
        other => other.map_err(|e| db_error(&e)),
    }
}

/// The thread renewing a lease on its own connection; stopped (and joined) on drop.
pub(crate) struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    /// Connect (an error here is the caller's) and renew `lease` every
    /// [`heartbeat_every`] until dropped or until the lease is found lost. A failed renewal
    /// (a lost connection) is retried at the next beat on a new connection; if none succeeds
    /// in time the lease expires, and the fence stops the run.
    pub(crate) fn start(
        url: &crate::url::DatabaseUrl,
        opts: &crate::ConnectOptions,
        lease: Lease,
    ) -> Result<Heartbeat, DriverError> {
        let (client, _, _) = super::connect::open(url, opts)?;
        let (url, opts) = (url.clone(), opts.clone());
        let (tx, rx) = mpsc::channel::<()>();
        let every = heartbeat_every(lease.duration);
        let sql = lease.renew_sql();
        let thread = std::thread::Builder::new()
            .name("strata-lease-heartbeat".into())
            .spawn(move || {
                let mut client = Some(client);
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                    if client.as_ref().is_none_or(|c| c.is_closed()) {
                        client = super::connect::open(&url, &opts).ok().map(|(c, _, _)| c);
                    }
                    let Some(c) = client.as_mut() else { continue };
                    match c.simple_query(&sql) {
                        // Lost (expired, or taken over): renewing is over.
                        Ok(out) if super::rows(&out).next().is_none() => return,
                        Ok(_) | Err(_) => {}
                    }
                }
            })
            .map_err(|e| DriverError::Client {
                message: "cannot start the lease heartbeat thread".into(),
                cause: Some(std::sync::Arc::new(e)),
            })?;
        Ok(Heartbeat {
            stop: Some(tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A random token naming this runner's lease: 128 bits from the standard library's randomly
/// keyed hasher (no need for a crate: it only has to differ between runners).
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (0..2u8)
        .map(|i| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(i);
            h.write_u128(nanos);
            h.write_u32(std::process::id());
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// This machine's name, for other runners' messages.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease() -> Lease {
        Lease::with_holder(
            "public",
            "schema_migrations",
            Duration::from_secs(2),
            "tok".into(),
            "h1".into(),
            42,
        )
    }

    #[test]
    fn cockroach_and_yugabyte_choose_the_lease() {
        let crdb =
            "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27 01:53:43, go1.19.10)";
        let yb = "PostgreSQL 11.2-YB-2.18.0.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 15.0.3";
        let pg =
            "PostgreSQL 15.8 (Debian 15.8-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc";
        assert!(server_needs_lease(crdb));
        assert!(server_needs_lease(yb));
        assert!(!server_needs_lease(pg));
        assert_eq!(choose(None, crdb), LockStrategy::Lease);
        assert_eq!(choose(None, yb), LockStrategy::Lease);
        assert_eq!(choose(None, pg), LockStrategy::Advisory);
        // The URL wins both ways.
        assert_eq!(choose(Some(LockStrategy::Lease), pg), LockStrategy::Lease);
        assert_eq!(
            choose(Some(LockStrategy::Advisory), crdb),
            LockStrategy::Advisory
        );
    }

    #[test]
    fn the_heartbeat_beats_three_times_per_lease() {
        assert_eq!(
            heartbeat_every(Duration::from_secs(30)),
            Duration::from_secs(10)
        );
        assert_eq!(heartbeat_every(Duration::from_secs(2)).as_millis(), 666);
    }

    #[test]
    fn acquiring_takes_over_only_an_expired_row_in_one_statement() {
        let sql = lease().acquire_sql(Duration::from_millis(300));
        let (set, insert) = sql.split_once(";\n").unwrap();
        assert_eq!(set, "SELECT set_config('lock_timeout', '300ms', true)");
        assert!(!insert.contains(';'), "one statement: {insert}");
        assert!(insert.starts_with("INSERT INTO \"public\".\"schema_migrations_lease\" AS l"));
        assert!(insert.contains("clock_timestamp() + interval '2000 milliseconds'"));
        assert!(insert.contains("WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"schema_migrations_lease\" WHERE name = E'schema_migrations' AND expires_at > clock_timestamp())"));
        assert!(insert.ends_with("WHERE l.expires_at <= clock_timestamp() RETURNING l.holder"));
    }

    #[test]
    fn renewal_and_release_touch_only_this_holders_row() {
        let l = lease();
        let renew = l.renew_sql();
        assert!(renew.starts_with("SELECT set_config('lock_timeout', '666ms', true);\n"));
        assert!(renew.ends_with("WHERE name = E'schema_migrations' AND holder = E'tok' AND expires_at > clock_timestamp() RETURNING 1"));
        assert_eq!(
            l.release_sql(),
            "DELETE FROM \"public\".\"schema_migrations_lease\" WHERE name = E'schema_migrations' AND holder = E'tok'"
        );
        assert_eq!(
            l.release_and_drop_sql(),
            "DO $strata$BEGIN LOCK TABLE \"public\".\"schema_migrations_lease\" IN ACCESS EXCLUSIVE MODE; \
             DELETE FROM \"public\".\"schema_migrations_lease\" WHERE name = E'schema_migrations' AND holder = E'tok'; \
             IF NOT EXISTS (SELECT 1 FROM \"public\".\"schema_migrations_lease\") THEN DROP TABLE \"public\".\"schema_migrations_lease\"; END IF; END$strata$"
        );
    }

    #[test]
    fn the_fence_checks_holder_and_expiry_and_holds_the_row_only_when_asked() {
        let l = lease();
        let first = l.check_sql(false);
        let last = l.check_sql(true);
        for s in [&first, &last] {
            assert!(s.starts_with("PERFORM 1 FROM \"public\".\"schema_migrations_lease\" WHERE name = E'schema_migrations' AND holder = E'tok' AND expires_at > clock_timestamp()"), "{s}");
            assert!(s.contains("IF NOT FOUND THEN RAISE EXCEPTION 'strata-lease-lost: the lease of runner h1 pid 42 expired"), "{s}");
        }
        assert!(!first.contains("FOR SHARE"));
        assert!(last.contains("clock_timestamp() FOR SHARE;"));
        assert_eq!(
            l.check_statement(true),
            format!("DO $strata$BEGIN {last}END$strata$;\n")
        );
    }

    #[test]
    fn a_host_name_cannot_end_the_exception_text() {
        let l = Lease::with_holder(
            "s",
            "t",
            Duration::from_secs(5),
            "x".into(),
            "it's%".into(),
            1,
        );
        assert!(l.check_sql(false).contains("runner it''s%% pid 1"));
    }

    #[test]
    fn holder_lines() {
        assert_eq!(
            describe_holder("ci-7", 4242, "2026-11-30T04:00:00Z", 12.34),
            "the lease of host \"ci-7\" pid 4242, since 2026-11-30T04:00:00Z, expires in 12.3s"
        );
        assert_eq!(
            describe_holder("ci-7", 1, "2026-11-30T04:00:00Z", -0.5),
            "the lease of host \"ci-7\" pid 1, since 2026-11-30T04:00:00Z, expired 0.5s ago"
        );
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(token(), token());
        assert_eq!(token().len(), 32);
    }
}
