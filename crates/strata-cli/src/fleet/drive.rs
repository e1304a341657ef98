//! The imperative shell of every fleet command: one scoped thread per running target, started
//! when the [`Scheduler`] says so, each given the target's settings and its dialect's
//! migrations. The commands (`up`/`down`/`goto`, `status`, `plan`, `verify`) only say what to
//! do on one target and how to print what came back.

use super::schedule::{Next, Options, Scheduler, Slot};
use super::targets::Target;
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use std::collections::hash_map::{Entry, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use strata_core::Source;
use strata_drivers::{Backend, DatabaseUrl};

/// A fleet run ready to start.
pub(super) struct Fleet<'a> {
    settings: &'a Settings,
    list: &'a [Target],
    scheduler: Scheduler,
    /// The migrations, read once per dialect.
    sources: HashMap<Backend, Source>,
    /// Each target's backend, in list order.
    backends: Vec<Backend>,
}

impl<'a> Fleet<'a> {
    /// Parse every URL (a bad one stops the run before anything starts, naming its line),
    /// read the migrations once per dialect, and plan the schedule.
    pub(super) fn prepare(
        settings: &'a Settings,
        list: &'a [Target],
        options: &Options,
    ) -> Result<Fleet<'a>, CliError> {
        let mut backends = Vec::with_capacity(list.len());
        let mut sources = HashMap::new();
        for t in list {
            let url = DatabaseUrl::parse(&t.url)
                .map_err(|e| CliError::Usage(format!("{}: {e}", t.origin)))?;
            if let Entry::Vacant(slot) = sources.entry(url.backend()) {
                slot.insert(commands::read_source(settings, &url)?);
            }
            backends.push(url.backend());
        }
        let slots: Vec<Slot> = list
            .iter()
            .map(|t| Slot {
                host: t.host.clone(),
                group: t.group.clone(),
            })
            .collect();
        let scheduler =
            Scheduler::new(&slots, options).map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(Fleet {
            settings,
            list,
            scheduler,
            sources,
            backends,
        })
    }

    /// The schedule, for what became of each target once [`Fleet::drive`] returned.
    pub(super) fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Run `work` (given the target's own settings, the target and its migrations) on the
    /// targets the scheduler picks, at most as many at once as it allows; `ok` says whether a
    /// result counts as a failure for `--on-error`/`--canary`. `started` and `done` see each
    /// start and each result as they happen (on this thread). Results come back in list
    /// order, `None` for a target that never started. A panic in `work` is not expected;
    /// should one happen it ends the run as a panic would, never as a hang.
    pub(super) fn drive<R: Send>(
        &mut self,
        work: impl Fn(&Settings, &Target, &Source) -> R + Sync,
        ok: impl Fn(&R) -> bool,
        mut started: impl FnMut(usize),
        mut done: impl FnMut(usize, &R),
    ) -> Vec<Option<R>> {
        let (settings, list, sources, backends) =
            (self.settings, self.list, &self.sources, &self.backends);
        let work = |i: usize| {
            let target = &list[i];
            work(
                &settings_for(settings, target),
                target,
                &sources[&backends[i]],
            )
        };
        let scheduler = &mut self.scheduler;
        let mut results: Vec<Option<R>> = Vec::new();
        results.resize_with(list.len(), || None);
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, std::thread::Result<R>)>();
            let work = &work;
            loop {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    scheduler.stop();
                }
                match scheduler.next() {
                    Next::Start(i) => {
                        started(i);
                        let tx = tx.clone();
                        scope.spawn(move || {
                            let r =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i)));
                            let _ = tx.send((i, r));
                        });
                    }
                    Next::Wait => {
                        let (i, r) = rx.recv().expect("a running target always reports");
                        let r = r.unwrap_or_else(|p| std::panic::resume_unwind(p));
                        scheduler.finished(i, ok(&r));
                        done(i, &r);
                        results[i] = Some(r);
                    }
                    Next::Done => break,
                }
            }
        });
        results
    }
}

/// `work` on every target of a command that only reads (`status`, `plan`, `verify`), scheduled
/// by `options` (which run every target whatever fails), the results in list order once all
/// are in.
pub(super) fn each<R: Send>(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    work: impl Fn(&Settings, &Target, &Source) -> R + Sync,
    ok: impl Fn(&R) -> bool,
) -> Result<Vec<R>, CliError> {
    let mut fleet = Fleet::prepare(settings, list, options)?;
    let results = fleet.drive(work, ok, |_| {}, |_, _| {});
    Ok(results
        .into_iter()
        .map(|r| r.expect("every target runs under on-error continue"))
        .collect())
}

/// Set by Ctrl-C: no new target starts, and the running ones stop after their current
/// migration (a half-done no-transaction migration is never cut).
pub(super) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub(super) fn on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if !INTERRUPTED.swap(true, Ordering::SeqCst) {
            errln!("Stopping: no new database starts; the running ones stop after their current migration ...");
        }
    });
}

/// The settings of one target: the shared ones with its URL.
fn settings_for(settings: &Settings, target: &Target) -> Settings {
    let mut s = settings.clone();
    s.database = Some(target.url.clone());
    s.database_origin = Some(target.origin.clone());
    // The target's URL may name its own table: its line is the one to name.
    s.table_origin = None;
    s
}
