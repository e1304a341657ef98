//! Operations that change the ledger under the migration lock without running a migration:
//! `force`, `baseline`, `accept` and `adopt`.

use super::Migrator;
use crate::error::Error;
use crate::ledger::LedgerWrite;
use crate::migration::Version;
use crate::plan;

impl Migrator<'_> {
    /// Set golang-migrate's row to `(version, clean)` (`-1`: nothing applied) and make the
    /// ledger agree, running nothing. Ignores the dirty flag, like golang-migrate.
    pub fn force(&mut self, version: i64) -> Result<(), Error> {
        if version < -1 {
            return Err(Error::ForceVersionOutOfRange { version });
        }
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let writes = plan::plan_force(m.source, &state, version, &m.options.plan.actor);
            m.driver.write(&writes)?;
            Ok(())
        })
    }

    /// `baseline V`: record every migration up to `version` as applied without running it (see
    /// [`plan::plan_baseline`]). Returns how many ledger rows were added.
    pub fn baseline(&mut self, version: Version, force: bool) -> Result<usize, Error> {
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let writes =
                plan::plan_baseline(m.source, &state, version, force, &m.options.plan.actor)
                    .map_err(|conflicts| Error::Conflicts { conflicts })?;
            m.driver.write(&writes)?;
            Ok(writes
                .iter()
                .filter(|w| matches!(w, LedgerWrite::Insert(_)))
                .count())
        })
    }

    /// `accept V`: re-record the checksum of an applied migration whose file was edited on
    /// purpose (see [`plan::plan_accept`]). Returns `(old, new)` checksums, or `None` when they
    /// already agreed (nothing written).
    pub fn accept(&mut self, version: Version) -> Result<Option<(String, String)>, Error> {
        self.locked(|m| {
            m.driver.ensure_tables()?;
            let state = m.driver.read_state()?;
            let actor = m.options.plan.actor.clone();
            let (mut writes, view) = plan::reconcile(m.source, &state, &actor)
                .map_err(|c| Error::Conflicts { conflicts: vec![c] })?;
            let accepted = plan::plan_accept(m.source, &view, version, &actor)
                .map_err(|c| Error::Conflicts { conflicts: vec![c] })?;
            if accepted.is_empty() {
                return Ok(None);
            }
            let old = view
                .get(version)
                .and_then(|r| r.checksum.clone())
                .unwrap_or_default();
            let new = m
                .source
                .get(version)
                .map(|s| s.checksum.to_hex())
                .unwrap_or_default();
            writes.extend(accepted);
            m.driver.write(&writes)?;
            Ok(Some((old, new)))
        })
    }

    /// `adopt --from TOOL`: import another tool's tracking table into the ledger, under the lock
    /// (see [`crate::adopt`]). Nothing is written when it is refused.
    pub fn adopt(
        &mut self,
        request: &crate::adopt::AdoptRequest,
    ) -> Result<crate::adopt::AdoptPlan, Error> {
        self.locked(|m| {
            let actor = m.options.plan.actor.clone();
            crate::adopt::run(&mut *m.driver, m.source, request, &actor)
        })
    }
}
