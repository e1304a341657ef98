//! Where a setting came from, and the environment it may come from: captured once, with the
//! variables a `.env` file supplied told apart from the process's own.

use crate::dotenv::Loaded;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The environment, captured at start-up (after the `.env` file was loaded into it).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    dotenv: Option<Loaded>,
}

impl Env {
    /// The process environment (non-UTF-8 variables are left out).
    pub fn from_process(dotenv: Option<Loaded>) -> Env {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env { vars, dotenv }
    }

    /// Given variables (tests).
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            dotenv: None,
        }
    }

    /// A variable's value; an empty one counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The `.env` file that was loaded, if any.
    pub fn dotenv(&self) -> Option<&Loaded> {
        self.dotenv.as_ref()
    }

    /// Where variable `name` came from: the environment or the `.env` file.
    pub fn origin(&self, name: &str) -> Origin {
        match &self.dotenv {
            Some(d) if d.names.contains(name) => Origin::DotEnv(name.to_string(), d.path.clone()),
            _ => Origin::Env(name.to_string()),
        }
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--path`.
    Flag(String),
    /// A process environment variable.
    Env(String),
    /// A variable set by a `.env` file.
    DotEnv(String, PathBuf),
    /// A line of `strata.toml`.
    File(PathBuf, usize),
    /// Strata's default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "{flag}"),
            Origin::Env(name) => write!(f, "{name} (environment)"),
            Origin::DotEnv(name, path) => write!(f, "{name} ({})", path.display()),
            Origin::File(path, line) => write!(f, "{} line {line}", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// One resolved setting as `strata config` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The setting's name.
    pub setting: String,
    /// Its value, passwords redacted.
    pub value: String,
    /// Where it came from.
    pub origin: String,
}
