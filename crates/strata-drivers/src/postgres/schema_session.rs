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
    /// How far the DDL log has been read.
    log: touched::Log,
    /// The catalog reader's prepared queries.
    prepared: Prepared,
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
            log: touched::Log::default(),
            prepared: Prepared::default(),
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
        let exclude = self.exclude();
        if self.tracking {
            touched::clear(&mut self.client, &mut self.log).map_err(|e| db_error(&e))?;
        }
        catalog::snapshot(&mut self.client, &exclude).map_err(|e| db_error(&e))
    }

    fn track(&mut self, on: bool) -> Result<bool, DriverError> {
        if on {
            self.tracking =
                touched::install(&mut self.client, &mut self.log).map_err(|e| db_error(&e))?;
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
        let exclude = self.exclude();
        touched::refresh(
            &mut self.client,
            &mut self.prepared,
            &mut self.log,
            &exclude,
            schema,
        )
        .map_err(|e| db_error(&e))
    }

    fn run(&mut self, script: &Script) -> Result<(), DriverError> {
        match script.mode {
            // One simple-query message: in autocommit the server runs it as one implicit
            // transaction, as a migration's transaction would.
            TxMode::Transaction | TxMode::SelfManaged => self
                .client
                .batch_execute(&script.sql)
                .map_err(|e| db_error(&e)),
            TxMode::NoTransaction => {
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
        self.client.batch_execute(sql).map_err(|e| db_error(&e))
    }

    fn dump_data(&mut self) -> Result<DumpData, DriverError> {
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
