//! Test support for Strata (dev-only): a PostgreSQL server for the tests (and a PgBouncer in front
//! of it, see [`pgbouncer`]), one fresh database per test, SQLite files and temporary projects.
//!
//! ```no_run
//! use strata_testkit::TestDb;
//! let Some(db) = TestDb::postgres() else { return }; // prints "skipped: <reason>"
//! let mut c = db.client();
//! c.batch_execute("CREATE TABLE t (x int)").unwrap();
//! // db.url is a postgres:// URL for Strata; the database is dropped when `db` goes out of scope.
//! ```
//!
//! Where the server comes from:
//! - `STRATA_TEST_DATABASE_URL` (an admin URL: a role that may `CREATE DATABASE`), if set;
//! - else a throwaway cluster started from the installed binaries, shared by all test processes
//!   of the run (see [`cluster`]).
//!
//! When no server can be had the test prints `skipped: <reason>` and [`TestDb::postgres`]
//! returns `None` — except under `CI=true`, where it panics: CI never skips silently.
//!
//! MariaDB (for the MySQL dialect) works the same way: [`mariadb::TestMariaDb::new`] gives a
//! fresh database on a throwaway server shared by the run.

pub mod cluster;
pub mod fuzz;
pub mod mariadb;
pub mod pgbouncer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub use cluster::{PrivateCluster, PASSWORD, PASSWORD_USER};
/// The `postgres` client crate, for tests that talk to the server directly.
pub use postgres;

/// The server the PostgreSQL tests use.
#[derive(Debug, Clone)]
pub struct Server {
    /// Admin URL (`postgres://...`) of the maintenance database.
    pub admin_url: String,
    /// The self-started cluster, if that is what is used (`None` with
    /// `STRATA_TEST_DATABASE_URL`).
    pub cluster: Option<cluster::Cluster>,
}

impl Server {
    /// The CA certificate that signed the server's certificate (issued for `localhost` only),
    /// when the server is the self-started cluster with TLS on.
    pub fn tls_ca(&self) -> Option<&Path> {
        self.cluster.as_ref().and_then(|c| c.ca_cert.as_deref())
    }

    /// `(user, password)` of a role that must authenticate with a password, on the self-started
    /// cluster.
    pub fn password_role(&self) -> Option<(&'static str, &'static str)> {
        self.cluster.as_ref().map(|_| (PASSWORD_USER, PASSWORD))
    }

    /// A `postgres::Client` on `dbname` as the admin role (no TLS).
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, postgres::Error> {
        let mut cfg: postgres::Config = self.admin_url.parse()?;
        cfg.dbname(dbname);
        cfg.application_name("strata-testkit");
        cfg.connect(postgres::NoTls)
    }
}

/// The server for this process, found or started once.
pub fn server() -> Result<&'static Server, String> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Some(url) = std::env::var("STRATA_TEST_DATABASE_URL")
                .ok()
                .filter(|u| !u.is_empty())
            {
                return Ok(Server {
                    admin_url: url,
                    cluster: None,
                });
            }
            let c = cluster::ensure()?;
            let server = Server {
                admin_url: format!("postgres://postgres@127.0.0.1:{}/postgres", c.port),
                cluster: Some(c),
            };
            sweep_stale_databases(&server);
            Ok(server)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A `postgres::Error` with the server's message (its `Display` says only "db error").
pub fn pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
        None => {
            let mut out = e.to_string();
            let mut cur = std::error::Error::source(e);
            while let Some(s) = cur {
                out = format!("{out}: {s}");
                cur = s.source();
            }
            out
        }
    }
}

pub(crate) fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// What a test database is.
#[derive(Debug)]
enum Kind {
    Postgres {
        server: &'static Server,
    },
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
}

/// A database for one test: a fresh PostgreSQL database (dropped on `Drop`) or a SQLite file in
/// a temporary directory.
#[derive(Debug)]
pub struct TestDb {
    /// URL for Strata (`postgres://...` or `sqlite:///...`).
    pub url: String,
    /// The database name (PostgreSQL) or file name (SQLite).
    pub name: String,
    kind: Kind,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    /// A fresh PostgreSQL database named after the running test, or `None` (after printing
    /// `skipped: <reason>`) when no server can be had. Panics under `CI=true` instead of
    /// skipping, and whenever the server is there but the database cannot be created.
    pub fn postgres() -> Option<TestDb> {
        let server = match server() {
            Ok(s) => s,
            Err(reason) if ci() => panic!("PostgreSQL is required under CI=true: {reason}"),
            Err(reason) => {
                eprintln!("skipped: {reason}");
                return None;
            }
        };
        let test = std::thread::current().name().unwrap_or("test").to_string();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let hash = crc32fast::hash(format!("{test}\0{pid}\0{n}").as_bytes());
        let name = format!("strata_test_{pid}_{n}_{hash:08x}");
        let mut admin = server
            .connect("postgres")
            .unwrap_or_else(|e| panic!("cannot connect to the test server: {}", pg_error(&e)));
        // Serialise CREATE DATABASE across processes: concurrent copies of template1 can fail
        // with "source database is being accessed by other users".
        // (Three messages: CREATE DATABASE cannot run in a multi-statement implicit transaction.)
        admin
            .execute("SELECT pg_advisory_lock(7351)", &[])
            .expect("advisory lock");
        let created = admin.batch_execute(&format!("CREATE DATABASE \"{name}\""));
        let _ = admin.execute("SELECT pg_advisory_unlock(7351)", &[]);
        if let Err(e) = created {
            panic!("cannot create test database {name}: {}", pg_error(&e));
        }
        let mut url = url::Url::parse(&server.admin_url).expect("admin URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            name,
            kind: Kind::Postgres { server },
        })
    }

    /// A SQLite database file (not yet created) in a fresh temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        TestDb {
            url: format!("sqlite://{}", path.display()),
            name: "test.db".into(),
            kind: Kind::Sqlite { _dir: dir, path },
        }
    }

    /// `url` with `extra_query` (e.g. `"sslmode=disable&search_path=app"`) appended.
    pub fn url_with(&self, extra_query: &str) -> String {
        let extra = extra_query.trim_start_matches(['?', '&']);
        if extra.is_empty() {
            self.url.clone()
        } else if self.url.contains('?') {
            format!("{}&{extra}", self.url)
        } else {
            format!("{}?{extra}", self.url)
        }
    }

    /// This database's URL with another user (and password) in it.
    pub fn url_as(&self, user: &str, password: Option<&str>) -> String {
        let mut url = url::Url::parse(&self.url).expect("test URL");
        url.set_username(user).expect("user");
        url.set_password(password).expect("password");
        url.to_string()
    }

    /// The server (PostgreSQL only).
    pub fn server(&self) -> Option<&'static Server> {
        match &self.kind {
            Kind::Postgres { server } => Some(server),
            Kind::Sqlite { .. } => None,
        }
    }

    /// A client on this database as the admin role, for assertions (PostgreSQL only).
    pub fn client(&self) -> postgres::Client {
        let server = self
            .server()
            .expect("client() is for PostgreSQL test databases");
        server
            .connect(&self.name)
            .unwrap_or_else(|e| panic!("cannot connect to {}: {}", self.name, pg_error(&e)))
    }

    /// A client on the maintenance database as the admin role (PostgreSQL only).
    pub fn admin_client(&self) -> postgres::Client {
        let server = self
            .server()
            .expect("admin_client() is for PostgreSQL test databases");
        server
            .connect("postgres")
            .unwrap_or_else(|e| panic!("cannot connect to the admin database: {}", pg_error(&e)))
    }

    /// The SQLite file (SQLite only).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Sqlite { path, .. } => Some(path),
            Kind::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres { server } = &self.kind {
            if std::env::var_os("STRATA_TEST_KEEP_DB").is_some() {
                eprintln!("kept test database {}", self.name);
                return;
            }
            if let Ok(mut admin) = server.connect("postgres") {
                if let Err(e) = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                )) {
                    eprintln!(
                        "warning: cannot drop test database {}: {}",
                        self.name,
                        pg_error(&e)
                    );
                }
            }
        }
    }
}

/// Drop `strata_test_<pid>_...` databases whose process is gone (left by killed test runs).
/// Only on the self-started cluster: on a shared server other machines' pids mean nothing.
fn sweep_stale_databases(server: &Server) {
    let Ok(mut admin) = server.connect("postgres") else {
        return;
    };
    let Ok(rows) = admin.query(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'strata\\_test\\_%'",
        &[],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name
            .strip_prefix("strata_test_")
            .and_then(|r| r.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

/// A temporary project directory with files in it.
///
/// ```
/// let p = strata_testkit::TempProject::new();
/// p.write("migrations/1_a.up.sql", "CREATE TABLE a (x int);");
/// assert!(p.path().join("migrations/1_a.up.sql").exists());
/// ```
#[derive(Debug)]
pub struct TempProject {
    dir: tempfile::TempDir,
}

impl TempProject {
    /// An empty project.
    pub fn new() -> TempProject {
        TempProject {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Write `contents` at `relative` (parent directories created).
    pub fn write(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &TempProject {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// The project's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `root/relative`.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(relative)
    }
}

impl Default for TempProject {
    fn default() -> Self {
        TempProject::new()
    }
}
