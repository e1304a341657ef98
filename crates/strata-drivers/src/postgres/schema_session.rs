//! A PostgreSQL [`SchemaSession`] for `verify` and `dump`: its own connection, the catalog
//! reader, scripts run without touching the ledger.

use super::catalog;
use super::connect;
use super::errors::db_error;
use super::prepared::Prepared;
use super::touched;
use crate::url::DatabaseUrl;
use crate::ConnectOptions;
use postgres::Client;
use strata_core::schema::render::DumpData;
use strata_core::schema::{Entries, Refreshed, SchemaSession, Snapshot};
use strata_core::{DriverError, Script, TxMode};
use strata_sql::Dialect;

/// A session on one PostgreSQL database.
pub struct PgSchemaSession {
    client: Client,
    /// Schema of golang-migrate's table and Strata's ledger and log.
    schema: String,
    tables: strata_core::TableNames,
    /// DDL is being logged (see [`super::touched`]).
    tracking: bool,
    /// The catalog reader's prepared queries.
    prepared: Prepared,
    /// SQL deferred to the next message (see [`SchemaSession::defer`]).
    pending: String,
}

impl PgSchemaSession {
    /// Connect to `url` (its session settings applied, as for a migration run).
    pub fn connect(
        url: &DatabaseUrl,
        opts: &ConnectOptions,
    ) -> Result<PgSchemaSession, DriverError> {
        let tables = url.tables()?;
        let (mut client, _notices, _tls) = connect::open(url, opts)?;
        let schema = match &tables.schema {
            Some(s) => s.clone(),
            None => client
                .query_one("SELECT coalesce(current_schema()::text, 'public')", &[])
                .map_err(|e| db_error(&e))?
                .get(0),
        };
        Ok(PgSchemaSession {
            client,
            schema,
            tables,
            tracking: false,
            prepared: Prepared::default(),
            pending: String::new(),
        })
    }

    /// The underlying client (to create and drop scratch databases).
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    fn exclude(&self) -> Vec<(String, String)> {
        [&self.tables.compat, &self.tables.ledger, &self.tables.log]
            .into_iter()
            .map(|t| (self.schema.clone(), t.clone()))
            .collect()
    }

    /// Send what was deferred, alone (the next call cannot carry it).
    fn flush(&mut self) -> Result<(), DriverError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.pending);
        self.client.batch_execute(&sql).map_err(|e| db_error(&e))
    }

    /// `sql` with what was deferred in front.
    fn with_pending(&mut self, sql: &str) -> String {
        let mut all = std::mem::take(&mut self.pending);
        all.push_str(sql);
        all
    }

    fn exists(&mut self, table: &str) -> Result<bool, DriverError> {
        let q = super::sql::qualified(&self.schema, table);
        let row = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&q])
            .map_err(|e| db_error(&e))?;
        Ok(row.get(0))
    }
}

impl SchemaSession for PgSchemaSession {
    fn snapshot(&mut self) -> Result<Snapshot, DriverError> {
        self.flush()?;
        let exclude = self.exclude();
        if self.tracking {
            touched::clear(&mut self.client).map_err(|e| db_error(&e))?;
        }
        catalog::snapshot(&mut self.client, &exclude).map_err(|e| db_error(&e))
    }

    fn track(&mut self, on: bool) -> Result<bool, DriverError> {
        self.flush()?;
        if on {
            self.tracking = touched::install(&mut self.client).map_err(|e| db_error(&e))?;
        } else if std::mem::take(&mut self.tracking) {
            touched::uninstall(&mut self.client).map_err(|e| db_error(&e))?;
        }
        Ok(self.tracking)
    }

    fn refresh(&mut self, schema: &mut Snapshot) -> Result<Refreshed, DriverError> {
        if !self.tracking {
            let now = self.snapshot()?;
            return Ok(Refreshed {
                entries: Entries::All,
                before: std::mem::replace(schema, now),
            });
        }
        self.flush()?;
        let exclude = self.exclude();
        let (refreshed, saved) =
            touched::refresh(&mut self.client, &mut self.prepared, &exclude, schema)
                .map_err(|e| db_error(&e))?;
        if let Some(saved) = saved {
            // Restored with the next message: nothing before it depends on them.
            self.defer(&saved.restore_sql())?;
        }
        Ok(refreshed)
    }

    fn run(&mut self, script: &Script) -> Result<(), DriverError> {
        match script.mode {
            // One simple-query message: in autocommit the server runs it as one implicit
            // transaction, as a migration's transaction would.
            TxMode::Transaction | TxMode::SelfManaged => {
                let sql = self.with_pending(&script.sql);
                self.client.batch_execute(&sql).map_err(|e| db_error(&e))
            }
            TxMode::NoTransaction => {
                self.flush()?;
                for r in script.statement_ranges(Dialect::Postgres) {
                    self.client
                        .batch_execute(&script.sql[r.clone()])
                        .map_err(|e| db_error(&e).shifted(r.start))?;
                }
                Ok(())
            }
        }
    }

    fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        let sql = self.with_pending(sql);
        self.client.batch_execute(&sql).map_err(|e| db_error(&e))
    }

    fn defer(&mut self, sql: &str) -> Result<(), DriverError> {
        self.pending.push_str(sql);
        self.pending.push_str(";\n");
        Ok(())
    }

    /// One message: the savepoint, the script and the release (the server skips the rest of a
    /// message after an error; then one more rolls back to the savepoint and releases it).
    fn run_guarded(
        &mut self,
        script: &Script,
        savepoint: &str,
    ) -> Result<Result<(), DriverError>, DriverError> {
        if script.mode != TxMode::Transaction {
            self.execute(&format!("SAVEPOINT {savepoint}"))?;
            let result = self.run(script);
            if result.is_err() {
                self.execute(&format!("ROLLBACK TO SAVEPOINT {savepoint}"))?;
            }
            self.execute(&format!("RELEASE SAVEPOINT {savepoint}"))?;
            return Ok(result);
        }
        // The line break ends a trailing `--` comment.
        let sql = self.with_pending(&format!(
            "SAVEPOINT {savepoint};\n{}\n;RELEASE SAVEPOINT {savepoint}",
            script.sql
        ));
        match self.client.batch_execute(&sql) {
            Ok(()) => Ok(Ok(())),
            Err(e) => {
                self.client
                    .batch_execute(&format!(
                        "ROLLBACK TO SAVEPOINT {savepoint}; RELEASE SAVEPOINT {savepoint}"
                    ))
                    .map_err(|e| db_error(&e))?;
                Ok(Err(db_error(&e)))
            }
        }
    }

    fn dump_data(&mut self) -> Result<DumpData, DriverError> {
        self.flush()?;
        let mut data = DumpData::default();
        let compat = self.tables.compat.clone();
        if self.exists(&compat)? {
            let q = super::sql::qualified(&self.schema, &compat);
            let row = self
                .client
                .query_opt(&format!("SELECT version, dirty FROM {q} LIMIT 1"), &[])
                .map_err(|e| db_error(&e))?
                .map(|r| (r.get::<_, i64>(0), r.get::<_, bool>(1)));
            data.compat = Some((format!("{}.{compat}", self.schema), row));
        }
        let ledger = self.tables.ledger.clone();
        if self.exists(&ledger)? {
            let q = super::sql::qualified(&self.schema, &ledger);
            let rows = self
                .client
                .query(&format!("SELECT version FROM {q} ORDER BY version"), &[])
                .map_err(|e| db_error(&e))?;
            data.applied = Some(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect());
        }
        Ok(data)
    }
}
