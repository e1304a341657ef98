//! Running one simple-query message while watching, as they arrive, the notices it raises.
//!
//! The client's `simple_query` returns when the whole message has run, but its notice callback
//! runs as each notice arrives. So the message runs on a scoped worker thread, and the calling
//! thread hands the notices collected so far to `watch` every [`POLL`] — `watch` may meanwhile
//! talk to the server on another session.

use super::connect::Notices;
use super::session::Session;
use postgres::SimpleQueryMessage;
use std::time::Duration;

/// How often the notices are looked at while the message runs.
const POLL: Duration = Duration::from_millis(10);

/// Run `text` on `client`, calling `watch` with the notices that arrived since its last call
/// (possibly none) every [`POLL`] until the message ends. Notices arriving after the last call
/// stay in `notices`.
pub(super) fn run_watched(
    client: &mut Session,
    text: &str,
    notices: &Notices,
    mut watch: impl FnMut(Vec<String>),
) -> Result<Vec<SimpleQueryMessage>, postgres::Error> {
    std::thread::scope(|s| {
        let me = std::thread::current();
        let worker = s.spawn(move || {
            let out = client.simple_query(text);
            me.unpark();
            out
        });
        while !worker.is_finished() {
            std::thread::park_timeout(POLL);
            if worker.is_finished() {
                break;
            }
            let lines = notices
                .lock()
                .map(|mut v| std::mem::take(&mut *v))
                .unwrap_or_default();
            watch(lines);
        }
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
