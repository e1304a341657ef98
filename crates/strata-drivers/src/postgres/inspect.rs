//! Live facts about the tables a plan touches: size, row estimate, and the other sessions
//! holding or waiting for locks on them; and the table an index belongs to. Read-only catalog queries; names are bound as values
//! and resolved by `to_regclass`, which applies the server's own quoting and search_path rules.

use super::errors::db_error;
use super::session::Session;
use strata_core::DriverError;

/// What the live database says about a table a migration touches (see
/// [`super::PostgresDriver::inspect_tables`]), for `strata plan`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableInfo {
    /// The name as the migration wrote it.
    pub name: String,
    /// Whether the table exists now (a table created earlier in the same plan does not).
    pub exists: bool,
    /// Total size on disk in bytes, indexes and TOAST included.
    pub size_bytes: Option<i64>,
    /// The planner's row estimate (`None`: never analysed).
    pub row_estimate: Option<i64>,
    /// Other sessions holding or waiting for a lock on it now.
    pub sessions: Vec<TableSession>,
}

/// Another session using a table (from `pg_locks` and `pg_stat_activity`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableSession {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// Its state (`active`, `idle in transaction`, ...).
    pub state: String,
    /// The lock mode, as `pg_locks` names it (e.g. `AccessShareLock`).
    pub mode: String,
    /// Whether the lock is held (`false`: waiting for it).
    pub granted: bool,
    /// Seconds since its transaction started.
    pub transaction_age_secs: Option<f64>,
}

// Never analysed: reltuples is -1 on 14+; 13 stores 0 with relpages 0 (which on 13 an
// analysed empty table shows too: its estimate is unknown either way).
const TABLE: &str = "SELECT pg_total_relation_size(c.oid), \
     CASE WHEN c.reltuples < 0 OR (c.reltuples = 0 AND c.relpages = 0 \
       AND current_setting('server_version_num')::int < 140000) THEN NULL \
     ELSE c.reltuples::bigint END \
     FROM pg_class c WHERE c.oid = to_regclass($1)";

const SESSIONS: &str =
    "SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), l.mode, l.granted, \
     extract(epoch FROM now() - a.xact_start)::float8 \
     FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'relation' AND l.relation = to_regclass($1) AND l.pid <> pg_backend_pid() \
     ORDER BY l.pid, l.mode";

const INDEX_TABLE: &str =
    "SELECT i.indrelid::regclass::text FROM pg_index i WHERE i.indexrelid = to_regclass($1)";

/// The table of index `index`, as the catalog names it (qualified when not on the search_path);
/// `None` when there is no such index (or the name is not a valid identifier).
pub fn index_table(client: &mut Session, index: &str) -> Result<Option<String>, DriverError> {
    match client.query_opt(INDEX_TABLE, &[&index]) {
        Ok(row) => Ok(row.map(|r| r.get(0))),
        // to_regclass rejects malformed names: treat as absent.
        Err(e) if e.as_db_error().is_some() => Ok(None),
        Err(e) => Err(db_error(&e)),
    }
}

/// [`TableInfo`] for each name (a name that is not a valid identifier reads as absent).
pub fn inspect_tables(
    client: &mut Session,
    tables: &[String],
) -> Result<Vec<TableInfo>, DriverError> {
    let mut out = Vec::new();
    for name in tables {
        let row = match client.query_opt(TABLE, &[name]) {
            Ok(row) => row,
            // to_regclass rejects malformed names (e.g. too many dots): treat as absent.
            Err(e) if e.as_db_error().is_some() => None,
            Err(e) => return Err(db_error(&e)),
        };
        let Some(row) = row else {
            out.push(TableInfo {
                name: name.clone(),
                exists: false,
                size_bytes: None,
                row_estimate: None,
                sessions: Vec::new(),
            });
            continue;
        };
        let sessions = client
            .query(SESSIONS, &[name])
            .map_err(|e| db_error(&e))?
            .iter()
            .map(|r| TableSession {
                pid: r.get(0),
                application_name: r.get(1),
                state: r.get(2),
                mode: r.get(3),
                granted: r.get(4),
                transaction_age_secs: r.get(5),
            })
            .collect();
        out.push(TableInfo {
            name: name.clone(),
            exists: true,
            size_bytes: Some(row.get(0)),
            row_estimate: row.get(1),
            sessions,
        });
    }
    Ok(out)
}
