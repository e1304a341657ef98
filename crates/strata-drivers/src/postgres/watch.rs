//! Reading a batch's message as it runs, so that each migration is reported as it finishes.
//!
//! The client's `simple_query` returns when the whole message has run, but its notice callback
//! runs as each notice arrives — the batch's markers among them. So the message runs on a scoped
//! worker thread, and the calling thread hands the notices collected so far to `watch` every
//! [`POLL`]; [`PostgresDriver::run_live`] watches the markers and has the commits they reveal
//! made durable (see `durable.rs`) before handing them out.

use super::batch::{item_version, marker, split_notices, Progress};
use super::connect::Notices;
use super::durable;
use super::session::Session;
use super::PostgresDriver;
use postgres::SimpleQueryMessage;
use std::time::{Duration, Instant};
use strata_core::{BatchDone, BatchItem};

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

/// How long a message may run on after an item's commit, reaching no other marker, before that
/// commit is made durable and reported through a second session (shorter runs are reported
/// when the message ends, as one flush then covers them all).
pub(super) const GRACE: Duration = Duration::from_millis(250);

impl PostgresDriver<'_> {
    /// Run a message of several items, each in its own transaction, handing each item to
    /// `done` as soon as it is known committed and durable: the next item's marker says that it
    /// committed; when the message then runs on for [`GRACE`] without reaching another marker,
    /// a second session (see [`durable::Confirmer`]) makes the commits so far durable and reads
    /// their durations. Advances `reported`; collects the notices drained meanwhile into `raw`.
    pub(super) fn run_live(
        &mut self,
        items: &[BatchItem<'_>],
        text: &str,
        raw: &mut Vec<String>,
        reported: &mut usize,
        done: &mut Progress<'_>,
    ) -> Result<Vec<SimpleQueryMessage>, postgres::Error> {
        let notices = self.notices.clone();
        let (ledger, log) = self.ledger_and_log();
        let (url, opts) = (&self.url, &self.opts);
        let mut confirmer: Option<durable::Confirmer> = None;
        let mut gave_up = false;
        // Items before the last marker seen committed; since when it was seen; how many
        // items the confirmer was asked about.
        let mut marked = 0;
        let mut since = Instant::now();
        let mut asked = 0;
        run_watched(&mut self.client, text, &notices, |lines| {
            if let Some(k) = lines.iter().filter_map(|l| marker(l)).max() {
                // Item k's marker: it is running.
                done.started((k + 1).min(items.len()));
                if k > marked {
                    (marked, since) = (k.min(items.len()), Instant::now());
                }
            }
            raw.extend(lines);
            if gave_up {
                return;
            }
            if let Some(c) = &confirmer {
                loop {
                    match c.poll() {
                        durable::Answer::Pending => break,
                        durable::Answer::Gone | durable::Answer::Done(_, _, Err(_)) => {
                            gave_up = true;
                            return;
                        }
                        durable::Answer::Done(from, to, Ok(confirmed)) if from == *reported => {
                            let mut notices = split_notices(raw.clone(), items.len());
                            for (i, item) in items.iter().enumerate().take(to).skip(from) {
                                match item_version(item) {
                                    Some((v, up)) if confirmed.present.contains(&v) == up => {
                                        let notices = std::mem::take(&mut notices[i]);
                                        let duration = confirmed.duration(v);
                                        done.done(i, BatchDone { duration, notices });
                                        *reported = i + 1;
                                    }
                                    _ => {
                                        gave_up = true;
                                        return;
                                    }
                                }
                            }
                        }
                        durable::Answer::Done(..) => {
                            gave_up = true;
                            return;
                        }
                    }
                }
            }
            if marked > asked && since.elapsed() >= GRACE {
                let versions = items[asked..marked]
                    .iter()
                    .filter_map(|i| item_version(i).map(|(v, _)| v))
                    .collect();
                confirmer
                    .get_or_insert_with(|| {
                        durable::Confirmer::start(
                            url.clone(),
                            opts.clone(),
                            ledger.clone(),
                            log.clone(),
                        )
                    })
                    .ask(asked, marked, versions);
                asked = marked;
            }
        })
    }
}
