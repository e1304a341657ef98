//! A set of migration files: embedded in the binary by [`embed!`](crate::embed), or read from a
//! folder by [`Migrations::from_dir`]. Both go through strata-core's reader, so they accept the
//! same layouts and compute the same checksums.

use crate::error::Error;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use strata_core::source::{assemble, read_dir};
use strata_core::{RawFile, Source};
use strata_sql::Dialect;

/// The migrations a [`Migrator`](crate::Migrator) runs.
///
/// ```
/// // Embedded at compile time (the usual way: nothing to ship next to the binary):
/// static EMBEDDED: strata::Migrations = strata::embed!("tests/migrations");
/// // Or read at run time, relative to the working directory:
/// let read = strata::Migrations::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations"))?;
/// assert_eq!(EMBEDDED.list()?, read.list()?);
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Clone)]
pub struct Migrations {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Embedded {
        dir: &'static str,
        files: &'static [(&'static str, &'static [u8])],
    },
    /// Read once per dialect: statement splitting differs between PostgreSQL and SQLite.
    Read {
        dir: PathBuf,
        postgres: Source,
        sqlite: Source,
    },
}

impl std::fmt::Debug for Migrations {
    /// The folder and its file names (not their contents).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = match &self.inner {
            Inner::Embedded { files, .. } => files.iter().map(|(n, _)| n.to_string()).collect(),
            Inner::Read { postgres, .. } => postgres
                .migrations
                .iter()
                .map(|m| format!("{} {}", m.version, m.name))
                .collect(),
        };
        f.debug_struct("Migrations")
            .field("dir", &self.dir())
            .field("files", &names)
            .finish()
    }
}

/// A file in the folder that looks like a migration but matches no layout (`1.up.sql`,
/// `4_x.UP.sql`, ...): it is not run. The `strata` command warns about these; a program can
/// check [`Migrations::warnings`].
///
/// ```
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// assert!(M.warnings()?.is_empty());
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotAMigration {
    /// The file.
    pub path: PathBuf,
    /// Why it is not read as a migration.
    pub reason: String,
}

/// One migration of a [`Migrations`], as [`Migrations::list`] shows it.
///
/// ```
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// let first = &M.list()?[0];
/// assert_eq!((first.version, first.name.as_str(), first.checksum.len()), (1, "users", 64));
/// # Ok::<(), strata::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationFile {
    /// Its version.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// The checksum recorded in the ledger when it is applied (hex SHA-256 of its up text,
    /// line endings normalised).
    pub checksum: String,
}

impl Migrations {
    /// Read the migrations folder `path` (relative to the working directory), in every layout
    /// Strata reads. Every problem is reported at once, each naming its file and line.
    ///
    /// ```
    /// let m = strata::Migrations::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/migrations"))?;
    /// assert_eq!(m.list()?[0].version, 1);
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Migrations, Error> {
        let dir = path.as_ref();
        let read = |dialect| read_dir(dir, dialect).map_err(Error::Source);
        Ok(Migrations {
            inner: Inner::Read {
                dir: dir.to_path_buf(),
                postgres: read(Dialect::Postgres)?,
                sqlite: read(Dialect::Sqlite)?,
            },
        })
    }

    /// What [`embed!`](crate::embed) expands to: the folder as written and each file's name
    /// and bytes. Not a stable API: use the macro.
    #[doc(hidden)]
    pub const fn __embedded(
        dir: &'static str,
        files: &'static [(&'static str, &'static [u8])],
    ) -> Migrations {
        Migrations {
            inner: Inner::Embedded { dir, files },
        }
    }

    /// The folder: as given to [`Migrations::from_dir`], or as written in
    /// [`embed!`](crate::embed) (relative to the crate that embedded it). Messages name files
    /// under it.
    ///
    /// ```
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// assert_eq!(M.dir(), std::path::Path::new("tests/migrations"));
    /// ```
    pub fn dir(&self) -> &Path {
        match &self.inner {
            Inner::Embedded { dir, .. } => Path::new(dir),
            Inner::Read { dir, .. } => dir,
        }
    }

    /// Every migration, in version order, with the checksum the ledger records.
    ///
    /// ```
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// for m in M.list()? {
    ///     println!("{} {} {}", m.version, m.name, &m.checksum[..8]);
    /// }
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn list(&self) -> Result<Vec<MigrationFile>, Error> {
        Ok(self
            .source(Dialect::Postgres)?
            .migrations
            .iter()
            .map(|m| MigrationFile {
                version: m.version,
                name: m.name.clone(),
                checksum: m.checksum.to_hex(),
            })
            .collect())
    }

    /// Files that look like migrations but match no layout, so are not run. Empty for a
    /// well-formed folder.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("1_a.UP.sql"), "SELECT 1;").unwrap();
    /// let m = strata::Migrations::from_dir(dir.path())?;
    /// assert_eq!(m.warnings()?[0].path, dir.path().join("1_a.UP.sql"));
    /// # Ok::<(), strata::Error>(())
    /// ```
    pub fn warnings(&self) -> Result<Vec<NotAMigration>, Error> {
        Ok(self
            .source(Dialect::Postgres)?
            .warnings
            .iter()
            .map(|w| NotAMigration {
                path: w.path.clone(),
                reason: w.reason.clone(),
            })
            .collect())
    }

    /// The engine's view of these files for `dialect`.
    pub(crate) fn source(&self, dialect: Dialect) -> Result<Cow<'_, Source>, Error> {
        match &self.inner {
            Inner::Read {
                dir,
                postgres,
                sqlite,
            } => match dialect {
                Dialect::Sqlite => Ok(Cow::Borrowed(sqlite)),
                Dialect::Postgres => Ok(Cow::Borrowed(postgres)),
                // Read when a MySQL database asks for it: a folder written for PostgreSQL need
                // not lex as MySQL (`DELIMITER`, `#` comments) for the other backends to run.
                Dialect::Mysql => read_dir(dir, dialect)
                    .map(Cow::Owned)
                    .map_err(Error::Source),
            },
            Inner::Embedded { dir, files } => {
                let dir = Path::new(dir);
                let raw = files
                    .iter()
                    .map(|(name, bytes)| RawFile {
                        path: dir.join(name),
                        bytes: bytes.to_vec(),
                    })
                    .collect();
                assemble(dir, raw, dialect)
                    .map(Cow::Owned)
                    .map_err(Error::Source)
            }
        }
    }
}
