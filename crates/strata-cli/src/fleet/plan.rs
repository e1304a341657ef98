//! `plan --targets`: what `up`, `down N` or `goto V` would run on each target, one line (or
//! JSON object) per target in list order, then the counts. Changes nothing.

use super::drive::each;
use super::report::{error_text, print_error};
use super::schedule::Options;
use super::targets::Target;
use crate::args::OutputFormat;
use crate::commands;
use crate::settings::Settings;
use crate::CliError;
use strata_core::plan::{Request, Step};
use strata_core::printable::printable;
use strata_core::Source;

/// What `plan` found on one target.
#[derive(Debug, Default)]
pub struct Planned {
    /// golang-migrate's version now (`None`: nothing applied).
    pub version: Option<i64>,
    /// The migrations the request would run, in order.
    pub steps: Vec<Step>,
    /// Could not be planned (a conflict, failing to connect), scrubbed.
    pub error: Option<String>,
}

/// `plan REQUEST` on every target; exit 1 when any could not be planned.
pub fn plan(
    settings: &Settings,
    list: &[Target],
    options: &Options,
    request: Request,
    format: OutputFormat,
) -> Result<(), CliError> {
    let planned = each(
        settings,
        list,
        options,
        |settings: &Settings, target: &Target, source: &Source| {
            plan_one(settings, target, source, request)
        },
        |p: &Planned| p.error.is_none(),
    )?;
    for (t, p) in list.iter().zip(&planned) {
        print_one(format, request, t, p);
    }
    let failed = planned.iter().filter(|p| p.error.is_some()).count();
    let changing = planned
        .iter()
        .filter(|p| p.error.is_none() && !p.steps.is_empty())
        .count();
    let unchanged = planned.len() - failed - changing;
    match format {
        OutputFormat::Json => outln!(
            "{}",
            serde_json::json!({ "summary": {
                "command": "plan",
                "planned": changing,
                "no_change": unchanged,
                "failed": failed,
            }})
        ),
        OutputFormat::Text => {
            outln!("{changing} to change, {unchanged} no change, {failed} failed")
        }
    }
    if failed > 0 {
        return Err(CliError::Exit(crate::exit::FAILURE));
    }
    Ok(())
}

/// Plan `request` on one target. Read only: no lock, no table created.
fn plan_one(settings: &Settings, target: &Target, source: &Source, request: Request) -> Planned {
    let mut planned = Planned::default();
    let result = (|| -> Result<(), CliError> {
        let mut open = commands::open_read_only(settings)?;
        let mut m = commands::migrator(&mut open, source, settings);
        planned.version = strata_core::status::status(source, &m.state()?).version;
        planned.steps = m.plan(request)?.steps;
        Ok(())
    })();
    if let Err(e) = result {
        planned.error = Some(error_text(&e, &target.url));
    }
    planned
}

fn print_one(format: OutputFormat, request: Request, t: &Target, p: &Planned) {
    let status = match (&p.error, p.steps.is_empty()) {
        (Some(_), _) => "failed",
        (None, true) => "no-change",
        (None, false) => "planned",
    };
    match format {
        OutputFormat::Json => {
            let steps: Vec<_> = p
                .steps
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "version": s.version,
                        "name": s.name,
                        "direction": s.direction,
                        "mode": s.mode.map(|m| m.as_str()),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::json!({
                    "command": "plan",
                    "request": request,
                    "name": t.name,
                    "url": t.shown_url(),
                    "group": t.group,
                    "status": status,
                    "version": p.version,
                    "steps": steps,
                    "error": p.error,
                })
            );
        }
        OutputFormat::Text => {
            let head = format!(
                "{status} {} {}",
                printable(&t.name),
                printable(&t.shown_url())
            );
            let version = p.version.map_or_else(|| "-".to_string(), |v| v.to_string());
            match &p.error {
                Some(e) => outln!(
                    "{head}: {}",
                    printable(e.lines().next().unwrap_or_default())
                ),
                None if p.steps.is_empty() => outln!("{head} at {version}"),
                None => {
                    let steps: Vec<String> = p
                        .steps
                        .iter()
                        .map(|s| {
                            format!(
                                "{}/{} {}",
                                s.version,
                                s.direction.letter(),
                                printable(&s.name)
                            )
                        })
                        .collect();
                    outln!("{head} at {version}: {}", steps.join(", "));
                }
            }
        }
    }
    if let Some(e) = &p.error {
        print_error(t, e);
    }
}
