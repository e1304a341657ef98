//! Command-line grammar.
//!
//! Two spellings are accepted: golang-migrate's (Go `flag` package: `-path x`, `-database=y`,
//! single-dash long flags, global flags before the command) and the usual GNU style
//! (`--path x`). [`normalize`] rewrites the first into the second before clap parses, so existing
//! Makefiles work with `MIGRATE_BIN=strata`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;

/// Long flag names that golang-migrate users may write with one dash.
const LONG_FLAGS: &[&str] = &[
    "source",
    "path",
    "database",
    "prefetch",
    "lock-timeout",
    "ddl-lock-timeout",
    "lock-retries",
    "drop-invalid-indexes",
    "single-transaction",
    "verbose",
    "version",
    "help",
    "ext",
    "dir",
    "seq",
    "digits",
    "format",
    "tz",
    "all",
    "allow-out-of-order",
    "exclude",
    "include",
    "yes",
    "batches",
    "limit",
    "force",
    "check",
    "from",
    "table",
    "ignore-unmatched",
    "dialect",
    "config",
    "env",
    "env-file",
    "no-dotenv",
    "wait",
    "wait-timeout",
    "color",
    "dry-run",
    "targets",
    "targets-cmd",
    "targets-query",
    "parallel",
    "per-host",
    "on-error",
    "canary",
    "groups",
];

/// Rewrite Go-style `-name` / `-name=value` into `--name` / `--name=value` for known long flags.
/// Stops at `--`, like Go's flag parser. `-h` and one-letter flags are left alone.
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut rest = false;
    for arg in args {
        if rest {
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            rest = true;
            out.push(arg);
            continue;
        }
        // Go accepts `--name` too, so only single-dash forms need rewriting.
        if let Some(body) = s.strip_prefix('-').filter(|b| !b.starts_with('-')) {
            let name = body.split('=').next().unwrap_or(body);
            if LONG_FLAGS.contains(&name) {
                out.push(OsString::from(format!("-{s}")));
                continue;
            }
        }
        out.push(arg);
    }
    out
}

/// Strata: database schema migrations, compatible with golang-migrate.
#[derive(Debug, Parser)]
#[command(
    name = "strata",
    disable_version_flag = true,
    about = "Database schema migrations: a drop-in replacement for golang-migrate, with history, drift detection and safe locking.",
    after_help = "Flags may be written golang-migrate style (-path x -database=y) or GNU style (--path x).\nExit codes: 0 ok (also \"no change\"), 1 failure, 2 usage, 3 conflict (dirty, drift, out of order), 4 lock timeout, 5 lint findings, 141 output closed by its reader (e.g. `| head`)."
)]
pub struct Cli {
    /// Global settings.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings every command shares. A flag's `[env: ...]` variable may also come from `.env`;
/// `strata.toml` comes after both (see `strata config`).
#[derive(Debug, Args)]
pub struct Global {
    /// Source URL of the migrations (`file://DIR`).
    #[arg(long, global = true, value_name = "URL")]
    pub source: Option<String>,
    /// Folder of the migrations (shorthand for -source file://DIR)
    #[arg(long, global = true, value_name = "DIR", env = "MIGRATION_DIR")]
    pub path: Option<String>,
    /// Database URL, e.g. sqlite://app.db or postgres://user@host/db, or a libpq key=value
    /// string (host=... dbname=...); PG* variables, pg_service.conf and ~/.pgpass fill what a
    /// PostgreSQL URL leaves out
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// Seconds to wait for the migration lock (default 15).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// How long a migration statement may wait for a table lock, e.g. 5s (PostgreSQL
    /// lock_timeout; default: wait)
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        env = "STRATA_LOCK_TIMEOUT"
    )]
    pub ddl_lock_timeout: Option<String>,
    /// Retry a transactional migration that timed out waiting for a table lock (SQLSTATE 55P03)
    /// up to N times, backing off 1s, 2s, 4s ... (default 0: no retries)
    #[arg(long, global = true, value_name = "N", env = "STRATA_LOCK_RETRIES")]
    pub lock_retries: Option<String>,
    /// Before rerunning a no-transaction migration, drop the INVALID indexes a failed
    /// CREATE INDEX CONCURRENTLY of it left behind (default: refuse and say so)
    #[arg(long, global = true)]
    pub drop_invalid_indexes: bool,
    /// Apply all pending migrations in ONE transaction: all or nothing (PostgreSQL; refused
    /// when one cannot run in a transaction)
    #[arg(long, global = true)]
    pub single_transaction: bool,
    /// Accepted for golang-migrate compatibility; has no effect.
    #[arg(long, global = true, value_name = "N", hide = true)]
    pub prefetch: Option<u64>,
    /// Print more detail.
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Print Strata's version.
    #[arg(long)]
    pub version: bool,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long, global = true)]
    pub allow_out_of_order: bool,
    /// Settings file (default: strata.toml in this folder or the nearest one above)
    #[arg(long, global = true, value_name = "FILE", env = "STRATA_CONFIG")]
    pub config: Option<String>,
    /// Use the [env.NAME] section of strata.toml
    #[arg(long, global = true, value_name = "NAME", env = "STRATA_ENV")]
    pub env: Option<String>,
    /// Read variables from FILE instead of ./.env (variables already set win)
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "no_dotenv")]
    pub env_file: Option<String>,
    /// Do not read ./.env
    #[arg(long, global = true)]
    pub no_dotenv: bool,
    /// Before running, wait until the database accepts connections (see `strata wait`)
    #[arg(long, global = true)]
    pub wait: bool,
    /// How long --wait waits, e.g. 60s (implies --wait; default 60s)
    #[arg(long, global = true, value_name = "DURATION")]
    pub wait_timeout: Option<String>,
    /// Colour on stderr: auto (terminals only; NO_COLOR turns it off, CLICOLOR_FORCE on),
    /// always, never
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t)]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorWhen {
    /// On terminals, unless NO_COLOR is set (or always under CLICOLOR_FORCE).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Shells `strata completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

/// Output format of commands that report data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// For programs.
    Json,
}

/// Output format of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LintFormat {
    /// For people: each finding with a source excerpt and the safe alternative.
    #[default]
    Text,
    /// For programs.
    Json,
    /// One line per finding: `path:line:col: rule-id: message`.
    Line,
}

/// The SQL dialect `lint` judges files by when no database says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintDialect {
    /// PostgreSQL (squawk's rules and Strata's).
    Postgres,
    /// SQLite (Strata's rules; squawk's are PostgreSQL-only).
    Sqlite,
    /// MySQL and MariaDB (Strata's rules, with its MySQL online DDL rules).
    Mysql,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new migration: a pair of up/down files, or one file with markers in a folder
    /// of such files.
    #[command(after_help = crate::examples::CREATE)]
    Create(CreateArgs),
    /// Migrate up or down to version V.
    Goto {
        /// Target version.
        #[arg(value_name = "V")]
        version: Option<String>,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Many databases at once.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
        /// How many databases run at once, and what a failure stops.
        #[command(flatten)]
        fleet: crate::fleet::RunArgs,
    },
    /// Apply all or N up migrations.
    #[command(after_help = crate::examples::UP)]
    Up {
        /// How many to apply (all when absent).
        #[arg(value_name = "N")]
        limit: Option<String>,
        /// After a successful run, rewrite FILE with `strata dump` of the schema.
        #[arg(long, value_name = "FILE")]
        dump: Option<std::path::PathBuf>,
        /// Continue a migration interrupted while running statement by statement at the
        /// statement it stopped at (fix that statement first); refused if statements before it
        /// were edited since they ran.
        #[arg(long)]
        resume: bool,
        /// Ignored, as golang-migrate ignores extra arguments.
        #[arg(hide = true, num_args = 0..)]
        extra: Vec<String>,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Many databases at once.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
        /// How many databases run at once, and what a failure stops.
        #[command(flatten)]
        fleet: crate::fleet::RunArgs,
    },
    /// Apply all or N down migrations (bare `down` asks for confirmation).
    #[command(after_help = crate::examples::DOWN)]
    Down {
        /// How many to revert.
        #[arg(value_name = "N", num_args = 0..)]
        limit: Vec<String>,
        /// Revert all without asking.
        #[arg(long)]
        all: bool,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Many databases at once.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
        /// How many databases run at once, and what a failure stops.
        #[command(flatten)]
        fleet: crate::fleet::RunArgs,
    },
    /// Drop everything inside the database (asks unless -f).
    Drop {
        /// Do not ask for confirmation.
        #[arg(short = 'f')]
        force: bool,
    },
    /// Set version V but don't run any migration (ignores dirty state); -1 means nothing applied.
    Force {
        /// The version (`force -- -1` or `force -1` for none).
        #[arg(value_name = "V", allow_negative_numbers = true)]
        version: Option<String>,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Print the current migration version.
    Version {
        /// Ignored, as golang-migrate ignores arguments to `version` (unknown flags are
        /// usage errors).
        #[arg(hide = true, num_args = 0..)]
        extra: Vec<String>,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Show every migration: version, name, applied or pending, when, by whom.
    #[command(after_help = crate::examples::STATUS)]
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Exit 3 if anything is pending or in conflict (for CI gates).
        #[arg(long)]
        check: bool,
        /// Many databases at once: the fleet view.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
    },
    /// Revert the last batch (each `up` run is one batch), newest first.
    Rollback {
        /// How many batches to revert.
        #[arg(long, value_name = "N", default_value_t = 1)]
        batches: u64,
        /// Output format (`json`: one report object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Revert every applied migration (asks unless -f).
    Reset {
        /// Do not ask for confirmation.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Revert every applied migration, then apply them all again (asks unless -f).
    Refresh {
        /// Do not ask for confirmation.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Show the action log (up, down, rollback, force, baseline, adopt, ...), newest first.
    History {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Show at most N entries.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Mark every migration up to V as applied without running it (for existing databases).
    Baseline {
        /// The version the database's schema already has.
        #[arg(value_name = "V")]
        version: Option<String>,
        /// Baseline even though the database already has migration records.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Check files against the database (checksums, missing files, order, dirty); changes
    /// nothing; exit 3 when anything is wrong.
    Validate {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Check migrations for dangerous SQL before they run: the given files or folders, else the
    /// pending migrations (all of -path without -database); exit 5 when anything is found.
    #[command(after_help = crate::examples::LINT)]
    Lint {
        /// Migration files or folders (no database needed).
        #[arg(value_name = "PATHS")]
        paths: Vec<String>,
        /// Output format (`line`: `path:line:col: rule: message`, for editors and CI).
        #[arg(long, value_enum, default_value_t)]
        format: LintFormat,
        /// Rule ids to turn off (comma-separated or repeated).
        #[arg(long, value_name = "RULE", value_delimiter = ',')]
        exclude: Vec<String>,
        /// Opt-in rule ids to turn on, e.g. require-if-not-exists (comma-separated or repeated).
        #[arg(long, value_name = "RULE", value_delimiter = ',')]
        include: Vec<String>,
        /// The SQL dialect when no -database tells it (default: postgres).
        #[arg(long, value_enum)]
        dialect: Option<LintDialect>,
    },
    /// Show what up (or down N, goto V, rollback [N], redo) would run: each migration, how it
    /// runs and why, its statements, the table locks they take and (PostgreSQL) the tables'
    /// size, rows and current users. Changes nothing.
    #[command(after_help = crate::examples::PLAN)]
    Plan {
        /// `up [N]` (default), `down [N]`, `goto V`, `rollback [N]` or `redo`.
        #[arg(value_name = "COMMAND", num_args = 0..)]
        request: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Many databases at once.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
    },
    /// Run the pending transactional migrations on the target inside one transaction and roll
    /// it back: errors, timings and the table locks taken. No-transaction migrations are listed
    /// as not rehearsable. Changes nothing (PostgreSQL); exit 1 when a migration fails.
    Rehearse {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Prove each pending migration's down undoes its up: snapshot, up, snapshot, down,
    /// snapshot, up again, snapshot; every difference in words. Runs inside one transaction
    /// that is rolled back (nothing changes). Exit 3 when a down does not restore the schema.
    #[command(after_help = crate::examples::VERIFY)]
    Verify {
        /// Every migration of the folder, from zero, on a scratch database (needs --scratch).
        #[arg(long)]
        all: bool,
        /// Create an empty scratch database through this PostgreSQL admin URL, verify the
        /// whole folder there, then drop it.
        #[arg(long, value_name = "ADMIN_URL")]
        scratch: Option<String>,
        /// Run on the target without a transaction (needed for no-transaction migrations); the
        /// downs run again at the end.
        #[arg(long)]
        on_target: bool,
        /// Column-order-only differences fail too.
        #[arg(long)]
        strict: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Many databases at once.
        #[command(flatten)]
        targets: crate::fleet::TargetArgs,
    },
    /// Write the schema as deterministic SQL (Strata's own tables left out; golang-migrate's
    /// version appended), or with --check compare it with a file (exit 3 when they differ).
    #[command(after_help = crate::examples::DUMP)]
    Dump {
        /// Write to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// Compare the live schema with FILE; print the differences in words.
        #[arg(long, value_name = "FILE", conflicts_with = "output")]
        check: Option<std::path::PathBuf>,
        /// PostgreSQL admin URL of the scratch database --check loads FILE into to compare
        /// (default: the target's URL, which then needs CREATEDB).
        #[arg(long, value_name = "ADMIN_URL")]
        scratch: Option<String>,
        /// Add the GRANTs (and REVOKEs of default privileges) on tables, sequences, functions
        /// and schemas, for roles other than each object's owner (PostgreSQL).
        #[arg(long)]
        privileges: bool,
    },
    /// Accept the edited file of applied migration V: record its current checksum.
    Accept {
        /// The applied version whose file was edited on purpose.
        #[arg(value_name = "V")]
        version: Option<String>,
    },
    /// Print each resolved setting and where it came from (flag, environment, .env,
    /// strata.toml, PG* variables, pg_service.conf, ~/.pgpass, default); passwords shown as ***.
    #[command(after_help = crate::examples::CONFIG)]
    Config {
        /// Output format (`json`: one object on stdout).
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// Wait until the database accepts connections (for container entrypoints): connection
    /// refused and "starting up" are retried; a failed login is not. Exit 1 after
    /// --wait-timeout (default 60s).
    #[command(after_help = crate::examples::WAIT)]
    Wait,
    /// Print a shell completion script, e.g. `strata completions bash > /etc/bash_completion.d/strata`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the manual page (roff), e.g. `strata man | man -l -`.
    Man,
    /// Give unapplied migrations that collide with another's version (two branches each added
    /// 003), or that are older than the newest applied one, new versions after the newest in
    /// the folder, keeping pairs together and the digit width. Never renames an applied one.
    Renumber {
        /// Print the renames without making them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import another tool's tracking table into the ledger (running nothing; the old table is
    /// left as it is).
    Adopt {
        /// The tool: dbmate, goose, sqlx, sql-migrate, knex or flyway.
        #[arg(long, value_name = "TOOL")]
        from: String,
        /// The tool's table, if not its default name (`schema.table` for another schema).
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
        /// Adopt the rows that match a migration file and leave out the others.
        #[arg(long)]
        ignore_unmatched: bool,
        /// Adopt even though the database already has migration records.
        #[arg(short = 'f', long)]
        force: bool,
    },
    /// Test databases: `create` a fresh migrated one (cloned from a template), `drop` one,
    /// `prune` stale ones. -database is the admin URL.
    #[command(after_help = crate::examples::TESTDB)]
    Testdb {
        /// What to do.
        #[command(subcommand)]
        action: crate::commands::testdb::TestdbCommand,
    },
}

/// `create` flags (golang-migrate's).
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// File extension (required), e.g. sql.
    #[arg(long)]
    pub ext: Option<String>,
    /// Folder to create the files in (default: MIGRATION_DIR, else the current folder).
    #[arg(long)]
    pub dir: Option<String>,
    /// Use sequential versions (000001) instead of timestamps.
    #[arg(long)]
    pub seq: bool,
    /// Digits of a sequential version, 1 to 20 (default: the width of the folder's newest
    /// file, else 6).
    #[arg(long, allow_negative_numbers = true)]
    pub digits: Option<i64>,
    /// Timestamp layout (Go layout 20060102150405, `unix` or `unixNano`).
    #[arg(long, default_value = "20060102150405")]
    pub format: String,
    /// Time zone of the timestamp: UTC or Local.
    #[arg(long, default_value = "UTC")]
    pub tz: String,
    /// The migration's name.
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(OsString::from))
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn normalize_rewrites_go_style_flags_and_stops_at_double_dash() {
        assert_eq!(
            norm(&[
                "strata",
                "-path",
                "m",
                "-database=sqlite://a.db",
                "down",
                "-all"
            ]),
            [
                "strata",
                "--path",
                "m",
                "--database=sqlite://a.db",
                "down",
                "--all"
            ]
        );
        assert_eq!(
            norm(&["strata", "force", "--", "-version"]),
            ["strata", "force", "--", "-version"]
        );
        assert_eq!(
            norm(&["strata", "force", "-1", "drop", "-f"]),
            ["strata", "force", "-1", "drop", "-f"]
        );
    }

    #[test]
    fn cli_parses_golang_migrate_command_lines() {
        let cli = Cli::parse_from(normalize(
            [
                "strata",
                "-path",
                "m",
                "-database",
                "sqlite://x.db",
                "up",
                "2",
            ]
            .map(OsString::from),
        ));
        assert_eq!(cli.global.path.as_deref(), Some("m"));
        assert!(matches!(cli.command, Some(Command::Up { limit: Some(ref n), .. }) if n == "2"));
        let cli = Cli::parse_from(normalize(
            ["strata", "force", "--", "-1"].map(OsString::from),
        ));
        assert!(
            matches!(cli.command, Some(Command::Force { version: Some(ref v), .. }) if v == "-1")
        );
        let cli = Cli::parse_from(normalize(
            [
                "strata", "create", "-ext", "sql", "-dir", "m", "-seq", "init",
            ]
            .map(OsString::from),
        ));
        assert!(
            matches!(cli.command, Some(Command::Create(ref c)) if c.seq && c.name.as_deref() == Some("init"))
        );
    }

    #[test]
    fn history_commands_accept_golang_style_flags() {
        let parse = |args: &[&str]| Cli::parse_from(normalize(args.iter().map(OsString::from)));
        let cli = parse(&["strata", "rollback", "-batches", "2"]);
        assert!(matches!(
            cli.command,
            Some(Command::Rollback { batches: 2, .. })
        ));
        let cli = parse(&["strata", "rollback"]);
        assert!(matches!(
            cli.command,
            Some(Command::Rollback { batches: 1, .. })
        ));
        let cli = parse(&["strata", "history", "-limit=5", "-format", "json"]);
        assert!(matches!(
            cli.command,
            Some(Command::History {
                limit: Some(5),
                format: OutputFormat::Json
            })
        ));
        let cli = parse(&["strata", "baseline", "-force", "3"]);
        assert!(
            matches!(cli.command, Some(Command::Baseline { force: true, version: Some(ref v) }) if v == "3")
        );
        let cli = parse(&["strata", "status", "-check"]);
        assert!(matches!(
            cli.command,
            Some(Command::Status { check: true, .. })
        ));
        let cli = parse(&["strata", "reset", "-f"]);
        assert!(matches!(cli.command, Some(Command::Reset { force: true })));
    }
}
