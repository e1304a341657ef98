//! What a rehearsal (run, then roll back) saw.

use super::DriverError;
use std::time::Duration;

/// A lock a rehearsed script took (from `pg_locks`, before the rollback).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RehearsedLock {
    /// The relation, as the server names it (schema-qualified when not on the search path).
    pub relation: String,
    /// The lock mode, as `pg_locks` names it (e.g. `AccessExclusiveLock`).
    pub mode: String,
}

/// How one rehearsed script went.
#[derive(Debug, Clone)]
pub struct RehearsedScript {
    /// How long its body took.
    pub duration: Duration,
    /// Its failure (the rehearsal stops there), offsets relative to the script's SQL.
    pub error: Option<DriverError>,
    /// Locks it took that no earlier script of the rehearsal held (empty on failure: rolling
    /// back to its savepoint released them).
    pub locks: Vec<RehearsedLock>,
}

/// What [`super::SessionHooks::rehearse`] saw: one entry per script run, in order, up to and including the
/// first failure.
#[derive(Debug, Clone, Default)]
pub struct RehearsalReport {
    /// The scripts run.
    pub scripts: Vec<RehearsedScript>,
}
