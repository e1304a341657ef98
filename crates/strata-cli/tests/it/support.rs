//! A temp project: a migrations folder, a SQLite file, and the binary.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// libpq's connection variables (as `strata_cli`'s libpq module lists them).
pub const LIBPQ_VARS: &[(&str, &str)] = &[
    ("host", "PGHOST"),
    ("port", "PGPORT"),
    ("dbname", "PGDATABASE"),
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("sslmode", "PGSSLMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("application_name", "PGAPPNAME"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("options", "PGOPTIONS"),
];

pub struct Project {
    pub dir: TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db_path(&self) -> PathBuf {
        self.path().join("app.db")
    }

    /// Write `migrations/<name>`.
    pub fn file(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.path().join("migrations").join(name), text).unwrap();
        self
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.path().join("migrations").join(name)).unwrap();
    }

    /// A pair `N_name.up.sql` / `N_name.down.sql`.
    pub fn pair(&self, version: &str, name: &str, up: &str, down: &str) -> &Self {
        self.file(&format!("{version}_{name}.up.sql"), up);
        self.file(&format!("{version}_{name}.down.sql"), down)
    }

    /// The binary in the project folder, with no inherited DATABASE_URL/MIGRATION_DIR.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::cargo_bin("strata").unwrap();
        cmd.current_dir(self.path())
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATION_DIR")
            .env_remove("MIGRATION_TIMEOUT")
            .env_remove("DATABASE_SSL")
            .env_remove("STRATA_CONFIG")
            .env_remove("STRATA_ENV")
            .env("USER", "tester");
        // No libpq setting from the machine running the tests.
        for (_, var) in LIBPQ_VARS {
            cmd.env_remove(var);
        }
        for var in ["PGSERVICE", "PGSERVICEFILE", "PGSYSCONFDIR", "PGPASSFILE"] {
            cmd.env_remove(var);
        }
        cmd.env("PGPASSFILE", self.path().join("no-pgpass"))
            .env("PGSYSCONFDIR", self.path().join("no-sysconf"))
            .env("PGSERVICEFILE", self.path().join("no-service-file"));
        cmd
    }

    /// `strata -path migrations -database sqlite://app.db ARGS`, golang-migrate style.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.bare();
        cmd.args(["-path", "migrations", "-database", "sqlite://app.db"])
            .args(args);
        output(cmd)
    }

    /// `strata -path migrations -database URL ARGS` (any backend).
    pub fn run_on(&self, url: &str, args: &[&str]) -> Output {
        let mut cmd = self.bare();
        cmd.args(["-path", "migrations", "-database", url])
            .args(args);
        output(cmd)
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).unwrap()
    }

    /// golang-migrate's row: None when the table is empty.
    pub fn compat(&self) -> Option<(i64, bool)> {
        self.db()
            .query_row("SELECT version, dirty FROM schema_migrations", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .ok()
    }

    pub fn ledger_versions(&self) -> Vec<i64> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT version FROM schema_migrations_ledger ORDER BY version")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    pub fn tables(&self) -> Vec<String> {
        let db = self.db();
        let mut stmt = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'schema_migrations%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }
}

pub fn output(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Output {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn never_shows(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle) && !self.stdout.contains(needle),
            "output shows {needle:?}:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout
        );
        self
    }
}

/// Three pairs creating tables a, b, c.
pub fn three(p: &Project) {
    p.pair(
        "000001",
        "create_a",
        "CREATE TABLE a (id INTEGER);",
        "DROP TABLE a;",
    );
    p.pair(
        "000002",
        "create_b",
        "CREATE TABLE b (id INTEGER);",
        "DROP TABLE b;",
    );
    p.pair(
        "000003",
        "create_c",
        "CREATE TABLE c (id INTEGER);",
        "DROP TABLE c;",
    );
}
