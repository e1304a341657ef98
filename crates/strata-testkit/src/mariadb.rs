//! A throwaway MariaDB (or MySQL) server shared by every test process of a run, and one fresh
//! database per test ([`TestMariaDb`]), like the PostgreSQL [`cluster`](crate::cluster).
//!
//! Binaries: `mariadbd` (else `mysqld`) and `mariadb-install-db` (else `mysql_install_db`) in
//! `/usr/sbin`, `/usr/bin` or on `PATH`; `scripts/test.sh` installs Debian's `mariadb-server`
//! when they are missing. The server lives in `<target dir>/strata-mariadb/` (next to
//! `strata-pg/`): `data/`, `mysqld.sock`, `server.log`, `port`. Creation and start are guarded
//! by an exclusive lock on `strata-mariadb/lock`; a later process finds the server running and
//! reuses it, and it is left running after the tests.
//!
//! Settings: loopback only, its own port (derived from the directory, probed free) and socket,
//! no binary log, InnoDB flushing relaxed (a test server). `root@localhost` has no password and
//! is reached over the socket (the admin connection); [`USER`] with [`PASSWORD`] may do
//! anything from 127.0.0.1, for clients over TCP. As root the server runs as the `mysql` OS
//! user (`mariadbd --user=mysql`), which must reach the directory (else `/tmp` is used).
//!
//! When no server can be had a test prints `skipped: <reason>`, except under `CI=true`, where
//! it panics.

use crate::cluster::{answers, base_dir, choose_port, is_root, port_in_use, run};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The user tests connect as over TCP (all privileges).
pub const USER: &str = "strata";
/// Its password.
pub const PASSWORD: &str = "Str4ta-my-s3cret";

/// A running server started (or found) by the test kit.
#[derive(Debug, Clone)]
pub struct MariaDb {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// The Unix socket.
    pub socket: PathBuf,
    /// The data directory.
    pub data_dir: PathBuf,
}

impl MariaDb {
    /// Run `sql` as `root` over the socket with the `mariadb` client (`--batch`: tab-separated
    /// rows, no header) and return its output.
    pub fn admin(&self, sql: &str) -> Result<String, String> {
        let client = find(&["mariadb", "mysql"])
            .ok_or("no mariadb or mysql client found (install mariadb-client)")?;
        let out = Command::new(client)
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket.display()))
            .args(["-u", "root", "--batch", "--skip-column-names", "-e", sql])
            .output()
            .map_err(|e| format!("cannot run the mariadb client: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "mariadb -e {sql:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

/// A server of its own in `base` (for a test that stops and restarts it), started now; the
/// caller shuts it down ([`MariaDb::shut_down`]) when done.
pub fn private(base: &Path) -> Result<MariaDb, String> {
    let daemon = find(&["mariadbd", "mysqld"]).ok_or("no mariadbd or mysqld found")?;
    let install = find(&["mariadb-install-db", "mysql_install_db"])
        .ok_or("no mariadb-install-db or mysql_install_db found")?;
    fs::create_dir_all(base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    ensure_locked(&daemon, &install, base)
}

impl MariaDb {
    /// Shut the server down cleanly (`SHUTDOWN`: its sessions are closed) and wait until it
    /// no longer answers.
    pub fn shut_down(&self) -> Result<(), String> {
        self.admin("SHUTDOWN")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while answers(self.port) {
            if Instant::now() > deadline {
                return Err("the server still answers 60 s after SHUTDOWN".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Start a server stopped by [`MariaDb::shut_down`] again, on the same port.
    pub fn start_again(&self) -> Result<(), String> {
        self.start_again_with(&[])
    }

    /// [`MariaDb::start_again`] with further server options (e.g. `--ssl-cert=...`).
    pub fn start_again_with(&self, options: &[String]) -> Result<(), String> {
        let daemon = find(&["mariadbd", "mysqld"]).ok_or("no mariadbd or mysqld found")?;
        let base = self
            .data_dir
            .parent()
            .ok_or("the data directory has no parent")?;
        start(&daemon, self, base, is_root(), options)
    }
}

/// The server for this process, found or started once.
pub fn server() -> Result<&'static MariaDb, String> {
    static SERVER: OnceLock<Result<MariaDb, String>> = OnceLock::new();
    SERVER.get_or_init(ensure).as_ref().map_err(Clone::clone)
}

/// Find or start the shared server.
pub fn ensure() -> Result<MariaDb, String> {
    let daemon = find(&["mariadbd", "mysqld"])
        .ok_or("no mariadbd or mysqld found (install mariadb-server; scripts/test.sh does)")?;
    let install = find(&["mariadb-install-db", "mysql_install_db"])
        .ok_or("no mariadb-install-db or mysql_install_db found (install mariadb-server)")?;
    let base = server_dir()?;
    let lock_path = base.join("lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let result = ensure_locked(&daemon, &install, &base);
    drop(lock);
    result
}

fn ensure_locked(daemon: &Path, install: &Path, base: &Path) -> Result<MariaDb, String> {
    let data = base.join("data");
    let socket = base.join("mysqld.sock");
    let port_file = base.join("port");
    let as_root = is_root();
    if let Some(port) = fs::read_to_string(&port_file)
        .ok()
        .and_then(|s| s.trim().parse::<u16>().ok())
    {
        let server = MariaDb {
            port,
            socket: socket.clone(),
            data_dir: data.clone(),
        };
        if data.join("mysql").exists() {
            if answers(port) && server.admin("SELECT 1").is_ok() {
                return Ok(server);
            }
            // Initialised but stopped (machine restarted): start it again.
            if !port_in_use(port) && start(daemon, &server, base, as_root, &[]).is_ok() {
                return Ok(server);
            }
        }
    }
    let started = Instant::now();
    let _ = fs::remove_dir_all(&data);
    fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    if as_root {
        run(Command::new("chown").arg("-R").arg("mysql:mysql").arg(base))?;
    }
    let mut init = Command::new(install);
    init.arg("--no-defaults")
        .arg(format!("--datadir={}", data.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .current_dir("/");
    if as_root {
        init.arg("--user=mysql");
    }
    run(&mut init)?;
    let port = choose_port(base, 40000);
    let server = MariaDb {
        port,
        socket,
        data_dir: data,
    };
    start(daemon, &server, base, as_root, &[])?;
    fs::write(&port_file, port.to_string())
        .map_err(|e| format!("cannot write {}: {e}", port_file.display()))?;
    server.admin(&format!(
        "CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; \
         GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1' WITH GRANT OPTION;"
    ))?;
    eprintln!(
        "strata-testkit: started MariaDB on 127.0.0.1:{port} ({}) in {:.1}s",
        server.data_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(server)
}

/// Start the server in the background (its own process group, so it outlives the test process
/// and no signal to the tests reaches it) and wait until it answers.
fn start(
    daemon: &Path,
    server: &MariaDb,
    base: &Path,
    as_root: bool,
    options: &[String],
) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let log = base.join("server.log");
    let mut c = Command::new(daemon);
    c.arg("--no-defaults")
        .arg(format!("--datadir={}", server.data_dir.display()))
        .arg(format!("--socket={}", server.socket.display()))
        .arg(format!("--port={}", server.port))
        .arg(format!("--pid-file={}", base.join("mysqld.pid").display()))
        .arg(format!("--log-error={}", log.display()))
        .args([
            "--bind-address=127.0.0.1",
            "--skip-log-bin",
            "--max-connections=300",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--character-set-server=utf8mb4",
        ])
        .args(options)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if as_root {
        c.arg("--user=mysql");
    }
    let mut child = c
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", daemon.display()))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if answers(server.port) && server.admin("SELECT 1").is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} exited ({status}); server log:\n{}",
                daemon.display(),
                log_tail(&log)
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} did not answer within 60 s; server log:\n{}",
                daemon.display(),
                log_tail(&log)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// `<target dir>/strata-mariadb`, created; as root, when the `mysql` user cannot reach it,
/// `/tmp/strata-mariadb-<hash>` instead.
fn server_dir() -> Result<PathBuf, String> {
    let pg = base_dir();
    let base = pg.with_file_name("strata-mariadb");
    fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    if !is_root() || mysql_can_reach(&base) {
        return Ok(base);
    }
    let h = crc32fast::hash(base.to_string_lossy().as_bytes());
    let alt = std::env::temp_dir().join(format!("strata-mariadb-{h:08x}"));
    fs::create_dir_all(&alt).map_err(|e| format!("cannot create {}: {e}", alt.display()))?;
    Ok(alt)
}

fn mysql_can_reach(dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", "mysql", "--", "test", "-x"])
        .arg(dir.parent().unwrap_or(dir))
        .current_dir("/")
        .status()
        .is_ok_and(|s| s.success())
}

/// The first of `names` found in `/usr/sbin`, `/usr/bin` or on `PATH`.
fn find(names: &[&str]) -> Option<PathBuf> {
    let mut dirs = vec![PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    names
        .iter()
        .find_map(|n| dirs.iter().map(|d| d.join(n)).find(|p| p.is_file()))
}

/// A fresh database for one test, dropped on `Drop`.
#[derive(Debug)]
pub struct TestMariaDb {
    /// The database name.
    pub name: String,
    /// `mysql://strata:<password>@tcp(127.0.0.1:<port>)/<name>` (golang-migrate's form).
    pub url: String,
    /// The server.
    pub server: &'static MariaDb,
}

impl TestMariaDb {
    /// A fresh database, or `None` (after printing `skipped: <reason>`) when no server can be
    /// had. Panics under `CI=true` instead of skipping, and whenever the server is there but
    /// the database cannot be created.
    pub fn new() -> Option<TestMariaDb> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let server = match server() {
            Ok(s) => s,
            Err(reason) if crate::ci() => panic!("MariaDB is required under CI=true: {reason}"),
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
        server
            .admin(&format!("CREATE DATABASE `{name}`"))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        Some(TestMariaDb {
            url: format!(
                "mysql://{USER}:{PASSWORD}@tcp(127.0.0.1:{})/{name}",
                server.port
            ),
            name,
            server,
        })
    }
}

impl Drop for TestMariaDb {
    fn drop(&mut self) {
        let _ = self
            .server
            .admin(&format!("DROP DATABASE IF EXISTS `{}`", self.name));
    }
}
