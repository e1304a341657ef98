//! `verify`: prove each migration's down undoes its up (snapshot, up, snapshot, down, snapshot,
//! up again, snapshot) and say every difference in words.

use super::{open_read_only, parse_url, read_source};
use crate::args::OutputFormat;
use crate::render;
use crate::settings::Settings;
use crate::CliError;
use std::fmt::Write as _;
use strata_core::printable::printable;
use strata_core::schema::verify::{verify as run_verify, Entry, Mode, Outcome};
use strata_core::schema::{sentence, Side};
use strata_core::Migration;
use strata_drivers::ConnectOptions;

/// `verify` flags.
#[derive(Debug, Clone, Default)]
pub struct VerifyArgs {
    /// Every migration of the folder (needs `scratch`).
    pub all: bool,
    /// Admin URL of a PostgreSQL server to create a scratch database on.
    pub scratch: Option<String>,
    /// Run no-transaction migrations on the target (downs run again at the end).
    pub on_target: bool,
    /// Column-order-only differences fail too.
    pub strict: bool,
    /// Output format.
    pub format: OutputFormat,
}

/// Exit 3 when a migration fails its round trip.
pub fn verify(settings: &Settings, args: &VerifyArgs) -> Result<(), CliError> {
    let url = parse_url(settings)?;
    let source = read_source(settings, &url)?;
    let opts = super::dump::options(settings, &url);
    let (entries, candidates, place) = if let Some(admin) = &args.scratch {
        let scratch = strata_drivers::schema::Scratch::create(admin, &opts)?;
        let all: Vec<&Migration> = source.migrations.iter().collect();
        let result = on_scratch(&scratch.url, &opts, &all);
        let dropped = scratch.drop_now();
        let entries = result?;
        dropped?;
        (entries, all, "on a scratch database, dropped afterwards")
    } else {
        if args.all {
            return Err(CliError::Usage(
                "verify --all needs --scratch ADMIN_URL: the applied migrations are already on the target".into(),
            ));
        }
        let (entries, pending) = pending_on_target(settings, &url, &source, args.on_target)?;
        (entries, pending, place_on_target(args.on_target))
    };
    let not_reached: Vec<&Migration> = candidates.iter().skip(entries.len()).copied().collect();
    match args.format {
        OutputFormat::Text => out!("{}", text(&entries, &not_reached, place, args)),
        OutputFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&entries, &not_reached, args.strict))
                .expect("verify report serialises")
        ),
    }
    if entries.iter().any(|e| e.outcome.failed(args.strict)) {
        return Err(CliError::Exit(crate::exit::CONFLICT));
    }
    Ok(())
}

/// Where a verify on the target runs, in words.
fn place_on_target(on_target: bool) -> &'static str {
    if on_target {
        "on the target, downs run again at the end"
    } else {
        "in one transaction, rolled back (nothing changed)"
    }
}

/// Verify the migrations of `source` not applied on the target of `settings`: in one
/// transaction rolled back, or (`on_target`) applied and their downs run again at the end.
/// Also the candidates, in order (those after a failing one are not reached).
pub fn pending_on_target<'s>(
    settings: &Settings,
    url: &strata_drivers::DatabaseUrl,
    source: &'s strata_core::Source,
    on_target: bool,
) -> Result<(Vec<Entry>, Vec<&'s Migration>), CliError> {
    let opts = super::dump::options(settings, url);
    let mut target = open_read_only(settings)?;
    let state = target.driver.read_state()?;
    drop(target);
    let applied: std::collections::BTreeSet<u64> =
        state.applied.iter().map(|a| a.version).collect();
    let pending: Vec<&Migration> = source
        .migrations
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .collect();
    let mut session = strata_drivers::schema::open(url, &opts, false)?;
    let mode = if on_target {
        Mode::Applied { unwind: true }
    } else {
        Mode::RolledBack
    };
    Ok((run_verify(&mut *session, &pending, mode)?, pending))
}

/// Verify `migrations` from zero on the scratch database at `url`.
fn on_scratch(
    url: &str,
    opts: &ConnectOptions,
    migrations: &[&Migration],
) -> Result<Vec<Entry>, CliError> {
    let url = strata_drivers::DatabaseUrl::parse(url).map_err(strata_core::DriverError::from)?;
    let mut session = strata_drivers::schema::open(&url, opts, false)?;
    Ok(run_verify(
        &mut *session,
        migrations,
        Mode::Applied { unwind: false },
    )?)
}

/// The words for an outcome, and its details (differences, error).
pub fn outcome_words(o: &Outcome) -> (&'static str, Vec<String>) {
    let side = Side::RoundTrip;
    let words =
        |d: &Vec<strata_core::schema::Difference>| d.iter().map(|d| sentence(d, &side)).collect();
    match o {
        Outcome::Ok => ("ok", vec![]),
        Outcome::DownDoesNotRestore(d) => ("down does not restore", words(d)),
        Outcome::OnlyColumnOrder(d) => ("only column order differs", words(d)),
        Outcome::ReUpFails(e) => ("re-up fails after down", vec![e.to_string()]),
        Outcome::UpFails(e) => ("up fails", vec![e.to_string()]),
        Outcome::DownFails(e) => ("down fails", vec![e.to_string()]),
        Outcome::NoDownPart => ("no down part", vec![]),
        Outcome::Skipped(why) => ("not verified", vec![why.clone()]),
    }
}

fn text(entries: &[Entry], not_reached: &[&Migration], place: &str, args: &VerifyArgs) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("nothing to verify: no pending migration\n");
        return out;
    }
    let _ = writeln!(out, "verify: {} migration(s), {place}", entries.len());
    for e in entries {
        let (head, details) = outcome_words(&e.outcome);
        let mark = if e.outcome.failed(args.strict) {
            "FAILED "
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{mark}{}/u {}: {head} ({})",
            e.version,
            printable(&e.name),
            render::duration_text(e.duration)
        );
        for d in details {
            let _ = writeln!(out, "    {}", printable(&d));
        }
    }
    if !not_reached.is_empty() {
        let list: Vec<String> = not_reached
            .iter()
            .map(|m| format!("{}/u", m.version))
            .collect();
        let _ = writeln!(
            out,
            "not verified (they need the migration above): {}",
            list.join(", ")
        );
    }
    out
}

fn json(entries: &[Entry], not_reached: &[&Migration], strict: bool) -> serde_json::Value {
    let items: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let (head, details) = outcome_words(&e.outcome);
            let mut v = serde_json::json!({
                "version": e.version,
                "name": e.name,
                "result": head,
                "failed": e.outcome.failed(strict),
                "duration_ms": e.duration.as_secs_f64() * 1000.0,
            });
            match &e.outcome {
                Outcome::DownDoesNotRestore(d) | Outcome::OnlyColumnOrder(d) => {
                    v["differences"] = serde_json::json!(details);
                    v["changes"] = serde_json::to_value(d).expect("differences serialise");
                }
                Outcome::Skipped(_) => v["reason"] = serde_json::json!(details[0]),
                Outcome::ReUpFails(_) | Outcome::UpFails(_) | Outcome::DownFails(_) => {
                    v["error"] = serde_json::json!(details[0])
                }
                _ => {}
            }
            v
        })
        .collect();
    serde_json::json!({
        "migrations": items,
        "not_reached": not_reached.iter().map(|m| m.version).collect::<Vec<_>>(),
        "failed": entries.iter().any(|e| e.outcome.failed(strict)),
    })
}
