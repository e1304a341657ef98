//! `strata`: database schema migrations, a drop-in replacement for golang-migrate.
//!
//! The command line as a library, so that its hand-written parsers can be fuzzed (`fuzz/`);
//! `src/main.rs` only calls [`main`]. Nothing here is a stable API.

// First, so that `out!`/`outln!`/`err!`/`errln!` are in scope in every module below.
#[macro_use]
mod printer;
mod args;
mod argv;
mod commands;
mod config_file;
mod dotenv;
mod examples;
mod excerpt;
mod exit;
mod fleet;
mod help;
mod libpq;
mod origin;
mod paint;
mod progress_bar;
mod prompt;
mod render;
mod settings;
mod table;

#[doc(hidden)]
pub mod fuzzing;

use args::{Cli, Command};
use clap::{ArgMatches, FromArgMatches};
use origin::Env;
use settings::{Context, Settings};
use std::process::ExitCode;

/// A command's failure, rendered by [`main`] with the matching exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad command line (exit 2).
    Usage(String),
    /// A runtime failure (exit 1).
    Failed(String),
    /// A confirmation was declined (exit 1); printed without `error:`.
    Declined(String),
    /// An engine error (exit code by kind).
    Engine(Box<strata_core::Error>),
    /// Exit with this code; the command already printed why (e.g. `validate` finding problems).
    Exit(u8),
}

impl From<strata_core::Error> for CliError {
    fn from(e: strata_core::Error) -> Self {
        CliError::Engine(Box::new(e))
    }
}

impl From<strata_core::DriverError> for CliError {
    fn from(e: strata_core::DriverError) -> Self {
        CliError::Engine(Box::new(e.into()))
    }
}

impl CliError {
    fn exit_code(&self) -> u8 {
        use strata_core::{DriverError, Error};
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Failed(_) | CliError::Declined(_) => exit::FAILURE,
            CliError::Exit(code) => *code,
            CliError::Engine(e) => match **e {
                Error::Conflicts { .. } => exit::CONFLICT,
                Error::Driver(DriverError::LockTimeout { .. }) => exit::LOCK_TIMEOUT,
                _ => exit::FAILURE,
            },
        }
    }
}

/// Run `strata` with the process's arguments and environment.
pub fn main() -> ExitCode {
    let argv = args::normalize(std::env::args_os());
    // The .env file first: its variables are fallbacks for flags (clap's `env`) too.
    let dotenv = match dotenv::load(&dotenv::choice(&argv)) {
        Ok(d) => d,
        Err(e) => return report(e),
    };
    let parsed = help::command()
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(p) => p,
        Err(e) => {
            // clap prints help/version to stdout and errors to stderr with its own exit codes
            // (0 for help, 2 for usage errors), matching golang-migrate's.
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    anstream::ColorChoice::write_global(match cli.global.color {
        args::ColorWhen::Auto => anstream::ColorChoice::Auto,
        args::ColorWhen::Always => anstream::ColorChoice::Always,
        args::ColorWhen::Never => anstream::ColorChoice::Never,
    });
    argv::hide_passwords();
    if cli.global.version {
        outln!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match run(cli, &matches, dotenv) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => report(e),
    }
}

/// Print a failure (unless the command already did) and give its exit code.
fn report(e: CliError) -> ExitCode {
    // Messages carry text from outside (URL parts, server messages, SQL): escaped here once
    // more, so a control character in any of them cannot reach the terminal.
    let text = match &e {
        CliError::Declined(msg) => msg.clone(),
        CliError::Usage(msg) | CliError::Failed(msg) => format!("error: {msg}"),
        CliError::Engine(err) => format!("error: {}", render::engine_error(err)),
        CliError::Exit(_) => String::new(),
    };
    if !text.is_empty() {
        errln!("{}", strata_core::printable::printable_lines(&text));
    }
    ExitCode::from(e.exit_code())
}

fn run(cli: Cli, matches: &ArgMatches, dotenv: Option<dotenv::Loaded>) -> Result<(), CliError> {
    let Some(command) = cli.command else {
        let _ = help::command().print_help();
        return Err(CliError::Usage("no command given".into()));
    };
    match command {
        Command::Completions { shell } => return commands::completions(shell),
        Command::Man => return commands::man(),
        _ => {}
    }
    let env = Env::from_process(dotenv);
    let settings = Settings::resolve(&cli.global, matches, &env, &Context::from_process(&env))?;
    let settings = Settings {
        resume: matches!(command, Command::Up { resume: true, .. }),
        ..settings
    };
    for w in &settings.warnings {
        errln!("warning: {}", strata_core::printable::printable(w));
    }
    let needs_database = !matches!(
        command,
        Command::Create(_) | Command::Config { .. } | Command::Wait | Command::Lint { .. }
    );
    if let (Some(timeout), true, true) =
        (settings.wait, needs_database, settings.database.is_some())
    {
        commands::wait(&settings, timeout)?;
    }
    match command {
        Command::Completions { .. } | Command::Man => Ok(()),
        Command::Config { format } => commands::config(&settings, format),
        Command::Renumber { dry_run } => commands::renumber(&settings, dry_run),
        Command::Wait => commands::wait(
            &settings,
            settings.wait.unwrap_or(settings::DEFAULT_WAIT_TIMEOUT),
        ),
        Command::Create(args) => {
            // golang-migrate's create reads -dir, else MIGRATION_DIR; strata.toml's path
            // comes after both.
            let from_file = (cli.global.source.is_none() && cli.global.path.is_none())
                .then(|| settings.dir.as_ref().map(|d| d.display().to_string()))
                .flatten();
            let dir = env.get("MIGRATION_DIR").map(str::to_string).or(from_file);
            for path in commands::create::create(&args, dir.as_deref())? {
                outln!("{}", path.display());
            }
            Ok(())
        }
        Command::Up {
            limit,
            format,
            dump,
            targets,
            fleet,
            resume,
            ..
        } => {
            targets.check_alone(Some(&fleet))?;
            if targets.given() {
                if resume {
                    return Err(CliError::Usage(
                        "--resume continues one database's interrupted migration; it cannot go with --targets"
                            .into(),
                    ));
                }
                if dump.is_some() {
                    return Err(CliError::Usage(
                        "--dump writes the schema of one database; it cannot go with --targets"
                            .into(),
                    ));
                }
                fleet::up(&settings, &env, &targets, &fleet, limit.as_deref(), format)
            } else {
                commands::up(&settings, limit.as_deref(), format)
                    .and_then(|()| dump.map_or(Ok(()), |f| commands::dump_file(&settings, &f)))
            }
        }
        Command::Down {
            limit,
            all,
            format,
            targets,
            fleet,
        } => {
            targets.check_alone(Some(&fleet))?;
            if targets.given() {
                fleet::down(&settings, &env, &targets, &fleet, &limit, all, format)
            } else {
                commands::down(&settings, &limit, all, format)
            }
        }
        Command::Goto {
            version,
            format,
            targets,
            fleet,
        } => {
            targets.check_alone(Some(&fleet))?;
            if targets.given() {
                fleet::goto(
                    &settings,
                    &env,
                    &targets,
                    &fleet,
                    version.as_deref(),
                    format,
                )
            } else {
                commands::goto(&settings, version.as_deref(), format)
            }
        }
        Command::Force { version, format } => {
            commands::force(&settings, version.as_deref(), format)
        }
        Command::Version { format, .. } => commands::version(&settings, format),
        Command::Drop { force } => commands::drop(&settings, force),
        Command::Status {
            format,
            check,
            targets,
        } => {
            targets.check_alone(None)?;
            if targets.given() {
                fleet::status(&settings, &env, &targets, format, check)
            } else {
                commands::status(&settings, format, check)
            }
        }
        Command::Rollback { batches, format } => commands::rollback(&settings, batches, format),
        Command::Reset { force } => commands::reset(&settings, force),
        Command::Refresh { force } => commands::refresh(&settings, force),
        Command::Redo => commands::redo(&settings),
        Command::History { format, limit } => commands::history(&settings, format, limit),
        Command::Baseline { version, force } => {
            commands::baseline(&settings, version.as_deref(), force)
        }
        Command::Lint {
            paths,
            format,
            exclude,
            include,
            dialect,
        } => commands::lint(
            &settings,
            &paths,
            format,
            dialect,
            strata_lint::LintOptions {
                // Flags replace strata.toml's [lint] lists.
                exclude: if exclude.is_empty() {
                    settings.lint_exclude.clone()
                } else {
                    exclude
                },
                include: if include.is_empty() {
                    settings.lint_include.clone()
                } else {
                    include
                },
                statement_mode: false,
            },
        ),
        Command::Plan {
            request,
            format,
            targets,
        } => {
            targets.check_alone(None)?;
            if targets.given() {
                let request = commands::plan_request(&request)?;
                fleet::plan(&settings, &env, &targets, request, format)
            } else {
                commands::plan(&settings, &request, format)
            }
        }
        Command::Rehearse { format } => commands::rehearse(&settings, format),
        Command::Validate { format } => commands::validate(&settings, format),
        Command::Verify {
            all,
            scratch,
            on_target,
            strict,
            format,
            targets,
        } => {
            targets.check_alone(None)?;
            let args = commands::VerifyArgs {
                all,
                scratch,
                on_target,
                strict,
                format,
            };
            if targets.given() {
                fleet::verify(&settings, &env, &targets, &args)
            } else {
                commands::verify(&settings, &args)
            }
        }
        Command::Dump {
            output,
            check,
            scratch,
            privileges,
        } => commands::dump(
            &settings,
            &commands::DumpArgs {
                output,
                check,
                scratch,
                privileges,
            },
        ),
        Command::Accept { version } => commands::accept(&settings, version.as_deref()),
        Command::Adopt {
            from,
            table,
            ignore_unmatched,
            force,
        } => commands::adopt(&settings, &from, table.as_deref(), ignore_unmatched, force),
        Command::Testdb { action } => commands::testdb(&settings, &action),
    }
}
