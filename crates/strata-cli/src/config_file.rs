//! `strata.toml`: the project's settings file, found upward from the working directory (or
//! given with `--config`). Values of a chosen `[env.NAME]` section replace the top-level ones.
//! Every value keeps its line, so a bad one is reported as `FILE line N: ...`.
//!
//! ```toml
//! path = "db/migrations"              # relative to this file's folder
//! database = "${DATABASE_URL}"        # ${VAR} and ${VAR:-default} are expanded
//! migrations_table = "schema_migrations"
//! lock_timeout = "15s"                # the migration lock (or whole seconds)
//! statement_timeout = "5m"
//! ddl_lock_timeout = "5s"
//! lock_retries = 3
//! [lint]
//! exclude = ["adding-not-nullable-field"]
//! [env.staging]
//! database = "postgres://app@staging-db/app"
//! ```

use crate::CliError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name searched for.
pub const FILE_NAME: &str = "strata.toml";

/// A duration written as text (`15s`) or whole seconds (`15`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationText {
    /// `15`.
    Seconds(u64),
    /// `"15s"`, `"1500ms"`, `"5m"`.
    Text(String),
}

/// `[lint]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    /// Rule ids to turn on.
    #[serde(default)]
    pub include: Vec<String>,
    /// Rule ids to turn off.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The settings of the file's top level or of one `[env.NAME]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Migrations folder.
    pub path: Option<Spanned<String>>,
    /// Database URL.
    pub database: Option<Spanned<String>>,
    /// golang-migrate's `x-migrations-table`.
    pub migrations_table: Option<Spanned<String>>,
    /// How long to wait for the migration lock.
    pub lock_timeout: Option<Spanned<DurationText>>,
    /// Statement timeout of migrations.
    pub statement_timeout: Option<Spanned<DurationText>>,
    /// PostgreSQL `lock_timeout` of migration statements.
    pub ddl_lock_timeout: Option<Spanned<DurationText>>,
    /// Retries after a table lock timeout.
    pub lock_retries: Option<Spanned<u32>>,
    /// Lint rule selection.
    pub lint: Option<Spanned<LintSection>>,
    /// Per-environment sections (top level only).
    pub env: Option<Spanned<BTreeMap<String, Section>>>,
}

/// A read `strata.toml` with its environment section applied.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// The file.
    pub path: PathBuf,
    /// Its text (for line numbers).
    text: String,
    /// The chosen `[env.NAME]`, if any.
    pub env_name: Option<String>,
    /// The effective values.
    pub values: Section,
}

impl ConfigFile {
    /// `--config F` (which must exist), else `strata.toml` in `start` or the nearest folder
    /// above it; `None` when there is none. `env` picks an `[env.NAME]` section.
    pub fn find(
        explicit: Option<&Path>,
        start: &Path,
        env: Option<&str>,
    ) -> Result<Option<ConfigFile>, CliError> {
        let path = match explicit {
            Some(p) => {
                if !p.is_file() {
                    return Err(CliError::Usage(format!(
                        "--config {}: no such file",
                        p.display()
                    )));
                }
                p.to_path_buf()
            }
            None => match start.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file()) {
                Some(p) => p,
                None if env.is_some() => {
                    return Err(CliError::Usage(format!(
                        "--env {}: no {FILE_NAME} found in this folder or above it (or pass --config FILE)",
                        env.unwrap_or_default()
                    )))
                }
                None => return Ok(None),
            },
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::Usage(format!("{}: cannot read it: {e}", path.display())))?;
        Self::parse(path, text, env).map(Some)
    }

    /// Parse `text` (the contents of `path`) and apply the `[env.NAME]` section.
    pub fn parse(path: PathBuf, text: String, env: Option<&str>) -> Result<ConfigFile, CliError> {
        let mut top: Section = toml::from_str(&text).map_err(|e| {
            // toml's message starts with "TOML parse error at line N, column M".
            CliError::Usage(format!("{}: {}", path.display(), e.to_string().trim_end()))
        })?;
        let sections = top.env.take();
        let mut file = ConfigFile {
            path,
            text,
            env_name: env.map(str::to_string),
            values: Section::default(),
        };
        if let Some(sections) = &sections {
            for section in sections.get_ref().values() {
                if let Some(nested) = &section.env {
                    return Err(file.error(
                        nested.span(),
                        "[env.NAME] sections cannot hold env sections",
                    ));
                }
            }
        }
        let chosen = match env {
            None => None,
            Some(name) => {
                let found = sections
                    .as_ref()
                    .and_then(|s| s.get_ref().get(name).cloned());
                match found {
                    Some(s) => Some(s),
                    None => {
                        let known: Vec<String> = sections
                            .as_ref()
                            .map(|s| s.get_ref().keys().cloned().collect())
                            .unwrap_or_default();
                        return Err(CliError::Usage(format!(
                            "--env {name}: {} has no [env.{name}] section{}",
                            file.path.display(),
                            if known.is_empty() {
                                String::new()
                            } else {
                                format!(" (it has: {})", known.join(", "))
                            }
                        )));
                    }
                }
            }
        };
        file.values = merge(top, chosen);
        Ok(file)
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, span: std::ops::Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text[..end].matches('\n').count() + 1
    }

    /// A usage error `FILE line N: message`.
    pub fn error(&self, span: std::ops::Range<usize>, message: &str) -> CliError {
        CliError::Usage(format!(
            "{} line {}: {message}",
            self.path.display(),
            self.line(span)
        ))
    }

    /// The folder relative paths in the file are relative to.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// The section's values where it has them, else the top level's.
fn merge(top: Section, env: Option<Section>) -> Section {
    let Some(env) = env else { return top };
    Section {
        path: env.path.or(top.path),
        database: env.database.or(top.database),
        migrations_table: env.migrations_table.or(top.migrations_table),
        lock_timeout: env.lock_timeout.or(top.lock_timeout),
        statement_timeout: env.statement_timeout.or(top.statement_timeout),
        ddl_lock_timeout: env.ddl_lock_timeout.or(top.ddl_lock_timeout),
        lock_retries: env.lock_retries.or(top.lock_retries),
        lint: env.lint.or(top.lint),
        env: None,
    }
}

/// Expand `${VAR}` and `${VAR:-default}` with `lookup`; `$$` is a `$`. Err: the name of an
/// unset variable (with no default), or a description of a malformed reference.
pub fn expand(s: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| "a ${ without its closing }".to_string())?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("${{{inner}}} is not a variable reference"));
            }
            match lookup(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => match default {
                    Some(d) => out.push_str(d),
                    None => return Err(format!("${{{name}}}: {name} is not set")),
                },
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: Option<&str>) -> Result<ConfigFile, CliError> {
        ConfigFile::parse(PathBuf::from("/p/strata.toml"), text.to_string(), env)
    }

    fn usage(r: Result<ConfigFile, CliError>) -> String {
        match r {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn env_sections_replace_top_level_values() {
        let text = "path = \"m\"\ndatabase = \"sqlite://a.db\"\n[env.staging]\ndatabase = \"sqlite://s.db\"\n";
        let f = parse(text, Some("staging")).unwrap();
        assert_eq!(
            f.values.database.as_ref().unwrap().get_ref(),
            "sqlite://s.db"
        );
        assert_eq!(f.values.path.as_ref().unwrap().get_ref(), "m");
        let line = f.line(f.values.database.as_ref().unwrap().span());
        assert_eq!(line, 4);
        let f = parse(text, None).unwrap();
        assert_eq!(
            f.values.database.as_ref().unwrap().get_ref(),
            "sqlite://a.db"
        );
    }

    #[test]
    fn unknown_keys_and_sections_are_named_with_their_line() {
        let m = usage(parse("path = \"m\"\ndatabse = \"x\"\n", None));
        assert!(m.starts_with("/p/strata.toml: "), "{m}");
        assert!(m.contains("line 2") && m.contains("databse"), "{m}");
        let m = usage(parse("[env.ci]\npath = \"m\"\n", Some("prod")));
        assert!(m.contains("no [env.prod] section (it has: ci)"), "{m}");
        let m = usage(parse("lock_retries = \"x\"\n", None));
        assert!(m.contains("line 1"), "{m}");
    }

    #[test]
    fn expand_substitutes_variables_and_names_missing_ones() {
        let lookup = |n: &str| (n == "HOST").then(|| "db".to_string());
        assert_eq!(
            expand("postgres://${HOST}/${DB:-app}?a=$$x", lookup).unwrap(),
            "postgres://db/app?a=$x"
        );
        assert_eq!(
            expand("${NOPE}", lookup).unwrap_err(),
            "${NOPE}: NOPE is not set"
        );
        assert!(expand("${HOST", lookup).is_err());
        assert!(expand("${A B}", lookup).is_err());
    }
}
