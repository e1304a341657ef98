//! `strata`: database schema migrations, a drop-in replacement for golang-migrate.

// First, so that `out!`/`outln!`/`err!`/`errln!` are in scope in every module below.
#[macro_use]
mod printer;
mod args;
mod argv;
mod commands;
mod excerpt;
mod exit;
mod prompt;
mod render;
mod settings;

use args::{Cli, Command};
use clap::Parser;
use settings::{Env, Settings};
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

fn main() -> ExitCode {
    let argv = args::normalize(std::env::args_os());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout and errors to stderr with its own exit codes
            // (0 for help, 2 for usage errors), matching golang-migrate's.
            let _ = e.print();
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    argv::hide_passwords();
    if cli.global.version {
        outln!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            // Messages carry text from outside (URL parts, server messages, SQL): escaped
            // here once more, so a control character in any of them cannot reach the terminal.
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
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return Err(CliError::Usage("no command given".into()));
    };
    let env = Env::from_process();
    let settings = Settings::resolve(&cli.global, &env)?;
    match command {
        Command::Create(args) => {
            for path in commands::create::create(&args, env.migration_dir.as_deref())? {
                outln!("{}", path.display());
            }
            Ok(())
        }
        Command::Up { limit, .. } => commands::up(&settings, limit.as_deref()),
        Command::Down { limit, all } => commands::down(&settings, &limit, all),
        Command::Goto { version } => commands::goto(&settings, version.as_deref()),
        Command::Force { version } => commands::force(&settings, version.as_deref()),
        Command::Version { .. } => commands::version(&settings),
        Command::Drop { force } => commands::drop(&settings, force),
        Command::Status { format, check } => commands::status(&settings, format, check),
        Command::Rollback { batches } => commands::rollback(&settings, batches),
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
                exclude,
                include,
                statement_mode: false,
            },
        ),
        Command::Plan { request, format } => commands::plan(&settings, &request, format),
        Command::Rehearse { format } => commands::rehearse(&settings, format),
        Command::Validate { format } => commands::validate(&settings, format),
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
