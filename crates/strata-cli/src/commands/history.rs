//! Batches and history: `rollback`, `reset`, `refresh`, `redo`, `history`, `baseline`,
//! `validate`, `accept`. The decisions live in `strata_core::plan`; these only parse, ask, and
//! print.

use super::migrate::{print_report, run, run_as};
use super::{migrator, open_read_only, open_read_only_with_source, open_with_source};
use crate::args::OutputFormat;
use crate::prompt::confirm;
use crate::render;
use crate::settings::Settings;
use crate::{exit, CliError};
use strata_core::plan::Request;
use strata_core::{checksum, Source, Version};

/// `rollback [--batches N]`: revert the last N batches, newest first.
pub fn rollback(settings: &Settings, batches: u64, format: OutputFormat) -> Result<(), CliError> {
    if batches == 0 {
        errln!("no change");
        print_report(format, "rollback", &strata_core::report::Report::default());
        return Ok(());
    }
    run_as(settings, Request::Rollback { batches }, format, "rollback")
}

/// `reset [-f]`: revert every applied migration (asks on a terminal; refuses without one
/// unless -f).
pub fn reset(settings: &Settings, force: bool) -> Result<(), CliError> {
    if !force {
        settings.require_database()?;
        if !confirm("Are you sure you want to revert every applied migration? [y/N]")? {
            return Err(CliError::Declined(
                "Not resetting (use `reset -f` to skip this question)".into(),
            ));
        }
    }
    run(settings, Request::Down(None))
}

/// `refresh [-f]`: revert every applied migration, then apply them all again.
pub fn refresh(settings: &Settings, force: bool) -> Result<(), CliError> {
    if !force {
        settings.require_database()?;
        if !confirm(
            "Are you sure you want to revert every applied migration and apply them all again? [y/N]",
        )? {
            return Err(CliError::Declined(
                "Not refreshing (use `refresh -f` to skip this question)".into(),
            ));
        }
    }
    run(settings, Request::Refresh)
}

/// `redo`: revert the newest applied migration and apply it again.
pub fn redo(settings: &Settings) -> Result<(), CliError> {
    run(settings, Request::Redo)
}

/// `history [--limit N] [--format json]`: the action log on stdout, newest first.
pub fn history(
    settings: &Settings,
    format: OutputFormat,
    limit: Option<usize>,
) -> Result<(), CliError> {
    let mut target = open_read_only(settings)?;
    let source = Source::default();
    let records = migrator(&mut target, &source, settings).history(limit)?;
    match format {
        OutputFormat::Text => out!("{}", render::history_table(&records)),
        OutputFormat::Json => {
            let value = serde_json::json!({ "schema_version": 1, "history": records });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("history serialises")
            );
        }
    }
    Ok(())
}

/// `baseline V [--force]`: record every migration up to V as applied, running nothing.
pub fn baseline(settings: &Settings, version: Option<&str>, force: bool) -> Result<(), CliError> {
    let v = parse_version(version)?;
    let (mut target, source) = open_with_source(settings)?;
    let recorded = migrator(&mut target, &source, settings).baseline(v, force);
    super::print_warnings(&mut target);
    let recorded = recorded?;
    errln!("baseline {v}: {recorded} migration(s) recorded as applied (none run)");
    Ok(())
}

/// `validate [--format json]`: every problem between the files and the database on stdout;
/// exit 3 when there is any. Changes nothing.
pub fn validate(settings: &Settings, format: OutputFormat) -> Result<(), CliError> {
    let (mut target, source) = open_read_only_with_source(settings)?;
    let problems = migrator(&mut target, &source, settings).validate()?;
    let ok = problems.is_empty() && source.warnings.is_empty();
    match format {
        OutputFormat::Text if ok => outln!(
            "ok: {} migration file(s) match the database",
            source.migrations.len()
        ),
        OutputFormat::Text => {
            if !problems.is_empty() {
                outln!("{}", render::conflicts_text(&problems));
            }
            if !source.warnings.is_empty() {
                outln!(
                    "{} file(s) look like migrations but match no layout and are not read (see the warnings)",
                    source.warnings.len()
                );
            }
        }
        OutputFormat::Json => {
            let problems: Vec<serde_json::Value> = problems
                .iter()
                .map(|c| {
                    let mut v = serde_json::to_value(c).expect("conflict serialises");
                    v["message"] = c.to_string().into();
                    v["hint"] = render::hint(c).into();
                    v
                })
                .collect();
            let value = serde_json::json!({
                "schema_version": 1,
                "ok": ok,
                "problems": problems,
                "warnings": source.warnings,
            });
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).expect("validate serialises")
            );
        }
    }
    if ok {
        Ok(())
    } else {
        Err(CliError::Exit(exit::CONFLICT))
    }
}

/// `accept V`: record the current checksum of applied migration V's edited file.
pub fn accept(settings: &Settings, version: Option<&str>) -> Result<(), CliError> {
    let v = parse_version(version)?;
    let (mut target, source) = open_with_source(settings)?;
    let accepted = migrator(&mut target, &source, settings).accept(v);
    super::print_warnings(&mut target);
    match accepted? {
        None => errln!("no change (the file of {v} matches its recorded checksum)"),
        // Only the down file changed.
        Some((old, new)) if old == new => {
            errln!("accepted {v}: its down file is recorded as it is now")
        }
        // The old checksum was read from the database: shown escaped.
        Some((old, new)) => errln!(
            "accepted {v}: checksum {} -> {}",
            strata_core::printable::printable(checksum::short(&old)),
            checksum::short(&new)
        ),
    }
    Ok(())
}

fn parse_version(version: Option<&str>) -> Result<Version, CliError> {
    let v = version.ok_or_else(|| CliError::Usage("please specify version argument V".into()))?;
    v.parse()
        .map_err(|_| CliError::Usage(format!("can't read version argument V: {v:?}")))
}
