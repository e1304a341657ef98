//! `verify --targets`: each target's pending migrations proved reversible (up, down, up again,
//! compared by snapshots) in one transaction rolled back, or with `--on-target` applied and
//! reverted. One line (or JSON object) per target in list order, then the counts.

use super::drive::each;
use super::report::{error_text, print_error};
use super::schedule::Options;
use super::targets::Target;
use crate::args::OutputFormat;
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use strata_core::printable::printable;
use strata_core::schema::verify::Entry;
use strata_core::Source;

/// What `verify` found on one target.
#[derive(Debug, Default)]
pub struct Verified {
    /// The pending migrations' round trips, in order (up to the first that failed).
    pub entries: Vec<Entry>,
    /// Pending migrations not reached (after one whose up failed).
    pub not_reached: usize,
    /// Could not be verified (failing to connect, ...), scrubbed.
    pub error: Option<String>,
}

/// How each target's verify ended.
fn status(v: &Verified, strict: bool) -> &'static str {
    if v.error.is_some() {
        "error"
    } else if v.entries.iter().any(|e| e.outcome.failed(strict)) {
        "failed"
    } else if v.entries.is_empty() {
        "nothing-pending"
    } else {
        "ok"
    }
}

/// `verify [--on-target] [--strict]` on every target: exit 1 when any target could not be
/// verified, else 3 when a migration's down does not restore the schema on any, as `verify`.
pub fn verify(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    args: &commands::VerifyArgs,
) -> Result<(), CliError> {
    if args.all || args.scratch.is_some() {
        return Err(CliError::Usage(
            "verify --all/--scratch proves the folder on one scratch database; it cannot go with a list of databases".into(),
        ));
    }
    let verified = each(
        settings,
        list,
        options,
        |settings: &Settings, target: &Target, source: &Source| {
            verify_one(settings, target, source, args.on_target)
        },
        |v: &Verified| v.error.is_none(),
    )?;
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (t, v) in list.iter().zip(&verified) {
        let status = status(v, args.strict);
        *counts.entry(status).or_default() += 1;
        print_one(args.format, status, t, v, args.strict);
    }
    let n = |s: &str| counts.get(s).copied().unwrap_or(0);
    match args.format {
        OutputFormat::Json => outln!(
            "{}",
            serde_json::json!({ "summary": {
                "command": "verify",
                "ok": n("ok"),
                "nothing_pending": n("nothing-pending"),
                "failed": n("failed"),
                "error": n("error"),
            }})
        ),
        OutputFormat::Text => outln!(
            "{} ok, {} nothing pending, {} failed, {} could not be verified",
            n("ok"),
            n("nothing-pending"),
            n("failed"),
            n("error")
        ),
    }
    if n("error") > 0 {
        return Err(CliError::Exit(crate::exit::FAILURE));
    }
    if n("failed") > 0 {
        return Err(CliError::Exit(crate::exit::CONFLICT));
    }
    Ok(())
}

fn verify_one(settings: &Settings, target: &Target, source: &Source, on_target: bool) -> Verified {
    let result = (|| -> Result<Verified, CliError> {
        let url = settings.database_url()?;
        let (entries, pending) = commands::pending_on_target(settings, &url, source, on_target)?;
        Ok(Verified {
            not_reached: pending.len() - entries.len(),
            entries,
            error: None,
        })
    })();
    result.unwrap_or_else(|e| Verified {
        error: Some(error_text(&e, &target.url)),
        ..Verified::default()
    })
}

fn print_one(format: OutputFormat, status: &str, t: &Target, v: &Verified, strict: bool) {
    let failed = v.entries.iter().find(|e| e.outcome.failed(strict));
    match format {
        OutputFormat::Json => {
            let migrations: Vec<_> = v
                .entries
                .iter()
                .map(|e| {
                    let (result, details) = commands::outcome_words(&e.outcome);
                    serde_json::json!({
                        "version": e.version,
                        "name": e.name,
                        "result": result,
                        "failed": e.outcome.failed(strict),
                        "details": details.iter().map(|d| super::report::scrub(d, &t.url)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::json!({
                    "command": "verify",
                    "name": t.name,
                    "url": t.shown_url(),
                    "group": t.group,
                    "status": status,
                    "migrations": migrations,
                    "not_reached": v.not_reached,
                    "error": v.error,
                })
            );
        }
        OutputFormat::Text => {
            let head = format!(
                "{status} {} {}",
                printable(&t.name),
                printable(&t.shown_url())
            );
            match (&v.error, failed) {
                (Some(e), _) => outln!(
                    "{head}: {}",
                    printable(e.lines().next().unwrap_or_default())
                ),
                (None, Some(e)) => {
                    let (result, details) = commands::outcome_words(&e.outcome);
                    outln!("{head}: {}/u {}: {result}", e.version, printable(&e.name));
                    for d in details {
                        errln!(
                            "[{}] {}/u: {}",
                            printable(&t.name),
                            e.version,
                            printable(&super::report::scrub(&d, &t.url))
                        );
                    }
                }
                (None, None) => outln!("{head}: {} verified", v.entries.len()),
            }
        }
    }
    if let Some(e) = &v.error {
        print_error(t, e);
    }
}
