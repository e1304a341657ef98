//! What can go wrong making, dropping or pruning test databases. URLs in messages are
//! redacted: no variant carries a password.

use std::path::PathBuf;
use strata_core::DriverError;
use strata_drivers::UrlError;

/// An error of [`TestDb`](super::TestDb), [`drop_database`](super::drop_database) or
/// [`prune`](super::prune).
///
/// ```
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// let err = strata::testing::TestDb::new(&M, "oracle://root:secret@db/app").unwrap_err();
/// assert!(matches!(err, strata::testing::Error::Url { .. }));
/// assert!(!format!("{err} {err:?}").contains("secret"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The admin URL cannot be used.
    #[error("invalid admin database URL {url}")]
    Url {
        /// The URL, redacted.
        url: String,
        /// Why.
        #[source]
        source: UrlError,
    },
    /// The URL's backend was not compiled in.
    #[error(
        "this build has no {backend} support: enable the `{feature}` feature of the strata crate"
    )]
    BackendNotBuilt {
        /// The URL's backend.
        backend: &'static str,
        /// The cargo feature that adds it.
        feature: &'static str,
    },
    /// The admin connection could not be opened.
    #[error("cannot connect to {url}")]
    Connect {
        /// The admin URL, redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: Box<DriverError>,
    },
    /// A statement on the admin connection failed.
    #[cfg(feature = "postgres")]
    #[error("{action} failed")]
    Admin {
        /// What was being done, naming the database.
        action: String,
        /// The server's error.
        #[source]
        source: postgres::Error,
    },
    /// Migrating the template failed; the half-built template is dropped (or rebuilt by the
    /// next run if that failed too).
    #[error("migrating the template {template} failed")]
    Migrate {
        /// The template database (or file).
        template: String,
        /// The migration error.
        #[source]
        source: Box<crate::Error>,
    },
    /// Reading the migrations failed.
    #[error("cannot read the migrations")]
    Migrations(#[source] Box<crate::Error>),
    /// A file operation of the SQLite cache failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An environment setting has a value that cannot be used.
    #[error("{name}={value:?} is not {expected}")]
    Setting {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// `drop` was given a database Strata did not create for tests: refused.
    #[error("{name} is not a test database created by Strata (strata_test_...); not dropped")]
    NotATestDatabase {
        /// The name given.
        name: String,
    },
}
