//! The engine's contract on PostgreSQL: [`strata_core::Driver`] and [`SessionHooks`].

use super::body::{char_to_byte, set_location, statement_at, BodyError};
use super::errors::{db_error, server_position, sqlstate};
use super::ledger::{ledger_row, to_i64, write_message};
use super::results::{result_sets, text_int};
use super::{batch, copy, drop, durable, history, invalid_index, lease, lock, sql, PostgresDriver};
use std::time::Duration;
use strata_core::{
    Capabilities, CompatRow, DriverError, DropReport, Fix, LedgerState, LedgerWrite, LogEntry,
    Reached, RehearsalReport, Script, SessionHooks,
};
use strata_sql::Dialect;

impl PostgresDriver<'_> {
    fn invalid_indexes(&mut self, script: &Script, drop: bool) -> Result<Vec<String>, DriverError> {
        self.quietly(|d| invalid_index::handle(&mut d.client, script, drop))
    }
}

impl SessionHooks for PostgresDriver<'_> {
    fn before_script(
        &mut self,
        script: &Script,
        drop_invalid: bool,
    ) -> Result<Vec<String>, DriverError> {
        let dropped = self.invalid_indexes(script, drop_invalid)?;
        if self.sessionless {
            self.refuse_session_settings(script)?;
        } else {
            self.apply_script_settings(script)?;
        }
        Ok(dropped)
    }

    fn refusal(&self, script: &Script) -> Option<String> {
        self.sessionless
            .then(|| self.refuse_session_settings(script).err())
            .flatten()
            .map(|e| e.to_string())
    }

    fn after_script(&mut self) -> Result<(), DriverError> {
        self.restore_session()
    }

    fn rehearse(&mut self, scripts: &[&Script]) -> Result<RehearsalReport, DriverError> {
        self.rehearse_scripts(scripts)
    }
}

impl strata_core::Driver for PostgresDriver<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        if let Some(lease) = self.lease.clone() {
            let created = self.quietly(|d| lease::acquire(&mut d.client, &lease, timeout))?;
            match lease::Heartbeat::start(&self.url, &self.opts, lease.clone()) {
                Ok(beat) => self.heartbeat = Some(beat),
                Err(e) => {
                    let _ = self.quietly(|d| lease::release(&mut d.client, &lease, created));
                    return Err(e);
                }
            }
            self.lease_table_new = created;
            self.locked = true;
            return Ok(());
        }
        // Taken only by a statement running on the server session of connect: behind a
        // transaction-pooling proxy that fails (or finds another client's lock there) and is
        // refused, rather than run unprotected.
        let (keys, pid) = (self.lock_keys.clone(), self.backend_pid);
        // With an idle pool a lone runner's statements all run on one server session, which
        // other clients share between its transactions: only a second connection tells.
        if self.behind_proxy {
            lock::second_connection_shares(&self.url, &self.opts, pid)?;
        }
        self.quietly(|d| lock::acquire(&mut d.client, &keys, timeout, pid))?;
        self.locked = true;
        Ok(())
    }

    fn unlock(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        if let Some(lease) = self.lease.clone() {
            self.locked = false;
            // Stopped first, so no renewal follows the release.
            self.heartbeat = None;
            let drop_table = std::mem::take(&mut self.lease_table_new);
            return self.quietly(|d| lease::release(&mut d.client, &lease, drop_table));
        }
        let (keys, pid) = (self.lock_keys.clone(), self.backend_pid);
        self.locked = false;
        self.quietly(|d| lock::release(&mut d.client, &keys, pid))
    }

    fn ensure_tables(&mut self) -> Result<(), DriverError> {
        // The run changes something: the lease table it may have created stays.
        self.lease_table_new = false;
        let names = vec![
            self.tables.compat.clone(),
            self.tables.ledger.clone(),
            self.tables.log.clone(),
        ];
        // Which tables exist, the compatibility table's columns and whether the ledger has the
        // down checksum: one round trip.
        let out = self
            .client
            .simple_query(&format!(
                "{};\n{};\n{}",
                sql::tables_present_sql(&self.schema, &names),
                sql::columns_sql(&self.schema, &self.tables.compat),
                sql::down_checksum_present_sql(&self.schema, &names[1])
            ))
            .map_err(|e| db_error(&e))?;
        let sets = result_sets(&out);
        let texts = |i: usize| -> Vec<String> {
            sets.get(i)
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r.get(0).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let present = texts(0);
        let columns = texts(1);
        if !columns.is_empty() {
            if let Some(why) =
                strata_core::adopt::foreign_compat_table(&self.tables.compat, &columns)
            {
                return Err(DriverError::ForeignTable(why));
            }
        }
        // A ledger written by an older Strata is upgraded in place (its rows keep a NULL down
        // checksum: no drift is reported for them).
        if present.contains(&names[1]) && sets.get(2).is_none_or(|s| s.is_empty()) {
            self.add_down_checksum()?;
        }
        let creates: Vec<&str> = [
            (&names[0], &self.sql.create_compat),
            (&names[1], &self.sql.create_ledger),
            (&names[2], &self.sql.create_log),
        ]
        .into_iter()
        .filter(|(name, _)| !present.contains(name))
        .map(|(_, sql)| sql.as_str())
        .collect();
        if creates.is_empty() {
            return Ok(());
        }
        let batch = format!("BEGIN; {}; COMMIT", creates.join("; "));
        self.quietly(|d| d.client.batch_execute(&batch)).map_err(|e| {
            self.rollback();
            let mut err = db_error(&e);
            if let DriverError::Statement { hint, code, .. } = &mut err {
                if code.as_deref() == Some("42501") && hint.is_none() {
                    *hint = Some(format!(
                        "the role needs CREATE on schema \"{}\" to create the migrations tables, or an administrator creates them once",
                        self.schema
                    ));
                }
            }
            err
        })
    }

    fn read_state(&mut self) -> Result<LedgerState, DriverError> {
        // golang-migrate's row and the ledger in one simple query: one round trip (this is all
        // a no-op `up` asks). A missing table (first contact) takes the slower path below.
        let message = format!("{};\n{}", self.sql.select_compat, self.sql.select_ledger);
        let legacy = || {
            format!(
                "{};\n{}",
                self.sql.select_compat, self.sql.select_ledger_without_down
            )
        };
        let read = match self.client.simple_query(&message) {
            // A ledger not upgraded yet (only commands that write upgrade it).
            Err(e) if sqlstate(&e) == Some("42703") => self.client.simple_query(&legacy()),
            other => other,
        };
        let (compat, applied) = match read {
            Ok(out) => {
                let mut sets = result_sets(&out).into_iter();
                let compat = sets.next().unwrap_or_default();
                let ledger = sets.next().unwrap_or_default();
                let compat = match compat.first() {
                    Some(r) => Some(CompatRow {
                        version: text_int(r, 0, "schema_migrations.version")?,
                        dirty: r.get(1) == Some("t"),
                    }),
                    None => None,
                };
                let applied = ledger
                    .iter()
                    .map(|r| {
                        ledger_row(
                            text_int(r, 0, "ledger version")?,
                            r.get(1).unwrap_or_default().to_string(),
                            r.get(2).map(str::to_string),
                            text_int(r, 3, "ledger batch")?,
                            r.get(4).unwrap_or_default().to_string(),
                            text_int(r, 5, "ledger duration_ms")?,
                            r.get(6).unwrap_or_default().to_string(),
                            r.get(7).unwrap_or_default(),
                            r.get(8).unwrap_or_default(),
                            r.get(9).map(str::to_string),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (compat, applied)
            }
            Err(e) if sqlstate(&e) == Some("42P01") => self.read_tables_one_by_one()?,
            Err(e) => return Err(self.foreign_layout(&e).unwrap_or_else(|| db_error(&e))),
        };
        let reached = match compat.filter(|c| c.dirty) {
            Some(row) => match self.client.query_opt(&self.sql.select_last_reached, &[]) {
                Ok(Some(r)) => {
                    let (action, version, name, detail): (String, Option<i64>, String, String) =
                        (r.get(0), r.get(1), r.get(2), r.get(3));
                    Reached::from_log(row, &action, version, &name, &detail)
                }
                Ok(None) => None,
                Err(e) if sqlstate(&e) == Some("42P01") => None,
                Err(e) => return Err(db_error(&e)),
            },
            None => None,
        };
        Ok(LedgerState {
            compat,
            applied,
            reached,
        })
    }

    fn write(&mut self, writes: &[LedgerWrite]) -> Result<(), DriverError> {
        if writes.is_empty() {
            return Ok(());
        }
        // One message, one round trip: the same statements `writes_sql` gives a migration's
        // COMMIT (values quoted in), in their own transaction. Committed synchronously: these
        // records are what a no-transaction or self-managed migration is reported by, and the
        // flush covers the migration's own earlier commits.
        for w in writes {
            match w {
                LedgerWrite::Insert(m) => to_i64(m.version).map(drop)?,
                LedgerWrite::Delete(v) => to_i64(*v).map(drop)?,
                LedgerWrite::Log(e) => e.version.map(to_i64).transpose().map(drop)?,
                LedgerWrite::SetCompat(_) => {}
            }
        }
        let message = write_message(&self.record_proof(), &self.sql.writes_sql(writes));
        let result = self
            .quietly(|d| d.client.batch_execute(&message))
            .map_err(|e| self.write_error(&e));
        if result.is_err() {
            self.rollback();
        }
        result
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<(), DriverError> {
        // One INSERT as a simple query: autocommit, one round trip. Under the lock, the proof
        // rides in the same message (an implicit transaction): a no-transaction migration writes
        // this before each statement after its first, so the lock is verified after every
        // statement it ran, before the next one.
        let sql = format!(
            "{}{}",
            self.record_proof(),
            self.sql.writes_sql(&[LedgerWrite::Log(entry.clone())])
        );
        self.client.batch_execute(&sql).map_err(|e| db_error(&e))
    }

    fn run_in_transaction(
        &mut self,
        script: &Script,
        writes: &[LedgerWrite],
    ) -> Result<(), DriverError> {
        let started = std::time::Instant::now();
        if let Err(BodyError {
            mut err,
            needs_search,
        }) = self.run_body(script)
        {
            self.rollback();
            self.explain_lock_timeout(&mut err, &script.sql);
            if needs_search {
                let found = self.find_failing_statement(&script.sql);
                set_location(&mut err, found, None);
            }
            return Err(err);
        }
        // The records and COMMIT: one more round trip.
        let ms = started.elapsed().as_millis() as i64;
        let stamped: Vec<LedgerWrite> = writes
            .iter()
            .cloned()
            .map(|w| w.with_duration(ms))
            .collect();
        let message = format!(
            "{}{}{}COMMIT",
            self.commit_proof(),
            self.sql.writes_sql(&stamped),
            durable::SYNC_COMMIT
        );
        let result = self
            .quietly(|d| d.client.batch_execute(&message))
            .map_err(|e| self.write_error(&e));
        if let Err(lost) = result {
            self.rollback();
            if self.client.is_closed() {
                // The COMMIT may have been carried out.
                return self.lost_commit_outcome(writes, lost);
            }
            return Err(lost);
        }
        result
    }

    fn run_autocommit(&mut self, sql: &str) -> Result<(), DriverError> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        if let Some(pieces) = copy::pieces(sql, copy::BATCH_BYTES) {
            return self.run_pieces("", sql, &pieces, false).map_err(|e| {
                let mut err = e.err;
                self.rollback();
                self.explain_lock_timeout(&mut err, sql);
                err
            });
        }
        self.client.batch_execute(sql).map_err(|e| {
            let mut err = db_error(&e);
            let position = server_position(&e).map(|p| char_to_byte(sql, p));
            let statement = match position {
                Some(b) => statement_at(sql, b),
                None => {
                    // The server's view of the message it got, not the script's statements.
                    let all = strata_sql::split(sql, Dialect::Postgres).statements;
                    (all.len() == 1).then(|| all[0].range.clone())
                }
            };
            set_location(&mut err, statement, position);
            // A self-managed file may have failed inside its own BEGIN: leave the session clean.
            self.rollback();
            self.explain_lock_timeout(&mut err, sql);
            err
        })
    }

    fn drop_all(&mut self) -> Result<DropReport, DriverError> {
        let Some(schema) = self.current_schema.clone() else {
            return Err(DriverError::Connect {
                message: "no schema: search_path names no existing schema".into(),
                fix: Some(Fix::CreateSchema),
                cause: None,
            });
        };
        let mut report = self.quietly(|d| drop::drop_schema_objects(&mut d.client, &schema))?;
        if self.schema != schema {
            // The migrations tables live in another schema (quoted `x-migrations-table`), so
            // they survived; left as they are they would still say the dropped migrations are
            // applied and a later `up` would do nothing (golang-migrate's stale row). Empty
            // golang-migrate's row and the ledger; the log keeps its history.
            let names = vec![self.tables.compat.clone(), self.tables.ledger.clone()];
            let present: Vec<String> = self
                .client
                .query(sql::TABLES_PRESENT, &[&self.schema, &names])
                .map_err(|e| db_error(&e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for name in names.iter().filter(|n| present.contains(n)) {
                let table = sql::qualified(&self.schema, name);
                self.client
                    .batch_execute(&format!("TRUNCATE {table}"))
                    .map_err(|e| db_error(&e))?;
                report.dropped.push(format!("rows of {table}"));
            }
        }
        Ok(report)
    }

    fn read_log(
        &mut self,
        limit: Option<usize>,
    ) -> Result<Vec<strata_core::LogRecord>, DriverError> {
        history::read_log(&mut self.client, &self.schema, &self.tables.log, limit)
    }

    fn read_table(
        &mut self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<strata_core::RawTable>, DriverError> {
        let schema = schema.unwrap_or(&self.schema).to_string();
        self.quietly(|d| history::read_table(&mut d.client, &schema, name))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A batch is watched through server notices, which a borrowed client delivers to
            // the application's callback instead.
            batch_limit: if self.client.is_borrowed() {
                1
            } else {
                batch::BATCH_LIMIT
            },
            single_transaction: true,
            transactional_ddl: true,
        }
    }

    fn run_batch(
        &mut self,
        items: &[strata_core::BatchItem<'_>],
        single_transaction: bool,
        progress: &mut dyn FnMut(strata_core::BatchProgress),
    ) -> Result<(), strata_core::BatchFailure> {
        self.batch(
            items,
            single_transaction,
            &mut batch::Progress::new(progress),
        )
    }

    fn session(&mut self) -> Option<&mut dyn SessionHooks> {
        Some(self)
    }

    fn take_notices(&mut self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}
