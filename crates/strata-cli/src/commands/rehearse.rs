//! `rehearse`: the pending transactional migrations run on the target inside one transaction
//! that is rolled back; prints each one's outcome, time and the table locks it took.

use super::{migrator, open_read_only_with_source};
use crate::args::OutputFormat;
use crate::render;
use crate::settings::Settings;
use crate::CliError;
use std::fmt::Write as _;
use strata_core::printable::printable;
use strata_core::runner::{RehearsalEntry, RehearsalOutcome};
use strata_core::DriverError;

/// `rehearse [--format json]`. Exit 1 when a migration fails.
pub fn rehearse(settings: &Settings, format: OutputFormat) -> Result<(), CliError> {
    let (mut target, source) = open_read_only_with_source(settings)?;
    let entries = migrator(&mut target, &source, settings).rehearse()?;
    let failed = entries
        .iter()
        .any(|e| matches!(e.outcome, RehearsalOutcome::Failed { .. }));
    match format {
        OutputFormat::Text => out!("{}", text(&entries)),
        OutputFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&entries)).expect("rehearsal serialises")
        ),
    }
    if failed {
        errln!("rehearse: a migration failed (rolled back; nothing changed)");
        return Err(CliError::Exit(crate::exit::FAILURE));
    }
    Ok(())
}

fn text(entries: &[RehearsalEntry]) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("nothing to rehearse: no pending migration\n");
        return out;
    }
    let ran = entries
        .iter()
        .filter(|e| {
            matches!(
                e.outcome,
                RehearsalOutcome::Ran { .. } | RehearsalOutcome::Failed { .. }
            )
        })
        .count();
    let _ = writeln!(
        out,
        "rehearsal: {ran} migration(s) run in one transaction, then rolled back (nothing changed)"
    );
    for e in entries {
        let head = format!("{}/u {}", e.version, printable(&e.name));
        match &e.outcome {
            RehearsalOutcome::Ran { duration, locks } => {
                let _ = writeln!(out, "ok      {head} ({})", render::duration_text(*duration));
                for l in locks {
                    let _ = writeln!(
                        out,
                        "          lock: {} on {}",
                        printable(&l.mode),
                        printable(&l.relation)
                    );
                }
            }
            RehearsalOutcome::Failed {
                duration,
                location,
                cause,
            } => {
                let _ = writeln!(
                    out,
                    "FAILED  {head} ({}): {}",
                    render::duration_text(*duration),
                    printable(&cause.to_string())
                );
                if let Some(loc) = location {
                    out.push_str(&render::excerpt(loc));
                }
                if let DriverError::Statement {
                    code, detail, hint, ..
                } = cause
                {
                    for (k, v) in [("code", code), ("detail", detail), ("hint", hint)] {
                        if let Some(v) = v {
                            let _ = writeln!(out, "  = {k}: {}", printable(v));
                        }
                    }
                }
            }
            RehearsalOutcome::NotRehearsable(why) => {
                let _ = writeln!(out, "skipped {head}: not rehearsable ({})", printable(why));
            }
            RehearsalOutcome::Skipped(why) => {
                let _ = writeln!(out, "skipped {head}: not rehearsed ({})", printable(why));
            }
            RehearsalOutcome::Pending => {
                let _ = writeln!(out, "skipped {head}: not rehearsed");
            }
        }
    }
    out
}

fn json(entries: &[RehearsalEntry]) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            let mut v = serde_json::json!({
                "version": e.version,
                "name": e.name,
                "mode": e.mode.map(|m| m.as_str()),
            });
            let extra = match &e.outcome {
                RehearsalOutcome::Ran { duration, locks } => serde_json::json!({
                    "status": "ok",
                    "duration_ms": duration.as_millis() as u64,
                    "locks": locks,
                }),
                RehearsalOutcome::Failed {
                    duration,
                    location,
                    cause,
                } => serde_json::json!({
                    "status": "failed",
                    "duration_ms": duration.as_millis() as u64,
                    "error": cause.to_string(),
                    "code": match cause { DriverError::Statement { code, .. } => code.clone(), _ => None },
                    "line": location.as_ref().map(|l| l.line),
                }),
                RehearsalOutcome::NotRehearsable(why) => {
                    serde_json::json!({ "status": "not-rehearsable", "reason": why })
                }
                RehearsalOutcome::Skipped(why) => {
                    serde_json::json!({ "status": "not-rehearsed", "reason": why })
                }
                RehearsalOutcome::Pending => serde_json::json!({ "status": "not-rehearsed" }),
            };
            if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                obj.extend(extra.clone());
            }
            v
        })
        .collect();
    serde_json::json!({ "schema_version": 1, "rolled_back": true, "steps": steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use strata_core::RehearsedLock;

    #[test]
    fn names_and_relations_from_outside_are_printed_escaped() {
        let entry = RehearsalEntry {
            version: 1,
            name: "evil\u{202e}lqs".into(),
            mode: Some(strata_core::TxMode::Transaction),
            outcome: RehearsalOutcome::Ran {
                duration: Duration::ZERO,
                locks: vec![RehearsedLock {
                    relation: "public.\"a\u{1b}[2J\"".into(),
                    mode: "AccessExclusiveLock".into(),
                }],
            },
        };
        let out = text(&[entry]);
        assert!(out.contains("ok      1/u evil\\u{202e}lqs (<1ms)"), "{out}");
        assert!(
            out.contains("lock: AccessExclusiveLock on public.\"a\\u{1b}[2J\""),
            "{out}"
        );
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out}"
        );
    }
}
