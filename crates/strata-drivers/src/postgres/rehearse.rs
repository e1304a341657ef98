//! `strata rehearse`: the pending transactional migrations run on the real target inside one
//! transaction, which is then rolled back.
//!
//! Each script runs under a savepoint with the URL's session settings and its own timeouts set
//! again (`SET LOCAL`, via `set_config`), as a run sets them with each migration;
//! after it, the relation locks the session holds are read from `pg_locks` (the new ones are the
//! script's). The first failure is rolled back to its savepoint (so the session can still
//! answer), described, and ends the rehearsal. Whatever happens, the transaction ends with
//! `ROLLBACK`: nothing changes on the target, except what PostgreSQL never rolls back (sequence
//! values taken by `nextval`).

use super::errors::{db_error, server_position};
use super::{char_to_byte, set_location, statement_at, PostgresDriver};
use std::time::Instant;
use strata_core::{DriverError, RehearsalReport, RehearsedLock, RehearsedScript, Script};

/// Relation locks the session holds, outside the system schemas.
const OWN_LOCKS: &str = "SELECT DISTINCT c.oid::regclass::text, l.mode FROM pg_locks l \
     JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted \
       AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' \
       AND n.nspname NOT LIKE 'pg\\_toast%' \
     ORDER BY 1, 2";

const SETTINGS: &str =
    "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')";

const SET_LOCAL: &str =
    "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)";

impl PostgresDriver<'_> {
    /// See [`strata_core::SessionHooks::rehearse`].
    pub(crate) fn rehearse_scripts(
        &mut self,
        scripts: &[&Script],
    ) -> Result<RehearsalReport, DriverError> {
        self.client
            .batch_execute("BEGIN")
            .map_err(|e| db_error(&e))?;
        let result = self.quietly(|d| d.rehearse_in_transaction(scripts));
        // Always: this is the point of a rehearsal.
        let rolled_back = self
            .client
            .batch_execute("ROLLBACK")
            .map_err(|e| db_error(&e));
        let report = result?;
        rolled_back?;
        Ok(report)
    }

    fn rehearse_in_transaction(
        &mut self,
        scripts: &[&Script],
    ) -> Result<RehearsalReport, DriverError> {
        let row = self
            .client
            .query_one(SETTINGS, &[])
            .map_err(|e| db_error(&e))?;
        let (base_lock, base_statement): (String, String) = (row.get(0), row.get(1));
        let mut held = self.own_locks()?;
        let mut report = RehearsalReport::default();
        let url_settings: Vec<(String, String)> = self
            .url
            .session_settings()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for script in scripts {
            // As a run does with each migration: one that resets the session must not change
            // where the later ones run.
            for (k, v) in &url_settings {
                self.client
                    .query_one("SELECT set_config($1, $2, true)", &[k, v])
                    .map_err(|e| db_error(&e))?;
            }
            let lock = script
                .lock_timeout
                .map_or(base_lock.clone(), |t| format!("{}ms", t.as_millis()));
            let statement = script
                .statement_timeout
                .map_or(base_statement.clone(), |t| format!("{}ms", t.as_millis()));
            self.client
                .allow_statement_timeout(script.statement_timeout);
            self.client
                .query(SET_LOCAL, &[&lock, &statement])
                .map_err(|e| db_error(&e))?;
            self.client
                .batch_execute("SAVEPOINT strata_rehearsal")
                .map_err(|e| db_error(&e))?;
            let started = Instant::now();
            let outcome = self.rehearse_body(script);
            let duration = started.elapsed();
            match outcome {
                Ok(()) => {
                    self.client
                        .batch_execute("RELEASE SAVEPOINT strata_rehearsal")
                        .map_err(|e| db_error(&e))?;
                    let now = self.own_locks()?;
                    let locks = now.iter().filter(|l| !held.contains(l)).cloned().collect();
                    held = now;
                    report.scripts.push(RehearsedScript {
                        duration,
                        error: None,
                        locks,
                    });
                }
                Err(mut err) => {
                    self.client
                        .batch_execute("ROLLBACK TO SAVEPOINT strata_rehearsal")
                        .map_err(|e| db_error(&e))?;
                    self.explain_lock_timeout(&mut err, &script.sql);
                    report.scripts.push(RehearsedScript {
                        duration,
                        error: Some(err),
                        locks: Vec::new(),
                    });
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Run a script's body (its explicit statements one by one, else whole), locating a failure
    /// within `script.sql`.
    fn rehearse_body(&mut self, script: &Script) -> Result<(), DriverError> {
        if script.statements.is_none() {
            if let Some(pieces) = super::copy::pieces(&script.sql, super::copy::BATCH_BYTES) {
                return self
                    .run_pieces("", &script.sql, &pieces, false)
                    .map_err(|e| e.err);
            }
        }
        let pieces: Vec<std::ops::Range<usize>> = match &script.statements {
            Some(r) => r.clone(),
            None => std::iter::once(0..script.sql.len()).collect(),
        };
        for r in pieces {
            let piece = &script.sql[r.clone()];
            if piece.trim().is_empty() {
                continue;
            }
            if let Err(e) = self.client.batch_execute(piece) {
                let mut err = db_error(&e);
                let position = server_position(&e).map(|p| r.start + char_to_byte(piece, p));
                let statement = match &script.statements {
                    Some(_) => Some(r.clone()),
                    None => position.and_then(|b| statement_at(&script.sql, b)),
                };
                set_location(&mut err, statement, position);
                return Err(err);
            }
        }
        Ok(())
    }

    fn own_locks(&mut self) -> Result<Vec<RehearsedLock>, DriverError> {
        Ok(self
            .client
            .query(OWN_LOCKS, &[])
            .map_err(|e| db_error(&e))?
            .iter()
            .map(|r| RehearsedLock {
                relation: r.get(0),
                mode: r.get(1),
            })
            .collect())
    }
}
