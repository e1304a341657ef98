//! `drop`: remove everything in the target schema (or file), under the migration lock.

use super::Migrator;
use crate::driver::DropReport;
use crate::error::Error;

impl Migrator<'_> {
    /// Remove everything in the target schema (or file), under the lock.
    pub fn drop_all(&mut self) -> Result<DropReport, Error> {
        self.locked(|m| Ok(m.driver.drop_all()?))
    }
}
