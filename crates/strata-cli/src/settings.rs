//! Settings resolve once, before any command runs: flags > environment > `.env` >
//! `strata.toml` > defaults; for PostgreSQL, libpq's conventions then complete the database
//! setting. Commands never read the environment or files for settings; they get a
//! [`Settings`], which also records where each value came from (`strata config`).

use crate::args::Global;
use crate::config_file::{expand, ConfigFile, DurationText};
use crate::libpq;
use crate::origin::{Env, Origin, Shown};
use crate::CliError;
use clap::parser::ValueSource;
use clap::ArgMatches;
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_core::duration::parse_duration_or_seconds;
use strata_drivers::{DatabaseUrl, UrlError};
use toml::Spanned;

/// The migration lock wait when nothing sets it.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(15);
/// `--wait` without `--wait-timeout`.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything a command needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The migrations folder, if one was given.
    pub dir: Option<PathBuf>,
    /// The database URL, if one was given (may hold a password: never print it raw).
    pub database: Option<String>,
    /// Where the database URL came from (a flag, a variable, `.env`, `strata.toml` line), for
    /// errors about it.
    pub database_origin: Option<String>,
    /// Where the migrations table added to the database URL came from (`strata.toml` line),
    /// when the URL did not name one itself.
    pub table_origin: Option<String>,
    /// `migrations_table` from `strata.toml` (already in [`Settings::database`]; kept for the
    /// URLs of a target list).
    pub migrations_table: Option<String>,
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
    /// `up --resume`: continue the dirty migration at the statement it stopped at.
    pub resume: bool,
    /// Require TLS.
    pub require_tls: bool,
    /// Apply out-of-order migrations.
    pub allow_out_of_order: bool,
    /// Print more.
    pub verbose: bool,
    /// `user@host`, recorded in the ledger.
    pub actor: String,
    /// Lint rules to turn on / off from `strata.toml` (flags replace them).
    pub lint_include: Vec<String>,
    /// See [`Settings::lint_include`].
    pub lint_exclude: Vec<String>,
    /// Wait this long for the database to accept connections before the command runs.
    pub wait: Option<Duration>,
    /// Each setting, its shown value and where it came from.
    pub shown: Vec<Shown>,
    /// Warnings found while resolving (e.g. an ignored password file).
    pub warnings: Vec<String>,
}

/// What the environment contributes besides variables: the working directory, home and OS
/// user (for `strata.toml`, `~/.pgpass` and the default PostgreSQL user).
#[derive(Debug, Clone)]
pub struct Context {
    /// Where `strata.toml` is searched from.
    pub cwd: PathBuf,
    /// The home folder.
    pub home: Option<PathBuf>,
    /// The OS user.
    pub os_user: Option<String>,
}

impl Context {
    /// The running process's.
    pub fn from_process(env: &Env) -> Context {
        Context {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            home: env.get("HOME").map(PathBuf::from),
            os_user: strata_core::actor::process_user(),
        }
    }
}

/// A value with where it came from.
type Sourced<T> = Option<(T, Origin)>;

impl Settings {
    /// Resolve flags (with `matches` telling a flag from its `[env: ...]` fallback),
    /// environment, `.env`, `strata.toml` and libpq's conventions.
    pub fn resolve(
        global: &Global,
        matches: &ArgMatches,
        env: &Env,
        ctx: &Context,
    ) -> Result<Settings, CliError> {
        let from = |id: &str, flag: &str, var: &str| -> Origin {
            match matches.value_source(id) {
                Some(ValueSource::EnvVariable) => env.origin(var),
                _ => Origin::Flag(flag.to_string()),
            }
        };
        let file = ConfigFile::find(
            global.config.as_deref().map(Path::new),
            &ctx.cwd,
            global.env.as_deref(),
        )?;
        let mut shown = Vec::new();
        let mut show = |setting: &str, value: String, origin: String| {
            shown.push(Shown {
                setting: setting.to_string(),
                value,
                origin,
            })
        };
        if let Some(f) = &file {
            let mut v = f.path.display().to_string();
            if let Some(name) = &f.env_name {
                v.push_str(&format!(" [env.{name}]"));
            }
            let origin = match global.config {
                Some(_) => from("config", "--config", "STRATA_CONFIG"),
                None => Origin::Default,
            };
            show("config file", v, origin.to_string());
        }
        if let Some(d) = env.dotenv() {
            show(
                ".env file",
                d.path.display().to_string(),
                format!("{} variable(s) taken", d.names.len()),
            );
        }
        let values = file.as_ref().map(|f| &f.values);
        let lookup = |name: &str| env.get(name).map(str::to_string);
        let file_text = |v: &Option<Spanned<String>>| -> Result<Sourced<String>, CliError> {
            let (Some(f), Some(v)) = (&file, v) else {
                return Ok(None);
            };
            let text = expand(v.get_ref(), lookup).map_err(|m| f.error(v.span(), &m))?;
            Ok(Some((text, Origin::File(f.path.clone(), f.line(v.span())))))
        };

        // Migrations folder.
        let dir: Sourced<PathBuf> = match (&global.source, &global.path) {
            (Some(source), _) => Some((parse_source(source)?, Origin::Flag("--source".into()))),
            (None, Some(path)) => {
                Some((PathBuf::from(path), from("path", "--path", "MIGRATION_DIR")))
            }
            (None, None) => file_text(&values.and_then(|v| v.path.clone()))?.map(|(p, o)| {
                let dir = file
                    .as_ref()
                    .map(|f| f.dir().join(&p))
                    .unwrap_or_else(|| PathBuf::from(&p));
                (dir, o)
            }),
        };
        if let Some((d, o)) = &dir {
            show("path", d.display().to_string(), o.to_string());
        }

        // Database, then libpq's conventions.
        let database: Sourced<String> = match &global.database {
            Some(d) => Some((d.clone(), from("database", "--database", "DATABASE_URL"))),
            None => file_text(&values.and_then(|v| v.database.clone()))?.map(|(d, o)| {
                let dir = file.as_ref().map(|f| f.dir()).unwrap_or(Path::new("."));
                (sqlite_relative_to(&d, dir), o)
            }),
        };
        let inputs = libpq::Inputs {
            var: &lookup,
            home: ctx.home.clone(),
            os_user: ctx.os_user.clone(),
        };
        let database_origin = |d: &Sourced<String>| match d {
            Some((_, o)) => o.to_string(),
            None => "PG* environment variables".to_string(),
        };
        let resolved = libpq::resolve(database.as_ref().map(|(d, _)| d.as_str()), &inputs)
            .map_err(|e| match &database {
                // The URL itself is at fault: say where it was set.
                Some((d, o)) if libpq::dsn::is_dsn(d) => CliError::Usage(format!("{o}: {e}")),
                _ => CliError::Usage(e),
            })?;
        let mut warnings = Vec::new();
        let mut database_url = None;
        let mut url_origin = None;
        if let Some(r) = resolved {
            let origin = database_origin(&database);
            url_origin = Some(origin.clone());
            show("database", strata_drivers::url::redact(&r.url), origin);
            for p in &r.parts {
                show(&format!("  {}", p.key), p.shown.clone(), p.origin.clone());
            }
            warnings.extend(r.warnings);
            database_url = Some(r.url);
        }
        let mut table_origin = None;
        if let (Some(url), Some(f), Some(t)) = (
            database_url.as_mut(),
            &file,
            values.and_then(|v| v.migrations_table.as_ref()),
        ) {
            if !url.contains("x-migrations-table=") {
                let sep = if url.rsplit('@').next().unwrap_or(url).contains('?') {
                    '&'
                } else {
                    '?'
                };
                url.push_str(&format!(
                    "{sep}x-migrations-table={}",
                    libpq::dsn::encode(t.get_ref())
                ));
                let origin = Origin::File(f.path.clone(), f.line(t.span())).to_string();
                table_origin = Some(origin.clone());
                show("migrations_table", t.get_ref().clone(), origin);
            }
        }

        // Timeouts and retries.
        let file_duration =
            |v: Option<&Spanned<DurationText>>| -> Result<Sourced<Duration>, CliError> {
                let (Some(f), Some(v)) = (&file, v) else {
                    return Ok(None);
                };
                let d = match v.get_ref() {
                    DurationText::Seconds(s) => Duration::from_secs(*s),
                    DurationText::Text(t) => parse_duration_or_seconds(t)
                        .map_err(|e| f.error(v.span(), &e.to_string()))?,
                };
                Ok(Some((d, Origin::File(f.path.clone(), f.line(v.span())))))
            };
        let (lock_timeout, origin) = match global.lock_timeout {
            Some(s) => (
                Duration::from_secs(s),
                Origin::Flag("--lock-timeout".into()),
            ),
            None => file_duration(values.and_then(|v| v.lock_timeout.as_ref()))?
                .unwrap_or((DEFAULT_LOCK_TIMEOUT, Origin::Default)),
        };
        show(
            "lock_timeout",
            format_duration(lock_timeout),
            origin.to_string(),
        );
        let statement_timeout = match env.get("MIGRATION_TIMEOUT") {
            Some(v) => Some((
                duration_setting(&env.origin("MIGRATION_TIMEOUT").to_string(), v)?,
                env.origin("MIGRATION_TIMEOUT"),
            )),
            None => file_duration(values.and_then(|v| v.statement_timeout.as_ref()))?,
        };
        if let Some((d, o)) = &statement_timeout {
            show("statement_timeout", format_duration(*d), o.to_string());
        }
        let ddl_lock_timeout = match &global.ddl_lock_timeout {
            Some(v) => {
                let o = from(
                    "ddl_lock_timeout",
                    "--ddl-lock-timeout",
                    "STRATA_LOCK_TIMEOUT",
                );
                Some((duration_setting(&o.to_string(), v)?, o))
            }
            None => file_duration(values.and_then(|v| v.ddl_lock_timeout.as_ref()))?,
        };
        if let Some((d, o)) = &ddl_lock_timeout {
            show("ddl_lock_timeout", format_duration(*d), o.to_string());
        }
        let (lock_retries, origin) = match (
            &global.lock_retries,
            values.and_then(|v| v.lock_retries.as_ref()),
        ) {
            (Some(v), _) => {
                let o = from("lock_retries", "--lock-retries", "STRATA_LOCK_RETRIES");
                let n = v.trim().parse().map_err(|_| {
                    CliError::Usage(format!("{o}: {v:?} is not a number of retries (e.g. 3)"))
                })?;
                (n, o)
            }
            (None, Some(n)) => {
                let f = file.as_ref().expect("a value comes from a file");
                (*n.get_ref(), Origin::File(f.path.clone(), f.line(n.span())))
            }
            (None, None) => (0, Origin::Default),
        };
        show("lock_retries", lock_retries.to_string(), origin.to_string());

        let require_tls = match env.get("DATABASE_SSL").map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if ["1", "true", "t", "yes", "require"].contains(&v.as_str()) => true,
            Some(v) if ["0", "false", "f", "no", "disable"].contains(&v.as_str()) => false,
            Some(v) => {
                return Err(CliError::Usage(format!(
                    "{}: {v:?} is not a boolean (use true or false)",
                    env.origin("DATABASE_SSL")
                )))
            }
        };
        if env.get("DATABASE_SSL").is_some() {
            show(
                "require_tls",
                require_tls.to_string(),
                env.origin("DATABASE_SSL").to_string(),
            );
        }
        let (lint_include, lint_exclude) = match values.and_then(|v| v.lint.as_ref()) {
            Some(l) => {
                let f = file.as_ref().expect("a value comes from a file");
                let o = Origin::File(f.path.clone(), f.line(l.span())).to_string();
                let l = l.get_ref();
                if !l.include.is_empty() {
                    show("lint.include", l.include.join(","), o.clone());
                }
                if !l.exclude.is_empty() {
                    show("lint.exclude", l.exclude.join(","), o);
                }
                (l.include.clone(), l.exclude.clone())
            }
            None => (Vec::new(), Vec::new()),
        };
        let wait = match (&global.wait_timeout, global.wait) {
            (Some(v), _) => Some(duration_setting("--wait-timeout", v)?),
            (None, true) => Some(DEFAULT_WAIT_TIMEOUT),
            (None, false) => None,
        };
        Ok(Settings {
            dir: dir.map(|(d, _)| d),
            database: database_url,
            database_origin: url_origin,
            table_origin,
            migrations_table: values
                .and_then(|v| v.migrations_table.as_ref())
                .map(|t| t.get_ref().clone()),
            lock_timeout,
            statement_timeout: statement_timeout.map(|(d, _)| d),
            ddl_lock_timeout: ddl_lock_timeout.map(|(d, _)| d),
            lock_retries,
            drop_invalid_indexes: global.drop_invalid_indexes,
            single_transaction: global.single_transaction,
            resume: false,
            require_tls,
            allow_out_of_order: global.allow_out_of_order,
            verbose: global.verbose,
            actor: strata_core::actor::actor(env.get("USER").or(env.get("LOGNAME"))),
            lint_include,
            lint_exclude,
            wait,
            shown,
            warnings,
        })
    }

    /// The migrations folder, or a usage error saying how to give one.
    pub fn require_dir(&self) -> Result<&PathBuf, CliError> {
        self.dir.as_ref().ok_or_else(|| {
            CliError::Usage(
                "no migrations folder: pass -path DIR (or -source file://DIR, or set MIGRATION_DIR, or path in strata.toml)"
                    .into(),
            )
        })
    }

    /// The database URL parsed; an error in it names where the URL was set.
    pub fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        let raw = self.require_database()?;
        DatabaseUrl::parse(raw).map_err(|e| {
            // A bad table name is the fault of whoever added the table to the URL.
            let origin = match (&e, &self.table_origin) {
                (UrlError::BadTableName(_), Some(t)) => Some(t),
                _ => self.database_origin.as_ref(),
            };
            let message = match origin {
                Some(origin) => format!("{origin}: {e}"),
                None => e.to_string(),
            };
            match e {
                // A setting Strata cannot use at all, like a bad flag.
                UrlError::BadTableName(_) => CliError::Usage(message),
                _ => CliError::Failed(message),
            }
        })
    }

    /// The database URL, or a usage error saying how to give one.
    pub fn require_database(&self) -> Result<&str, CliError> {
        self.database.as_deref().ok_or_else(|| {
            CliError::Usage(
                "no database: pass -database URL (or set DATABASE_URL), or set database in strata.toml".into(),
            )
        })
    }
}

/// A SQLite URL with a relative path, made relative to `dir` (the settings file's folder, as
/// `path` is); anything else unchanged.
fn sqlite_relative_to(url: &str, dir: &Path) -> String {
    let Ok(parsed) = strata_drivers::DatabaseUrl::parse(url) else {
        return url.to_string();
    };
    match parsed.sqlite_path() {
        Some(p) if p.is_relative() && dir != Path::new("") => {
            let query = url.find('?').map(|i| &url[i..]).unwrap_or("");
            format!("{}://{}{query}", parsed.scheme(), dir.join(p).display())
        }
        _ => url.to_string(),
    }
}

/// `15s`, `1.5s`, `5m`: as the duration parser reads them back.
fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else {
        format!("{}s", d.as_secs())
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
    use crate::args::Cli;
    use clap::{CommandFactory, FromArgMatches};

    fn resolve_in(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Result<Settings, CliError> {
        let matches = Cli::command().try_get_matches_from(args).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let ctx = Context {
            cwd: dir.to_path_buf(),
            home: None,
            os_user: Some("me".into()),
        };
        Settings::resolve(&cli.global, &matches, &Env::from_pairs(vars), &ctx)
    }

    fn origin_of(s: &Settings, setting: &str) -> String {
        s.shown
            .iter()
            .find(|x| x.setting == setting)
            .map(|x| x.origin.clone())
            .unwrap_or_default()
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("strata.toml"),
            "path = \"m\"\ndatabase = \"sqlite://${NAME:-file}.db\"\nlock_timeout = \"3s\"\nstatement_timeout = 9\n",
        )
        .unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let s = resolve_in(&sub, &["strata", "status"], &[]).unwrap();
        assert_eq!(s.dir, Some(dir.path().join("m")));
        let in_dir = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
        assert_eq!(s.database, Some(in_dir("file.db")));
        assert_eq!(s.lock_timeout, Duration::from_secs(3));
        assert_eq!(s.statement_timeout, Some(Duration::from_secs(9)));
        assert!(
            origin_of(&s, "database").ends_with("strata.toml line 2"),
            "{:?}",
            s.shown
        );
        let s = resolve_in(
            &sub,
            &["strata", "status"],
            &[("NAME", "x"), ("MIGRATION_TIMEOUT", "1s")],
        )
        .unwrap();
        assert_eq!(s.database, Some(in_dir("x.db")));
        assert_eq!(s.statement_timeout, Some(Duration::from_secs(1)));
        let s = resolve_in(
            &sub,
            &[
                "strata",
                "--database",
                "sqlite://f.db",
                "--lock-timeout",
                "7",
                "status",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(s.database.as_deref(), Some("sqlite://f.db"));
        assert_eq!(s.lock_timeout, Duration::from_secs(7));
        assert_eq!(origin_of(&s, "database"), "--database");
    }

    #[test]
    fn bad_values_name_the_file_and_line_or_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("strata.toml"),
            "path = \"m\"\nddl_lock_timeout = \"soon\"\n",
        )
        .unwrap();
        match resolve_in(dir.path(), &["strata", "status"], &[]) {
            Err(CliError::Usage(m)) => assert!(m.contains("strata.toml line 2: "), "{m}"),
            other => panic!("{other:?}"),
        }
        let empty = tempfile::tempdir().unwrap();
        match resolve_in(
            empty.path(),
            &["strata", "status"],
            &[("MIGRATION_TIMEOUT", "soon")],
        ) {
            Err(CliError::Usage(m)) => {
                assert!(m.starts_with("MIGRATION_TIMEOUT (environment): "), "{m}")
            }
            other => panic!("{other:?}"),
        }
        match resolve_in(
            empty.path(),
            &["strata", "--lock-retries", "x", "status"],
            &[],
        ) {
            Err(CliError::Usage(m)) => assert!(m.starts_with("--lock-retries: "), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_url_names_its_flag_and_a_bad_table_name_its_file_line() {
        let dir = tempfile::tempdir().unwrap();
        let s = resolve_in(
            dir.path(),
            &["strata", "--database", "postgres://u@h:port/db", "status"],
            &[],
        )
        .unwrap();
        match s.database_url() {
            Err(CliError::Failed(m)) => {
                assert!(m.starts_with("--database: invalid port"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(
            dir.path().join("strata.toml"),
            format!("path = \"m\"\nmigrations_table = \"{}\"\n", "t".repeat(70)),
        )
        .unwrap();
        let s = resolve_in(
            dir.path(),
            &["strata", "--database", "postgres://u@h/db", "status"],
            &[],
        )
        .unwrap();
        match s.database_url() {
            Err(CliError::Usage(m)) => assert!(
                m.contains("strata.toml line 2: x-migrations-table: the table name"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }

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
