//! A real PgBouncer in front of the test server, for tests of what Strata does behind a
//! connection pooler.
//!
//! Debian's `pgbouncer` (`scripts/test.sh` installs it when missing), started per test on a free
//! loopback port with a small pool: trust authentication (the user must still be listed in the
//! `auth_file`), every database forwarded to the test server, no Unix socket. PgBouncer refuses
//! to run as root, so as root it is started with `-u postgres` and its directory belongs to that
//! user. Stopped and removed on drop.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// A server session per client session (session advisory locks work).
    Session,
    /// A server session per transaction: consecutive statements of one client may run on
    /// different server sessions.
    Transaction,
}

impl PoolMode {
    fn as_str(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
        }
    }
}

/// A running PgBouncer.
#[derive(Debug)]
pub struct PgBouncer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl PgBouncer {
    /// Start PgBouncer in `mode` with `pool_size` server connections per database and user, in
    /// front of the test server (see [`crate::server`]). `Err` names what is missing.
    pub fn start(mode: PoolMode, pool_size: u32) -> Result<PgBouncer, String> {
        let bin = find_pgbouncer()?;
        let server = crate::server()?;
        let admin = url::Url::parse(&server.admin_url).map_err(|e| e.to_string())?;
        let host = admin.host_str().unwrap_or("127.0.0.1").to_string();
        let server_port = admin.port().unwrap_or(5432);
        let user = admin.username().to_string();
        let user = if user.is_empty() {
            "postgres".to_string()
        } else {
            user
        };

        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = crate::cluster::cluster_dir()?
            .join("pgbouncer")
            .join(format!("{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let port = free_port()?;
        let config = dir.join("pgbouncer.ini");
        fs::write(dir.join("userlist.txt"), format!("\"{user}\" \"\"\n"))
            .map_err(|e| format!("cannot write the auth file: {e}"))?;
        fs::write(
            &config,
            format!(
                "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\n\
                 listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
                 auth_type = trust\nauth_file = {dir}/userlist.txt\n\
                 pool_mode = {mode}\ndefault_pool_size = {pool_size}\nmin_pool_size = 0\n\
                 reserve_pool_size = 0\nmax_client_conn = 200\n\
                 ignore_startup_parameters = extra_float_digits,options\n\
                 logfile = {dir}/pgbouncer.log\npidfile = {dir}/pgbouncer.pid\n",
                dir = dir.display(),
                mode = mode.as_str(),
            ),
        )
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        let mut cmd = Command::new(&bin);
        if crate::cluster::is_root() {
            let _ = Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&dir)
                .status();
            cmd.args(["-u", "postgres"]);
        }
        let child = cmd
            .arg("-q")
            .arg(&config)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut bouncer = PgBouncer { port, child, dir };
        let start = Instant::now();
        while !answers(port) {
            if let Ok(Some(status)) = bouncer.child.try_wait() {
                return Err(format!(
                    "pgbouncer exited ({status}): {}",
                    bouncer.log_tail()
                ));
            }
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!(
                    "pgbouncer did not listen on port {port} within 10 s: {}",
                    bouncer.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(bouncer)
    }

    /// [`PgBouncer::start`] for a test: `None` (after printing `skipped: <reason>`) when it
    /// cannot start, except under `CI=true`, where it panics: CI never skips silently.
    pub fn for_test(mode: PoolMode, pool_size: u32) -> Option<PgBouncer> {
        match PgBouncer::start(mode, pool_size) {
            Ok(b) => Some(b),
            Err(reason) if crate::ci() => panic!("PgBouncer is required under CI=true: {reason}"),
            Err(reason) => {
                eprintln!("skipped: {reason}");
                None
            }
        }
    }

    /// A Strata URL for database `db` through this PgBouncer, as the test server's admin role.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(10).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `pgbouncer` in `/usr/sbin` (Debian), `/usr/bin` or on `PATH`.
fn find_pgbouncer() -> Result<PathBuf, String> {
    let mut candidates = vec![
        PathBuf::from("/usr/sbin/pgbouncer"),
        PathBuf::from("/usr/bin/pgbouncer"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("pgbouncer")));
    }
    candidates
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or_else(|| {
            "pgbouncer is not installed (apt-get install pgbouncer; scripts/test.sh installs it)"
                .into()
        })
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}
