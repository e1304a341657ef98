//! Run Strata migrations from your own program, at start-up, in a few lines.
//!
//! ```
//! static MIGRATIONS: strata::Migrations = strata::embed!("tests/migrations");
//!
//! # let dir = tempfile::tempdir().unwrap();
//! # let url = format!("sqlite://{}", dir.path().join("app.db").display());
//! let report = strata::Migrator::new(&MIGRATIONS).up(&url)?;
//! for m in &report.migrations {
//!     println!("applied {} {} in {:?}", m.version, m.name, m.duration);
//! }
//! # Ok::<(), strata::Error>(())
//! ```
//!
//! - [`embed!`] puts a migrations folder into the binary at compile time (every layout Strata
//!   reads, same checksums as reading the folder); [`Migrations::from_dir`] reads one at run
//!   time.
//! - [`Migrator`] applies, reverts and reports, under Strata's migration lock, which is
//!   released whatever happens (an error, a failing migration, a panic in your callback).
//! - [`Migrator::plan`] tells what `up` would run (each migration's mode and why) and every
//!   reason it would refuse, running nothing.
//! - [`Migrator::up_with`] runs on a connection the program already has (`rusqlite`,
//!   `postgres`), and hands it back as it found it.
//! - With the `tokio` feature, `up_async` & co. run inside any tokio runtime without blocking
//!   its worker threads.
//!
//! - With the `testing` feature, `testing::TestDb` gives each test a fresh migrated
//!   database, cloned from a template built once per migration set.
//!
//! Features: `sqlite` (default), `postgres`, `tokio`, `lint` (`Migrations::lint`, squawk's
//! rules), `testing`. A SQLite-only build compiles no PostgreSQL, TLS or linter crate.
#![warn(missing_docs)]
// The engine's errors carry the server's full diagnostics by value (see strata-core).
#![allow(clippy::result_large_err)]

// `embed!` expands to `::strata::...`; this makes that path work inside this crate too.
extern crate self as strata;

pub mod build;
mod connection;
mod error;
mod event;
#[cfg(feature = "lint")]
mod lint;
mod migrations;
mod migrator;
mod plan;
mod report;
mod status;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tokio")]
mod tokio;

pub use connection::Connection;
pub use error::{Error, MigrationFailed};
pub use event::{Event, PlannedMigration};
#[cfg(feature = "lint")]
pub use lint::Finding;
pub use migrations::{MigrationFile, Migrations, NotAMigration};
pub use migrator::Migrator;
pub use plan::{Conflict, ConflictKind, Plan, PlanStep};
pub use report::{Applied, Direction, Mode, Report};
pub use status::{MigrationStatus, State, Status, StoppedAt};

/// Types of the engine that errors carry (conflicts, file locations, database errors).
///
/// ```
/// fn line_of(e: &strata::Error) -> Option<usize> {
///     match e {
///         strata::Error::Migration(failed) => failed.location.as_ref().map(|l: &strata::engine::Location| l.line),
///         _ => None,
///     }
/// }
/// # let _ = line_of;
/// ```
pub mod engine {
    pub use strata_core::plan::Conflict;
    pub use strata_core::{DriverError, Fix, Location, SourceError, SourceErrors};
    pub use strata_drivers::UrlError;
}

/// Embed a migrations folder in the binary at compile time.
///
/// `embed!("migrations")` reads the folder `migrations` next to the calling crate's
/// `Cargo.toml` (like `include_str!`), with Strata's own reader: every layout Strata reads
/// (golang-migrate pairs, `-- UP`/`-- DOWN` markers, goose, dbmate, sql-migrate, numbered
/// files) and the same checksums as [`Migrations::from_dir`]. A folder that reading would
/// refuse fails to compile, with the message naming the file and line.
///
/// ```
/// static MIGRATIONS: strata::Migrations = strata::embed!("tests/migrations");
/// assert!(!MIGRATIONS.list()?.is_empty());
/// # Ok::<(), strata::Error>(())
/// ```
///
/// A folder that cannot be read fails the build:
///
/// ```compile_fail
/// static MIGRATIONS: strata::Migrations = strata::embed!("no/such/folder");
/// ```
///
/// Each file is included with `include_bytes!`, so editing one rebuilds your crate. Adding or
/// removing a file is something stable Rust cannot detect from a macro: call
/// [`build::watch`] from your `build.rs` so cargo reruns it (and rebuilds) when the folder
/// changes.
pub use strata_macros::embed;
