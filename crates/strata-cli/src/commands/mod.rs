//! One function per command. Each gets resolved [`Settings`] and prints through stdout (data)
//! and stderr (progress, errors).

mod adopt;
mod config;
pub mod create;
mod dump;
mod history;
mod lint;
mod migrate;
mod online_ddl;
mod plan;
mod rehearse;
mod renumber;
mod shell;
pub mod testdb;
mod verify;
mod wait;

pub use adopt::adopt;
pub use config::config;
pub use dump::{dump, dump_file, DumpArgs};
pub use history::{accept, baseline, history, redo, refresh, reset, rollback, validate};
pub use lint::lint;
pub use migrate::{down, drop, force, goto, status, up, version};
pub use plan::{plan, request as plan_request};
pub use rehearse::rehearse;
pub use renumber::renumber;
pub use shell::{completions, man};
pub use testdb::testdb;
pub use verify::{outcome_words, pending_on_target, verify, VerifyArgs};
pub use wait::wait;

use crate::settings::Settings;
use crate::CliError;
use strata_core::runner::{Migrator, RunOptions};
use strata_core::Source;
use strata_drivers::{ConnectOptions, Connection, DatabaseUrl};

/// An open database plus what was read from its URL.
pub struct Target {
    /// The parsed URL (redacted when displayed).
    pub url: DatabaseUrl,
    /// The open database: the engine's driver, and each backend's own API.
    pub driver: Connection,
}

/// Parse the URL and connect.
pub fn open(settings: &Settings) -> Result<Target, CliError> {
    open_with(settings, false)
}

/// [`open`] for commands that only read: nothing is created. A SQLite file that does not
/// exist reads as an empty database, with a warning naming the path (a typo, or `up` has not
/// run yet).
pub fn open_read_only(settings: &Settings) -> Result<Target, CliError> {
    open_with(settings, true)
}

/// [`open`] after reading the migrations folder: a folder that cannot be read (a missing
/// `-path`, a refused file name) is reported before anything is connected, so a refused
/// command never creates a SQLite file.
pub fn open_with_source(settings: &Settings) -> Result<(Target, Source), CliError> {
    let url = parse_url(settings)?;
    let source = read_source(settings, &url)?;
    Ok((connect(settings, url, false)?, source))
}

/// [`open_read_only`] after reading the migrations folder (see [`open_with_source`]).
pub fn open_read_only_with_source(settings: &Settings) -> Result<(Target, Source), CliError> {
    let url = parse_url(settings)?;
    let source = read_source(settings, &url)?;
    Ok((connect(settings, url, true)?, source))
}

pub(super) fn parse_url(settings: &Settings) -> Result<DatabaseUrl, CliError> {
    settings.database_url()
}

fn open_with(settings: &Settings, read_only: bool) -> Result<Target, CliError> {
    let url = parse_url(settings)?;
    connect(settings, url, read_only)
}

fn connect(settings: &Settings, url: DatabaseUrl, read_only: bool) -> Result<Target, CliError> {
    let options = ConnectOptions {
        statement_timeout: settings.statement_timeout.or(url.statement_timeout()),
        lock_timeout: settings.ddl_lock_timeout,
        require_tls: settings.require_tls,
        read_only,
        ..ConnectOptions::default()
    };
    if let Some(path) = url.sqlite_path().filter(|p| read_only && !p.exists()) {
        errln!(
            "warning: no database at {}: it reads as empty, and nothing was created",
            strata_core::printable::printable_path(&path)
        );
    }
    let driver = strata_drivers::connect(&url, &options)?;
    Ok(Target { url, driver })
}

/// The driver's warnings (e.g. a ledger it could not upgrade), one `warning:` line each on
/// stderr: for commands that get no run events, which carry them otherwise.
pub fn print_warnings(target: &mut Target) {
    for message in target.driver.take_warnings() {
        errln!("warning: {}", strata_core::printable::printable(&message));
    }
}

/// Read the migrations folder for the target's dialect. Files that look like migrations but
/// match no layout are named on stderr (`validate` also fails on them).
pub fn read_source(settings: &Settings, url: &DatabaseUrl) -> Result<Source, CliError> {
    let dialect = url.dialect();
    let dir = settings.require_dir()?;
    let source = strata_core::source::read_dir_streaming(dir, dialect, stream_threshold())
        .map_err(strata_core::Error::from)?;
    err!("{}", crate::render::warnings_text(&source.warnings));
    Ok(source)
}

/// Pair files longer than this many bytes are streamed instead of read whole:
/// `STRATA_STREAM_THRESHOLD` (bytes; for tests and memory-tight hosts), else
/// [`strata_core::source::stream::STREAM_THRESHOLD`] (32 MiB).
pub fn stream_threshold() -> u64 {
    std::env::var("STRATA_STREAM_THRESHOLD")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(strata_core::source::stream::STREAM_THRESHOLD)
}

/// Run options from settings.
pub fn run_options(settings: &Settings, url: &DatabaseUrl) -> RunOptions {
    RunOptions {
        lock_timeout: settings.lock_timeout,
        plan: strata_core::plan::PlanOptions {
            allow_out_of_order: settings.allow_out_of_order,
            actor: settings.actor.clone(),
            statement_mode: url.multi_statement(),
            resume: settings.resume,
        },
        lock_retries: settings.lock_retries,
        drop_invalid_indexes: settings.drop_invalid_indexes,
        single_transaction: settings.single_transaction,
    }
}

/// A migrator over an open target.
pub fn migrator<'a>(
    target: &'a mut Target,
    source: &'a Source,
    settings: &Settings,
) -> Migrator<'a> {
    let options = run_options(settings, &target.url);
    Migrator::new(&mut *target.driver, source, options)
}
