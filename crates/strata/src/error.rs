//! Everything that can go wrong, typed. The engine's own errors are kept as causes.

use crate::report::{Direction, Report};
use std::time::Duration;
use strata_core::plan::Conflict;
use strata_core::{DriverError, Location, SourceErrors};
use strata_drivers::UrlError;

/// An error from [`Migrations`](crate::Migrations) or [`Migrator`](crate::Migrator).
///
/// ```
/// let err = strata::Migrations::from_dir("no/such/folder").unwrap_err();
/// assert!(matches!(err, strata::Error::Source(_)));
/// assert!(err.to_string().contains("no/such/folder"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The migration files have problems; each names its file (and line where there is one).
    #[error("{0}")]
    Source(#[source] SourceErrors),
    /// The database URL cannot be used (the message never shows a password).
    #[error("invalid database URL")]
    Url(#[source] UrlError),
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
    /// The database could not be opened.
    #[error("cannot connect to the database")]
    Connect(#[source] Box<DriverError>),
    /// Another runner held the migration lock for the whole lock timeout.
    #[error("timed out after {waited:?} waiting for the migration lock{}", holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        /// How long this run waited.
        waited: Duration,
        /// Who holds it, where the database can tell.
        holder: Option<String>,
    },
    /// The run was refused before anything ran (edited or missing files, a dirty database,
    /// out-of-order migrations, ...): every reason is listed.
    #[error("{}", conflicts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("\n"))]
    Conflicts {
        /// Every reason.
        conflicts: Vec<Conflict>,
    },
    /// [`Migrator::up_to`](crate::Migrator::up_to) was given a version older than the newest
    /// applied one: going there would revert migrations.
    #[error("up_to({target}): version {current} is already applied; reverting is `down`'s job")]
    WouldRevert {
        /// The version asked for.
        target: u64,
        /// The newest applied version.
        current: u64,
    },
    /// `down(n)` found fewer than `n` migrations to revert (it reverted the others).
    #[error("{short} fewer migration(s) to revert than asked")]
    LimitShort {
        /// How many of `n` were missing.
        short: u64,
        /// What did run.
        applied: Report,
    },
    /// A migration failed. Everything before it is applied (see [`MigrationFailed::applied`]).
    #[error(transparent)]
    Migration(Box<MigrationFailed>),
    /// The database failed outside any migration (reading or writing the ledger, the lock).
    #[error("database error")]
    Database(#[source] Box<DriverError>),
    /// Any other failure of the engine.
    #[error("migration engine error")]
    Engine(#[source] Box<strata_core::Error>),
    /// The thread that runs the migrations could not be started.
    #[error("cannot start the migration thread")]
    Thread(#[source] std::io::Error),
}

impl Error {
    /// The facade's error for an engine error.
    pub(crate) fn from_engine(e: strata_core::Error) -> Error {
        use strata_core::Error as E;
        match e {
            E::Source(errors) => Error::Source(errors),
            E::Conflicts { conflicts } => Error::Conflicts { conflicts },
            E::Driver(d) => Error::from_driver(d),
            E::Migration {
                version,
                name,
                direction,
                aftermath,
                location,
                cause,
                report,
                ..
            } => Error::Migration(Box::new(MigrationFailed {
                version,
                name,
                direction: direction.into(),
                location,
                dirty: aftermath.is_dirty(),
                applied: report.into(),
                cause,
            })),
            E::LimitShort { short, report } => Error::LimitShort {
                short,
                applied: report.into(),
            },
            other => Error::Engine(Box::new(other)),
        }
    }

    /// A driver failure outside any migration.
    pub(crate) fn from_driver(d: DriverError) -> Error {
        match d {
            DriverError::LockTimeout { waited, holder } => Error::LockTimeout { waited, holder },
            other => Error::Database(Box::new(other)),
        }
    }
}

/// A migration that failed: which, where, what it left behind, and the database's error.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # std::fs::write(dir.path().join("1_bad.up.sql"), "SELECT * FROM nowhere;\n").unwrap();
/// # let url = format!("sqlite://{}", dir.path().join("a.db").display());
/// let m = strata::Migrations::from_dir(dir.path())?;
/// match strata::Migrator::new(&m).up(&url) {
///     Err(strata::Error::Migration(failed)) => {
///         assert_eq!((failed.version, failed.dirty), (1, false));
///         assert_eq!(failed.location.as_ref().map(|l| l.line), Some(1));
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("migration {version} ({name}) failed{}", location.as_ref().map(|l| format!(" at {}:{}:{}", l.path.display(), l.line, l.column)).unwrap_or_default())]
pub struct MigrationFailed {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// Which way it ran.
    pub direction: Direction,
    /// Where in its file the failing statement is, when known.
    pub location: Option<Location>,
    /// Whether it failed outside a transaction part way: golang-migrate's row is dirty and the
    /// next run refuses until it is repaired (`strata force`).
    pub dirty: bool,
    /// What ran before it.
    pub applied: Report,
    /// The database's error.
    #[source]
    pub cause: DriverError,
}
