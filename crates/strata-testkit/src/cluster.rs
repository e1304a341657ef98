//! A throwaway PostgreSQL cluster shared by every test process of a run.
//!
//! Found binaries: `$STRATA_TEST_PG_BIN` when set (another major version, installed by
//! `scripts/pg-version.sh`), else the newest `/usr/lib/postgresql/*/bin` (Debian/Ubuntu), else
//! `initdb` on `PATH`. The cluster lives in `<target dir>/strata-pg/` (`$CARGO_TARGET_DIR`, else
//! the workspace's `target/`; `strata-pg-<version dir>/` for `$STRATA_TEST_PG_BIN`, so that two
//! versions never share a data directory): `data/` (with the Unix socket, the TLS files and `ca.crt`),
//! `server.log`, `port`. Creation and start are guarded by an exclusive lock on
//! `strata-pg/lock`, so parallel test binaries never race; a later process (or run) finds the
//! cluster running and reuses it. It is left running after the tests (a second run starts in
//! milliseconds); `scripts/pg-test-cluster.sh stop` stops it.
//!
//! Settings: loopback only (`listen_addresses = '127.0.0.1'`), a port derived from the
//! directory (probed free), `fsync`, `synchronous_commit` and `full_page_writes` off,
//! `max_connections = 200`, `ssl = on` with a certificate for `localhost` signed by a throwaway
//! CA (when `openssl` is installed), trust authentication on loopback except for the role
//! [`PASSWORD_USER`], which must give [`PASSWORD`] (scram-sha-256). PostgreSQL refuses to run as
//! root, so as root every server command runs as the `postgres` OS user (`runuser`).

use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A role that authenticates with a password (scram-sha-256) on the self-started cluster.
pub const PASSWORD_USER: &str = "strata_pw";
/// Its password.
pub const PASSWORD: &str = "Str4ta-pw-s3cret";

/// A running cluster started (or found) by the testkit.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// The data directory (also the Unix socket directory).
    pub data_dir: PathBuf,
    /// The CA that signed the server certificate (for `localhost` only), if TLS is on.
    pub ca_cert: Option<PathBuf>,
}

/// Find or start the cluster.
pub fn ensure() -> Result<Cluster, String> {
    let bin = find_bin_dir()?;
    let base = cluster_dir()?;
    let lock_path = base.join("lock");
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let result = ensure_locked(&bin, &base);
    drop(lock);
    result
}

fn ensure_locked(bin: &Path, base: &Path) -> Result<Cluster, String> {
    let data = base.join("data");
    let port_file = base.join("port");
    let as_root = is_root();
    let ca = data.join("ca.crt");
    if data.join("PG_VERSION").exists() {
        if let Some(port) = fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
        {
            let cluster = Cluster {
                port,
                data_dir: data.clone(),
                ca_cert: ca.exists().then(|| ca.clone()),
            };
            if answers(port) && data.join("postmaster.pid").exists() {
                return Ok(cluster);
            }
            // Initialised but stopped (machine restarted, or stopped by hand): start it.
            if !port_in_use(port) && pg_ctl_start(bin, &data, base, as_root).is_ok() {
                return Ok(cluster);
            }
        }
        // Unusable: start over.
        let _ = fs::remove_dir_all(&data);
    }
    let started = std::time::Instant::now();
    let _ = fs::remove_dir_all(&data);
    fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    if as_root {
        run(Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(base))?;
    }
    let mut initdb = server_command(bin, "initdb", as_root);
    initdb.arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(&mut initdb)?;

    let port = choose_port(base, 20000);
    let tls = make_certs(&data, as_root).is_ok();
    let mut conf = format!(
        "\n# strata-testkit\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
         fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n\
         shared_buffers = 64MB\nlog_min_messages = warning\npassword_encryption = 'scram-sha-256'\n",
        data.display()
    );
    if tls {
        conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    }
    append(&data.join("postgresql.conf"), &conf)?;
    fs::write(
        data.join("pg_hba.conf"),
        format!(
            "local all all trust\nhost all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
        ),
    )
    .map_err(|e| format!("cannot write pg_hba.conf: {e}"))?;
    if as_root {
        run(Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(&data))?;
    }
    pg_ctl_start(bin, &data, base, as_root)?;
    fs::write(&port_file, port.to_string())
        .map_err(|e| format!("cannot write {}: {e}", port_file.display()))?;

    let mut admin = postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .dbname("postgres")
        .connect(postgres::NoTls)
        .map_err(|e| format!("cannot connect to the new cluster: {e}"))?;
    admin
        .batch_execute(&format!(
            "CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'"
        ))
        .map_err(|e| format!("cannot create role {PASSWORD_USER}: {e}"))?;
    eprintln!(
        "strata-testkit: started PostgreSQL on 127.0.0.1:{port} ({}) in {:.1}s",
        data.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Cluster {
        port,
        data_dir: data.clone(),
        ca_cert: tls.then_some(ca),
    })
}

/// [`base_dir`], created; as root, when the `postgres` user cannot reach it (a checkout under
/// `/root`, mode 700), `/tmp/strata-pg-<hash of base_dir>` instead.
pub fn cluster_dir() -> Result<PathBuf, String> {
    let base = base_dir();
    fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    if !is_root() || postgres_can_reach(&base) {
        return Ok(base);
    }
    let h = crc32fast::hash(base.to_string_lossy().as_bytes());
    let alt = std::env::temp_dir().join(format!("strata-pg-{h:08x}"));
    fs::create_dir_all(&alt).map_err(|e| format!("cannot create {}: {e}", alt.display()))?;
    Ok(alt)
}

/// `<target dir>/strata-pg`: `$CARGO_TARGET_DIR` if set, else the target directory the running
/// test binary was built in (the ancestor holding cargo's `CACHEDIR.TAG`), else the workspace's
/// `target/`.
pub fn base_dir() -> PathBuf {
    let from_exe = || {
        let exe = std::env::current_exe().ok()?;
        exe.ancestors()
            .find(|d| d.join("CACHEDIR.TAG").exists())
            .map(Path::to_path_buf)
    };
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => PathBuf::from(t),
        _ => {
            from_exe().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        }
    };
    let target = if target.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(target)
    } else {
        target
    };
    let target = fs::create_dir_all(&target)
        .ok()
        .and_then(|_| target.canonicalize().ok())
        .unwrap_or(target);
    target.join(cluster_dir_name(bin_override().as_deref()))
}

/// `$STRATA_TEST_PG_BIN`, when set and not empty.
fn bin_override() -> Option<PathBuf> {
    std::env::var_os("STRATA_TEST_PG_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `strata-pg` for the default binaries; `strata-pg-<dir>` for binaries in `<dir>/bin` (the
/// version directory `scripts/pg-version.sh` installs into, e.g. `strata-pg-18.4.0-beta.17`).
fn cluster_dir_name(bin: Option<&Path>) -> String {
    let version = bin
        .and_then(|b| b.parent())
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    match version {
        Some(v) => format!("strata-pg-{v}"),
        None => "strata-pg".to_string(),
    }
}

/// `$STRATA_TEST_PG_BIN` when set; else the newest `/usr/lib/postgresql/<N>/bin` holding
/// `initdb`, else the directory of `initdb` on `PATH`.
pub fn find_bin_dir() -> Result<PathBuf, String> {
    if let Some(bin) = bin_override() {
        if bin.join("initdb").exists() && bin.join("pg_ctl").exists() {
            return Ok(bin);
        }
        return Err(format!(
            "STRATA_TEST_PG_BIN={} holds no initdb and pg_ctl (scripts/pg-version.sh prints a valid one)",
            bin.display()
        ));
    }
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Ok(major) = name.split('.').next().unwrap_or("").parse::<u32>() else {
                continue;
            };
            let bin = e.path().join("bin");
            if bin.join("initdb").exists() && best.as_ref().is_none_or(|(m, _)| major > *m) {
                best = Some((major, bin));
            }
        }
    }
    if let Some((_, bin)) = best {
        return Ok(bin);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
                return Ok(dir);
            }
        }
    }
    Err("no PostgreSQL server binaries found (looked for initdb under /usr/lib/postgresql/*/bin and on PATH); install PostgreSQL or set STRATA_TEST_DATABASE_URL".into())
}

pub(crate) fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Whether the `postgres` OS user can traverse every directory above `dir`.
fn postgres_can_reach(dir: &Path) -> bool {
    let parent = dir.parent().unwrap_or(dir);
    Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(parent)
        .current_dir("/")
        .status()
        .is_ok_and(|s| s.success())
}

fn server_command(bin: &Path, program: &str, as_root: bool) -> Command {
    let mut c = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    };
    // A working directory the postgres user can read (not e.g. /root).
    c.current_dir("/");
    c
}

fn pg_ctl_start(bin: &Path, data: &Path, base: &Path, as_root: bool) -> Result<(), String> {
    let log = base.join("server.log");
    if as_root {
        // The server (running as postgres) writes its log there.
        let _ = File::create(&log);
        let _ = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&log)
            .status();
    }
    let mut c = server_command(bin, "pg_ctl", as_root);
    c.arg("-D")
        .arg(data)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "start"]);
    run(&mut c).map_err(|e| {
        let tail = fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(10).collect();
        format!(
            "{e}\nserver log:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    })
}

/// A cluster of one test's own, for tests that stop or crash the server (the shared cluster
/// serves every concurrently running test and must never stop). Lives in
/// `<cluster dir>/private/<pid>-<n>`; stopped and removed on drop.
#[derive(Debug)]
pub struct PrivateCluster {
    /// Port and data directory.
    pub cluster: Cluster,
    bin: PathBuf,
    base: PathBuf,
    as_root: bool,
}

impl PrivateCluster {
    /// Create and start a fresh cluster (a few seconds: initdb).
    pub fn start() -> Result<PrivateCluster, String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let bin = find_bin_dir()?;
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = cluster_dir()?
            .join("private")
            .join(format!("{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
        let cluster = ensure_locked(&bin, &base)?;
        Ok(PrivateCluster {
            cluster,
            bin,
            base,
            as_root: is_root(),
        })
    }

    /// Admin URL (no TLS) of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.cluster.port
        )
    }

    /// `pg_ctl stop -m immediate`: every backend dies at once, as in a crash.
    pub fn stop_immediate(&self) -> Result<(), String> {
        let mut c = server_command(&self.bin, "pg_ctl", self.as_root);
        c.arg("-D")
            .arg(&self.cluster.data_dir)
            .args(["-m", "immediate", "-w", "stop"]);
        run(&mut c)
    }

    /// Start it again after [`stop_immediate`](Self::stop_immediate) (crash recovery runs).
    pub fn restart(&self) -> Result<(), String> {
        pg_ctl_start(&self.bin, &self.cluster.data_dir, &self.base, self.as_root)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.stop_immediate();
        let _ = fs::remove_dir_all(&self.base);
    }
}

/// Stop the cluster (for `scripts/pg-test-cluster.sh stop`).
pub fn stop() -> Result<(), String> {
    let bin = find_bin_dir()?;
    let data = cluster_dir()?.join("data");
    let mut c = server_command(&bin, "pg_ctl", is_root());
    c.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]);
    run(&mut c)
}

/// Run `c`; on failure, its command line, status and output.
pub(crate) fn run(c: &mut Command) -> Result<(), String> {
    let out = c
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", c.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} {:?} failed ({}): {}{}",
            c.get_program(),
            c.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub(crate) fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).is_ok()
}

pub(crate) fn port_in_use(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}

/// A port in `from..from + 20000` derived from the server's directory (so each target dir gets
/// its own), moved on while taken.
pub(crate) fn choose_port(base: &Path, from: u16) -> u16 {
    let h = crc32fast::hash(base.to_string_lossy().as_bytes());
    let first = from + (h % 20000) as u16;
    (0..200)
        .map(|i| first + i)
        .find(|p| !port_in_use(*p))
        .unwrap_or(first)
}

/// A throwaway CA and a server certificate for `localhost` (DNS name only: connecting to
/// 127.0.0.1 with `verify-full` must fail on the host name).
fn make_certs(data: &Path, as_root: bool) -> Result<(), String> {
    let ssl = |args: &[&str]| run(Command::new("openssl").current_dir(data).args(args));
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/CN=strata-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])?;
    ssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ])?;
    fs::write(
        data.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    ssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "3650",
        "-extfile",
        "server.ext",
    ])?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(data.join("server.key"), fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    if as_root {
        run(Command::new("chown")
            .arg("postgres:postgres")
            .arg(data.join("server.key"))
            .arg(data.join("server.crt")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_installed_version_gets_its_own_cluster_directory() {
        assert_eq!(cluster_dir_name(None), "strata-pg");
        assert_eq!(
            cluster_dir_name(Some(Path::new(
                "/var/tmp/strata-postgresql/18.4.0-beta.17/bin"
            ))),
            "strata-pg-18.4.0-beta.17"
        );
    }
}
