//! Starting the driver on a session: connecting (or borrowing the application's client),
//! reading the session's facts, resolving the schema, tables and lock keys, and choosing the lock.

use super::connect::{self, Notices};
use super::errors::db_error;
use super::session::Session;
use super::settings::url_settings_sql;
use super::sql::{self, TableSql};
use super::{lease, lock, rows, PostgresDriver};
use crate::url::DatabaseUrl;
use crate::ConnectOptions;
use postgres::Client;
use strata_core::{DriverError, Fix, TableNames};

impl PostgresDriver<'static> {
    /// Connect, apply session settings and resolve the schema, tables and lock keys.
    pub fn connect(
        url: &DatabaseUrl,
        opts: &ConnectOptions,
    ) -> Result<PostgresDriver<'static>, DriverError> {
        let (client, notices, tls, watchdog) = connect::open_watched(url, opts)?;
        let client = Session::watched(client, watchdog);
        PostgresDriver::start(client, notices, Some(tls), url, opts, None)
    }
}

impl<'c> PostgresDriver<'c> {
    /// Run on the application's own client, for as long as it lends it: the tables are named
    /// by `tables` (schema `None`: `current_schema()`). Nothing about the session is changed
    /// beyond a migration's own directives (restored after it) and the migration lock (released
    /// by `unlock`): no `application_name`, timeouts or `search_path` are set. Server notices go
    /// to the client's own notice callback; migrations run one per round trip (no batching,
    /// which watches notices) and a lost session is not confirmed through another one.
    /// Of `opts`, only the timeouts are used, set per migration as with an own session.
    pub fn borrowing(
        client: &'c mut Client,
        tables: TableNames,
        opts: &ConnectOptions,
    ) -> Result<PostgresDriver<'c>, DriverError> {
        // Never used to connect: the borrowed session opens no other (see `start`).
        let url = DatabaseUrl::parse("postgres://").map_err(DriverError::from)?;
        let session = Session::borrowed(client);
        PostgresDriver::start(session, Notices::default(), None, &url, opts, Some(tables))
    }

    fn start(
        mut client: Session<'c>,
        notices: Notices,
        tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
        url: &DatabaseUrl,
        opts: &ConnectOptions,
        tables: Option<TableNames>,
    ) -> Result<PostgresDriver<'c>, DriverError> {
        let borrowed = client.is_borrowed();
        let tables = match tables {
            Some(t) => t,
            None => url.tables()?,
        };
        // A simple query (text results): one round trip, where a parameterless prepared query
        // costs two.
        let sessionless = !borrowed && url.lock_strategy() == Some(crate::url::LockStrategy::Lease);
        // Without session settings, the URL's ones (a search_path) are set for this
        // transaction only, so the schema resolves as the migrations will see it.
        let facts_sql = if sessionless {
            format!(
                "BEGIN;{}
{};
COMMIT",
                url_settings_sql(url),
                sql::SESSION_FACTS
            )
        } else {
            sql::SESSION_FACTS.to_string()
        };
        let facts = client.simple_query(&facts_sql).map_err(|e| db_error(&e))?;
        let row = rows(&facts)
            .next()
            .ok_or_else(|| DriverError::Protocol("the server answered no session facts".into()))?;
        let current_schema: Option<String> = row.get(0).map(str::to_string);
        let current_database: String = row.get(1).unwrap_or_default().to_string();
        let backend_pid: i32 = row.get(2).and_then(|p| p.parse().ok()).unwrap_or_default();
        // A borrowed session's start is left unknown: its backend is never ended from another
        // session (the driver opens none on the application's behalf).
        // Nor one that may be pooled: ending it would end another client's session.
        let backend_start: i64 = if borrowed || sessionless {
            0
        } else {
            row.get(3).and_then(|p| p.parse().ok()).unwrap_or_default()
        };
        // A proxy (or a mapped port): the server listens on another port than the URL names.
        let behind_proxy = !borrowed
            && row
                .get(4)
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|server_port| {
                    url.hosts()
                        .iter()
                        .all(|(_, port)| port.unwrap_or(5432) != server_port)
                });
        let schema = match (&tables.schema, &current_schema) {
            (Some(s), _) => s.clone(),
            (None, Some(s)) => s.clone(),
            (None, None) => {
                return Err(DriverError::Connect {
                    message: "no schema: search_path names no existing schema".into(),
                    fix: Some(Fix::CreateSchema),
                    cause: None,
                })
            }
        };
        // golang-migrate's CLI form names the database as the URL's path.
        let key_path = if borrowed {
            format!("/{current_database}")
        } else {
            url.path().to_string()
        };
        let lock_keys = lock::lock_keys(&schema, &tables.compat, &key_path, &current_database);
        // A borrowed client has no URL to open the heartbeat's connection with: advisory.
        let version = row.get(5).unwrap_or_default();
        let lease = (!borrowed
            && lease::choose(url.lock_strategy(), version) == crate::url::LockStrategy::Lease)
            .then(|| lease::Lease::new(&schema, &tables.compat, url.lock_lease()));
        let tables = TableNames {
            schema: Some(schema.clone()),
            ..tables
        };
        let sql = TableSql::new(&schema, &tables);
        Ok(PostgresDriver {
            client,
            notices,
            schema,
            current_schema,
            tables,
            sql,
            lock_keys,
            locked: false,
            lease,
            heartbeat: None,
            lease_table_new: false,
            sessionless,
            tls,
            backend_pid,
            backend_start,
            behind_proxy,
            saved_settings: None,
            warnings: Vec::new(),
            url: url.clone(),
            opts: opts.clone(),
        })
    }
}
