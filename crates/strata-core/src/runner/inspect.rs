//! Operations that only read the database (no lock, nothing created): `state`, `plan`,
//! `history`, `validate` and `version`.

use super::Migrator;
use crate::error::Error;
use crate::ledger::{CompatRow, LedgerState, LogRecord};
use crate::plan::{self, Conflict, Plan, Request};

impl Migrator<'_> {
    /// Read the database's state without changing anything (no lock, no table creation).
    pub fn state(&mut self) -> Result<LedgerState, Error> {
        Ok(self.driver.read_state()?)
    }

    /// Plan `request` against the database's current state without running it.
    pub fn plan(&mut self, request: Request) -> Result<Plan, Error> {
        let state = self.driver.read_state()?;
        plan::plan(self.source, &state, request, &self.options.plan)
            .map_err(|conflicts| Error::Conflicts { conflicts })
    }

    /// The action log, newest first (no lock, nothing created).
    pub fn history(&mut self, limit: Option<usize>) -> Result<Vec<LogRecord>, Error> {
        Ok(self.driver.read_log(limit)?)
    }

    /// Everything wrong between the files and the database (see [`plan::validate`]). Changes
    /// nothing.
    pub fn validate(&mut self) -> Result<Vec<Conflict>, Error> {
        let state = self.driver.read_state()?;
        Ok(plan::validate(
            self.source,
            &state,
            self.options.plan.allow_out_of_order,
        ))
    }

    /// golang-migrate's current row; [`Error::NilVersion`] when nothing is applied.
    pub fn version(&mut self) -> Result<CompatRow, Error> {
        match self.driver.read_state()?.compat {
            Some(row) if row.version >= 0 => Ok(row),
            _ => Err(Error::NilVersion),
        }
    }
}
