//! The sync driving loop: runs an [`Executor`]'s ops on a [`Driver`], timing each.

use super::{Completion, Executor, Op, Outcome};
use crate::driver::{BatchItem, Driver};
use crate::error::Error;
use crate::report::{Event, Report};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Run `exec` to its end on `driver`, telling `on_event` as things happen. Once `stop` becomes
/// true (e.g. set by a Ctrl-C handler), the run ends after the running migration.
pub fn drive(
    driver: &mut dyn Driver,
    mut exec: Executor<'_>,
    on_event: &mut dyn FnMut(Event),
    stop: Option<&AtomicBool>,
) -> Result<Report, Error> {
    let stopped = || stop.is_some_and(|s| s.load(Ordering::SeqCst));
    loop {
        if stopped() {
            exec.request_stop();
        }
        let started = Instant::now();
        let mut batch = false;
        let outcome = match exec.next() {
            Op::Done => break,
            Op::Event(e) => {
                on_event(e);
                continue;
            }
            Op::EnsureTables => match driver.ensure_tables() {
                Ok(()) => Outcome::TablesReady {
                    warnings: driver.take_warnings(),
                },
                Err(e) => Outcome::Failed(e),
            },
            Op::Write(writes) => outcome(driver.write(&writes)),
            Op::AppendLog(entry) => outcome(driver.append_log(&entry)),
            Op::RunTransaction(unit) => {
                outcome(driver.run_in_transaction(unit.script, &unit.records))
            }
            Op::RunAutocommit { sql } => outcome(driver.run_autocommit(sql)),
            Op::RunBatch { units, single } => {
                batch = true;
                let items: Vec<BatchItem<'_>> = units
                    .iter()
                    .map(|u| BatchItem {
                        script: u.script,
                        writes: &u.records,
                    })
                    .collect();
                // Each step is told as the driver sees it start, and reported as soon as the
                // driver hands it over: committed and durable.
                let result = driver.run_batch(&items, single, &mut |p| {
                    for e in exec.progress(p) {
                        on_event(e);
                    }
                });
                match result {
                    Ok(()) => Outcome::Done,
                    Err(f) => Outcome::BatchFailed(f),
                }
            }
            Op::PrepareSession {
                script,
                drop_invalid_indexes,
            } => match driver.session().map_or(Ok(Vec::new()), |hooks| {
                hooks.before_script(script, drop_invalid_indexes)
            }) {
                Ok(dropped) => Outcome::SessionPrepared { dropped },
                Err(e) => Outcome::Failed(e),
            },
            Op::RestoreSession => outcome(
                driver
                    .session()
                    .map_or(Ok(()), |hooks| hooks.after_script()),
            ),
            Op::Sleep(d) => {
                std::thread::sleep(d);
                Outcome::Done
            }
            Op::ReadLocation(spot) => Outcome::Located(spot.read()),
        };
        if stopped() {
            exec.request_stop();
        }
        // A batch hands its notices over with each item.
        let notices = if batch {
            Vec::new()
        } else {
            driver.take_notices()
        };
        exec.complete(Completion {
            outcome,
            elapsed: started.elapsed(),
            notices,
        });
    }
    exec.into_result()
}

fn outcome(r: Result<(), crate::driver::DriverError>) -> Outcome {
    match r {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Failed(e),
    }
}
