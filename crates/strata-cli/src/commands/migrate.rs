//! The commands that talk to a database.

use super::{migrator, open, open_read_only, open_read_only_with_source, open_with_source, Target};
use crate::args::OutputFormat;
use crate::progress_bar::RunBar;
use crate::prompt::confirm;
use crate::render;
use crate::settings::Settings;
use crate::CliError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use strata_core::plan::Request;
use strata_core::printable::printable;
use strata_core::report::{Event, Report};
use strata_core::{Error, Source};
use strata_drivers::postgres::CancelHandle;
use strata_drivers::Backend;

/// `up [N]`.
pub fn up(settings: &Settings, limit: Option<&str>, format: OutputFormat) -> Result<(), CliError> {
    let limit = limit.map(parse_limit).transpose()?;
    if limit == Some(0) {
        errln!("no change");
        print_report(format, "up", &Report::default());
        return Ok(());
    }
    run_as(settings, Request::Up(limit), format, "up")
}

/// `down [N] | -all` (bare `down` asks).
pub fn down(
    settings: &Settings,
    args: &[String],
    all: bool,
    format: OutputFormat,
) -> Result<(), CliError> {
    if all && !args.is_empty() {
        return Err(CliError::Usage(
            "-all cannot be used with other arguments".into(),
        ));
    }
    if args.len() > 1 {
        return Err(CliError::Usage("too many arguments".into()));
    }
    if let Some(n) = args.first() {
        let n = parse_limit(n)?;
        if n == 0 {
            errln!("no change");
            print_report(format, "down", &Report::default());
            return Ok(());
        }
        return run_as(settings, Request::Down(Some(n)), format, "down");
    }
    if !all {
        // Connect first, as golang-migrate does, so a bad URL is reported before asking.
        settings.require_database()?;
        if !confirm("Are you sure you want to apply all down migrations? [y/N]")? {
            return Err(CliError::Declined(
                "Not applying all down migrations (use `down -all` to skip this question, or `down N`)".into(),
            ));
        }
        errln!("Applying all down migrations");
    }
    run_as(settings, Request::Down(None), format, "down")
}

/// `goto V`.
pub fn goto(
    settings: &Settings,
    version: Option<&str>,
    format: OutputFormat,
) -> Result<(), CliError> {
    let v = version.ok_or_else(|| CliError::Usage("please specify version argument V".into()))?;
    let v: u64 = v
        .parse()
        .map_err(|_| CliError::Usage(format!("can't read version argument V: {v:?}")))?;
    run_as(settings, Request::Goto(v), format, "goto")
}

fn parse_limit(n: &str) -> Result<u64, CliError> {
    n.parse()
        .map_err(|_| CliError::Usage(format!("can't read limit argument N: {n:?}")))
}

/// Set by the first Ctrl-C: the run stops after the migration in progress.
static STOP: AtomicBool = AtomicBool::new(false);

/// Asks the server to cancel the running statement (a second Ctrl-C), where the driver can.
static CANCEL: OnceLock<CancelHandle> = OnceLock::new();

/// Asks a batch of migrations sent together to end after the running one (a first Ctrl-C).
static STOP_BATCH: OnceLock<CancelHandle> = OnceLock::new();

/// Run `request`, reporting in text.
pub(super) fn run(settings: &Settings, request: Request) -> Result<(), CliError> {
    run_as(settings, request, OutputFormat::Text, "")
}

/// With `--format json`, the run's report as one JSON object on stdout (progress stays on
/// stderr). Nothing is printed on stdout when the run fails: the error is on stderr.
pub(super) fn print_report(format: OutputFormat, command: &str, report: &Report) {
    if format == OutputFormat::Json {
        let value = serde_json::json!({
            "schema_version": 1,
            "command": command,
            "steps": report.steps,
            "reconciled": report.reconciled,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("a report serialises")
        );
    }
}

/// Run `request` for `command`, reporting in `format`.
pub(super) fn run_as(
    settings: &Settings,
    request: Request,
    format: OutputFormat,
    command: &str,
) -> Result<(), CliError> {
    if settings.single_transaction && super::parse_url(settings)?.backend() == Backend::Sqlite {
        return Err(CliError::Usage(
            "--single-transaction is not available for SQLite (PostgreSQL has it); run without it"
                .into(),
        ));
    }
    let (mut target, source) = open_with_source(settings)?;
    // Interrupting mid-migration would leave a no-transaction migration half done; finishing the
    // current one and stopping is always consistent. A second Ctrl-C is the user's explicit
    // choice: cancel the running statement (a transactional migration then rolls back).
    if let Some(pg) = target.driver.postgres() {
        if let Some(cancel) = pg.cancel_handle() {
            let _ = CANCEL.set(cancel);
        }
        if let Some(stop) = pg.stop_handle() {
            let _ = STOP_BATCH.set(stop);
        }
    }
    let _ = ctrlc::set_handler(|| {
        if !STOP.swap(true, Ordering::SeqCst) {
            errln!("Stopping after this running migration ... (Ctrl-C again cancels it)");
            if let Some(stop) = STOP_BATCH.get() {
                stop();
            }
        } else if let Some(cancel) = CANCEL.get() {
            errln!("Cancelling the running statement ...");
            cancel();
        }
    });
    let mut m = migrator(&mut target, &source, settings).with_stop_flag(&STOP);
    let verbose = settings.verbose;
    // On a terminal, a long run also gets a progress bar under its lines.
    let mut bar: Option<RunBar> = None;
    let result = m.run(request, &mut |event| match event {
        Event::Planned { steps } => bar = RunBar::on_terminal(steps.len()),
        Event::Started {
            version,
            name,
            direction,
        } => {
            if verbose {
                say(
                    &bar,
                    format!(
                        "Start {version}/{} {}",
                        direction.letter(),
                        printable(&name)
                    ),
                );
            }
            if let Some(b) = &mut bar {
                b.started(version, &printable(&name));
            }
        }
        Event::Finished(step) => {
            say(&bar, render::step_line(&step));
            if let Some(b) = &mut bar {
                b.finished();
            }
        }
        Event::Notice { version, message } => {
            say(&bar, format!("notice ({version}): {}", printable(&message)))
        }
        Event::Warning { message } => say(&bar, format!("warning: {}", printable(&message))),
        Event::Retry {
            version,
            attempt,
            retries,
            wait,
            message,
        } => say(
            &bar,
            format!(
                "retry {attempt}/{retries} of migration {version} in {} after a lock timeout: {}",
                render::duration_text(wait),
                printable(&message)
            ),
        ),
        _ => {}
    });
    // Cleared before anything else is printed.
    std::mem::drop(bar);
    std::mem::drop(m);
    if verbose {
        if let Some(n) = target.driver.postgres().map(|pg| pg.round_trips()) {
            errln!("{n} round trip(s) to the database");
        }
    }
    match result {
        Ok(report) => {
            if report.reconciled > 0 {
                errln!(
                    "adopted the state golang-migrate left ({} ledger change(s))",
                    report.reconciled
                );
            }
            if report.steps.is_empty() {
                errln!("no change");
            }
            print_report(format, command, &report);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Print a progress line on stderr, with the bar (if any) out of the way.
fn say(bar: &Option<RunBar>, line: String) {
    match bar {
        Some(b) => b.suspend(|| errln!("{line}")),
        None => errln!("{line}"),
    }
}

/// `force V`.
pub fn force(
    settings: &Settings,
    version: Option<&str>,
    format: OutputFormat,
) -> Result<(), CliError> {
    let v = version.ok_or_else(|| CliError::Usage("please specify version argument V".into()))?;
    let v: i64 = v
        .parse()
        .map_err(|_| CliError::Usage(format!("can't read version argument V: {v:?}")))?;
    if v < -1 {
        return Err(CliError::Usage("argument V must be >= -1".into()));
    }
    // The folder is optional (golang-migrate issue #120): with it, the ledger records which
    // files the forced version covers.
    let (mut target, source) = match settings.dir {
        Some(_) => open_with_source(settings)?,
        None => (open(settings)?, Source::default()),
    };
    let forced = migrator(&mut target, &source, settings).force(v);
    super::print_warnings(&mut target);
    forced?;
    if format == OutputFormat::Json {
        let value = serde_json::json!({ "schema_version": 1, "command": "force", "version": v });
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialises")
        );
    }
    Ok(())
}

/// `version`: prints `V` or `V (dirty)` on stdout; with JSON, `{"version": V|null, "dirty": ..}`
/// (nothing applied is data there, not a failure).
pub fn version(settings: &Settings, format: OutputFormat) -> Result<(), CliError> {
    let mut target = open_read_only(settings)?;
    let source = Source::default();
    let mut m = migrator(&mut target, &source, settings);
    let row = m.version();
    if format == OutputFormat::Json {
        let (version, dirty) = match row {
            Ok(r) => (Some(r.version), r.dirty),
            Err(Error::NilVersion) => (None, false),
            Err(e) => return Err(e.into()),
        };
        let mut value = serde_json::json!({
            "schema_version": 1,
            "command": "version",
            "version": version,
            "dirty": dirty,
        });
        // Where a dirty migration stopped, as `status` has it (read only when dirty).
        if dirty {
            if let Some(r) = m.state()?.reached {
                value["reached"] = serde_json::to_value(r).expect("serialises");
            }
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialises")
        );
        return Ok(());
    }
    let row = row.map_err(|e| match e {
        Error::NilVersion => CliError::Failed("no migration (nothing is applied)".into()),
        other => other.into(),
    })?;
    if row.dirty {
        outln!("{} (dirty)", row.version);
    } else {
        outln!("{}", row.version);
    }
    Ok(())
}

/// `drop [-f]`.
pub fn drop(settings: &Settings, force: bool) -> Result<(), CliError> {
    settings.require_database()?;
    if !force {
        if !confirm("Are you sure you want to drop the entire database schema? [y/N]")? {
            return Err(CliError::Declined(
                "Aborted dropping the entire database schema (use `drop -f` to skip this question)"
                    .into(),
            ));
        }
        errln!("Dropping the entire database schema");
    }
    let mut target: Target = open(settings)?;
    let source = Source::default();
    let mut m = migrator(&mut target, &source, settings);
    let report = m.drop_all()?;
    if settings.verbose {
        for object in report.dropped {
            errln!("dropped {object}");
        }
    }
    Ok(())
}

/// `status`: the table (or JSON) on stdout. Changes nothing. With `check`, exit 3 when anything
/// is pending or in conflict.
pub fn status(settings: &Settings, format: OutputFormat, check: bool) -> Result<(), CliError> {
    let (mut target, source) = open_read_only_with_source(settings)?;
    let mut m = migrator(&mut target, &source, settings);
    let state = m.state()?;
    let status = strata_core::status::status(&source, &state);
    match format {
        OutputFormat::Text => out!("{}", render::status_table(&status)),
        OutputFormat::Json => {
            let value = serde_json::json!({ "schema_version": 1, "status": status });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("status serialises")
            );
        }
    }
    let unsettled = status.unsettled();
    if check && unsettled > 0 {
        errln!("status --check: {unsettled} migration(s) pending or in conflict");
        return Err(CliError::Exit(crate::exit::CONFLICT));
    }
    Ok(())
}
