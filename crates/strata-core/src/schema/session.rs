//! What `verify` and `dump` need from a database: snapshots, running a script, transactions
//! and savepoints. A trait of its own (not [`crate::Driver`]): only these commands use it.

use super::entries::Entries;
use super::model::Snapshot;
use super::render::DumpData;
use crate::driver::DriverError;
use crate::migration::Script;

/// What a [`SchemaSession::refresh`] changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    /// The entries read again (nothing outside them changed).
    pub entries: Entries,
    /// Those entries as they were before (the others left out).
    pub before: Snapshot,
}

/// A session that can read its schema and run scripts outside the ledger.
pub trait SchemaSession {
    /// The schema now (Strata's and golang-migrate's tables left out).
    fn snapshot(&mut self) -> Result<Snapshot, DriverError>;

    /// Start (`true`, inside the caller's transaction) or stop (`false`, after it ended)
    /// following which objects each step touches, so [`SchemaSession::refresh`] can read only
    /// those. `Ok(false)`: not available here (every refresh is a full snapshot).
    fn track(&mut self, on: bool) -> Result<bool, DriverError> {
        let _ = on;
        Ok(false)
    }

    /// Bring `schema` up to date, when it was the schema at the last `snapshot` or `refresh`
    /// (savepoints rolled back since undo the changes after them): afterwards it equals
    /// [`SchemaSession::snapshot`]. Returns the entries read again and what they held before.
    /// Cheaper when tracking: only the touched entries are read.
    fn refresh(&mut self, schema: &mut Snapshot) -> Result<Refreshed, DriverError> {
        let now = self.snapshot()?;
        Ok(Refreshed {
            entries: Entries::All,
            before: std::mem::replace(schema, now),
        })
    }

    /// Run `script`'s body as a migration would, without recording anything: a transactional
    /// script as one piece (inside the caller's transaction, if any), others statement by
    /// statement.
    fn run(&mut self, script: &Script) -> Result<(), DriverError>;

    /// Run plain SQL (transaction control, savepoints).
    fn execute(&mut self, sql: &str) -> Result<(), DriverError>;

    /// Run plain SQL that cannot fail in the state the caller knows (a savepoint, a rollback
    /// to one) no later than the next call: a session may send it with that call's SQL, in one
    /// round trip.
    fn defer(&mut self, sql: &str) -> Result<(), DriverError> {
        self.execute(sql)
    }

    /// Run `script` (in the caller's transaction) under savepoint `savepoint`: a failure is
    /// rolled back to it and returned inside `Ok`; the savepoint is released either way. The
    /// outer error: the database failed outside the script.
    fn run_guarded(
        &mut self,
        script: &Script,
        savepoint: &str,
    ) -> Result<Result<(), DriverError>, DriverError> {
        self.execute(&format!("SAVEPOINT {savepoint}"))?;
        let result = self.run(script);
        if result.is_err() {
            self.execute(&format!("ROLLBACK TO SAVEPOINT {savepoint}"))?;
        }
        self.execute(&format!("RELEASE SAVEPOINT {savepoint}"))?;
        Ok(result)
    }

    /// golang-migrate's version row and the ledger's applied versions, for `dump`.
    fn dump_data(&mut self) -> Result<DumpData, DriverError>;
}
