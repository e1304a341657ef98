//! What `verify` and `dump` need from a database: snapshots, running a script, transactions
//! and savepoints. A trait of its own (not [`crate::Driver`]): only these commands use it.

use super::model::Snapshot;
use super::render::DumpData;
use crate::driver::DriverError;
use crate::migration::Script;

/// A session that can read its schema and run scripts outside the ledger.
pub trait SchemaSession {
    /// The schema now (Strata's and golang-migrate's tables left out).
    fn snapshot(&mut self) -> Result<Snapshot, DriverError>;

    /// Run `script`'s body as a migration would, without recording anything: a transactional
    /// script as one piece (inside the caller's transaction, if any), others statement by
    /// statement.
    fn run(&mut self, script: &Script) -> Result<(), DriverError>;

    /// Run plain SQL (transaction control, savepoints).
    fn execute(&mut self, sql: &str) -> Result<(), DriverError>;

    /// golang-migrate's version row and the ledger's applied versions, for `dump`.
    fn dump_data(&mut self) -> Result<DumpData, DriverError>;

    /// A mark of the catalog's rows now, when this database can take one (else `None`, and
    /// `verify` compares full snapshots).
    fn catalog_mark(&mut self) -> Result<Option<CatalogMark>, DriverError> {
        Ok(None)
    }

    /// Whether the catalog holds exactly the rows it held at `mark`: `true` proves that a
    /// snapshot now equals one taken then; `false` proves nothing.
    fn catalog_unchanged(&mut self, mark: &CatalogMark) -> Result<bool, DriverError> {
        let _ = mark;
        Ok(false)
    }
}

/// The catalog's rows at one moment, cheaply: enough to prove later that none was added,
/// changed or removed since (then a snapshot now equals a snapshot then, without reading it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogMark {
    /// Per catalog table: how many rows are visible, and a sum of a hash of each row
    /// version's identity. A row written since (added, or a new version of a changed row)
    /// has a new identity; a row removed is missing from both.
    pub rows: Vec<(i64, i64)>,
}
