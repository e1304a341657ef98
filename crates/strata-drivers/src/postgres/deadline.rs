//! A client-side bound on waiting for the server, for a connection that stalls (a peer or
//! proxy that accepts and stops answering, in either direction). The server's own
//! `statement_timeout` cannot help there: its answer is what never arrives, and TCP keepalives
//! are answered by whatever kernel holds the other end of the socket.
//!
//! The `postgres` client owns its socket and offers no per-call timeout, so a watchdog thread
//! watches it from outside: while a call is in flight, if no byte has arrived from the server
//! for the limit (the statement timeout plus a grace), it shuts the socket down, which ends the
//! call with a closed connection, and the error says why ([`super::errors`]). "No byte" comes
//! from the kernel (`TCP_INFO`'s `tcpi_last_data_recv`), so a batch of statements that each
//! answer in time is never cut, however long the batch. Linux and TCP only; elsewhere (and on
//! Unix sockets, which a network cannot stall) there is no watchdog.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The grace added to a statement timeout: as long as the timeout, from 1 s to 10 s (the
/// server's cancel and its error need a moment to arrive).
pub fn grace(statement_timeout: Duration) -> Duration {
    statement_timeout.clamp(Duration::from_secs(1), Duration::from_secs(10))
}

/// The socket descriptors open in this process, with their inodes (`socket:[inode]`).
pub(crate) fn sockets() -> HashSet<(i32, String)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let fd: i32 = e.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            let target = target.to_str()?;
            target
                .starts_with("socket:")
                .then(|| (fd, target.to_string()))
        })
        .collect()
}

/// The one TCP socket that appeared between `before` and `after` (the client's connection);
/// `None` when there is not exactly one (another thread connected at the same time).
pub(crate) fn new_tcp_socket(
    before: &HashSet<(i32, String)>,
    after: &HashSet<(i32, String)>,
) -> Option<i32> {
    let new: Vec<i32> = after
        .difference(before)
        .map(|(fd, _)| *fd)
        .filter(|fd| sys::since_last_receive(*fd).is_some())
        .collect();
    match new.as_slice() {
        [fd] => Some(*fd),
        _ => None,
    }
}

struct State {
    /// How long a call may go without a byte from the server.
    limit: Duration,
    /// When the call in flight started; `None` between calls.
    call_started: Option<Instant>,
    /// The watchdog shut the socket down after this long without an answer.
    fired: Option<Duration>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Watches one socket while calls are in flight; stops with the driver.
pub struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Watch socket `fd`: a call without a byte from the server for `limit` ends it.
    pub(crate) fn start(fd: i32, limit: Duration) -> Option<Watchdog> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                limit,
                call_started: None,
                fired: None,
                stop: false,
            }),
            wake: Condvar::new(),
        });
        let watched = shared.clone();
        let thread = std::thread::Builder::new()
            .name("strata-pg-watchdog".into())
            .spawn(move || watch(&watched, fd))
            .ok()?;
        Some(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// Let statements run up to `statement_timeout` (a migration's own directive) from now on:
    /// the limit becomes at least that plus its grace. Never lowered.
    pub(crate) fn allow(&self, statement_timeout: Duration) {
        if let Ok(mut s) = self.shared.state.lock() {
            s.limit = s.limit.max(statement_timeout + grace(statement_timeout));
        }
    }

    /// A call starts.
    pub(crate) fn arm(&self) {
        if let Ok(mut s) = self.shared.state.lock() {
            s.call_started = Some(Instant::now());
        }
        self.shared.wake.notify_all();
    }

    /// The call ended. Returns the limit when the watchdog ended it.
    pub(crate) fn disarm(&self) -> Option<Duration> {
        let mut s = self.shared.state.lock().ok()?;
        s.call_started = None;
        s.fired
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shared.state.lock() {
            s.stop = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(shared: &Shared, fd: i32) {
    let Ok(mut s) = shared.state.lock() else {
        return;
    };
    loop {
        if s.stop || s.fired.is_some() {
            return;
        }
        let Some(started) = s.call_started else {
            s = match shared.wake.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
            continue;
        };
        // Silent for: since the call started, or since the last byte if that came later.
        let silent = match sys::since_last_receive(fd) {
            Some(since) => since.min(started.elapsed()),
            None => return,
        };
        if silent >= s.limit {
            sys::shutdown(fd);
            s.fired = Some(s.limit);
            return;
        }
        let tick = (s.limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        s = match shared.wake.wait_timeout(s, tick) {
            Ok((s, _)) => s,
            Err(_) => return,
        };
    }
}

#[cfg(target_os = "linux")]
mod sys {
    use std::time::Duration;

    /// How long since the socket last received data (`None`: not a TCP socket, or closed).
    pub fn since_last_receive(fd: i32) -> Option<Duration> {
        // SAFETY: `getsockopt` writes at most `len` bytes into `info`, a plain C struct for
        // which all-zero bytes are valid; an fd that is not a TCP socket makes it fail.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        (rc == 0).then(|| Duration::from_millis(u64::from(info.tcpi_last_data_recv)))
    }

    /// Shut the socket down both ways: the client's pending read ends (the descriptor stays
    /// open and owned by the client, which closes it).
    pub fn shutdown(fd: i32) {
        // SAFETY: `shutdown` only changes the state of the socket behind `fd`, which the
        // driver's client keeps open for as long as the watchdog runs.
        unsafe {
            libc::shutdown(fd, libc::SHUT_RDWR);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use std::time::Duration;

    pub fn since_last_receive(_fd: i32) -> Option<Duration> {
        None
    }

    pub fn shutdown(_fd: i32) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_is_the_timeout_within_one_to_ten_seconds() {
        assert_eq!(grace(Duration::from_millis(200)), Duration::from_secs(1));
        assert_eq!(grace(Duration::from_secs(4)), Duration::from_secs(4));
        assert_eq!(grace(Duration::from_secs(600)), Duration::from_secs(10));
    }

    #[test]
    fn the_new_tcp_socket_is_found_and_a_silent_call_is_cut() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let before = sockets();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let after = sockets();
        let (_server, _) = listener.accept().unwrap();
        let fd = new_tcp_socket(&before, &after);
        // Other tests of this process may connect at the same moment: then nothing is found.
        let Some(fd) = fd else { return };
        use std::os::fd::AsRawFd;
        assert_eq!(fd, client.as_raw_fd());
        let dog = Watchdog::start(fd, Duration::from_millis(100)).unwrap();
        dog.arm();
        // The peer never answers: the read ends when the watchdog shuts the socket down.
        let mut buf = [0u8; 1];
        let n = std::io::Read::read(&mut &client, &mut buf).unwrap_or(0);
        assert_eq!(n, 0);
        assert_eq!(dog.disarm(), Some(Duration::from_millis(100)));
    }
}
