//! Settings resolve once: flags > environment > defaults. Commands never read the environment;
//! they get a [`Settings`]. All environment variable names live in [`Env`].

use crate::args::Global;
use crate::CliError;
use std::path::PathBuf;
use std::time::Duration;
use strata_core::duration::parse_duration_or_seconds;

/// The environment variables Strata reads, captured once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `DATABASE_URL`: the database when -database is absent.
    pub database_url: Option<String>,
    /// `MIGRATION_DIR`: the migrations folder when -path/-source are absent.
    pub migration_dir: Option<String>,
    /// `MIGRATION_TIMEOUT`: statement timeout for migrations (`30s`, `5m`, `1500ms`, or seconds).
    pub migration_timeout: Option<String>,
    /// `DATABASE_SSL`: `true` requires TLS when the URL has no `sslmode` (the URL's wins).
    pub database_ssl: Option<String>,
    /// `STRATA_LOCK_TIMEOUT`: PostgreSQL `lock_timeout` for migration statements waiting on a
    /// table lock (`5s`, `1500ms`, or seconds).
    pub ddl_lock_timeout: Option<String>,
    /// `STRATA_LOCK_RETRIES`: retries of a transactional migration after a lock timeout.
    pub lock_retries: Option<String>,
    /// `USER` (or `LOGNAME`), for the ledger's applied_by.
    pub user: Option<String>,
}

impl Env {
    /// Read the process environment.
    pub fn from_process() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            database_url: var("DATABASE_URL"),
            migration_dir: var("MIGRATION_DIR"),
            migration_timeout: var("MIGRATION_TIMEOUT"),
            database_ssl: var("DATABASE_SSL"),
            ddl_lock_timeout: var("STRATA_LOCK_TIMEOUT"),
            lock_retries: var("STRATA_LOCK_RETRIES"),
            user: strata_core::actor::process_user(),
        }
    }
}

/// Everything a command needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The migrations folder, if one was given.
    pub dir: Option<PathBuf>,
    /// The database URL, if one was given (may hold a password: never print it raw).
    pub database: Option<String>,
    /// How long to wait for the migration lock.
    pub lock_timeout: Duration,
    /// Statement timeout for migration bodies.
    pub statement_timeout: Option<Duration>,
    /// How long a migration statement may wait for a table lock (PostgreSQL `lock_timeout`).
    pub ddl_lock_timeout: Option<Duration>,
    /// Retries of a transactional migration after a table lock timeout.
    pub lock_retries: u32,
    /// Drop INVALID indexes left by a failed concurrent build before rerunning.
    pub drop_invalid_indexes: bool,
    /// All pending migrations in one transaction.
    pub single_transaction: bool,
    /// Require TLS.
    pub require_tls: bool,
    /// Apply out-of-order migrations.
    pub allow_out_of_order: bool,
    /// Print more.
    pub verbose: bool,
    /// `user@host`, recorded in the ledger.
    pub actor: String,
}

impl Settings {
    /// Resolve flags and environment.
    pub fn resolve(global: &Global, env: &Env) -> Result<Settings, CliError> {
        let dir = match (&global.source, &global.path) {
            (Some(source), _) => Some(parse_source(source)?),
            (None, Some(path)) => Some(PathBuf::from(path)),
            (None, None) => env.migration_dir.as_ref().map(PathBuf::from),
        };
        let statement_timeout = env
            .migration_timeout
            .as_deref()
            .map(|v| duration_setting("MIGRATION_TIMEOUT", v))
            .transpose()?;
        let ddl_lock_timeout = match (&global.ddl_lock_timeout, &env.ddl_lock_timeout) {
            (Some(v), _) => Some(duration_setting("--ddl-lock-timeout", v)?),
            (None, Some(v)) => Some(duration_setting("STRATA_LOCK_TIMEOUT", v)?),
            (None, None) => None,
        };
        let lock_retries = match (global.lock_retries, &env.lock_retries) {
            (Some(n), _) => n,
            (None, Some(v)) => v.trim().parse().map_err(|_| {
                CliError::Usage(format!(
                    "STRATA_LOCK_RETRIES={v:?} is not a number of retries (e.g. 3)"
                ))
            })?,
            (None, None) => 0,
        };
        let require_tls = match env.database_ssl.as_deref().map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if ["1", "true", "t", "yes", "require"].contains(&v.as_str()) => true,
            Some(v) if ["0", "false", "f", "no", "disable"].contains(&v.as_str()) => false,
            Some(v) => {
                return Err(CliError::Usage(format!(
                    "DATABASE_SSL={v:?} is not a boolean (use true or false)"
                )))
            }
        };
        Ok(Settings {
            dir,
            database: global.database.clone().or_else(|| env.database_url.clone()),
            lock_timeout: Duration::from_secs(global.lock_timeout),
            statement_timeout,
            ddl_lock_timeout,
            lock_retries,
            drop_invalid_indexes: global.drop_invalid_indexes,
            single_transaction: global.single_transaction,
            require_tls,
            allow_out_of_order: global.allow_out_of_order,
            verbose: global.verbose,
            actor: strata_core::actor::actor(env.user.as_deref()),
        })
    }

    /// The migrations folder, or a usage error saying how to give one.
    pub fn require_dir(&self) -> Result<&PathBuf, CliError> {
        self.dir.as_ref().ok_or_else(|| {
            CliError::Usage(
                "no migrations folder: pass -path DIR (or -source file://DIR, or set MIGRATION_DIR)"
                    .into(),
            )
        })
    }

    /// The database URL, or a usage error saying how to give one.
    pub fn require_database(&self) -> Result<&str, CliError> {
        self.database.as_deref().ok_or_else(|| {
            CliError::Usage("no database: pass -database URL (or set DATABASE_URL)".into())
        })
    }
}

/// `file://dir`, `file:///abs`, or a plain path.
fn parse_source(source: &str) -> Result<PathBuf, CliError> {
    match source.split_once("://") {
        Some(("file", rest)) => Ok(PathBuf::from(if rest.is_empty() { "." } else { rest })),
        Some((scheme, _)) => Err(CliError::Usage(format!(
            "unsupported source scheme {scheme:?} in -source: only file:// is supported"
        ))),
        None => Ok(PathBuf::from(source)),
    }
}

/// A duration setting (`30s`, `5m`, `1500ms`, or plain seconds), or a usage error naming the
/// variable or flag it came from.
fn duration_setting(setting: &str, v: &str) -> Result<Duration, CliError> {
    parse_duration_or_seconds(v).map_err(|e| CliError::Usage(format!("{setting}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_settings_name_the_variable_or_flag() {
        assert_eq!(
            duration_setting("MIGRATION_TIMEOUT", "60").ok(),
            Some(Duration::from_secs(60))
        );
        for (setting, v) in [
            ("MIGRATION_TIMEOUT", "99999999999999999999h"),
            ("--ddl-lock-timeout", "soon"),
        ] {
            match duration_setting(setting, v) {
                Err(CliError::Usage(m)) => {
                    assert!(m.starts_with(&format!("{setting}: {v:?} ")), "{m}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn source_url_forms_resolve_to_folders() {
        assert_eq!(
            parse_source("file://migrations").unwrap(),
            PathBuf::from("migrations")
        );
        assert_eq!(
            parse_source("file:///abs/m").unwrap(),
            PathBuf::from("/abs/m")
        );
        assert!(parse_source("s3://bucket").is_err());
    }
}
