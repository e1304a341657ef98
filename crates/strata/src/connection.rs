//! Running on a connection the application already has: [`Migrator::up_with`](crate::Migrator::up_with).

/// A database connection of the application's that [`Migrator::up_with`](crate::Migrator::up_with)
/// can run migrations on: `rusqlite::Connection` (feature `sqlite`) and `postgres::Client`
/// (feature `postgres`), of the versions this crate depends on (rusqlite 0.41, postgres 0.19).
/// Sealed: the driver behind each is Strata's.
///
/// ```
/// fn migrate(conn: &mut impl strata::Connection) -> Result<strata::Report, strata::Error> {
///     static M: strata::Migrations = strata::embed!("tests/migrations");
///     strata::Migrator::new(&M).up_with(conn)
/// }
/// # let mut conn = rusqlite::Connection::open_in_memory().unwrap();
/// # assert_eq!(migrate(&mut conn)?.migrations.len(), 3);
/// # Ok::<(), strata::Error>(())
/// ```
pub trait Connection: sealed::Sealed {}

mod sealed {
    use crate::error::Error;
    use strata_core::Driver;
    use strata_drivers::ConnectOptions;
    use strata_sql::Dialect;

    /// The driver for a borrowed connection, and its dialect.
    pub trait Sealed {
        /// Strata's driver on this connection, for as long as it is lent.
        fn lend(&mut self, opts: &ConnectOptions)
            -> Result<(Box<dyn Driver + '_>, Dialect), Error>;
    }
}

/// Strata's driver on `connection`, for as long as it is lent, and its dialect.
pub(crate) fn lend<'c, C: Connection>(
    connection: &'c mut C,
    opts: &strata_drivers::ConnectOptions,
) -> Result<(Box<dyn strata_core::Driver + 'c>, strata_sql::Dialect), crate::Error> {
    connection.lend(opts)
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn tables() -> strata_core::TableNames {
    strata_core::TableNames::new(None, strata_drivers::url::DEFAULT_MIGRATIONS_TABLE)
}

#[cfg(feature = "sqlite")]
impl Connection for rusqlite::Connection {}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for rusqlite::Connection {
    fn lend(
        &mut self,
        _opts: &strata_drivers::ConnectOptions,
    ) -> Result<(Box<dyn strata_core::Driver + '_>, strata_sql::Dialect), crate::Error> {
        let driver = strata_drivers::sqlite::SqliteDriver::borrowing(self, tables())
            .map_err(|e| crate::Error::Connect(Box::new(e)))?;
        Ok((Box::new(driver), strata_sql::Dialect::Sqlite))
    }
}

#[cfg(feature = "postgres")]
impl Connection for postgres::Client {}

#[cfg(feature = "postgres")]
impl sealed::Sealed for postgres::Client {
    fn lend(
        &mut self,
        opts: &strata_drivers::ConnectOptions,
    ) -> Result<(Box<dyn strata_core::Driver + '_>, strata_sql::Dialect), crate::Error> {
        let driver = strata_drivers::postgres::PostgresDriver::borrowing(self, tables(), opts)
            .map_err(|e| crate::Error::Connect(Box::new(e)))?;
        Ok((Box::new(driver), strata_sql::Dialect::Postgres))
    }
}
