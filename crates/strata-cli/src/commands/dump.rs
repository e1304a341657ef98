//! `dump`: the schema as deterministic SQL, written by Strata from the catalog; `dump --check
//! FILE`: the CI drift gate, with the differences in words.

use super::parse_url;
use crate::settings::Settings;
use crate::CliError;
use std::path::Path;
use strata_core::printable::{printable, printable_path};
use strata_core::schema::render::{render, Flavor};
use strata_core::schema::{diff, sentence, SchemaSession, Side, Snapshot};
use strata_drivers::{Backend, ConnectOptions, DatabaseUrl};

/// `dump` flags.
#[derive(Debug, Clone, Default)]
pub struct DumpArgs {
    /// Write here instead of stdout.
    pub output: Option<std::path::PathBuf>,
    /// Compare with this file instead of writing.
    pub check: Option<std::path::PathBuf>,
    /// PostgreSQL admin URL for the scratch database `--check` loads the file into.
    pub scratch: Option<String>,
    /// Add the privileges granted to roles other than the owners.
    pub privileges: bool,
}

fn flavor(url: &DatabaseUrl) -> Flavor {
    match url.backend() {
        Backend::Sqlite => Flavor::Sqlite,
        _ => Flavor::Postgres,
    }
}

/// Session options from settings, as the other commands connect.
pub(super) fn options(settings: &Settings, url: &DatabaseUrl) -> ConnectOptions {
    ConnectOptions {
        statement_timeout: settings.statement_timeout.or(url.statement_timeout()),
        lock_timeout: settings.ddl_lock_timeout,
        require_tls: settings.require_tls,
        ..ConnectOptions::default()
    }
}

/// The live schema rendered, with its snapshot (and its privileges, when asked).
fn live(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
    privileges: bool,
) -> Result<(String, Snapshot), CliError> {
    let mut session = strata_drivers::schema::open(url, opts, false)?;
    let mut snapshot = session.snapshot()?;
    let data = session.dump_data()?;
    if privileges {
        snapshot.privileges = strata_drivers::schema::privileges(url, opts, &snapshot)?;
    }
    Ok((render(&snapshot, flavor(url), &data), snapshot))
}

/// `dump [--output FILE]` or `dump --check FILE` (exit 3 when the schema differs).
pub fn dump(settings: &Settings, args: &DumpArgs) -> Result<(), CliError> {
    let url = parse_url(settings)?;
    if let Some(file) = &args.check {
        let raw = settings.require_database()?;
        return check(&url, &options(settings, &url), raw, file, args);
    }
    let (text, _) = live(&url, &options(settings, &url), args.privileges)?;
    match &args.output {
        Some(path) => write_file(path, &text),
        None => {
            out!("{text}");
            Ok(())
        }
    }
}

/// Write the dump of the target's schema to `path` (`up --dump FILE`).
pub fn dump_file(settings: &Settings, path: &Path) -> Result<(), CliError> {
    let url = parse_url(settings)?;
    let (text, _) = live(&url, &options(settings, &url), false)?;
    write_file(path, &text)
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", printable_path(path))))
}

fn check(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
    raw: &str,
    file: &Path,
    args: &DumpArgs,
) -> Result<(), CliError> {
    let expected = std::fs::read_to_string(file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", printable_path(file))))?;
    let (actual, live_snapshot) = live(url, opts, args.privileges)?;
    let shown = printable_path(file).to_string();
    if expected == actual {
        outln!("the schema matches {shown}");
        return Ok(());
    }
    let scratch = args.scratch.as_deref();
    let file_snapshot = load(url, opts, raw, &expected, scratch, args.privileges).map_err(|e| {
        CliError::Failed(format!(
            "the schema differs from {shown}, and loading {shown} to say how failed: {e}"
        ))
    })?;
    let side = Side::File(shown.clone());
    let differences = diff(&file_snapshot, &live_snapshot);
    errln!("the schema differs from {shown}:");
    for d in &differences {
        errln!("  {}", printable(&sentence(d, &side)));
    }
    if differences.is_empty() {
        errln!("  the objects are the same; the version data or the file's text differs (rewrite it with `strata dump --output {shown}`)");
    }
    Err(CliError::Exit(crate::exit::CONFLICT))
}

/// The schema `sql` creates, loaded into an empty database: SQLite in memory, PostgreSQL a
/// scratch database (through `scratch`, else through the target's own URL).
fn load(
    url: &DatabaseUrl,
    opts: &ConnectOptions,
    raw: &str,
    sql: &str,
    scratch: Option<&str>,
    privileges: bool,
) -> Result<Snapshot, Box<strata_core::DriverError>> {
    let tables = url.tables().map_err(|e| Box::new(e.into()))?;
    match url.backend() {
        Backend::Sqlite => {
            let mut s = strata_drivers::sqlite_schema::SqliteSchemaSession::in_memory(tables)?;
            s.execute(sql)?;
            Ok(s.snapshot()?)
        }
        _ => {
            let admin = scratch.unwrap_or(raw);
            let db = strata_drivers::schema::Scratch::create(admin, opts)?;
            let result = load_into(&db.url, opts, sql, privileges);
            let dropped = db.drop_now();
            let snapshot = result?;
            dropped?;
            Ok(snapshot)
        }
    }
}

/// Run `sql` on the database at `url` and read its schema.
fn load_into(
    url: &str,
    opts: &ConnectOptions,
    sql: &str,
    privileges: bool,
) -> Result<Snapshot, Box<strata_core::DriverError>> {
    let url = DatabaseUrl::parse(url).map_err(|e| Box::new(e.into()))?;
    let mut s = strata_drivers::schema::open(&url, opts, false)?;
    s.execute(sql)?;
    let mut snapshot = s.snapshot()?;
    if privileges {
        snapshot.privileges = strata_drivers::schema::privileges(&url, opts, &snapshot)?;
    }
    Ok(snapshot)
}
