//! `strata completions SHELL` (clap_complete) and `strata man` (clap_mangen): generated from
//! the same command-line grammar that parses the arguments, so they cannot drift from it.

use crate::args::CompletionShell;
use crate::CliError;
use clap_complete::Shell;

/// Print the completion script for `shell`.
pub fn completions(shell: CompletionShell) -> Result<(), CliError> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
        CompletionShell::Elvish => Shell::Elvish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::help::command(), "strata", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(())
}

/// Print the manual page (roff).
pub fn man() -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(crate::help::command())
        .render(&mut page)
        .map_err(|e| CliError::Failed(format!("cannot render the manual page: {e}")))?;
    out!("{}", String::from_utf8_lossy(&page));
    Ok(())
}
