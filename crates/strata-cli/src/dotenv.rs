//! `.env` files (read with `dotenvy`), loaded before the command line is parsed so that their
//! variables reach every setting alike: clap's `[env: ...]` fallbacks, `MIGRATION_TIMEOUT`, the
//! libpq variables. A variable already set in the environment wins over the file's.

use crate::CliError;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Which `.env` file to read, from a scan of the arguments made before clap parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// `.env` in the working directory, if there is one.
    Default,
    /// `--env-file FILE`: must exist.
    File(PathBuf),
    /// `--no-dotenv`.
    Off,
}

/// A loaded `.env` file: where it is and the variables it set (those not already set).
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// Variables taken from it.
    pub names: BTreeSet<String>,
}

/// Find `--no-dotenv` / `--env-file F` / `--env-file=F` in normalized arguments (before `--`).
/// clap parses them again later, for help and errors; this scan only runs first.
pub fn choice(argv: &[OsString]) -> Choice {
    let mut it = argv.iter().skip(1).filter_map(|a| a.to_str());
    let mut choice = Choice::Default;
    while let Some(arg) = it.next() {
        match arg {
            "--" => break,
            "--no-dotenv" => return Choice::Off,
            "--env-file" => {
                if let Some(f) = it.next() {
                    choice = Choice::File(PathBuf::from(f));
                }
            }
            a => {
                if let Some(f) = a.strip_prefix("--env-file=") {
                    choice = Choice::File(PathBuf::from(f));
                }
            }
        }
    }
    choice
}

/// Read the chosen file and set each of its variables that the environment does not already
/// hold. Nothing is set unless the whole file parses. Called once, before any thread starts.
pub fn load(choice: &Choice) -> Result<Option<Loaded>, CliError> {
    let (path, required) = match choice {
        Choice::Off => return Ok(None),
        Choice::Default => (PathBuf::from(".env"), false),
        Choice::File(p) => (p.clone(), true),
    };
    if !required && !path.is_file() {
        return Ok(None);
    }
    let pairs = read(&path)?;
    let mut names = BTreeSet::new();
    for (name, value) in pairs {
        if std::env::var_os(&name).is_none() {
            std::env::set_var(&name, value);
            names.insert(name);
        }
    }
    Ok(Some(Loaded { path, names }))
}

/// Every `NAME=value` of the file, in order (dotenvy expands `${VAR}` in values).
pub fn read(path: &Path) -> Result<Vec<(String, String)>, CliError> {
    let shown = path.display();
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| CliError::Usage(format!("--env-file {shown}: cannot read it: {e}")))?;
    let mut pairs = Vec::new();
    for item in iter {
        match item {
            Ok(pair) => pairs.push(pair),
            Err(dotenvy::Error::LineParse(line, _)) => {
                // The line is not quoted: it may hold a password.
                let n = line_number(path, &line);
                return Err(CliError::Usage(format!(
                    "{shown}{}: cannot parse this line as NAME=value (check its quotes)",
                    n.map(|n| format!(" line {n}")).unwrap_or_default()
                )));
            }
            Err(e) => return Err(CliError::Usage(format!("{shown}: {e}"))),
        }
    }
    Ok(pairs)
}

/// The 1-based line of the file where `logical` (a line as dotenvy saw it) starts.
fn line_number(path: &Path, logical: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let first = logical.lines().next()?.trim();
    text.lines().position(|l| l.trim() == first).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn choice_scans_flags_before_double_dash() {
        assert_eq!(choice(&os(&["strata", "up"])), Choice::Default);
        assert_eq!(choice(&os(&["strata", "--no-dotenv", "up"])), Choice::Off);
        assert_eq!(
            choice(&os(&["strata", "--env-file", "ci.env", "up"])),
            Choice::File("ci.env".into())
        );
        assert_eq!(
            choice(&os(&["strata", "--env-file=x.env", "up"])),
            Choice::File("x.env".into())
        );
        assert_eq!(
            choice(&os(&["strata", "force", "--", "--no-dotenv"])),
            Choice::Default
        );
    }

    #[test]
    fn a_bad_line_is_named_by_number_without_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "A=1\nB='secret\n").unwrap();
        match read(&path) {
            Err(CliError::Usage(m)) => {
                assert!(m.contains(".env line 2: cannot parse"), "{m}");
                assert!(!m.contains("secret"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
