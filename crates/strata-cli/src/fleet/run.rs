//! The imperative shell of a fleet run: one scoped thread per running target, started when
//! the [`Scheduler`] says so, each using the engine exactly as the one-database commands do.

use super::progress::Progress;
use super::report::{self, Counts, Kind, Outcome, Seen};
use super::schedule::{Fate, Next, Options, Scheduler, Slot};
use super::targets::Target;
use crate::args::OutputFormat;
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use std::cell::RefCell;
use std::collections::hash_map::{Entry, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use strata_core::plan::Request;
use strata_core::report::Event;
use strata_core::status::State;
use strata_core::Source;
use strata_drivers::{Backend, DatabaseUrl};

/// `up [N]`, `down N` or `goto V` on every target.
pub fn migrate(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    request: Request,
    format: OutputFormat,
) -> Result<(), CliError> {
    let Prepared {
        mut scheduler,
        sources,
        backends,
    } = prepare(settings, list, options)?;
    on_ctrl_c();
    let kind = Kind::of(request);
    let work = |i: usize| migrate_one(settings, &list[i], &sources[&backends[i]], request);
    // Behind a RefCell: both callbacks below update the one progress line.
    let progress = RefCell::new(Progress::on_terminal(list.len()));
    let results = drive(
        &mut scheduler,
        work,
        Outcome::ok,
        |i| {
            if let Some(p) = progress.borrow_mut().as_mut() {
                p.start(&list[i].name);
            }
        },
        |i, outcome| {
            let mut progress = progress.borrow_mut();
            if let Some(p) = progress.as_mut() {
                p.end(&list[i].name, outcome.ok());
                p.clear();
            }
            report::print_up(format, kind, &list[i], outcome);
            if let Some(p) = progress.as_mut() {
                p.draw();
            }
        },
    );
    if let Some(p) = progress.borrow_mut().as_mut() {
        p.clear();
    }
    let mut counts = Counts::default();
    for (i, fate) in scheduler.fates().iter().enumerate() {
        match fate {
            Fate::Ok if results[i].as_ref().is_some_and(|o| o.up_to_date) => counts.up_to_date += 1,
            Fate::Ok => counts.ok += 1,
            Fate::Failed => counts.failed += 1,
            Fate::NotStarted => {
                counts.not_started += 1;
                report::print_not_started(format, &list[i]);
            }
            Fate::LeftOut => counts.left_out += 1,
            Fate::Running => unreachable!("the scheduler is done"),
        }
    }
    report::print_up_counts(format, kind, &counts, scheduler.stopped());
    if counts.failed > 0 || counts.not_started > 0 {
        return Err(CliError::Exit(crate::exit::FAILURE));
    }
    Ok(())
}

/// `status` on every target: the fleet view.
pub fn status(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    format: OutputFormat,
    check: bool,
) -> Result<(), CliError> {
    let Prepared {
        mut scheduler,
        sources,
        backends,
    } = prepare(settings, list, options)?;
    let work = |i: usize| status_one(settings, &list[i], &sources[&backends[i]]);
    let seen = drive(
        &mut scheduler,
        work,
        |s: &Seen| s.error.is_none(),
        |_| {},
        |_, _| {},
    );
    // Printed in list order once all are in: a view, not a log.
    let seen: Vec<Seen> = seen
        .into_iter()
        .map(|s| s.expect("every target runs under on-error continue"))
        .collect();
    report::print_fleet_status(format, list, &seen);
    if seen.iter().any(|s| s.error.is_some()) {
        return Err(CliError::Exit(crate::exit::FAILURE));
    }
    let unsettled = seen.iter().filter(|s| s.unsettled > 0).count();
    if check && unsettled > 0 {
        errln!("status --check: {unsettled} target(s) with migrations pending or in conflict");
        return Err(CliError::Exit(crate::exit::CONFLICT));
    }
    Ok(())
}

/// A run ready to start.
pub(super) struct Prepared {
    pub(super) scheduler: Scheduler,
    /// The migrations, read once per dialect.
    pub(super) sources: HashMap<Backend, Source>,
    /// Each target's backend, in list order.
    pub(super) backends: Vec<Backend>,
}

/// Parse every URL (a bad one stops the run before anything starts, naming its line), read
/// the migrations once per dialect, and plan the schedule.
pub(super) fn prepare(
    settings: &Settings,
    list: &[Target],
    options: &Options,
) -> Result<Prepared, CliError> {
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
    let scheduler = Scheduler::new(&slots, options).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Prepared {
        scheduler,
        sources,
        backends,
    })
}

/// Set by Ctrl-C: no new target starts, and the running ones stop after their current
/// migration (a half-done no-transaction migration is never cut).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub(super) fn on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        if !INTERRUPTED.swap(true, Ordering::SeqCst) {
            errln!("Stopping: no new database starts; the running ones stop after their current migration ...");
        }
    });
}

/// Run `work` on the targets the scheduler picks, at most as many at once as it allows;
/// `started` and `done` see each start and each result as they happen (on this thread). A
/// panic in `work` is not expected; should one happen it ends the run as a panic would, never
/// as a hang.
pub(super) fn drive<R: Send>(
    scheduler: &mut Scheduler,
    work: impl Fn(usize) -> R + Sync,
    ok: impl Fn(&R) -> bool,
    mut started: impl FnMut(usize),
    mut done: impl FnMut(usize, &R),
) -> Vec<Option<R>> {
    let mut results: Vec<Option<R>> = Vec::new();
    results.resize_with(scheduler.fates().len(), || None);
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
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i)));
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

/// The settings of one target: the shared ones with its URL.
pub(super) fn settings_for(settings: &Settings, target: &Target) -> Settings {
    let mut s = settings.clone();
    s.database = Some(target.url.clone());
    s.database_origin = Some(target.origin.clone());
    // The target's URL may name its own table: its line is the one to name.
    s.table_origin = None;
    s
}

/// `request` on one target. For `up`, nothing is run (and no lock taken) when the ledger says
/// all is applied and nothing is wrong: a rerun touches only the targets that need it.
fn migrate_one(settings: &Settings, target: &Target, source: &Source, request: Request) -> Outcome {
    let settings = settings_for(settings, target);
    let mut outcome = Outcome::default();
    let result = (|| -> Result<(), CliError> {
        let mut open = commands::open(&settings)?;
        let mut m = commands::migrator(&mut open, source, &settings).with_stop_flag(&INTERRUPTED);
        let before = strata_core::status::status(source, &m.state()?);
        outcome.before = before.version;
        outcome.after = before.version;
        // Anything unsettled (pending, dirty, an applied file edited or deleted) goes to the
        // engine, which applies or refuses it exactly as a one-database `up` would.
        if matches!(request, Request::Up(_)) && before.unsettled() == 0 {
            outcome.up_to_date = true;
            return Ok(());
        }
        let mut warnings = Vec::new();
        let run = m.run(request, &mut |event| {
            if let Event::Warning { message } = event {
                warnings.push(message);
            }
        });
        outcome.warnings = warnings;
        if let Ok(state) = m.state() {
            outcome.after = strata_core::status::status(source, &state).version;
        }
        outcome.applied = match &run {
            Ok(report) => report.steps.clone(),
            Err(e) => e.report().map(|r| r.steps.clone()).unwrap_or_default(),
        };
        // `down N` or `goto V` with nothing to do: settled, as `up` with nothing pending is.
        if !matches!(request, Request::Up(_)) {
            outcome.up_to_date = run.is_ok() && outcome.applied.is_empty();
        }
        run.map(|_| ()).map_err(CliError::from)
    })();
    if let Err(e) = result {
        outcome.error = Some(report::error_text(&e, &target.url));
    }
    outcome.warnings = outcome
        .warnings
        .iter()
        .map(|w| report::scrub(w, &target.url))
        .collect();
    outcome
}

/// What one target's ledger says. Changes nothing.
fn status_one(settings: &Settings, target: &Target, source: &Source) -> Seen {
    let settings = settings_for(settings, target);
    let result = (|| -> Result<Seen, CliError> {
        let mut open = commands::open_read_only(&settings)?;
        let mut m = commands::migrator(&mut open, source, &settings);
        let status = strata_core::status::status(source, &m.state()?);
        Ok(Seen {
            version: status.version,
            dirty: status.dirty,
            pending: status.not_applied(),
            drifted: [
                State::Edited,
                State::Missing,
                State::DownEdited,
                State::DownMissing,
            ]
            .into_iter()
            .map(|state| status.count(state))
            .sum(),
            unsettled: status.unsettled(),
            error: None,
        })
    })();
    result.unwrap_or_else(|e| Seen {
        error: Some(report::error_text(&e, &target.url)),
        ..Seen::default()
    })
}
