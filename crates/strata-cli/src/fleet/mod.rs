//! Many databases at once: `up` and `status` over a list of targets (`--targets FILE`,
//! `--targets-cmd CMD`). The list is parsed and the run scheduled by pure modules
//! ([`targets`], [`schedule`]); [`run`] is the thin threaded shell, [`report`] the output.

pub mod progress;
pub mod report;
pub mod run;
pub mod schedule;
pub mod targets;

use crate::args::OutputFormat;
use crate::libpq;
use crate::origin::Env;
use crate::settings::{Context, Settings};
use crate::CliError;
use schedule::{OnError, Options};
use targets::Target;

/// Where the target list comes from (on `up` and `status`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Run on every database listed in FILE: one URL per line, `#` comments, optional
    /// name=... and group=... labels after the URL
    #[arg(long, value_name = "FILE", conflicts_with = "targets_cmd")]
    pub targets: Option<String>,
    /// Run on every database URL the shell command CMD prints (one per line, as in --targets)
    #[arg(long, value_name = "CMD")]
    pub targets_cmd: Option<String>,
    /// With --targets: how many databases at once (default 4)
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
}

/// How `up --targets` runs the fleet.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// With --targets: at most N databases of one server at once
    #[arg(long, value_name = "N")]
    pub per_host: Option<usize>,
    /// With --targets: after a failure, stop (finish the running ones, start no new one) or
    /// continue (default stop)
    #[arg(long, value_enum, value_name = "WHAT")]
    pub on_error: Option<OnError>,
    /// With --targets: run the first K databases first, and stop if any of them fails
    #[arg(long, value_name = "K")]
    pub canary: Option<usize>,
    /// With --targets: only the databases of these groups (group=... labels), one group after
    /// the other; a group named canary stops the rest when one of it fails
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    pub groups: Option<Vec<String>>,
}

/// The default of `--parallel`.
pub const DEFAULT_PARALLEL: usize = 4;

impl TargetArgs {
    /// Whether a target list was asked for.
    pub fn given(&self) -> bool {
        self.targets.is_some() || self.targets_cmd.is_some()
    }

    /// Refuse fleet flags without a target list (they would be silently ignored).
    pub fn check_alone(&self, run: Option<&RunArgs>) -> Result<(), CliError> {
        let run_flag = run.and_then(|r| {
            [
                r.per_host.map(|_| "--per-host"),
                r.on_error.map(|_| "--on-error"),
                r.canary.map(|_| "--canary"),
                r.groups.as_ref().map(|_| "--groups"),
            ]
            .into_iter()
            .flatten()
            .next()
        });
        match self.parallel.map(|_| "--parallel").or(run_flag) {
            Some(flag) if !self.given() => Err(CliError::Usage(format!(
                "{flag} needs a list of databases: --targets FILE or --targets-cmd CMD"
            ))),
            _ => Ok(()),
        }
    }
}

/// `up [N] --targets ...`.
pub fn up(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    how: &RunArgs,
    limit: Option<&str>,
    format: OutputFormat,
) -> Result<(), CliError> {
    let limit = limit
        .map(|n| {
            n.parse::<u64>()
                .map_err(|_| CliError::Usage(format!("can't read limit argument N: {n:?}")))
        })
        .transpose()?;
    let list = load(settings, from, env)?;
    let options = Options {
        parallel: from.parallel.unwrap_or(DEFAULT_PARALLEL),
        per_host: how.per_host,
        on_error: how.on_error.unwrap_or_default(),
        canary: how.canary.unwrap_or(0),
        groups: how.groups.clone(),
    };
    run::up(settings, &list, &options, limit, format)
}

/// `status --targets ...`: the fleet view (with `check`, exit 3 when any target has anything
/// pending or in conflict).
pub fn status(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    format: OutputFormat,
    check: bool,
) -> Result<(), CliError> {
    let list = load(settings, from, env)?;
    let options = Options {
        parallel: from.parallel.unwrap_or(DEFAULT_PARALLEL),
        per_host: None,
        on_error: OnError::Continue,
        canary: 0,
        groups: None,
    };
    run::status(settings, &list, &options, format, check)
}

/// Read and parse the target list, and complete each PostgreSQL URL by libpq's conventions
/// (PG* variables, pg_service.conf, ~/.pgpass), as `-database` is: a list then needs no
/// passwords in it.
fn load(settings: &Settings, from: &TargetArgs, env: &Env) -> Result<Vec<Target>, CliError> {
    let (text, name) = if let Some(path) = &from.targets {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Failed(format!("--targets {path}: {e}")))?;
        (text, path.clone())
    } else if let Some(cmd) = &from.targets_cmd {
        (run_command(cmd)?, "--targets-cmd output".to_string())
    } else {
        return Err(CliError::Usage(
            "no list of databases: --targets FILE or --targets-cmd CMD".into(),
        ));
    };
    let list = targets::parse(&text, &name).map_err(|e| CliError::Usage(e.to_string()))?;
    let ctx = Context::from_process(env);
    let var = |name: &str| env.get(name).map(str::to_string);
    let inputs = libpq::Inputs {
        var: &var,
        home: ctx.home,
        os_user: ctx.os_user,
    };
    let mut warned = std::collections::BTreeSet::new();
    list.into_iter()
        .map(|t| {
            // strata.toml's table applies to every target, as it does to -database.
            let t = match &settings.migrations_table {
                Some(table) => t.with_table(table),
                None => t,
            };
            let resolved = libpq::resolve(Some(&t.url), &inputs)
                .map_err(|e| CliError::Usage(format!("{}: {e}", t.origin)))?;
            let Some(r) = resolved else { return Ok(t) };
            // One warning (e.g. an ignored password file) is enough for the whole list.
            for w in r.warnings {
                if warned.insert(w.clone()) {
                    errln!("warning: {}", strata_core::printable::printable(&w));
                }
            }
            Ok(t.with_url(r.url))
        })
        .collect()
}

/// Run `cmd` with `sh -c`; its stdout is the list. A failing command is an error with its
/// stderr (the command itself is not repeated: it may hold a password).
fn run_command(cmd: &str) -> Result<String, CliError> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| CliError::Failed(format!("--targets-cmd: cannot run sh: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(CliError::Failed(format!(
            "--targets-cmd failed ({}): {}",
            out.status,
            stderr.trim()
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| CliError::Failed("--targets-cmd printed text that is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use crate::args::{normalize, Cli, Command};
    use clap::Parser;
    use std::ffi::OsString;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_from(normalize(args.iter().map(OsString::from)))
    }

    #[test]
    fn fleet_flags_parse_in_both_spellings() {
        let cli = parse(&[
            "strata",
            "-path",
            "m",
            "up",
            "-targets",
            "t.txt",
            "-parallel=8",
            "-per-host",
            "2",
            "-on-error",
            "continue",
            "-canary",
            "1",
            "-groups",
            "canary,eu",
        ]);
        let Some(Command::Up { targets, fleet, .. }) = cli.command else {
            panic!("not up")
        };
        assert_eq!(targets.targets.as_deref(), Some("t.txt"));
        assert_eq!(targets.parallel, Some(8));
        assert_eq!(fleet.per_host, Some(2));
        assert_eq!(fleet.on_error, Some(super::OnError::Continue));
        assert_eq!(fleet.canary, Some(1));
        assert_eq!(fleet.groups, Some(vec!["canary".into(), "eu".into()]));
        let cli = parse(&["strata", "status", "--targets-cmd", "echo x"]);
        let Some(Command::Status { targets, .. }) = cli.command else {
            panic!("not status")
        };
        assert_eq!(targets.targets_cmd.as_deref(), Some("echo x"));
        assert!(
            Cli::try_parse_from(["strata", "up", "--targets", "a", "--targets-cmd", "b"]).is_err()
        );
    }
}
