//! y/N confirmation for destructive commands.

use crate::CliError;
use std::io::{BufRead, IsTerminal};

/// Ask `question` on stderr and read one line; only `y` (any case) confirms. With no terminal on
/// stdin there is nobody to ask: that is a refusal, never a silent yes.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        errln!("{question}");
        errln!("(no terminal to answer on: not confirmed)");
        return Ok(false);
    }
    err!("{question} ");
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("cannot read the answer: {e}")))?;
    Ok(line.trim().eq_ignore_ascii_case("y"))
}
