//! Sessions for `verify` and `dump` ([`SchemaSession`]), and PostgreSQL scratch databases.

use crate::url::{Backend, DatabaseUrl};
use crate::ConnectOptions;
use strata_core::schema::SchemaSession;
use strata_core::DriverError;

/// A [`SchemaSession`] on `url`'s database. `create`: a missing SQLite file is created.
pub fn open(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
    create: bool,
) -> Result<Box<dyn SchemaSession>, DriverError> {
    match url.backend() {
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(Box::new(
            crate::postgres::schema_session::PgSchemaSession::connect(url, opts)?,
        )),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => {
            let path = url
                .sqlite_path()
                .ok_or(crate::url::UrlError::SqliteNoPath)?;
            Ok(Box::new(crate::sqlite_schema::SqliteSchemaSession::open(
                &path,
                url.tables()?,
                create,
            )?))
        }
        Backend::Mysql => Err(DriverError::Unsupported {
            what: "read a MySQL schema yet (verify and dump work on PostgreSQL and SQLite)",
        }),
        #[allow(unreachable_patterns)]
        _ => {
            let _ = (opts, create);
            Err(crate::not_built(match url.backend() {
                Backend::Postgres => "postgres",
                _ => "sqlite",
            }))
        }
    }
}

/// The privileges on `snapshot`'s objects (see [`crate::postgres::privileges::privileges`]);
/// none on SQLite, which has no privileges.
pub fn privileges(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
    snapshot: &strata_core::schema::Snapshot,
) -> Result<std::collections::BTreeSet<strata_core::schema::Grant>, DriverError> {
    match url.backend() {
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let (mut client, _, _) = crate::postgres::connect::open(url, opts)?;
            let grants = crate::postgres::privileges::privileges(&mut client, snapshot)
                .map_err(|e| crate::postgres::errors::db_error(&e))?;
            Ok(grants.into_iter().collect())
        }
        _ => {
            let _ = (opts, snapshot);
            Ok(Default::default())
        }
    }
}

/// A database created for one command on a PostgreSQL server, dropped by [`Scratch::drop_now`].
#[cfg(feature = "postgres")]
pub struct Scratch {
    admin: postgres::Client,
    /// Its name.
    pub name: String,
    /// Its URL (the admin URL naming it).
    pub url: String,
}

#[cfg(feature = "postgres")]
impl Scratch {
    /// Create an empty database through the admin URL `admin_raw`.
    pub fn create(admin_raw: &str, opts: &ConnectOptions) -> Result<Scratch, DriverError> {
        let admin_url = DatabaseUrl::parse(admin_raw)?;
        if admin_url.backend() != Backend::Postgres {
            return Err(DriverError::Connect {
                message: "a scratch database needs a PostgreSQL admin URL (postgres://...)".into(),
                fix: None,
                cause: None,
            });
        }
        let (mut admin, _, _) = crate::postgres::connect::open(&admin_url, opts)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!("strata_scratch_{}_{nanos:09}", std::process::id());
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| crate::postgres::errors::db_error(&e))?;
        let url = crate::url::with_database(admin_raw, &name);
        Ok(Scratch { admin, name, url })
    }

    /// Drop it (sessions on it must be closed first).
    pub fn drop_now(mut self) -> Result<(), DriverError> {
        self.admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\"", self.name))
            .map_err(|e| crate::postgres::errors::db_error(&e))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_mysql_schema_session_is_refused_as_not_supported_yet_without_connecting() {
        let url = crate::DatabaseUrl::parse("mysql://u:pw@tcp(192.0.2.1:3306)/d").unwrap();
        let e = super::open(&url, &crate::ConnectOptions::default(), false)
            .err()
            .expect("refused");
        assert_eq!(
            e.to_string(),
            "this database driver cannot read a MySQL schema yet (verify and dump work on PostgreSQL and SQLite)"
        );
    }
}
