//! A connection that stalls (the peer accepts and then stops answering, before
//! authentication or mid-run, in either direction) ends with a clear error within its bound,
//! instead of hanging until killed.

use crate::pg::pg;
use crate::support::Project;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A safety net so that a regression fails the test instead of hanging the suite; far above
/// the bounds the tests set (1-2 s).
const HUNG: Duration = Duration::from_secs(90);

fn strata(p: &Project, url: &str, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("strata"))
        .current_dir(p.path())
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATION_DIR")
        .env_remove("MIGRATION_TIMEOUT")
        .env_remove("DATABASE_SSL")
        .args(["-path", "migrations", "-database", url])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for `child` (killing it after [`HUNG`]); `watch` sees it while it runs. Returns the exit
/// code and stderr.
fn finish(mut child: Child, mut watch: impl FnMut(u32)) -> (i32, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if started.elapsed() > HUNG {
            let _ = child.kill();
            panic!("strata hung on a stalled connection");
        }
        watch(child.id());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Accepts connections and never answers; keeps them open until dropped.
struct Silent {
    port: u16,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let h = held.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                h.lock().unwrap().push(s);
            }
        });
        Silent { port, held }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        for s in self.held.lock().unwrap().iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_within_connect_timeout() {
    let p = Project::new();
    let silent = Silent::start();
    let secret = "hunter2stall";
    for query in ["connect_timeout=1", "connect_timeout=1&sslmode=disable"] {
        let url = format!(
            "postgres://bob:{secret}@127.0.0.1:{}/db?{query}",
            silent.port
        );
        let mut seen = Vec::new();
        let (code, err) = finish(strata(&p, &url, &["version"]), |pid| {
            if let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) {
                seen.push(String::from_utf8_lossy(&cmd).into_owned());
            }
        });
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!(
                "cannot connect to 127.0.0.1:{}: no answer within 1s (connect_timeout)",
                silent.port
            )),
            "{err}"
        );
        assert!(!err.contains(secret), "{err}");
        // `ps` shows the command line: the password is overwritten there.
        assert!(
            seen.iter().any(|c| c.contains("-database")),
            "the command line was never read"
        );
        let last = seen.iter().rev().find(|c| c.contains("-database")).unwrap();
        assert!(!last.contains(secret), "ps shows the password: {last:?}");
        assert!(last.contains("bob:***"), "{last:?}");
    }
}

/// Which way the proxy stops forwarding once it sees the marker from the client.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// The client's message is swallowed: the server never gets it.
    ToServer,
    /// The server gets it, but its answers never reach the client.
    ToClient,
}

const MARKER: &[u8] = b"stall_here";

/// A TCP proxy to `upstream` that forwards faithfully until a client message holds
/// [`MARKER`], then stalls one direction (holding every socket open).
struct Proxy {
    port: u16,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String, stall: Stall) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
        let h = held.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(&upstream).unwrap();
                h.lock().unwrap().push(client.try_clone().unwrap());
                h.lock().unwrap().push(server.try_clone().unwrap());
                let stalled = Arc::new(AtomicBool::new(false));
                let (c1, s1, st1) = (
                    client.try_clone().unwrap(),
                    server.try_clone().unwrap(),
                    stalled.clone(),
                );
                std::thread::spawn(move || pump(c1, s1, &st1, Some(stall)));
                std::thread::spawn(move || pump(server, client, &stalled, None));
            }
        });
        Proxy { port, held }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for s in self.held.lock().unwrap().iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Copy `from` to `to`. The client-to-server pump (`watch` set) sets `stalled` on the marker;
/// a stalled direction stops forwarding but keeps reading, like a wedged middlebox.
fn pump(mut from: TcpStream, mut to: TcpStream, stalled: &AtomicBool, watch: Option<Stall>) {
    let mut buf = [0u8; 65536];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let forward = match watch {
            Some(stall) => {
                if chunk.windows(MARKER.len()).any(|w| w == MARKER) {
                    stalled.store(true, Ordering::SeqCst);
                }
                !(stalled.load(Ordering::SeqCst) && matches!(stall, Stall::ToServer))
            }
            None => !stalled.load(Ordering::SeqCst),
        };
        if forward && to.write_all(chunk).is_err() {
            return;
        }
    }
}

#[test]
fn pg_a_connection_that_stalls_mid_run_either_way_fails_within_the_statement_bound() {
    let pg = pg!();
    pg.p.pair("1", "a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    pg.p.pair("2", "b", "SELECT 'stall_here';", "SELECT 1;");
    let upstream = pg
        .db
        .url
        .split('@')
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    for stall in [Stall::ToServer, Stall::ToClient] {
        let proxy = Proxy::start(upstream.clone(), stall);
        let url = pg
            .db
            .url_with("x-statement-timeout=500&sslmode=disable")
            .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
        let (code, err) = finish(strata(&pg.p, &url, &["up"]), |_| {});
        assert_eq!(code, 1, "{stall:?}: {err}");
        assert!(
            err.contains("no answer from the server for 1.5s (the statement timeout plus a grace): the connection stalled"),
            "{stall:?}: {err}"
        );
        drop(proxy);
        // Let the server notice the closed session before the next round takes the lock.
        pg.p.run_on(&pg.db.url, &["version"]);
    }
}
