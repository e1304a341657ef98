//! PostgreSQL-only features, outside the engine's contract: `plan`'s live table facts,
//! cancelling and stopping a run from another thread, round-trip counts, rehearsal.

use super::{batch, inspect, CancelHandle, PostgresDriver, TableInfo};
use strata_core::{DriverError, RehearsalReport, Script};

impl PostgresDriver<'_> {
    /// Size, row estimate and current users of each table in `tables` (names as a migration
    /// wrote them, possibly qualified and quoted), for `plan`. Read-only.
    pub fn inspect_tables(&mut self, tables: &[String]) -> Result<Vec<TableInfo>, DriverError> {
        inspect::inspect_tables(&mut self.client, tables)
    }

    /// The table of the index named `index` (as a migration wrote it), as the catalog names it;
    /// `None` when there is no such index. For `plan`: `DROP INDEX` locks the index's table.
    pub fn index_table(&mut self, index: &str) -> Result<Option<String>, DriverError> {
        inspect::index_table(&mut self.client, index)
    }

    /// A handle that asks the server to cancel the statement this session is running, callable
    /// from another thread (e.g. a second Ctrl-C). `None` on a borrowed client (its TLS
    /// settings are the application's).
    pub fn cancel_handle(&self) -> Option<CancelHandle> {
        let token = self.client.cancel_token();
        let tls = self.tls.clone()?;
        Some(Box::new(move || {
            // Best effort: the statement may have ended, or the server be gone.
            let _ = token.cancel_query(tls.clone());
        }))
    }

    /// A handle that asks a running batch to stop before its next item (callable from another
    /// thread, e.g. a first Ctrl-C): the batch then fails with
    /// [`strata_core::BatchFailure::stopped`]. `None` on a borrowed client (stopping goes
    /// through a second session, which a borrowed client has no URL for) and under a lease: the
    /// run then stops after the running batch.
    pub fn stop_handle(&self) -> Option<CancelHandle> {
        // Under a lease the stop lock is not used: it is a session lock, which a transaction
        // pooler would leave behind on a pooled server session, and which CockroachDB lacks.
        if self.client.is_borrowed() || self.lease.is_some() {
            return None;
        }
        Some(batch::stop_handle(
            self.url.clone(),
            self.opts.clone(),
            self.backend_pid,
        ))
    }

    /// Round trips to the server so far.
    pub fn round_trips(&self) -> u64 {
        self.client.round_trips()
    }

    /// Run `scripts` in one transaction that is rolled back (see [`SessionHooks::rehearse`]).
    pub fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        self.rehearse_scripts(scripts)
    }
}
