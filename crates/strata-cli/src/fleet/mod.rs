//! Many databases at once: `up`, `down N`, `goto V`, `plan`, `verify` and `status` over a list
//! of targets (`--targets FILE`, `--targets-cmd CMD`, `--targets-query SQL`). The list is parsed and the run scheduled by pure modules
//! ([`targets`], [`schedule`]); [`drive`] is the thin threaded shell every command runs its
//! per-target work under, [`report`] the output.

mod drive;
pub mod plan;
pub mod progress;
pub mod query;
pub mod report;
pub mod run;
pub mod schedule;
pub mod targets;
pub mod verify;

use crate::args::OutputFormat;
use crate::libpq;
use crate::origin::Env;
use crate::settings::{Context, Settings};
use crate::CliError;
use schedule::{OnError, Options};
use strata_core::plan::Request;
use targets::Target;

/// Where the target list comes from (on `up` and `status`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Run on every database listed in FILE: one URL per line, `#` comments, optional
    /// name=... and group=... labels after the URL
    #[arg(long, value_name = "FILE", conflicts_with_all = ["targets_cmd", "targets_query"])]
    pub targets: Option<String>,
    /// Run on every database URL the shell command CMD prints (one per line, as in --targets)
    #[arg(long, value_name = "CMD", conflicts_with = "targets_query")]
    pub targets_cmd: Option<String>,
    /// Run on every database the query SQL returns on -database: one row each, a URL or a
    /// database name on the same server, then optional name and group columns
    #[arg(long, value_name = "SQL")]
    pub targets_query: Option<String>,
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
        self.targets.is_some() || self.targets_cmd.is_some() || self.targets_query.is_some()
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
                "{flag} needs a list of databases: --targets FILE, --targets-cmd CMD or --targets-query SQL"
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
    let limit = limit.map(|n| number(n, "limit argument N")).transpose()?;
    let list = load(settings, from, env)?;
    run::migrate(
        settings,
        &list,
        &writing(from, how),
        Request::Up(limit),
        format,
    )
}

/// `down N --targets ...`: N is required (and `-all` refused), so what each target loses is
/// said on the command line; a single database's bare `down` asks instead.
pub fn down(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    how: &RunArgs,
    args: &[String],
    all: bool,
    format: OutputFormat,
) -> Result<(), CliError> {
    let n = match (args, all) {
        ([n], false) => number(n, "limit argument N")?,
        ([], _) | (_, true) => {
            return Err(CliError::Usage(
                "down on a list of databases needs N, the number of migrations to revert on each (bare down and down -all are refused there)".into(),
            ))
        }
        _ => return Err(CliError::Usage("too many arguments".into())),
    };
    if n == 0 {
        return Err(CliError::Usage(
            "down 0 on a list of databases reverts nothing; give N of at least 1".into(),
        ));
    }
    let list = load(settings, from, env)?;
    run::migrate(
        settings,
        &list,
        &writing(from, how),
        Request::Down(Some(n)),
        format,
    )
}

/// `goto V --targets ...`.
pub fn goto(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    how: &RunArgs,
    version: Option<&str>,
    format: OutputFormat,
) -> Result<(), CliError> {
    let v = version.ok_or_else(|| CliError::Usage("please specify version argument V".into()))?;
    let v = number(v, "version argument V")?;
    let list = load(settings, from, env)?;
    run::migrate(
        settings,
        &list,
        &writing(from, how),
        Request::Goto(v),
        format,
    )
}

/// `plan ... --targets ...`: what `request` would run on each target.
pub fn plan(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    request: Request,
    format: OutputFormat,
) -> Result<(), CliError> {
    let list = load(settings, from, env)?;
    plan::plan(settings, &list, &reading(from), request, format)
}

/// `verify --targets ...`.
pub fn verify(
    settings: &Settings,
    env: &Env,
    from: &TargetArgs,
    args: &crate::commands::VerifyArgs,
) -> Result<(), CliError> {
    let list = load(settings, from, env)?;
    verify::verify(settings, &list, &reading(from), args)
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
    run::status(settings, &list, &reading(from), format, check)
}

fn number(text: &str, what: &str) -> Result<u64, CliError> {
    text.parse::<u64>()
        .map_err(|_| CliError::Usage(format!("can't read {what}: {text:?}")))
}

/// How a run that changes the targets is scheduled.
fn writing(from: &TargetArgs, how: &RunArgs) -> Options {
    Options {
        parallel: from.parallel.unwrap_or(DEFAULT_PARALLEL),
        per_host: how.per_host,
        on_error: how.on_error.unwrap_or_default(),
        canary: how.canary.unwrap_or(0),
        groups: how.groups.clone(),
    }
}

/// How a run that only reads is scheduled: every target, whatever fails.
fn reading(from: &TargetArgs) -> Options {
    Options {
        parallel: from.parallel.unwrap_or(DEFAULT_PARALLEL),
        per_host: None,
        on_error: OnError::Continue,
        canary: 0,
        groups: None,
    }
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
    } else if let Some(sql) = &from.targets_query {
        return query::targets(settings, sql).and_then(|list| complete(settings, list, env));
    } else {
        return Err(CliError::Usage(
            "no list of databases: --targets FILE, --targets-cmd CMD or --targets-query SQL".into(),
        ));
    };
    let list = targets::parse(&text, &name).map_err(|e| CliError::Usage(e.to_string()))?;
    complete(settings, list, env)
}

/// Complete each target's URL by libpq's conventions, and add strata.toml's table.
fn complete(settings: &Settings, list: Vec<Target>, env: &Env) -> Result<Vec<Target>, CliError> {
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
