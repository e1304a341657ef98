//! `up`, `down N`, `goto V` and `status` on every target, each using the engine exactly as
//! the one-database commands do, under the fleet's [`drive`](super::drive) shell.

use super::drive::{each, on_ctrl_c, Fleet, INTERRUPTED};
use super::progress::Progress;
use super::report::{self, Counts, Kind, Outcome, Seen};
use super::schedule::{Fate, Options};
use super::targets::Target;
use crate::args::OutputFormat;
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use std::cell::RefCell;
use strata_core::plan::Request;
use strata_core::report::Event;
use strata_core::status::State;
use strata_core::Source;

/// `up [N]`, `down N` or `goto V` on every target.
pub fn migrate(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    request: Request,
    format: OutputFormat,
) -> Result<(), CliError> {
    let mut fleet = Fleet::prepare(settings, list, options)?;
    on_ctrl_c();
    let kind = Kind::of(request);
    let work = |settings: &Settings, target: &Target, source: &Source| {
        migrate_one(settings, target, source, request)
    };
    // Behind a RefCell: both callbacks below update the one progress line.
    let progress = RefCell::new(Progress::on_terminal(list.len()));
    let results = fleet.drive(
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
    let scheduler = fleet.scheduler();
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
    let seen = each(settings, list, options, status_one, |s: &Seen| {
        s.error.is_none()
    })?;
    // Printed in list order once all are in: a view, not a log.
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

/// `request` on one target. For `up`, nothing is run (and no lock taken) when the ledger says
/// all is applied and nothing is wrong: a rerun touches only the targets that need it.
fn migrate_one(settings: &Settings, target: &Target, source: &Source, request: Request) -> Outcome {
    let mut outcome = Outcome::default();
    let result = (|| -> Result<(), CliError> {
        let mut open = commands::open(settings)?;
        let mut m = commands::migrator(&mut open, source, settings).with_stop_flag(&INTERRUPTED);
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
    let result = (|| -> Result<Seen, CliError> {
        let mut open = commands::open_read_only(settings)?;
        let mut m = commands::migrator(&mut open, source, settings);
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
