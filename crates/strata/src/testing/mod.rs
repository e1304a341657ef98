//! A fresh database per test, migrated to the latest version, in milliseconds (feature
//! `testing`).
//!
//! ```no_run
//! static MIGRATIONS: strata::Migrations = strata::embed!("tests/migrations");
//!
//! #[test]
//! fn signs_up() {
//!     let db = strata::testing::TestDb::new(&MIGRATIONS, "postgres://postgres@localhost/postgres")
//!         .unwrap();
//!     // connect to db.url() ...
//! } // dropped here; kept (and its name printed) if the test panicked
//! ```
//!
//! PostgreSQL: the migrations are applied once per migration set to a *template* database
//! (`strata_tpl_<fingerprint>`), built under an advisory lock so that parallel tests and test
//! processes build it once, and marked complete (`IS_TEMPLATE`) only after every migration
//! succeeded: a build that was killed half way is rebuilt, never cloned. Each test database is
//! `CREATE DATABASE strata_test_... TEMPLATE strata_tpl_...`. The fingerprint hashes every
//! migration's version and checksums, so editing a file builds a new template; old ones are
//! left to [`prune`].
//!
//! A clone still costs tens to hundreds of milliseconds, so each migration set also keeps a few
//! *spares* (`strata_spare_<fingerprint>_...`, `STRATA_TESTDB_SPARES`, default 4): a test
//! renames one to its own name, one round trip, and a background thread clones the next. They
//! go with their template (`prune`, `drop_database`).
//!
//! SQLite: the template is a file in a cache folder, copied per test. The admin URL names the
//! folder (`sqlite:///path/to/cache`), or is just `sqlite://` for `strata-testdb` under the
//! OS's temporary folder.
//!
//! The `strata testdb create|drop|prune` commands do the same from a shell.

mod error;
mod fingerprint;
mod names;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod spares;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use error::Error;

use crate::migrations::Migrations;
use std::time::Duration;
use strata_drivers::{Backend, DatabaseUrl};
use strata_sql::Dialect;

/// Who the template's ledger says applied the migrations.
const ACTOR: &str = "strata-testing";

/// A migrated database for one test, dropped when the value is dropped — unless the thread is
/// panicking (a failed test): then it is kept and its name and URL (password redacted) are
/// printed to stderr, so you can look inside.
///
/// ```no_run
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// let db = strata::testing::TestDb::new(&M, "postgres://postgres:secret@localhost/postgres")?;
/// println!("{db}"); // postgres://postgres:***@localhost/strata_test_..., password redacted
/// let url: &str = db.url(); // with the password, for your connection pool
/// # let _ = url;
/// # Ok::<(), strata::testing::Error>(())
/// ```
///
/// SQLite needs no server:
///
/// ```
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let cache = tempfile::tempdir().unwrap();
/// # let admin = format!("sqlite://{}", cache.path().display());
/// # /*
/// let admin = "sqlite://"; // a cache folder under the OS's temporary folder
/// # */
/// let db = strata::testing::TestDb::new(&M, &admin)?;
/// assert!(strata::Migrator::new(&M).status(db.url())?.is_up_to_date());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TestDb {
    name: String,
    url: String,
    redacted: String,
    template: String,
    built_template: bool,
    from_spare: bool,
    kind: Kind,
    keep: bool,
}

enum Kind {
    #[cfg(feature = "postgres")]
    Postgres { admin_url: String },
    #[cfg(feature = "sqlite")]
    Sqlite { path: std::path::PathBuf },
}

impl TestDb {
    /// A new database migrated to the latest version of `migrations`, on the server of
    /// `admin_url` (a role that may `CREATE DATABASE`; its database is only used to connect),
    /// or, for a `sqlite://` URL, as a file in that cache folder.
    ///
    /// ```no_run
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    /// let db = strata::testing::TestDb::new(&M, &admin)?;
    /// assert!(db.name().starts_with("strata_test_"));
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    ///
    /// On PostgreSQL it takes one of the migration set's spare databases when one is left (a
    /// rename, one round trip) and refills them in the background: `STRATA_TESTDB_SPARES`
    /// spares (default 4; `0` clones the template on every call instead), see
    /// [`TestDb::with_spares`].
    pub fn new(migrations: &Migrations, admin_url: &str) -> Result<TestDb, Error> {
        TestDb::with_spares(migrations, admin_url, spares_from_env()?)
    }

    /// [`TestDb::new`] keeping `spares` ready databases of the migration set on a PostgreSQL
    /// server, whatever `STRATA_TESTDB_SPARES` says. A test claims a spare by renaming it to
    /// its own name (two tests never get the same one); after each call a thread with its own
    /// session clones the template until the set has `spares` again, so the next test finds
    /// one. With `0`, or when all are taken, the call clones the template itself. Spares are
    /// removed with their template by [`prune`] and [`drop_database`]. SQLite ignores it.
    ///
    /// ```no_run
    /// static M: strata::Migrations = strata::embed!("tests/migrations");
    /// let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    /// let db = strata::testing::TestDb::with_spares(&M, &admin, 8)?;
    /// println!("ready in one round trip: {}", db.from_spare());
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn with_spares(
        migrations: &Migrations,
        admin_url: &str,
        spares: usize,
    ) -> Result<TestDb, Error> {
        match Admin::parse(admin_url)? {
            #[cfg(feature = "postgres")]
            Admin::Postgres(url) => postgres::create(migrations, admin_url, &url, spares),
            #[cfg(feature = "sqlite")]
            Admin::Sqlite { dir, query } => {
                let _ = spares;
                sqlite::create(migrations, &dir, &query)
            }
        }
    }

    /// The database's URL, password included: give it to your connection pool. Printing the
    /// `TestDb` itself shows it redacted.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let cache = tempfile::tempdir().unwrap();
    /// # let admin = format!("sqlite://{}", cache.path().display());
    /// let db = strata::testing::TestDb::new(&M, &admin)?;
    /// assert!(db.url().starts_with("sqlite://"));
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (`strata_test_...`; for SQLite, the file's name without `.db`).
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let cache = tempfile::tempdir().unwrap();
    /// # let admin = format!("sqlite://{}", cache.path().display());
    /// let db = strata::testing::TestDb::new(&M, &admin)?;
    /// assert!(db.name().starts_with("strata_test_"));
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template it was cloned from (`strata_tpl_<fingerprint>`), one per migration set.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let cache = tempfile::tempdir().unwrap();
    /// # let admin = format!("sqlite://{}", cache.path().display());
    /// let a = strata::testing::TestDb::new(&M, &admin)?;
    /// let b = strata::testing::TestDb::new(&M, &admin)?;
    /// assert_eq!(a.template(), b.template());
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn template(&self) -> &str {
        &self.template
    }

    /// Whether this call built the template (the first for its migration set) rather than
    /// reusing one.
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let cache = tempfile::tempdir().unwrap();
    /// # let admin = format!("sqlite://{}", cache.path().display());
    /// let first = strata::testing::TestDb::new(&M, &admin)?;
    /// let second = strata::testing::TestDb::new(&M, &admin)?;
    /// assert!(first.built_template() && !second.built_template());
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn built_template(&self) -> bool {
        self.built_template
    }

    /// Whether this database was a spare made ahead of time (PostgreSQL), rather than cloned
    /// by this call.
    pub fn from_spare(&self) -> bool {
        self.from_spare
    }

    /// Keep the database after this value is gone, and return its URL (password included):
    /// what `strata testdb create` does. Remove it later with [`drop_database`] or [`prune`].
    ///
    /// ```
    /// # static M: strata::Migrations = strata::embed!("tests/migrations");
    /// # let cache = tempfile::tempdir().unwrap();
    /// # let admin = format!("sqlite://{}", cache.path().display());
    /// let url = strata::testing::TestDb::new(&M, &admin)?.keep();
    /// strata::testing::drop_database(&admin, &url)?;
    /// # Ok::<(), strata::testing::Error>(())
    /// ```
    pub fn keep(mut self) -> String {
        self.keep = true;
        std::mem::take(&mut self.url)
    }
}

impl std::fmt::Debug for TestDb {
    /// Name, redacted URL and template.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("name", &self.name)
            .field("url", &self.redacted)
            .field("template", &self.template)
            .finish()
    }
}

impl std::fmt::Display for TestDb {
    /// The URL with its password replaced by `***`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "strata::testing: kept test database {} of a failed test: {}",
                self.name, self.redacted
            );
            return;
        }
        let result = match &self.kind {
            #[cfg(feature = "postgres")]
            Kind::Postgres { admin_url } => postgres::drop_named(admin_url, &self.name),
            #[cfg(feature = "sqlite")]
            Kind::Sqlite { path } => sqlite::remove(path),
        };
        if let Err(e) = result {
            eprintln!(
                "strata::testing: cannot drop test database {}: {}",
                self.name,
                chain(&e)
            );
        }
    }
}

/// Drop a database Strata created for tests, given its name or URL (a PostgreSQL name or URL
/// on `admin_url`'s server; a template goes with its spares; for SQLite, the copy's URL or path). Anything whose name is not a
/// Strata test database or template is refused with [`Error::NotATestDatabase`]. Dropping one
/// that is already gone succeeds.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let cache = tempfile::tempdir().unwrap();
/// # let admin = format!("sqlite://{}", cache.path().display());
/// let url = strata::testing::TestDb::new(&M, &admin)?.keep();
/// strata::testing::drop_database(&admin, &url)?;
/// assert!(strata::testing::drop_database(&admin, "postgres").is_err());
/// # Ok::<(), strata::testing::Error>(())
/// ```
pub fn drop_database(admin_url: &str, name_or_url: &str) -> Result<(), Error> {
    let name = name_of(name_or_url);
    let Some(kind) = names::parse(&name) else {
        return Err(Error::NotATestDatabase { name });
    };
    match Admin::parse(admin_url)? {
        #[cfg(feature = "postgres")]
        Admin::Postgres(_) => postgres::drop_parsed(admin_url, &name, &kind),
        #[cfg(feature = "sqlite")]
        Admin::Sqlite { dir, .. } => {
            let _ = kind;
            sqlite::remove(&dir.join(format!("{name}.db")))
        }
    }
}

/// The number of spare databases [`TestDb::new`] keeps: `STRATA_TESTDB_SPARES`, or 4.
fn spares_from_env() -> Result<usize, Error> {
    #[cfg(feature = "postgres")]
    let default = spares::DEFAULT;
    #[cfg(not(feature = "postgres"))]
    let default = 0;
    spares_setting(std::env::var(SPARES_VAR).ok(), default)
}

/// The value of `STRATA_TESTDB_SPARES`, if set, as a number of spares.
fn spares_setting(value: Option<String>, default: usize) -> Result<usize, Error> {
    match value {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| Error::Setting {
            name: SPARES_VAR,
            value,
            expected: "a number of spare databases (0 disables them)",
        }),
    }
}

/// The environment variable naming how many spare databases [`TestDb::new`] keeps.
const SPARES_VAR: &str = "STRATA_TESTDB_SPARES";

/// Build the template of `migrations` if needed and make `spares` spare databases of it now
/// (PostgreSQL; SQLite has none), e.g. before a test run, so that its first tests find them
/// too. The number made: those already there count.
///
/// ```no_run
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// let admin = std::env::var("TEST_DATABASE_URL").unwrap();
/// strata::testing::fill_spares(&M, &admin, 8)?;
/// # Ok::<(), strata::testing::Error>(())
/// ```
pub fn fill_spares(
    migrations: &Migrations,
    admin_url: &str,
    spares: usize,
) -> Result<usize, Error> {
    match Admin::parse(admin_url)? {
        #[cfg(feature = "postgres")]
        Admin::Postgres(url) => postgres::fill_spares(migrations, admin_url, &url, spares),
        #[cfg(feature = "sqlite")]
        Admin::Sqlite { .. } => {
            let _ = (migrations, spares);
            Ok(0)
        }
    }
}

/// The database name in `name_or_url`: a URL's database (PostgreSQL) or file stem (SQLite), a
/// path's file stem, or the name itself.
fn name_of(name_or_url: &str) -> String {
    let s = name_or_url.trim();
    if let Ok(url) = DatabaseUrl::parse(s) {
        return match url.backend() {
            Backend::Sqlite => url
                .sqlite_path()
                .and_then(|p| p.file_stem().map(|f| f.to_string_lossy().into_owned()))
                .unwrap_or_default(),
            _ => url.database().unwrap_or_default().to_string(),
        };
    }
    let path = std::path::Path::new(s);
    match path.extension() {
        Some(ext) if ext == "db" => path
            .file_stem()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        _ => s.to_string(),
    }
}

/// What [`prune`] removed.
///
/// ```
/// # static M: strata::Migrations = strata::embed!("tests/migrations");
/// # let cache = tempfile::tempdir().unwrap();
/// # let admin = format!("sqlite://{}", cache.path().display());
/// let pruned = strata::testing::prune(&M, &admin, std::time::Duration::from_secs(3600))?;
/// assert!(pruned.templates.is_empty() && pruned.databases.is_empty());
/// # Ok::<(), strata::testing::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pruned {
    /// Templates of other migration sets than the one given, built before the cutoff.
    pub templates: Vec<String>,
    /// Test databases older than the age given.
    pub databases: Vec<String>,
    /// Spare databases dropped: those of the templates dropped, and those whose template is
    /// gone, whatever their migration set (PostgreSQL).
    pub spares: Vec<String>,
    /// Spare databases left ready for tests: those of the templates kept (PostgreSQL).
    pub kept_spares: Vec<String>,
}

/// Drop what Strata created for tests and nobody needs any more: templates of every
/// migration set but `migrations` built more than `older_than` ago (younger ones may still be
/// cloned by a run of another branch on the same server; one being built is left alone) with
/// their spares, test databases created more than `older_than` ago (kept ones of failed tests
/// included), and spares whose template is gone (of `migrations` too: they may hold an older
/// build). The spares left are listed in [`Pruned::kept_spares`]. Nothing else is touched.
///
/// ```no_run
/// static M: strata::Migrations = strata::embed!("tests/migrations");
/// let admin = std::env::var("TEST_DATABASE_URL").unwrap();
/// let pruned = strata::testing::prune(&M, &admin, std::time::Duration::from_secs(3600))?;
/// println!("dropped {:?}, {:?} and {:?}", pruned.templates, pruned.databases, pruned.spares);
/// # Ok::<(), strata::testing::Error>(())
/// ```
pub fn prune(
    migrations: &Migrations,
    admin_url: &str,
    older_than: Duration,
) -> Result<Pruned, Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let cutoff = now.saturating_sub(older_than.as_secs());
    match Admin::parse(admin_url)? {
        #[cfg(feature = "postgres")]
        Admin::Postgres(url) => {
            let current = fingerprint_for(migrations, Dialect::Postgres, &url)?;
            postgres::prune(admin_url, &current, cutoff)
        }
        #[cfg(feature = "sqlite")]
        Admin::Sqlite { dir, query } => {
            let current = sqlite::fingerprint(migrations, &query)?;
            sqlite::prune(&dir, &current, cutoff)
        }
    }
}

/// The admin URL, parsed.
enum Admin {
    #[cfg(feature = "postgres")]
    Postgres(Box<DatabaseUrl>),
    /// The cache folder, and the query the test URLs carry (`x-migrations-table`, ...).
    #[cfg(feature = "sqlite")]
    Sqlite {
        dir: std::path::PathBuf,
        query: String,
    },
}

impl Admin {
    fn parse(raw: &str) -> Result<Admin, Error> {
        let trimmed = raw.trim();
        let (scheme, rest) = trimmed.split_once("://").unwrap_or((trimmed, ""));
        let bare_sqlite = matches!(scheme, "sqlite" | "sqlite3" | "sqlite:" | "sqlite3:")
            && (rest.is_empty() || rest.starts_with('?'));
        if bare_sqlite {
            #[cfg(feature = "sqlite")]
            return Ok(Admin::Sqlite {
                dir: std::env::temp_dir().join("strata-testdb"),
                query: rest.trim_start_matches('?').to_string(),
            });
        }
        let url = DatabaseUrl::parse(raw).map_err(|source| Error::Url {
            url: strata_drivers::url::redact(raw),
            source,
        })?;
        match url.backend() {
            #[cfg(feature = "postgres")]
            Backend::Postgres => Ok(Admin::Postgres(Box::new(url))),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let dir = url.sqlite_path().unwrap_or_default();
                let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
                Ok(Admin::Sqlite {
                    dir,
                    query: query.to_string(),
                })
            }
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres => Err(Error::BackendNotBuilt {
                backend: "PostgreSQL",
                feature: "postgres",
            }),
            _ => Err(Error::BackendNotBuilt {
                backend: "SQLite",
                feature: "sqlite",
            }),
        }
    }
}

/// The fingerprint of `migrations` as built on `url` (its ledger table names included).
fn fingerprint_for(
    migrations: &Migrations,
    dialect: Dialect,
    url: &DatabaseUrl,
) -> Result<String, Error> {
    let source = migrations
        .source(dialect)
        .map_err(|e| Error::Migrations(Box::new(e)))?;
    let tables = url.tables().map_err(|source| Error::Url {
        url: url.redacted(),
        source,
    })?;
    Ok(fingerprint::fingerprint(&source, &format!("{tables:?}")))
}

/// An error and its causes, `: `-separated, for the one line printed from `Drop`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{name_of, spares_setting, Error};

    #[test]
    fn the_spares_setting_is_a_count_or_a_clear_error() {
        assert_eq!(spares_setting(None, 4).unwrap(), 4);
        assert_eq!(spares_setting(Some(" 0 ".into()), 4).unwrap(), 0);
        assert_eq!(spares_setting(Some("12".into()), 4).unwrap(), 12);
        let err = spares_setting(Some("many".into()), 4).unwrap_err();
        assert!(matches!(err, Error::Setting { .. }));
        assert_eq!(
            err.to_string(),
            "STRATA_TESTDB_SPARES=\"many\" is not a number of spare databases (0 disables them)"
        );
    }

    #[test]
    fn a_name_comes_from_a_url_a_path_or_itself() {
        let n = "strata_test_0123456789ab_1_2_abcdef_3";
        for given in [
            n.to_string(),
            format!("postgres://u:p@h/{n}?sslmode=disable"),
            format!("sqlite:///tmp/x/{n}.db"),
            format!("/tmp/x/{n}.db"),
        ] {
            assert_eq!(name_of(&given), n, "{given}");
        }
    }
}
