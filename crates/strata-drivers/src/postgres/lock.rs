//! The migration lock: golang-migrate's session advisory lock keys, taken by polling.
//!
//! golang-migrate derives its key from `schema\0table\0database` (CRC32-IEEE times
//! 1486364155, wrapping at 2^32), where the CLI's database name is the URL path *with* its
//! leading `/` and the library's (`WithInstance`) is `current_database()` without it. Strata
//! takes **both** keys, so it excludes golang-migrate runners of either kind, and it takes them
//! with `pg_try_advisory_lock` in a polling loop bounded by a timeout — never the blocking
//! `pg_advisory_lock`, which can hang forever (golang-migrate issue #269) or deadlock.

use super::errors::db_error;
use super::session::Session;
use super::sql;
use std::time::{Duration, Instant};
use strata_core::{DriverError, Fix};

/// golang-migrate's `advisoryLockIDSalt`.
pub const SALT: u32 = 1_486_364_155;

/// golang-migrate's `GenerateAdvisoryLockId(databaseName, additionalNames...)`: CRC32-IEEE of
/// the additional names and the database name joined by NUL, times [`SALT`], wrapping.
///
/// ```
/// use strata_drivers::postgres::lock::advisory_lock_id;
/// assert_eq!(advisory_lock_id("/mydb", &["public", "schema_migrations"]), 616192132);
/// ```
pub fn advisory_lock_id(database: &str, additional: &[&str]) -> u32 {
    let mut input = String::new();
    for name in additional {
        input.push_str(name);
        input.push('\0');
    }
    input.push_str(database);
    crc32fast::hash(input.as_bytes()).wrapping_mul(SALT)
}

/// The keys Strata takes for a migrations table, as `bigint`s (never `int`: keys go up to
/// 2^32 - 1): the CLI form (`url_path`, e.g. `/mydb`; golang-migrate uses
/// `current_database()` when the path is empty) and the library form (`current_database()`).
/// Equal keys are listed once.
pub fn lock_keys(schema: &str, table: &str, url_path: &str, current_database: &str) -> Vec<i64> {
    let cli_name = if url_path.is_empty() {
        current_database
    } else {
        url_path
    };
    let mut keys = vec![
        advisory_lock_id(cli_name, &[schema, table]) as i64,
        advisory_lock_id(current_database, &[schema, table]) as i64,
    ];
    keys.dedup();
    keys
}

/// Prefix of the exception raised by [`proof_sql`] (the rest says what it saw).
pub const LOCK_LOST: &str = "strata-lock-lost: ";

/// SQL condition on `pg_locks`: the advisory locks among `keys` granted to server session `pid`
/// (`None`: the one evaluating it). Keys are 0..2^32, so `classid = 0, objid = key,
/// objsubid = 1`; a server session is connected to one database, so no database filter.
fn held_by(keys: &[i64], pid: Option<i32>) -> String {
    let keys: Vec<String> = keys.iter().map(i64::to_string).collect();
    let pid = pid.map_or("pg_backend_pid()".to_string(), |p| p.to_string());
    format!(
        "locktype='advisory' AND granted AND pid={pid} AND classid=0 AND objsubid=1 AND objid::int8 IN ({})",
        keys.join(",")
    )
}

/// PL/pgSQL statements (for a `DO` block, at the start of a transaction) proving that the
/// server session running them is the one that took the migration lock (`pid`) and still holds
/// every key; else they raise an exception starting with [`LOCK_LOST`], so the transaction ends
/// before it runs anything. Behind a transaction-pooling proxy the session lock lives on
/// another server session; a migration may have released it (`DISCARD ALL`,
/// `pg_advisory_unlock_all()`). Kept short: it leads every batch message, and
/// `pg_stat_activity` shows only a message's first kilobyte.
pub fn proof_sql(keys: &[i64], pid: i32) -> String {
    format!(
        "IF pg_backend_pid()<>{pid} THEN RAISE EXCEPTION '{LOCK_LOST}this transaction runs on server session pid %, the lock was taken by pid {pid}',pg_backend_pid(); END IF; \
         IF (SELECT count(*) FROM pg_locks WHERE {})<{} THEN RAISE EXCEPTION '{LOCK_LOST}server session pid {pid} no longer holds advisory lock {}'; END IF; ",
        held_by(keys, Some(pid)),
        keys.len(),
        keys.iter().map(i64::to_string).collect::<Vec<_>>().join(" and "),
    )
}

/// [`proof_sql`] as a statement of its own.
pub fn proof_statement(keys: &[i64], pid: i32) -> String {
    format!("DO $strata$BEGIN {}END$strata$;\n", proof_sql(keys, pid))
}

/// Take every key in `keys` on this session, polling with short sleeps (backing off to 200 ms)
/// until `timeout`. If only some keys can be had, the ones taken are released before sleeping,
/// so two runners never hold one key each. On timeout, says who holds the lock.
///
/// `pid` is the server session the connection had at connect: keys are only ever taken (and
/// released) by a statement running there, so a transaction-pooling proxy that runs the
/// statement elsewhere is refused without leaving a lock behind on a pooled server session.
pub(crate) fn acquire(
    client: &mut Session,
    keys: &[i64],
    timeout: Duration,
    pid: i32,
) -> Result<(), DriverError> {
    let start = Instant::now();
    let mut nap = Duration::from_millis(5);
    loop {
        if try_all(client, keys, pid)? {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= timeout {
            let holder = holder(client, keys).unwrap_or(None);
            return Err(DriverError::LockTimeout { waited, holder });
        }
        std::thread::sleep(nap.min(timeout - waited));
        nap = (nap * 2).min(Duration::from_millis(200));
    }
}

/// Try every key, in one round trip; `true` when all were taken.
///
/// Session advisory locks are re-entrant, so the same message first counts the keys the server
/// session already holds: this session never took them, so another client shares the server
/// session — a transaction-pooling proxy, refused (what was taken is given back).
fn try_all(client: &mut Session, keys: &[i64], pid: i32) -> Result<bool, DriverError> {
    let (now, before, got) = on_each_key(client, "pg_try_advisory_lock", keys, pid)?;
    check_same_backend(pid, now)?;
    let taken: Vec<i64> = keys
        .iter()
        .zip(&got)
        .filter(|(_, g)| **g)
        .map(|(k, _)| *k)
        .collect();
    if before > 0 {
        if !taken.is_empty() {
            release(client, &taken, pid)?;
        }
        return Err(shared_server_session(pid));
    }
    if taken.len() == keys.len() {
        return Ok(true);
    }
    if !taken.is_empty() {
        release(client, &taken, pid)?;
    }
    Ok(false)
}

/// How long [`second_connection_shares`] waits for its answer: a session pool with no free
/// server session keeps the second connection waiting, and that says nothing.
/// Generous: on a busy machine a connection through the proxy can take seconds.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// Refuse when a second connection like this one is served by the same server session `pid`:
/// what a transaction-pooling proxy with an idle pool does (it hands out the server session it
/// got back last), where a direct connection or a session pool never does. A lone runner's
/// statements then all run on one server session, so nothing on its own connection gives the
/// proxy away. Best effort, before the lock is taken: no answer within [`PROBE_WAIT`] (or no
/// second connection) is no evidence.
pub(crate) fn second_connection_shares(
    url: &crate::url::DatabaseUrl,
    opts: &crate::ConnectOptions,
    pid: i32,
) -> Result<(), DriverError> {
    let (url, opts) = (url.clone(), opts.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    // On its own thread, so a wait in the proxy's queue is bounded; a late answer is dropped.
    std::thread::spawn(move || {
        let other = super::connect::open(&url, &opts)
            .ok()
            .and_then(|(mut c, _, _)| {
                let out = c.simple_query("SELECT pg_backend_pid()").ok()?;
                let pid = super::rows(&out).next()?.get(0)?.parse::<i32>().ok();
                pid
            });
        let _ = tx.send(other);
    });
    match rx.recv_timeout(PROBE_WAIT) {
        Ok(Some(other)) if other == pid => Err(DriverError::Connect {
            message: format!(
                "the connection goes through a transaction-pooling proxy (e.g. PgBouncer pool_mode=transaction): \
                 a second connection was served by the same server session (pid {pid}); \
                 session advisory locks do not protect anything there"
            ),
            fix: Some(Fix::UseSessionPooling),
            cause: None,
        }),
        _ => Ok(()),
    }
}

/// The error for a server session that held the migration lock before this session took it.
pub fn shared_server_session(pid: i32) -> DriverError {
    DriverError::Connect {
        message: format!(
            "the connection goes through a transaction-pooling proxy (e.g. PgBouncer pool_mode=transaction): \
             server session pid {pid} already held the migration lock for another client; \
             session advisory locks do not protect anything there"
        ),
        fix: Some(Fix::UseSessionPooling),
        cause: None,
    }
}

/// Refuse when the server process behind the connection changed since connect (`at_connect`).
/// Only a transaction-pooling proxy (PgBouncer `pool_mode=transaction`, and the like) switches
/// server sessions under one client connection; session advisory locks are then lost or
/// released on a session Strata no longer talks to.
pub fn check_same_backend(at_connect: i32, now: i32) -> Result<(), DriverError> {
    if at_connect == now {
        return Ok(());
    }
    Err(DriverError::Connect {
        message: format!(
            "the connection goes through a transaction-pooling proxy (e.g. PgBouncer pool_mode=transaction): \
             the server session changed from pid {at_connect} to pid {now} between statements; \
             session advisory locks would be lost"
        ),
        fix: Some(Fix::UseSessionPooling),
        cause: None,
    })
}

/// How often [`release`] tries to reach the server session holding the lock.
const RELEASE_ATTEMPTS: u32 = 50;

/// Release every key (a key not held is ignored, as golang-migrate ignores the result) held by
/// server session `pid`. Directly connected, one round trip. Behind a transaction-pooling proxy
/// the statement may run on another server session, where it does nothing: it is sent again
/// (20 ms apart, [`RELEASE_ATTEMPTS`] times) until it runs on `pid`, so the lock is not left
/// on a pooled session; if it never does, the proxy is named.
pub(crate) fn release(client: &mut Session, keys: &[i64], pid: i32) -> Result<(), DriverError> {
    let mut now = pid;
    for attempt in 0..RELEASE_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        now = on_each_key(client, "pg_advisory_unlock", keys, pid)?.0;
        if now == pid {
            return Ok(());
        }
    }
    check_same_backend(pid, now)
}

/// `SELECT count(*) FROM pg_locks WHERE <keys held here>; SELECT pg_backend_pid(),
/// function(key1), function(key2)...` in one round trip (keys are numbers, written into the
/// query), each call made only on server session `pid`: the server session that ran it, how
/// many of the keys it held before, and each call's boolean.
fn on_each_key(
    client: &mut Session,
    function: &str,
    keys: &[i64],
    pid: i32,
) -> Result<(i32, usize, Vec<bool>), DriverError> {
    let calls: Vec<String> = keys
        .iter()
        .map(|k| format!("CASE WHEN pg_catalog.pg_backend_pid() = {pid} THEN {function}({k}) END"))
        .collect();
    let out = client
        .simple_query(&format!(
            "SELECT count(*) FROM pg_catalog.pg_locks WHERE {};\nSELECT pg_catalog.pg_backend_pid(), {}",
            held_by(keys, None),
            calls.join(", ")
        ))
        .map_err(|e| db_error(&e))?;
    let sets = super::result_sets(&out);
    let (Some(before), Some(row)) = (
        sets.first().and_then(|s| s.first()),
        sets.get(1).and_then(|s| s.first()),
    ) else {
        return Err(DriverError::Protocol("the server answered no row".into()));
    };
    let before: usize = before.get(0).and_then(|n| n.parse().ok()).unwrap_or(0);
    let now: i32 = row.get(0).and_then(|p| p.parse().ok()).unwrap_or_default();
    let got = (1..=keys.len()).map(|i| row.get(i) == Some("t")).collect();
    Ok((now, before, got))
}

/// Describe the session holding one of `keys`: pid, application_name, user, state and for how
/// long, and its current (or last) query.
pub(crate) fn holder(client: &mut Session, keys: &[i64]) -> Result<Option<String>, DriverError> {
    let keys = keys.to_vec();
    let row = client
        .query_opt(sql::LOCK_HOLDER, &[&keys])
        .map_err(|e| db_error(&e))?;
    Ok(row.map(|r| {
        let pid: i32 = r.get(0);
        let app: String = r.get(1);
        let user: String = r.get(2);
        let state: String = r.get(3);
        let state_for: f64 = r.get(4);
        let connected: f64 = r.get(5);
        let query: String = r.get(6);
        describe_holder(pid, &app, &user, &state, state_for, connected, &query)
    }))
}

/// Another session's query as diagnostics print it: literals masked (they may be secrets,
/// e.g. `SET pw = '...'`), whitespace collapsed, at most 120 characters.
pub fn shown_query(query: &str) -> String {
    let masked = strata_sql::mask_literals(query, strata_sql::Dialect::Postgres);
    let q: String = masked.split_whitespace().collect::<Vec<_>>().join(" ");
    if q.chars().count() > 120 {
        q.chars().take(117).collect::<String>() + "..."
    } else {
        q
    }
}

/// One line naming a lock holder.
pub fn describe_holder(
    pid: i32,
    app: &str,
    user: &str,
    state: &str,
    state_for_secs: f64,
    connected_secs: f64,
    query: &str,
) -> String {
    let q = shown_query(query);
    let app = if app.is_empty() {
        "(none)".to_string()
    } else {
        format!("{app:?}")
    };
    format!(
        "pid {pid}, application_name {app}, user {user:?}, state {state:?} for {state_for_secs:.1}s, \
         connected {connected_secs:.1}s ago, query: {q:?}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vector of compat §4.4.
    #[test]
    fn golang_migrate_vectors() {
        assert_eq!(advisory_lock_id("database_name", &[]), 1764327054);
        assert_eq!(
            advisory_lock_id("database_name", &["schema_name_1"]),
            2453313553
        );
        assert_eq!(
            advisory_lock_id("database_name", &["schema_name_2"]),
            235207038
        );
        assert_eq!(
            advisory_lock_id("database_name", &["schema_name_1", "schema_name_2"]),
            3743845847
        );
        assert_eq!(
            advisory_lock_id("/mydb", &["public", "schema_migrations"]),
            616192132
        );
        assert_eq!(
            advisory_lock_id("mydb", &["public", "schema_migrations"]),
            2103762914
        );
        assert_eq!(
            advisory_lock_id("/postgres", &["public", "schema_migrations"]),
            3280485947
        );
        assert_eq!(
            advisory_lock_id("/mydb", &["migrate", "schema_migrations"]),
            1258982956
        );
        assert_eq!(advisory_lock_id("mydb:schema_migrations", &[]), 1906445756);
        assert_eq!(advisory_lock_id("/mydb", &[]), 2054976106);
    }

    #[test]
    fn keys_are_cli_and_library_forms() {
        assert_eq!(
            lock_keys("public", "schema_migrations", "/mydb", "mydb"),
            vec![616192132, 2103762914]
        );
        // Empty URL path: golang-migrate uses current_database() for both.
        assert_eq!(
            lock_keys("public", "schema_migrations", "", "mydb"),
            vec![2103762914]
        );
        // Keys above i32::MAX stay positive bigints.
        assert!(
            lock_keys("public", "schema_migrations", "/postgres", "postgres")[0] > i32::MAX as i64
        );
    }

    #[test]
    fn the_proof_checks_the_server_session_and_every_key() {
        let sql = proof_sql(&[616192132, 2103762914], 42);
        assert!(
            sql.starts_with("IF pg_backend_pid()<>42 THEN RAISE EXCEPTION 'strata-lock-lost: "),
            "{sql}"
        );
        assert!(
            sql.contains("pid=42 AND classid=0 AND objsubid=1 AND objid::int8 IN (616192132,2103762914))<2 THEN RAISE EXCEPTION 'strata-lock-lost: "),
            "{sql}"
        );
        assert_eq!(sql.matches(LOCK_LOST).count(), 2);
        assert_eq!(
            proof_statement(&[7], 1),
            format!("DO $strata$BEGIN {}END$strata$;\n", proof_sql(&[7], 1))
        );
    }

    #[test]
    fn a_changed_backend_pid_is_refused_as_transaction_pooling() {
        assert!(check_same_backend(41, 41).is_ok());
        let DriverError::Connect { message, fix, .. } = check_same_backend(41, 42).unwrap_err()
        else {
            panic!("not a connect error")
        };
        assert!(message.starts_with(
            "the connection goes through a transaction-pooling proxy (e.g. PgBouncer pool_mode=transaction)"
        ));
        assert!(message.contains("from pid 41 to pid 42"));
        assert!(message.ends_with("session advisory locks would be lost"));
        assert_eq!(fix, Some(Fix::UseSessionPooling));
    }

    #[test]
    fn holder_line() {
        let s = describe_holder(
            42,
            "psql",
            "bob",
            "idle",
            3.04,
            10.0,
            "SELECT\n  pg_advisory_lock(1)",
        );
        assert_eq!(
            s,
            "pid 42, application_name \"psql\", user \"bob\", state \"idle\" for 3.0s, connected 10.0s ago, query: \"SELECT pg_advisory_lock(?)\""
        );
    }

    #[test]
    fn holder_query_literals_are_masked() {
        let s = describe_holder(
            7,
            "app",
            "bob",
            "idle in transaction",
            1.0,
            2.0,
            "UPDATE users SET pw = 'hunter2secret' WHERE id = 31337",
        );
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!s.contains("31337"), "{s}");
        assert!(
            s.ends_with("query: \"UPDATE users SET pw = ? WHERE id = ?\""),
            "{s}"
        );
    }
}
